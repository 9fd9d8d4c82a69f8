"""Binding: kube-scheduler's DefaultBinder plugin and the asynchronous binding cycle
(schedule_one.go: bindingCycle, handleBindingCycleError).

The scheduling cycle ends as soon as the pod is assumed in the cache; the
binding (POST pods/{name}/binding) runs as its own task, so the next pod is
scheduled meanwhile. The outcome:

    success      the assumption waits for the informer to confirm it; a `Scheduled` Event
    409 Conflict somebody bound the pod first (another scheduler, or we did before a
                 restart) or it is being deleted: forget the assumption and move on;
                 the API server guarantees nobody binds twice
    404          the pod is gone: forget it
    other error  forget the assumption and requeue the pod with backoff

The decision annotation rides in the Binding's metadata.annotations, which
Kubernetes copies onto the pod in the same write (setPodHostAndAnnotations in
pkg/registry/core/pod/storage): no extra request per pod.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from minikube_py.api.errors import ApiError
from minikube_py.client.rest import ApiClient

if TYPE_CHECKING:
    from scheduler.podinfo import PodInfo

log = logging.getLogger("scheduler.binder")


def binding_body(pod: PodInfo, node: str, annotations: dict[str, str]) -> dict:
    metadata: dict[str, Any] = {"name": pod.name, "namespace": pod.namespace, "uid": pod.uid}
    if annotations:
        metadata["annotations"] = annotations
    return {"apiVersion": "v1", "kind": "Binding", "metadata": metadata,
            "target": {"apiVersion": "v1", "kind": "Node", "name": node}}


class Binder:
    def __init__(self, api: ApiClient, concurrency: int = 64) -> None:
        self.api = api
        self._slots = asyncio.Semaphore(concurrency)
        self._tasks: set[asyncio.Task] = set()

    def bind(self, pod: PodInfo, node: str, annotations: dict[str, str],
             on_done: Callable[[ApiError | None], Awaitable[None] | None]) -> None:
        """Start binding in the background; on_done(None) on success, on_done(error) on failure."""
        task = asyncio.create_task(self._bind(pod, node, annotations, on_done), name=f"bind-{pod.key}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _bind(self, pod: PodInfo, node: str, annotations: dict[str, str],
                    on_done: Callable[[ApiError | None], Awaitable[None] | None]) -> None:
        async with self._slots:
            error: ApiError | None = None
            try:
                await self.api.resource("pods", pod.namespace).post_subresource(
                    pod.name, "binding", binding_body(pod, node, annotations))
            except ApiError as e:
                error = e
            result = on_done(error)
            if asyncio.iscoroutine(result):
                await result

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)
