"""Hollow nodes (kubemark-style): one agent process hosts several nodes whose pods
"run" without Docker, through the real kubelet code paths (registration, lease,
pod workers, status, graceful deletion)."""
from __future__ import annotations

import functools
import shutil
import subprocess
import sys
import tempfile

import pytest

from minikube_py.testing import ROOT, eventually, free_port, stop_process
from tests.agent_harness import POLL, get_pod


@pytest.fixture
def hollow_agent(apiserver, unique):
    root_dir = tempfile.mkdtemp(prefix="mk-hollow-")
    prefix = f"hollow-{unique}"
    process = subprocess.Popen(
        [sys.executable, "-m", "agent", "--server", apiserver.url, "--runtime", "hollow", "--hollow-nodes", "3",
         "--node-name", prefix, "--port", str(free_port()), "--bind-address", "127.0.0.1",
         "--root-dir", root_dir, "--node-status-update-frequency", "2"],
        stdout=open(f"{root_dir}/agent.log", "ab"), stderr=subprocess.STDOUT, cwd=ROOT)
    try:
        yield prefix
    finally:
        stop_process(process, timeout=15)
        shutil.rmtree(root_dir, ignore_errors=True)


async def test_hollow_nodes_run_pods_without_docker(http, ns, hollow_agent):
    names = [f"{hollow_agent}-{i}" for i in range(3)]

    async def all_ready():
        for name in names:
            status, node = await http.get(f"/api/v1/nodes/{name}")
            conditions = {c["type"]: c["status"] for c in (node.get("status") or {}).get("conditions") or []} \
                if status == 200 else {}
            if conditions.get("Ready") != "True":
                return False
        return True
    await eventually(all_ready, "three Ready hollow nodes", interval=POLL)
    for i, node in enumerate(names):
        await http.ok("POST", f"/api/v1/namespaces/{ns}/pods", {
            "apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"p{i}"},
            "spec": {"nodeName": node, "initContainers": [{"name": "init", "image": "any/image:1"}],
                     "containers": [{"name": "app", "image": "any/image:1"}]}})

    async def running(name: str):
        pod = await get_pod(http, ns, name)
        return pod if pod and pod["status"].get("phase") == "Running" else None
    for i in range(3):
        pod = await eventually(functools.partial(running, f"p{i}"), f"hollow pod p{i} Running", interval=POLL)
        assert pod["status"]["containerStatuses"][0]["ready"] is True
        assert pod["status"]["initContainerStatuses"][0]["state"]["terminated"]["exitCode"] == 0
    await http.ok("DELETE", f"/api/v1/namespaces/{ns}/pods/p0")

    async def deleted():
        return await get_pod(http, ns, "p0") is None
    await eventually(deleted, "the hollow pod's graceful deletion to be confirmed", interval=POLL)


async def test_agent_corrects_a_node_marked_unknown(http, hollow_agent):
    """If the node lifecycle controller marked the node Unknown (e.g. after stalled heartbeats),
    the agent's next status check sees it on the server and posts Ready=True again."""
    name = f"{hollow_agent}-0"

    async def ready_status():
        status, node = await http.get(f"/api/v1/nodes/{name}")
        conditions = {c["type"]: c["status"] for c in (node.get("status") or {}).get("conditions") or []} \
            if status == 200 else {}
        return conditions.get("Ready")
    await eventually(lambda: _is(ready_status, "True"), "hollow node Ready", interval=POLL)
    node = await http.ok("GET", f"/api/v1/nodes/{name}")
    for condition in node["status"]["conditions"]:
        condition.update(status="Unknown", reason="NodeStatusUnknown", message="Kubelet stopped posting node status.")
    await http.ok("PUT", f"/api/v1/nodes/{name}/status", node)
    assert await ready_status() == "Unknown"
    await eventually(lambda: _is(ready_status, "True"), "the agent restoring Ready=True", interval=POLL)


async def _is(read, wanted: str) -> bool:
    return await read() == wanted
