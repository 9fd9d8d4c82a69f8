"""The node agent against a real API server, etcd and dockerd: the basics.

The agent process, its fixture and the polling helpers are in
tests/agent_harness.py and tests/integration/conftest.py.
"""
from __future__ import annotations

import asyncio
from pathlib import Path

from minikube_py.testing import eventually
from tests.agent_harness import (
    POLL,
    condition,
    container_status,
    get_pod,
    node_containers,
    pod_body,
    pod_now,
    sh,
    wait_phase,
)


async def test_node_registers_with_lease_and_ready_condition(http, agent):
    async def registered():
        status, node = await http.get(f"/api/v1/nodes/{agent.node}")
        return node if status == 200 and node.get("status", {}).get("conditions") else None
    node = await eventually(registered, "the Node", interval=POLL, explain=agent.log_tail)
    assert {c["type"]: c["status"] for c in node["status"]["conditions"]} == {
        "MemoryPressure": "False", "DiskPressure": "False", "PIDPressure": "False", "Ready": "True"}
    assert node["metadata"]["labels"]["kubernetes.io/hostname"] == agent.node
    assert node["status"]["capacity"]["pods"] == "110"
    assert node["status"]["daemonEndpoints"]["kubeletEndpoint"]["Port"] == agent.port
    assert {"type": "InternalIP", "address": "127.0.0.1"} in node["status"]["addresses"]
    async def leased():
        status, lease = await http.get(f"/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/{agent.node}")
        return lease if status == 200 else None       # a (status, body) pair would always be truthy
    lease = await eventually(leased, "the Lease", interval=POLL, explain=agent.log_tail)
    assert lease["spec"]["holderIdentity"] == agent.node


