"""What every controller is: kube-controller-manager's controller pattern (client-go's
"sample-controller" shape) and its registry of controllers by name.

    informers (shared, cached)  --event handlers-->  keys ("ns/name")  -->  workqueue
    N workers: key = queue.get(); reconcile(key); done(key)

Handlers only *enqueue keys*; they never act. `reconcile(key)` reads the
current state from the informer caches and makes the world match it, so it
gives the same answer whether it runs once or ten times, after one event or
after a hundred (level-triggered). A key that fails is retried with per-key
exponential backoff; the workqueue never hands the same key to two workers at
once, so one object is never reconciled concurrently.

To add a controller, add one module under controllers/ with a subclass of
`Controller` decorated with `@register`: the manager, `--controllers` and the
`--concurrent-<name>-syncs` flag pick it up (see registry.py).
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any, ClassVar

from controllers.config import ControllerManagerConfiguration
from minikube_py.api.meta import Obj
from minikube_py.client.events import EventRecorder
from minikube_py.client.informer import SharedInformer, SharedInformerFactory
from minikube_py.client.rest import ApiClient
from minikube_py.client.store import key_of, split_key
from minikube_py.client.workqueue import RateLimitingQueue

CONTROLLERS: dict[str, type[Controller]] = {}


def register(cls: type[Controller]) -> type[Controller]:
    """Class decorator: make a controller known to the manager under `cls.name`."""
    CONTROLLERS[cls.name] = cls
    return cls


@dataclass
class ControllerContext:
    """What the manager hands every controller: one client, one informer factory, one recorder,
    and the configuration (each controller reads its own part of it)."""
    api: ApiClient
    informers: SharedInformerFactory
    recorder: EventRecorder
    config: ControllerManagerConfiguration = field(default_factory=ControllerManagerConfiguration)


class Controller:
    name: ClassVar[str]                 # as in --controllers, e.g. "replicaset"
    default_workers: ClassVar[int] = 5  # --concurrent-<workers_flag>-syncs
    workers_flag: ClassVar[str] = ""    # e.g. "replicaset" -> --concurrent-replicaset-syncs
    enabled_by_default: ClassVar[bool] = True

    def __init__(self, ctx: ControllerContext) -> None:
        self.ctx = ctx
        self.api = ctx.api
        self.recorder = ctx.recorder
        self.log = logging.getLogger(f"controllers.{self.name}")
        self.queue = RateLimitingQueue[str](name=self.name)
        self._informers: list[SharedInformer] = []
        self.setup()

    # ---- what a controller writes ---------------------------------------------------------

    def setup(self) -> None:
        """Ask for informers (self.informer(...)) and add event handlers that enqueue keys."""
        raise NotImplementedError

    async def reconcile(self, key: str) -> None:
        """Make the object named by `key` ("ns/name") match its desired state. Raise to retry."""
        raise NotImplementedError

    # ---- helpers ----------------------------------------------------------------------------

    def informer(self, resource: str, **kwargs: Any) -> SharedInformer:
        """A shared informer (all namespaces) that this controller waits for before working."""
        informer = self.ctx.informers.informer(resource, **kwargs)
        if informer not in self._informers:
            self._informers.append(informer)
        return informer

    def enqueue(self, obj: Obj) -> None:
        self.queue.add(object_key(obj))

    def enqueue_after(self, obj_or_key: Obj | str, delay: float) -> None:
        key = obj_or_key if isinstance(obj_or_key, str) else object_key(obj_or_key)
        self.queue.add_after(key, delay)

    # ---- running ----------------------------------------------------------------------------

    async def run(self, workers: int) -> None:
        """Wait for the caches, then run `workers` workers until cancelled."""
        await asyncio.gather(*(informer.wait_for_sync() for informer in self._informers))
        self.log.info("caches synced; starting %d workers", workers)
        try:
            await self.queue.run_workers(self.reconcile, workers)
        finally:
            self.queue.shutdown()


def object_key(obj: Obj) -> str:
    """The workqueue key of an object, also for the DeletedFinalStateUnknown of a missed delete."""
    return getattr(obj, "key", None) or key_of(obj)


__all__ = ["CONTROLLERS", "Controller", "ControllerContext", "object_key", "register", "split_key"]
