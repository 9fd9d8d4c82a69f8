"""kube-controller-manager: many controllers in one process, one of them active.

All controllers share one ApiClient, one SharedInformerFactory (so the pod
cache exists once, however many controllers read pods) and one EventRecorder.
With leader election on, each copy first wins the Lease
`kube-system/kube-controller-manager` before starting any controller; the
others wait. A leader that cannot renew its Lease stops everything and exits,
as Kubernetes does, so two copies never act at once for long.
"""
from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from dataclasses import dataclass, field
from typing import Any

from minikube_py.client.config import ClientConfig
from minikube_py.client.events import EventRecorder
from minikube_py.client.informer import SharedInformerFactory
from minikube_py.client.rest import ApiClient

from controllers.base import Controller, ControllerContext
from controllers.registry import load_all
from minikube_py.client.leaderelection import LeaderElector

log = logging.getLogger("controller-manager")

LEASE_NAMESPACE, LEASE_NAME = "kube-system", "kube-controller-manager"


@dataclass
class ManagerOptions:
    controllers: list[str]
    workers: dict[str, int] = field(default_factory=dict)        # controller name -> concurrent syncs
    leader_elect: bool = True
    lease_duration: float = 15.0
    renew_deadline: float = 10.0
    retry_period: float = 2.0
    identity: str = field(default_factory=lambda: f"{socket.gethostname()}_{os.getpid()}_{uuid.uuid4().hex[:6]}")
    settings: dict[str, Any] = field(default_factory=dict)


class ControllerManager:
    def __init__(self, config: ClientConfig, options: ManagerOptions) -> None:
        self.config = config
        self.options = options

    async def run(self) -> None:
        async with ApiClient(self.config) as api:
            if not self.options.leader_elect:
                await self.run_controllers(api)
                return
            elector = LeaderElector(api, lease_name=LEASE_NAME, namespace=LEASE_NAMESPACE,
                                    identity=self.options.identity,
                                    on_started_leading=lambda: self.run_controllers(api),
                                    lease_duration=self.options.lease_duration,
                                    renew_deadline=self.options.renew_deadline,
                                    retry_period=self.options.retry_period, release_on_cancel=True)
            log.info("%s: waiting for the lease %s/%s", self.options.identity, LEASE_NAMESPACE, LEASE_NAME)
            await elector.run()
            raise SystemExit("leader election lost")

    async def run_controllers(self, api: ApiClient) -> None:
        known = load_all()
        informers = SharedInformerFactory(api)
        context = ControllerContext(api=api, informers=informers,
                                    recorder=EventRecorder(api, "controller-manager"),
                                    settings=self.options.settings)
        running: list[tuple[Controller, int]] = []
        for name in self.options.controllers:
            controller = known[name](context)
            running.append((controller, self.options.workers.get(name, controller.default_workers)))
            log.info("started controller %s", name)
        informers.start()
        try:
            await asyncio.gather(*(controller.run(workers) for controller, workers in running))
        finally:
            await informers.stop()
