"""Every PodLogOptions field end to end: API server pods/log -> agent /containerLogs -> docker logs,
with a real agent and dockerd, through HTTP and through both kubectls."""
from __future__ import annotations

import math
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

from agent.kubelet.log_filter import line_time
from minikube_py.testing import eventually
from tests.agent_harness import POLL, container_status, get_pod, pod_body, sh, wait_phase

# two lines, a pause of 3 s, two more lines, then quiet until stopped
SCRIPT = "echo early-1; echo early-2; sleep 3; echo late-1; echo late-2; trap 'exit 0' TERM; while :; do sleep 1; done"


async def _running_pod(http, ns: str, agent) -> str:
    containers = [sh("app", SCRIPT), sh("side", "echo side-1; trap 'exit 0' TERM; while :; do sleep 1; done")]
    await http.ok("POST", f"/api/v1/namespaces/{ns}/pods", pod_body("p", agent.node, containers))
    await wait_phase(http, ns, "p", "Running", agent)

    async def all_lines():
        status, text = await http.get(f"/api/v1/namespaces/{ns}/pods/p/log?container=app&timestamps=true")
        return text if status == 200 and "late-2" in text else None
    return await eventually(all_lines, "all four lines", interval=POLL, explain=agent.log_tail)


async def test_every_log_option(http, ns, agent, any_kubectl, apiserver, tmp_path: Path):
    stamped = await _running_pod(http, ns, agent)
    lines = stamped.splitlines()
    assert [line.split(" ", 1)[1] for line in lines] == ["early-1", "early-2", "late-1", "late-2"]
    assert all(line_time(line.encode()) for line in lines)          # timestamps: RFC 3339 prefixes
    late = line_time(lines[2].encode())
    assert late is not None
    log = f"/api/v1/namespaces/{ns}/pods/p/log"

    async def text(query: str) -> str:
        status, body = await http.get(f"{log}?{query}")
        assert status == 200, (query, body)
        return body

    assert await text("container=app") == "early-1\nearly-2\nlate-1\nlate-2\n"
    assert await text("container=side") == "side-1\n"
    since_time = datetime.fromtimestamp(math.floor(late), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert await text(f"container=app&sinceTime={since_time}") == "late-1\nlate-2\n"
    since_seconds = math.ceil(time.time() - late) + 1          # reaches back past late-1, not to early-2
    assert await text(f"container=app&sinceSeconds={since_seconds}") == "late-1\nlate-2\n"
    assert await text("container=app&tailLines=1") == "late-2\n"
    assert await text("container=app&tailLines=0") == ""
    assert await text("container=app&limitBytes=10") == "early-1\nea"
    stamped_since = await text(f"container=app&sinceTime={since_time}&timestamps=true")
    assert stamped_since.splitlines() == lines[2:]
    # follow would stream forever: the byte limit ends it
    assert await text("container=app&follow=true&limitBytes=8") == "early-1\n"
    assert await text("container=app&insecureSkipTLSVerifyBackend=true&tailLines=2") == "late-1\nlate-2\n"
    status, body = await http.get(f"{log}?container=app&previous=true")
    assert status == 400 and "previous terminated container" in body["message"]

    def kubectl(*args: str) -> str:
        result = subprocess.run([any_kubectl, "--server", apiserver.url, "-n", ns, "logs", "p", "-c", "app", *args],
                                capture_output=True, text=True, timeout=60,
                                env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
        assert result.returncode == 0, result.stderr
        return result.stdout

    assert kubectl("--tail=1") == "late-2\n"
    assert kubectl(f"--since-time={since_time}") == "late-1\nlate-2\n"
    assert kubectl(f"--since={math.ceil(time.time() - late) + 1}s") == "late-1\nlate-2\n"
    assert kubectl("--limit-bytes=7") == "early-1"
    assert kubectl("--timestamps", "--tail=1") == lines[3] + "\n"


async def test_previous_container_log(http, ns, agent):
    """`previous` reads the instance before a restart (the first run printed run-1)."""
    script = "if [ -f /data/ran ]; then echo run-2; trap 'exit 0' TERM; while :; do sleep 1; done; fi; " \
             "touch /data/ran; echo run-1; exit 1"
    container = sh("app", script, volumeMounts=[{"name": "data", "mountPath": "/data"}])
    await http.ok("POST", f"/api/v1/namespaces/{ns}/pods", pod_body("r", agent.node, [container],
                                                                     volumes=[{"name": "data", "emptyDir": {}}]))

    async def restarted():
        pod = await get_pod(http, ns, "r")
        statuses = (pod or {}).get("status", {}).get("containerStatuses") or []
        return pod if statuses and container_status(pod, "app").get("restartCount", 0) >= 1 else None
    await eventually(restarted, "a restart", timeout=60, interval=POLL, explain=agent.log_tail)

    async def second_run():
        status, body = await http.get(f"/api/v1/namespaces/{ns}/pods/r/log")
        return body if status == 200 and "run-2" in body else None
    assert await eventually(second_run, "the second run's log", interval=POLL,
                            explain=agent.log_tail) == "run-2\n"
    status, body = await http.get(f"/api/v1/namespaces/{ns}/pods/r/log?previous=true")
    assert (status, body) == (200, "run-1\n")
