"""httpGet and tcpSocket probes, and httpGet/exec lifecycle hooks, against real containers.

The agent dials probes and hooks from inside the pod's network namespace
(agent/kubelet/pod_sockets.py), so 127.0.0.1:8080 is the hello container's httpd.
Ports 9997-9999 are ones nobody in the pod listens on until a test says so.
"""
from __future__ import annotations

import os
from pathlib import Path

from minikube_py.testing import eventually
from tests.agent_harness import (
    FOREVER,
    HELLO,
    POLL,
    condition,
    container_status,
    get_pod,
    pod_body,
    pod_events,
    pod_now,
    sh,
    wait_phase,
)

FAST = {"periodSeconds": 1, "failureThreshold": 1}
# A CGI that appends its query string to /hooks/calls: a hook "hits" it and the host reads the file.
RECORDER_CGI = "#!/bin/sh\necho \"$QUERY_STRING\" >> /hooks/calls\nprintf 'Content-Type: text/plain\\r\\n\\r\\nok\\n'\n"


def running_container(docker_client, pod: dict, name: str):
    return docker_client.containers.get(container_status(pod, name)["containerID"].removeprefix("docker://"))


async def test_http_and_tcp_readiness_toggle_ready(http, ns, agent, docker_client):
    containers = [
        {"name": "web", "image": HELLO, "readinessProbe": {"httpGet": {"path": "/ready.txt", "port": 8080}, **FAST},
         "livenessProbe": {"tcpSocket": {"port": 8080}, "periodSeconds": 1}},
        sh("side", FOREVER, readinessProbe={"tcpSocket": {"port": 9999}, **FAST})]
    await http.ok("POST", f"/api/v1/namespaces/{ns}/pods", pod_body("ready", agent.node, containers))
    pod = await wait_phase(http, ns, "ready", "Running", agent)

    async def readiness(web: bool, side: bool):
        pod = await pod_now(http, ns, "ready")
        ready = {s["name"]: s["ready"] for s in pod["status"]["containerStatuses"]}
        return pod if ready == {"web": web, "side": side} else None
    pod = await eventually(lambda: readiness(False, False), "both containers unready",
                           interval=POLL, explain=agent.log_tail)
    assert condition(pod, "Ready") == "False"

    web, side = running_container(docker_client, pod, "web"), running_container(docker_client, pod, "side")
    web.exec_run(["sh", "-c", "echo ok > /www/ready.txt"])          # httpGet: 404 -> 200
    await eventually(lambda: readiness(True, False), "web ready, side not", interval=POLL, explain=agent.log_tail)
    side.exec_run(["httpd", "-p", "9999", "-h", "/tmp"])              # tcpSocket: refused -> accepted
    pod = await eventually(lambda: readiness(True, True), "both ready", interval=POLL, explain=agent.log_tail)
    assert condition(pod, "Ready") == "True" and condition(pod, "ContainersReady") == "True"
    web.exec_run(["rm", "/www/ready.txt"])
    pod = await eventually(lambda: readiness(False, True), "web unready again", interval=POLL, explain=agent.log_tail)
    assert condition(pod, "Ready") == "False"

    events = await pod_events(http, ns, "ready")
    unhealthy = [e["message"] for e in events if e["reason"] == "Unhealthy"]
    assert "Readiness probe failed: HTTP probe failed with statuscode: 404" in unhealthy, unhealthy
    assert "Readiness probe failed: dial tcp 127.0.0.1:9999: connect: connection refused" in unhealthy, unhealthy
    assert all(s["restartCount"] == 0 for s in pod["status"]["containerStatuses"])   # tcp liveness on 8080 passes