async def test_pod_runs_with_env_and_volumes_and_logs_through_the_api(http, ns, agent, docker_client):
    await http.ok("POST", f"/api/v1/namespaces/{ns}/configmaps", {
        "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"}, "data": {"greeting": "hi", "file": "F"}})
    await http.ok("POST", f"/api/v1/namespaces/{ns}/secrets", {
        "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "sec"}, "stringData": {"token": "s3cret"}})
    script = ("echo plain=$PLAIN; echo pod=$POD_NAME; echo greet=$GREET; echo token=$TOKEN; echo from=$file; "
              "echo cm=$(cat /cfg/file); echo secretfile=$(cat /sec/token); echo hi > /scratch/x; "
              "echo shared=$(cat /scratch/x); echo pwd=$(pwd); echo host=$(hostname); "
              "echo localhost=$(grep -w localhost /etc/hosts | head -1 | cut -f1); "
              "echo alias=$(grep -w alias.example /etc/hosts | cut -f1); "
              "trap 'exit 0' TERM; while :; do sleep 1; done")
    container = sh("app", script, workingDir="/tmp",
                   env=[{"name": "PLAIN", "value": "v1"},
                        {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                        {"name": "GREET", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "greeting"}}},
                        {"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "sec", "key": "token"}}}],
                   envFrom=[{"configMapRef": {"name": "cfg"}}],
                   volumeMounts=[{"name": "c", "mountPath": "/cfg"}, {"name": "s", "mountPath": "/sec"},
                                 {"name": "scratch", "mountPath": "/scratch"}],
                   resources={"limits": {"cpu": "200m", "memory": "64Mi"}})
    await http.ok("POST", f"/api/v1/namespaces/{ns}/pods", pod_body("p", agent.node, [container], volumes=[
        {"name": "c", "configMap": {"name": "cfg"}}, {"name": "s", "secret": {"secretName": "sec"}},
        {"name": "scratch", "emptyDir": {}}], hostAliases=[{"ip": "10.1.2.3", "hostnames": ["alias.example"]}]))
    pod = await wait_phase(http, ns, "p", "Running", agent)
    assert condition(pod, "Ready") == "True" and pod["status"]["hostIP"] == "127.0.0.1"

    async def logged():
        status, text = await http.get(f"/api/v1/namespaces/{ns}/pods/p/log")
        return text if status == 200 and "alias=" in text else None        # the script's last line
    text = await eventually(logged, "the pod's log", interval=POLL, explain=agent.log_tail)
    for line in ("plain=v1", "pod=p", "greet=hi", "token=s3cret", "from=F", "cm=F", "secretfile=s3cret",
                 "shared=hi", "pwd=/tmp", "host=p", "localhost=127.0.0.1", "alias=10.1.2.3"):
        assert line in text.splitlines(), (line, text)
    app = [c for c in node_containers(docker_client, agent.node) if c.labels["io.minikube-py.container"] == "app"]
    assert app[0].attrs["HostConfig"]["Memory"] == 64 * 1024 * 1024
    assert app[0].attrs["HostConfig"]["NetworkMode"].startswith("container:")


async def test_crash_loop_back_off(http, ns, agent):
    await http.ok("POST", f"/api/v1/namespaces/{ns}/pods", pod_body("crash", agent.node, [sh("app", "exit 3")]))

    async def looping():
        pod = await get_pod(http, ns, "crash")
        statuses = (pod or {}).get("status", {}).get("containerStatuses") or []
        if statuses and statuses[0]["restartCount"] >= 2:
            waiting = statuses[0]["state"].get("waiting") or {}
            return pod if waiting.get("reason") == "CrashLoopBackOff" else None
        return None
    pod = await eventually(looping, "CrashLoopBackOff with restarts", timeout=40, interval=POLL, explain=agent.log_tail)
    status = container_status(pod, "app")
    assert status["lastState"]["terminated"]["exitCode"] == 3
    assert status["lastState"]["terminated"]["reason"] == "Error"


async def test_liveness_restarts_and_readiness_drives_ready(http, ns, agent, docker_client):
    container = sh("app", "trap 'exit 0' TERM; while :; do sleep 1; done",
                   livenessProbe={"exec": {"command": ["test", "!", "-e", "/tmp/die"]}, "periodSeconds": 1,
                                  "failureThreshold": 1},
                   readinessProbe={"exec": {"command": ["test", "-e", "/tmp/ready"]}, "periodSeconds": 1})
    await http.ok("POST", f"/api/v1/namespaces/{ns}/pods", pod_body("probed", agent.node, [container]))
    pod = await wait_phase(http, ns, "probed", "Running", agent)
    assert condition(pod, "Ready") == "False"

    def app_container():
        return next(c for c in node_containers(docker_client, agent.node)
                    if c.labels["io.minikube-py.container"] == "app" and c.status == "running")

    async def ready_is(value: str):
        pod = await get_pod(http, ns, "probed")
        return pod if pod and condition(pod, "Ready") == value else None
    app_container().exec_run(["touch", "/tmp/ready"])
    await eventually(lambda: ready_is("True"), "Ready=True", interval=POLL, explain=agent.log_tail)
    app_container().exec_run(["rm", "/tmp/ready"])
    await eventually(lambda: ready_is("False"), "Ready=False", interval=POLL, explain=agent.log_tail)

    app_container().exec_run(["touch", "/tmp/die"])

    async def restarted():
        pod = await pod_now(http, ns, "probed")
        return pod if container_status(pod, "app")["restartCount"] >= 1 else None
    pod = await eventually(restarted, "a liveness restart", interval=POLL, explain=agent.log_tail)
    assert container_status(pod, "app")["lastState"]["terminated"]["exitCode"] in (0, 137)


async def test_graceful_deletion_runs_pre_stop_and_removes_containers(http, ns, agent, docker_client):
    container = sh("app", "trap 'echo got-term; sleep 2; exit 0' TERM; while :; do sleep 1; done",
                   lifecycle={"preStop": {"exec": {"command": ["sh", "-c", "echo prestop > /data/prestop"]}}},
                   volumeMounts=[{"name": "data", "mountPath": "/data"}])
    await http.ok("POST", f"/api/v1/namespaces/{ns}/pods", pod_body(
        "graceful", agent.node, [container],
        volumes=[{"name": "data", "hostPath": {"path": f"{agent.root_dir}/host-data", "type": "DirectoryOrCreate"}}]))
    pod = await wait_phase(http, ns, "graceful", "Running", agent)
    uid = pod["metadata"]["uid"]
    status, body = await http.delete(f"/api/v1/namespaces/{ns}/pods/graceful")
    assert status in (200, 202)
    assert body["metadata"].get("deletionTimestamp")
    # While the pod object exists, its containers may still be running; once it is gone, they are gone.
    async def gone():
        return await get_pod(http, ns, "graceful") is None
    await eventually(gone, "the pod to be deleted", interval=POLL, explain=agent.log_tail)
    assert node_containers(docker_client, agent.node) == []
    assert (Path(agent.root_dir) / "host-data" / "prestop").read_text() == "prestop\n"
    assert not (Path(agent.root_dir) / "pods" / uid).exists()


async def test_agent_restart_adopts_running_pod(http, ns, agent, docker_client):
    await http.ok("POST", f"/api/v1/namespaces/{ns}/pods", pod_body(
        "adopted", agent.node, [sh("app", "trap 'exit 0' TERM; while :; do sleep 1; done")]))
    await wait_phase(http, ns, "adopted", "Running", agent)
    before = sorted(c.id for c in node_containers(docker_client, agent.node))
    assert len(before) == 2                      # the sandbox and the app container
    agent.stop()
    agent.start()
    async def healthy():
        status, _ = await http.get(f"/api/v1/nodes/{agent.node}")
        return status == 200
    await eventually(healthy, "the node", interval=POLL, explain=agent.log_tail)
    await asyncio.sleep(3)                        # several syncs and PLEG relists of the new agent
    after = sorted(c.id for c in node_containers(docker_client, agent.node))
    assert after == before
    pod = await pod_now(http, ns, "adopted")
    assert pod["status"]["phase"] == "Running" and container_status(pod, "app")["restartCount"] == 0


async def test_orphans_are_removed_and_never_pulled_image_is_reported(http, ns, agent, docker_client):
    await http.ok("POST", f"/api/v1/namespaces/{ns}/pods", pod_body(
        "nopull", agent.node, [{"name": "app", "image": "minikube-py/absent:1", "imagePullPolicy": "Never"}]))

    async def never_pull():
        pod = await get_pod(http, ns, "nopull")
        statuses = (pod or {}).get("status", {}).get("containerStatuses") or []
        waiting = statuses[0]["state"].get("waiting", {}) if statuses else {}
        return waiting.get("reason") == "ErrImageNeverPull"
    await eventually(never_pull, "ErrImageNeverPull", interval=POLL, explain=agent.log_tail)
    # force-delete (grace 0) while the agent is down: its containers become orphans
    agent.stop()
    await http.ok("DELETE", f"/api/v1/namespaces/{ns}/pods/nopull?gracePeriodSeconds=0")
    assert node_containers(docker_client, agent.node)       # the sandbox is still there
    agent.start()

    async def cleaned():
        return node_containers(docker_client, agent.node) == []
    await eventually(cleaned, "orphaned containers to be removed", interval=POLL, explain=agent.log_tail)
