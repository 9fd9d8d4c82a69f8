"""Resource limits and the security context, enforced by the kernel through Docker.

- A container over its memory limit is killed by the cgroup's OOM killer:
  terminated, exit code 137 (128 + SIGKILL), reason OOMKilled; restarted or
  not as the pod's restartPolicy says. The reason comes from Docker's
  State.OOMKilled, as kubelet takes it from the runtime, and Docker loses that
  flag now and then (moby/moby#38352; here about 1 run in 8 of a plain
  `docker run -m 20m`): the agent must then say "Error", so the test compares
  the reason with what Docker itself says about that very container.
- runAsUser / runAsGroup (pod level, overridden per container) become the
  process's uid and gid; privileged: false leaves Docker's default capability
  set, so a mount inside the container is refused.
"""
from __future__ import annotations

from minikube_py.testing import eventually
from tests.agent_harness import FOREVER, POLL, container_status, node_containers, pod_body, pod_now, sh

# `exec` makes dd PID 1: the OOM kill then ends the container, not just a child of the shell.
HOG = "exec dd if=/dev/zero of=/dev/null bs=100M count=1"
LIMIT = {"limits": {"memory": "20Mi"}}


def reported_as_docker_says(docker_client, terminated: dict) -> bool:
    container = docker_client.containers.get(terminated["containerID"].removeprefix("docker://"))
    return terminated["reason"] == ("OOMKilled" if container.attrs["State"]["OOMKilled"] else "Error")


async def test_memory_hog_is_oom_killed_and_restarted_per_policy(http, ns, agent, docker_client):
    await http.ok("POST", f"/api/v1/namespaces/{ns}/pods", pod_body(
        "hog-always", agent.node, [sh("hog", HOG, resources=LIMIT)]))
    await http.ok("POST", f"/api/v1/namespaces/{ns}/pods", pod_body(
        "hog-never", agent.node, [sh("hog", HOG, resources=LIMIT)], restartPolicy="Never"))

    async def failed():
        pod = await pod_now(http, ns, "hog-never")
        return pod if pod["status"].get("phase") == "Failed" else None
    pod = await eventually(failed, "the Never pod to fail", interval=POLL, explain=agent.log_tail)
    status = container_status(pod, "hog")
    assert status["state"]["terminated"]["exitCode"] == 137
    assert reported_as_docker_says(docker_client, status["state"]["terminated"]), status
    assert status["restartCount"] == 0

    async def restarted():
        pod = await pod_now(http, ns, "hog-always")
        statuses = pod["status"].get("containerStatuses") or []
        return pod if statuses and statuses[0]["restartCount"] >= 1 and statuses[0]["lastState"] else None
    pod = await eventually(restarted, "the Always pod to restart its container", interval=POLL, explain=agent.log_tail)
    last = container_status(pod, "hog")["lastState"]["terminated"]
    assert last["exitCode"] == 137 and reported_as_docker_says(docker_client, last), last
    assert pod["status"]["phase"] == "Running"      # restartPolicy Always: it will be back


async def test_run_as_user_and_group_and_unprivileged(http, ns, agent, docker_client):
    report = "id; grep CapEff /proc/self/status; mount -t tmpfs none /mnt 2>&1 || echo mount-refused; echo end; "
    containers = [sh("pod-level", report + FOREVER),
                  sh("own-user", report + FOREVER, securityContext={"runAsUser": 2000}),
                  sh("root", report + FOREVER, securityContext={"runAsUser": 0, "privileged": False})]
    await http.ok("POST", f"/api/v1/namespaces/{ns}/pods", pod_body(
        "ids", agent.node, containers, securityContext={"runAsUser": 1000, "runAsGroup": 3000}))

    async def logs():
        found = {}
        for container in containers:
            status, text = await http.get(f"/api/v1/namespaces/{ns}/pods/ids/log?container={container['name']}")
            if status != 200 or "end" not in text.splitlines():
                return None
            found[container["name"]] = text
        return found
    found = await eventually(logs, "every container's report", interval=POLL, explain=agent.log_tail)
    assert found["pod-level"].startswith("uid=1000 gid=3000"), found
    assert found["own-user"].startswith("uid=2000 gid=3000"), found      # container overrides the pod's user
    assert found["root"].startswith("uid=0(root) gid=3000"), found
    assert "mount-refused" in found["root"], found           # root, but without CAP_SYS_ADMIN
    cap_eff = int(found["root"].split("CapEff:")[1].split()[0], 16)
    assert cap_eff != 0 and cap_eff & (1 << 21) == 0, found    # Docker's default set: no CAP_SYS_ADMIN (21)
    for container in node_containers(docker_client, agent.node):
        if container.labels["io.minikube-py.container"] != "POD":
            assert container.attrs["HostConfig"]["Privileged"] is False
