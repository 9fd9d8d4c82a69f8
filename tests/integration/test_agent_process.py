"""The agent process itself: a stop signal is logged and ends it cleanly, leaving pods running."""
from __future__ import annotations

import signal

from tests.agent_harness import FOREVER, node_containers, pod_body, sh, wait_phase


async def test_sigterm_is_logged_and_leaves_the_containers_running(http, ns, agent, docker_client):
    await http.ok("POST", f"/api/v1/namespaces/{ns}/pods", pod_body("stays", agent.node, [sh("app", FOREVER)]))
    await wait_phase(http, ns, "stays", "Running", agent)
    agent.process.send_signal(signal.SIGTERM)
    assert agent.process.wait(timeout=30) == 0
    log = agent.log_path.read_text()
    assert "SIGTERM received: stopping (the pods' containers keep running)" in log, log[-2000:]
    assert log.index("SIGTERM received") < log.index("] agent stopped"), log[-2000:]
    assert sorted(c.status for c in node_containers(docker_client, agent.node)) == ["running", "running"]
