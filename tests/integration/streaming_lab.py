"""What the streaming tests share: one agent on real Docker, a namespace, pods to exec into and forward to.

Module-scoped (starting an agent and its pods takes seconds): each test module
that imports these fixtures gets its own node and namespace, removed at the
end whatever happens. Clients under test: kubectl 1.20 (SPDY), the current
kubectl (WebSocket, SPDY inside WebSocket for port-forward) and the official
Python client (`kubernetes.stream`).
"""
from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client as k8s

from minikube_py.testing import ROOT, eventually_sync
from tests.agent_harness import FOREVER, IMAGE, Agent, remove_node_containers

KUBECTLS = {"1.20": ROOT / ".run/tools/usr/bin/kubectl", "1.33": ROOT / ".run/tools/kubectl-1.33/kubectl"}
BIG_FILE_MB = 4
ECHO_PORT, HTTP_PORT = 9000, 8080

# The web pod: an echo server (busybox nc, persistent) and httpd serving a few MB of random bytes.
WEB_SCRIPT = (f"mkdir -p /www && dd if=/dev/urandom of=/www/big bs=1048576 count={BIG_FILE_MB} 2>/dev/null && "
              f"echo hello-from-pod > /www/index.html && httpd -p {HTTP_PORT} -h /www && "
              f"nc -ll -p {ECHO_PORT} -e cat & " + FOREVER)


# The terminal size arrives as a resize message once the exec runs (as in Kubernetes): poll for it.
SHOW_TERMINAL = ('tty; for i in $(seq 100); do size=$(stty size 2>/dev/null); '
                 '[ -n "$size" ] && [ "$size" != "0 0" ] && break; sleep 0.1; done; echo "size $size"')


def kubectl_binary(version: str) -> str:
    path = KUBECTLS[version]
    if not path.exists():
        pytest.skip(f"kubectl {version} is not installed at {path} (scripts/setup.sh installs it)")
    return str(path)


class Lab:
    def __init__(self, apiserver: Any, agent: Agent, namespace: str, tmp: Path) -> None:
        self.apiserver, self.agent, self.ns, self.tmp = apiserver, agent, namespace, tmp
        self.api_client = k8s.ApiClient(k8s.Configuration(host=apiserver.url))
        self.core = k8s.CoreV1Api(self.api_client)

    def own_client(self) -> k8s.CoreV1Api:
        """A client for one thread: kubernetes.stream swaps ApiClient.request while it connects,
        which races when threads share one ApiClient."""
        return k8s.CoreV1Api(k8s.ApiClient(k8s.Configuration(host=self.apiserver.url)))

    @property
    def env(self) -> dict[str, str]:
        return {"HOME": str(self.tmp), "PATH": "/usr/bin:/bin", "TERM": "xterm"}

    def kubectl_argv(self, version: str, *args: str) -> list[str]:
        return [kubectl_binary(version), "--server", self.apiserver.url, "-n", self.ns,
                "--cache-dir", str(self.tmp / f"cache-{version}"), *args]

    def kubectl(self, version: str, *args: str, input: bytes | None = None, timeout: float = 60,
                **kw: Any) -> subprocess.CompletedProcess:
        return subprocess.run(self.kubectl_argv(version, *args), input=input, capture_output=True, timeout=timeout,
                              env=self.env, **kw)

    def create_pod(self, name: str, containers: list[dict], annotations: dict[str, str] | None = None,
                   labels: dict[str, str] | None = None, node: str | None = "", **spec: Any) -> None:
        """A pod bound to the lab's node (node="" ), to another node, or to none (node=None)."""
        body = {"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": name, "annotations": annotations or {}, "labels": labels or {}},
                "spec": {"containers": containers, "terminationGracePeriodSeconds": 2, **spec}}
        if node is not None:
            body["spec"]["nodeName"] = node or self.agent.node
        self.core.create_namespaced_pod(self.ns, body)

    def wait_phase(self, name: str, phase: str = "Running") -> None:
        eventually_sync(lambda: self.core.read_namespaced_pod(name, self.ns).status.phase == phase,
                        f"pod {name} {phase}", 60, explain=self.agent.log_tail)

    def agent_debug(self) -> dict[str, int]:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.agent.port}/debug/streams", timeout=5) as response:
            return json.loads(response.read())


def sh(name: str, script: str, **extra: Any) -> dict:
    return {"name": name, "image": IMAGE, "command": ["sh", "-c", script], **extra}


@pytest.fixture(scope="module", name="lab")
def lab_fixture(apiserver, docker_client) -> Iterator[Lab]:
    suffix = uuid.uuid4().hex[:6]
    root = Path(tempfile.mkdtemp(prefix="mk-stream-"))
    agent = Agent(apiserver.url, f"stream-{suffix}", str(root))
    agent.start()
    lab = Lab(apiserver, agent, f"stream-{suffix}", root)
    try:
        lab.core.create_namespace({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": lab.ns}})
        lab.create_pod("shell", [sh("main", FOREVER)])
        lab.create_pod("web", [sh("web", WEB_SCRIPT)], labels={"app": "web"})
        lab.wait_phase("shell")
        lab.wait_phase("web")
        yield lab
    finally:
        agent.stop()
        remove_node_containers(docker_client, agent.node)
        try:
            lab.core.delete_namespace(lab.ns)
        except k8s.ApiException:
            pass
        lab.api_client.close()
        shutil.rmtree(root, ignore_errors=True)


def run_in_terminal(argv: list[str], rows: int, cols: int, env: dict[str, str],
                    timeout: float = 60) -> tuple[int, bytes]:
    """Run `argv` with a pseudo-terminal of rows x cols as stdin/stdout/stderr; its exit code and output."""
    import fcntl
    import os
    import select
    import struct
    import termios
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    process = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True)
    os.close(slave)
    output, deadline = b"", time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:          # EIO: every writer of the terminal has gone
                    break
                if not chunk:
                    break
                output += chunk
            elif process.poll() is not None:
                break
        return process.wait(timeout=10), output
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(master)
