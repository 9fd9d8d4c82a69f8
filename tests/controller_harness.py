"""Shared pieces of the controller tests: a controller manager run in-process (an asyncio
task, cancelled even when a test fails) or as a real process, and "being the kubelet" by
writing pods' status through pods/status. Their fixtures (`api`, `manager`) are in
tests/integration/conftest.py; polling is minikube_py.testing's `eventually`."""
from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from controllers.config import ControllerManagerConfiguration
from controllers.manager import LEASE_NAME, ControllerManager, ManagerOptions
from minikube_py.client import ApiClient, ClientConfig
from minikube_py.component_base import LeaderElectionConfiguration
from minikube_py.testing import ROOT


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


@contextlib.asynccontextmanager
async def controllers_running(url: str, controllers: list[str], config: ControllerManagerConfiguration | None = None
                              ) -> AsyncIterator[InProcessManager]:
    """The named controllers in-process while the `async with` body runs; stopped even when it fails."""
    run = InProcessManager(url, controllers)
    if config is not None:
        run.options = dataclasses.replace(run.options, config=config)
    run.start()
    try:
        yield run
    finally:
        await run.stop()


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


def deployment(name: str, replicas: int, image: str, strategy: dict | None = None, **spec: Any) -> dict:
    """A Deployment of `replicas` pods of `image` (rolling update, surge and unavailability 1 unless given)."""
    labels = {"app": name}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                     "template": template(labels, image=image),
                     "strategy": strategy or {"type": "RollingUpdate",
                                              "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 1}}, **spec}}


@contextlib.asynccontextmanager
async def kubelet(api: ApiClient, ns: str) -> AsyncIterator[None]:
    """Mark every new pod of the namespace Ready, as a node agent would (a background task, not polling)."""
    async def loop() -> None:
        while True:
            for pod in await pods_of(api, ns):
                if not (pod.get("status") or {}).get("podIP"):
                    with contextlib.suppress(Exception):
                        await mark_ready(api, ns, pod, fake_ip(pod))
            await asyncio.sleep(0.05)
    task = asyncio.create_task(loop())
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def complete(api: ApiClient, ns: str, name: str, image: str) -> dict | None:
    """The Deployment once rolled out completely to `image` (status, condition and pods agree), else None."""
    d = await api.resource("deployments", ns).get(name)
    status = d.get("status") or {}
    conditions = {c["type"]: c for c in status.get("conditions") or []}
    ok = (status.get("observedGeneration") == d["metadata"]["generation"]
          and status.get("updatedReplicas") == status.get("replicas") == status.get("availableReplicas")
          == d["spec"]["replicas"] and conditions.get("Progressing", {}).get("reason") == "NewReplicaSetAvailable")
    pods = await pods_of(api, ns, f"app={name}")
    images = {p["spec"]["containers"][0]["image"] for p in pods}
    return d if ok and images == {image} and len(pods) == d["spec"]["replicas"] else None
