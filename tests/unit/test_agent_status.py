"""Pure logic of the agent: pod phase and conditions, back-off, $(VAR) expansion, container config."""
from __future__ import annotations

from agent.kubelet.backoff import crash_backoff_delay
from agent.kubelet.container_config import container_config
from agent.kubelet.env import expand
from agent.kubelet.runtime.types import ContainerRecord
from agent.kubelet.status import Observation, pod_status


def record(name: str, state: str, restart: int = 0, exit_code: int | None = None, kind: str = "app",
           oom: bool = False) -> ContainerRecord:
    return ContainerRecord(id=f"{name}-{restart}", pod_uid="u", pod_name="p", pod_namespace="ns", name=name,
                           kind=kind, restart_count=restart, attempt=0, state=state, exit_code=exit_code,
                           started_at="2024-01-01T00:00:00Z", oom_killed=oom,
                           finished_at="2024-01-01T00:00:01Z" if state == "exited" else None)


def pod(policy: str = "Always", containers=("a",), inits=()) -> dict:
    return {"metadata": {"name": "p", "namespace": "ns", "uid": "u"},
            "spec": {"restartPolicy": policy, "containers": [{"name": c, "image": "i"} for c in containers],
                     "initContainers": [{"name": c, "image": "i"} for c in inits]}}


def test_running_pod_is_ready_and_scheduled():
    status = pod_status(pod(), Observation(history={"a": [record("a", "running")]}, host_ip="10.0.0.1"))
    assert status["phase"] == "Running"
    assert {c["type"]: c["status"] for c in status["conditions"]} == {
        "Initialized": "True", "Ready": "True", "ContainersReady": "True", "PodScheduled": "True"}
    assert status["containerStatuses"][0]["state"]["running"]["startedAt"] == "2024-01-01T00:00:00Z"
    assert status["hostIP"] == "10.0.0.1" and status["qosClass"] == "BestEffort"


def test_crash_looping_container_keeps_last_state_and_count():
    seen = Observation(history={"a": [record("a", "exited", 2, 1)]},
                       waiting={"a": ("CrashLoopBackOff", "back-off 20s")})
    status = pod_status(pod(), seen)
    container = status["containerStatuses"][0]
    assert status["phase"] == "Running"
    assert container["state"]["waiting"]["reason"] == "CrashLoopBackOff"
    assert container["lastState"]["terminated"]["exitCode"] == 1 and container["restartCount"] == 2


def test_phases_for_finished_containers():
    done = Observation(history={"a": [record("a", "exited", 0, 0)]})
    failed = Observation(history={"a": [record("a", "exited", 0, 1, oom=True)]})
    assert pod_status(pod("Never"), done)["phase"] == "Succeeded"
    assert pod_status(pod("OnFailure"), done)["phase"] == "Succeeded"
    assert pod_status(pod("Never"), failed)["phase"] == "Failed"
    assert pod_status(pod("Never"), failed)["containerStatuses"][0]["state"]["terminated"]["reason"] == "OOMKilled"
    assert pod_status(pod("Always"), done)["phase"] == "Running"


def test_pending_until_init_containers_succeed_and_unready_without_probe_success():
    seen = Observation(history={"i": [record("i", "running", kind="init")]})
    status = pod_status(pod(inits=("i",)), seen)
    assert status["phase"] == "Pending"
    assert status["containerStatuses"][0]["state"]["waiting"]["reason"] == "ContainerCreating"
    ready = Observation(history={"a": [record("a", "running")]}, ready={"a": False})
    conditions = {c["type"]: c for c in pod_status(pod(), ready)["conditions"]}
    assert conditions["Ready"]["status"] == "False" and conditions["Ready"]["reason"] == "ContainersNotReady"


def test_crash_backoff_doubles_from_the_second_restart_up_to_the_cap():
    assert [crash_backoff_delay(n, 10, 300) for n in range(7)] == [0, 10, 20, 40, 80, 160, 300]


def test_variable_expansion_as_kubernetes_does():
    env = {"A": "1", "B": "two"}
    assert expand("$(A)-$(B)-$(C)-$$(A)", env) == "1-two-$(C)-$(A)"


def test_container_config_maps_resources_command_and_user():
    p = {"spec": {"securityContext": {"runAsUser": 1000}}}
    container = {"name": "c", "image": "i", "command": ["sh", "-c"], "args": ["echo $(X)"],
                 "resources": {"limits": {"cpu": "500m", "memory": "128Mi"}, "requests": {"cpu": "250m"}},
                 "securityContext": {"runAsGroup": 5}}
    config = container_config(p, container, kind="app", restart_count=0, attempt=0, env={"X": "y"}, mounts=[])
    assert config.command == ["sh", "-c"] and config.args == ["echo y"]
    assert (config.cpu_quota, config.cpu_period, config.cpu_shares) == (50_000, 100_000, 256)
    assert config.memory_limit == 128 * 1024 * 1024 and config.user == "1000:5"