async def test_http_and_tcp_liveness_failures_restart_the_container(http, ns, agent):
    containers = [sh("http", FOREVER, livenessProbe={"httpGet": {"path": "/healthz", "port": 9998}, **FAST}),
                  sh("tcp", FOREVER, livenessProbe={"tcpSocket": {"port": 9997}, **FAST})]
    await http.ok("POST", f"/api/v1/namespaces/{ns}/pods", pod_body("doomed", agent.node, containers,
                                                                   terminationGracePeriodSeconds=1))

    async def both_restarted():
        pod = await get_pod(http, ns, "doomed")
        statuses = (pod or {}).get("status", {}).get("containerStatuses") or []
        return pod if len(statuses) == 2 and all(s["restartCount"] >= 1 for s in statuses) else None
    pod = await eventually(both_restarted, "both containers restarted by liveness",
                           interval=POLL, explain=agent.log_tail)
    for name in ("http", "tcp"):
        assert container_status(pod, name)["lastState"]["terminated"]["exitCode"] in (0, 137)  # TERM or KILL
    events = await pod_events(http, ns, "doomed")
    messages = {(e["reason"], e["message"]) for e in events}
    assert ("Killing", "Stopping container http: Container http failed liveness probe, will be restarted") in messages
    assert ("Killing", "Stopping container tcp: Container tcp failed liveness probe, will be restarted") in messages
    assert ("Unhealthy", 'Liveness probe failed: Get "http://127.0.0.1:9998/healthz": '
                         "dial tcp 127.0.0.1:9998: connect: connection refused") in messages
    assert ("Unhealthy", "Liveness probe failed: dial tcp 127.0.0.1:9997: connect: connection refused") in messages


async def test_post_start_and_pre_stop_hooks_with_http_get_and_exec(http, ns, agent):
    hooks = Path(agent.root_dir) / f"hooks-{ns}"
    (hooks / "www" / "cgi-bin").mkdir(parents=True)
    recorder = hooks / "www" / "cgi-bin" / "record"
    recorder.write_text(RECORDER_CGI)
    recorder.chmod(0o755)
    os.chmod(hooks, 0o777)
    mounts = [{"name": "hooks", "mountPath": "/hooks"}]
    # "server" serves the recorder on :9000 and hits it from its own hooks; "worker" uses exec hooks.
    server = sh("server", "httpd -p 9000 -h /hooks/www; " + FOREVER, volumeMounts=mounts, lifecycle={
        "postStart": {"httpGet": {"path": "/cgi-bin/record?server-post-start", "port": 9000}},
        "preStop": {"httpGet": {"path": "/cgi-bin/record?server-pre-stop", "port": 9000}}})
    worker = sh("worker", FOREVER, volumeMounts=mounts, lifecycle={
        "postStart": {"exec": {"command": ["sh", "-c", "echo worker-post-start >> /hooks/calls"]}},
        "preStop": {"exec": {"command": ["sh", "-c", "echo worker-pre-stop >> /hooks/calls"]}}})
    await http.ok("POST", f"/api/v1/namespaces/{ns}/pods", pod_body("hooked", agent.node, [server, worker], volumes=[
        {"name": "hooks", "hostPath": {"path": str(hooks), "type": "Directory"}}]))
    await wait_phase(http, ns, "hooked", "Running", agent)
    calls = hooks / "calls"

    def recorded() -> list[str]:
        return calls.read_text().split() if calls.exists() else []

    async def started():
        return {"server-post-start", "worker-post-start"} <= set(recorded())
    await eventually(started, "both postStart hooks", interval=POLL, explain=agent.log_tail)
    assert not {"server-pre-stop", "worker-pre-stop"} & set(recorded())

    await http.ok("DELETE", f"/api/v1/namespaces/{ns}/pods/hooked")
    await eventually(lambda: _gone(http, ns, "hooked"), "the pod to be deleted", interval=POLL, explain=agent.log_tail)
    assert {"server-pre-stop", "worker-pre-stop"} <= set(recorded())


async def test_failing_http_post_start_hook_kills_the_container(http, ns, agent):
    container = sh("app", FOREVER, lifecycle={"postStart": {"httpGet": {"path": "/", "port": 9999}}})
    await http.ok("POST", f"/api/v1/namespaces/{ns}/pods", pod_body("badhook", agent.node, [container]))

    async def restarted():
        pod = await get_pod(http, ns, "badhook")
        statuses = (pod or {}).get("status", {}).get("containerStatuses") or []
        return pod if statuses and statuses[0]["restartCount"] >= 1 else None
    await eventually(restarted, "the container to be restarted after its hook failed",
                     interval=POLL, explain=agent.log_tail)
    events = await pod_events(http, ns, "badhook")
    assert any(e["reason"] == "FailedPostStartHook" and e["type"] == "Warning" for e in events), events


async def _gone(http, ns: str, name: str) -> bool:
    return await get_pod(http, ns, name) is None
