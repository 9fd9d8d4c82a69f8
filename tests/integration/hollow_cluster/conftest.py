"""Fixtures of the tests in this directory: a private API server (own etcd prefix, its
client `api` and a namespace `ns`) and `lab`, which starts hollow node agents (agent
--runtime hollow) beside a real scheduler, all as child processes stopped by pid.
Node-level controllers (node lifecycle, taint eviction, DaemonSet) watch every Node,
so these tests must not share an API server with the others."""
from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator

import pytest

from minikube_py.client import ApiClient, ClientConfig
from minikube_py.testing import ROOT, ApiServer, free_port, stop_process


class Child:
    """A child process stopped by its pid, whatever happens in the test."""

    def __init__(self, command: list[str], log_path: str) -> None:
        self.command, self.log_path = command, log_path
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Child:
        self.process = subprocess.Popen(self.command, stdout=open(self.log_path, "ab"), stderr=subprocess.STDOUT,
                                        cwd=ROOT)
        return self

    def stop(self) -> None:
        stop_process(self.process)


@pytest.fixture
async def api(private_apiserver: ApiServer) -> AsyncIterator[ApiClient]:
    async with ApiClient(ClientConfig(server=private_apiserver.url)) as client:
        yield client


@pytest.fixture
async def ns(api: ApiClient, unique: str) -> AsyncIterator[str]:
    name = f"t-{unique}"
    await api.resource("namespaces").create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    yield name
    await api.resource("namespaces").delete(name)


@pytest.fixture
def lab(private_apiserver: ApiServer, unique: str) -> Iterator[Callable[[str], Child]]:
    """`lab(name)` starts a hollow agent for node `name` (label lab=<unique>); the scheduler runs from the start."""
    apiserver = private_apiserver
    workdir = tempfile.mkdtemp(prefix="mk-nodelife-")
    children: list[Child] = []

    def agent(name: str) -> Child:
        child = Child([sys.executable, "-m", "agent", "--server", apiserver.url, "--runtime", "hollow",
                       "--node-name", name, "--node-labels", f"lab={unique}", "--port", str(free_port()),
                       "--bind-address", "127.0.0.1", "--root-dir", f"{workdir}/{name}",
                       "--node-status-update-frequency", "0.5"], f"{workdir}/{name}.log")
        children.append(child)
        return child.start()

    children.append(Child([sys.executable, "-m", "scheduler", "--server", apiserver.url, "--no-leader-elect"],
                          f"{workdir}/scheduler.log").start())
    try:
        yield agent
    finally:
        for child in children:
            child.stop()
        shutil.rmtree(workdir, ignore_errors=True)
