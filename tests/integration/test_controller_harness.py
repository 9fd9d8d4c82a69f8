"""Shared pieces of the controller tests: a controller manager run in-process (an asyncio
task, cancelled even when a test fails) or as a real process, bounded polling, and
"being the kubelet" by writing pods' status through pods/status."""
from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any, Awaitable, Callable

import pytest

from controllers.manager import LEASE_NAME, ControllerManager, ManagerOptions
from minikube_py.client import ApiClient, ClientConfig
from minikube_py.component_base import LeaderElectionConfiguration

ROOT = Path(__file__).resolve().parents[2]


async def eventually(check: Callable[[], Awaitable[Any]], what: str, timeout: float = 30.0) -> Any:
    """Poll `check` until it returns something truthy (bounded: fail after `timeout`)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = await check()
        if result:
            return result
        if loop.time() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        await asyncio.sleep(0.1)


class InProcessManager:
    def __init__(self, url: str, controllers: list[str]) -> None:
        self.options = ManagerOptions(controllers=controllers, leader_election=LeaderElectionConfiguration(
            leader_elect=False, resource_name=LEASE_NAME))
        self.config = ClientConfig(server=url)
        self.task: asyncio.Task | None = None

    def start(self) -> None:
        self.task = asyncio.create_task(ControllerManager(self.config, self.options).run())

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
            self.task = None


class ProcessManager:
    """`python -m controllers` as a child process, stopped by its pid."""

    def __init__(self, url: str, log_path: Path, *args: str) -> None:
        self.command = [sys.executable, "-m", "controllers", "--server", url, "-v", "4", *args]
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(self.command, stdout=open(self.log_path, "ab"),
                                        stderr=subprocess.STDOUT, cwd=ROOT)

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(timeout=10)


@pytest.fixture
async def api(apiserver):
    async with ApiClient(ClientConfig(server=apiserver.url)) as client:
        yield client


@pytest.fixture
async def manager(apiserver):
    running = InProcessManager(apiserver.url, ["deployment", "endpoint", "namespace", "replicaset"])
    running.start()
    yield running
    await running.stop()


def template(labels: dict[str, str], image: str = "minikube-py/busybox:latest", **spec: Any) -> dict:
    return {"metadata": {"labels": labels},
            "spec": {"containers": [{"name": "app", "image": image, **spec}], "terminationGracePeriodSeconds": 0}}


def replica_set(name: str, replicas: int, labels: dict[str, str]) -> dict:
    return {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": labels}, "template": template(labels)}}


async def mark_ready(api: ApiClient, namespace: str, pod: dict, ip: str, ready: bool = True,
                     node: str | None = None) -> dict:
    """Play the kubelet: Running with an IP and a Ready condition."""
    status = {"phase": "Running", "podIP": ip, "conditions": [
        {"type": "Ready", "status": "True" if ready else "False", "lastTransitionTime": "2024-01-01T00:00:00Z"}]}
    return await api.resource("pods", namespace).patch_status(pod["metadata"]["name"], {"status": status})


async def pods_of(api: ApiClient, namespace: str, selector: str | None = None) -> list[dict]:
    items, _ = await api.resource("pods", namespace).list_all(label_selector=selector)
    return [p for p in items if not p["metadata"].get("deletionTimestamp")]


def fake_ip(pod: dict) -> str:
    digest = sum(pod["metadata"]["uid"].encode()) % 250 + 1
    return f"10.244.{len(pod['metadata']['name']) % 250}.{digest}"
