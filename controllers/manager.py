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
from dataclasses import dataclass, field

from controllers.base import Controller, ControllerContext
from controllers.config import ControllerManagerConfiguration
from controllers.registry import load_all
from minikube_py.client.config import ClientConfig
from minikube_py.client.events import EventRecorder
from minikube_py.client.informer import SharedInformerFactory
from minikube_py.client.rest import ApiClient
from minikube_py.component_base import LeaderElectionConfiguration

log = logging.getLogger("controller-manager")

LEASE_NAME = "kube-controller-manager"       # in kube-system, as Kubernetes' default


@dataclass(frozen=True)
class ManagerOptions:
    controllers: list[str]
    workers: dict[str, int] = field(default_factory=dict)        # controller name -> concurrent syncs
    leader_election: LeaderElectionConfiguration = LeaderElectionConfiguration(resource_name=LEASE_NAME)
    config: ControllerManagerConfiguration = field(default_factory=ControllerManagerConfiguration)


class ControllerManager:
    def __init__(self, config: ClientConfig, options: ManagerOptions) -> None:
        self.config = config
        self.options = options

    async def run(self) -> None:
        election = self.options.leader_election
        async with ApiClient(self.config) as api:
            if not election.leader_elect:
                await self.run_controllers(api)
                return
            elector = election.elector(api, on_started_leading=lambda: self.run_controllers(api))
            log.info("%s: waiting for the lease %s/%s", elector.identity, election.resource_namespace,
                     election.resource_name)
            await elector.run()
            raise SystemExit("leader election lost")

    async def run_controllers(self, api: ApiClient) -> None:
        known = load_all()
        informers = SharedInformerFactory(api)
        context = ControllerContext(api=api, informers=informers,
                                    recorder=EventRecorder(api, "controller-manager"),
                                    config=self.options.config)
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
