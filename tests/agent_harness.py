"""The node agent as a test sees it: a real `python -m agent` process against a real
API server and dockerd, plus small helpers to create pods and poll their state.

Each test gets its own agent with a unique node name; the `agent` fixture
(tests/integration/conftest.py) stops it and removes every container carrying
that node's label and its root directory, whatever happens. Periods and
back-offs are shortened by flags; assertions are about states, reasons and
counts, polled with `eventually` (explain=agent.log_tail adds the agent's log to a
failure), never timed.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import docker

from minikube_py.testing import ROOT, eventually, free_port, stop_process
from tests.helpers import Http

NODE_LABEL = "io.minikube-py.node"
IMAGE = "minikube-py/busybox:latest"
HELLO = "minikube-py/hello:latest"
FOREVER = "trap 'exit 0' TERM; while :; do sleep 1; done"     # busybox sleep as PID 1 ignores SIGTERM
POLL = 0.2          # seconds between the agent tests' checks: a pause for the API server shared with the agent


class Agent:
    def __init__(self, server: str, node: str, root_dir: str) -> None:
        self.server, self.node, self.root_dir = server, node, root_dir
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.log_path = Path(root_dir) / "agent.log"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "agent", "--server", self.server, "--node-name", self.node,
             "--node-ip", "127.0.0.1", "--port", str(self.port), "--bind-address", "127.0.0.1",
             "--root-dir", self.root_dir, "--backoff-base", "1", "--backoff-max", "4",
             "--image-pull-backoff-base", "1", "--sync-frequency", "5", "--node-status-update-frequency", "2",
             "--pleg-period", "0.5", "-v", "4"],
            stdout=open(self.log_path, "ab"), stderr=subprocess.STDOUT, cwd=ROOT)

    def stop(self) -> None:
        stop_process(self.process, timeout=15)

    def log_tail(self) -> str:
        return self.log_path.read_text()[-3000:] if self.log_path.exists() else ""


def node_containers(client: docker.DockerClient, node: str) -> list:
    return client.containers.list(all=True, filters={"label": f"{NODE_LABEL}={node}"})


def remove_node_containers(client: docker.DockerClient, node: str) -> None:
    for container in node_containers(client, node):
        container.remove(force=True)


def pod_body(name: str, node: str, containers: list[dict], **spec: Any) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"nodeName": node, "containers": containers, "terminationGracePeriodSeconds": 5, **spec}}


def sh(name: str, script: str, **extra: Any) -> dict:
    return {"name": name, "image": IMAGE, "command": ["sh", "-c", script], **extra}


async def get_pod(http: Http, ns: str, name: str) -> dict | None:
    """The pod, or None once it is gone (for polling until it is deleted)."""
    status, body = await http.get(f"/api/v1/namespaces/{ns}/pods/{name}")
    return body if status == 200 else None


async def pod_now(http: Http, ns: str, name: str) -> dict:
    """The pod as the API server has it now; the test fails if it does not exist."""
    pod: dict = await http.ok("GET", f"/api/v1/namespaces/{ns}/pods/{name}")
    return pod


async def wait_phase(http: Http, ns: str, name: str, phase: str, agent: Agent, timeout: float = 30.0) -> dict:
    async def check() -> dict | None:
        pod = await get_pod(http, ns, name)
        return pod if pod and (pod.get("status") or {}).get("phase") == phase else None
    return await eventually(check, f"pod {name} {phase}", timeout, interval=POLL, explain=agent.log_tail)


def container_status(pod: dict, name: str) -> dict:
    return next(s for s in pod["status"]["containerStatuses"] if s["name"] == name)


def condition(pod: dict, kind: str) -> str:
    return next(c["status"] for c in pod["status"]["conditions"] if c["type"] == kind)


async def pod_events(http: Http, ns: str, name: str) -> list[dict]:
    """The Events about pod `name`, oldest first."""
    listed = await http.ok("GET", f"/api/v1/namespaces/{ns}/events?fieldSelector=involvedObject.name%3D{name}")
    return listed["items"]
