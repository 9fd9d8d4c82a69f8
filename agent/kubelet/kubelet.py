"""The kubelet: wires the pieces together (kubelet.go's Run and syncLoop).

    informer (pods with spec.nodeName=<node>)  -> pod workers (one per pod)
    PLEG: list the runtime every second        -> wake the worker of a pod whose containers changed
    housekeeping: containers of pods that are not ours any more -> killed and removed
    node status + lease                        -> the node stays Ready

The first relist happens before any pod worker starts, so a restarted agent
sees the containers it already runs and adopts them.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any

from agent.kubelet.config import KubeletConfig
from agent.kubelet.lease import NodeLease
from agent.kubelet.node_status import NodeStatusReporter
from agent.kubelet.pleg import PLEG
from agent.kubelet.pod_workers import PodWorkers
from agent.kubelet.runtime.network import NetworkPlugin, NoNetwork
from agent.kubelet.runtime.types import ContainerRecord, Runtime
from agent.kubelet.services import Services
from agent.kubelet.status import StatusManager
from agent.kubelet.volumes import VolumeManager
from minikube_py.client.event_sink import EventSink
from minikube_py.client.events import EventRecorder
from minikube_py.client.informer import SharedInformer

log = logging.getLogger("agent.kubelet")


def make_runtime(config: KubeletConfig) -> Runtime:
    if config.runtime == "hollow":
        from agent.kubelet.runtime.hollow import HollowRuntime
        return HollowRuntime(config.node_name)
    from agent.kubelet.runtime.docker_runtime import DockerRuntime
    return DockerRuntime(config.node_name, config.pause_image)


class Kubelet:
    def __init__(self, config: KubeletConfig, api: Any, *, runtime: Runtime | None = None,
                 network: NetworkPlugin | None = None) -> None:
        self.config = config
        self.api = api
        self.runtime = runtime or make_runtime(config)
        self.services = Services(
            config=config, api=api, runtime=self.runtime, network=network or NoNetwork(),
            volumes=VolumeManager(config.root_dir, config.node_ip, hollow=self.runtime.hollow),
            status=StatusManager(api), events=EventSink(EventRecorder(api, "kubelet", config.node_name), writers=2))
        self.pod_workers = PodWorkers(self.services)
        self.pods = SharedInformer(api.resource("pods"), field_selector=f"spec.nodeName={config.node_name}")
        self.pods.add_event_handler(on_add=self._on_pod, on_update=lambda old, new: self._on_pod(new),
                                    on_delete=self.pod_workers.remove_pod)
        self.node_status = NodeStatusReporter(api, config, hollow=self.runtime.hollow,
                                              runtime_version=self.runtime.version())
        self.lease = NodeLease(api, config.node_name, config.node_lease_duration_seconds,
                               config.lease_renew_interval)
        self.pleg = PLEG(self.runtime, config.pleg_relist_period, self.pod_workers.wake)
        self._tasks: list[asyncio.Task] = []
        self.failed = asyncio.Event()           # a loop that must run forever ended: the agent must exit

    def _on_pod(self, pod: dict[str, Any]) -> None:
        if (pod.get("spec") or {}).get("nodeName") == self.config.node_name:
            self.pod_workers.update_pod(pod)

    def find_pod(self, namespace: str, name: str) -> dict[str, Any] | None:
        return self.pods.get(name, namespace)

    async def start(self) -> None:
        node = await self.node_status.register()
        self.lease.node_uid = node["metadata"].get("uid")
        await self.pleg.relist()
        self.services.events.start()
        self.pods.start()
        await self.pods.wait_for_sync()
        loops = [self.node_status.run, self.lease.run, self.pleg.run, self._housekeeping]
        self._tasks = [asyncio.create_task(loop(), name=loop.__qualname__) for loop in loops]
        for task in self._tasks:
            task.add_done_callback(self._loop_ended)
        log.info("node %s: agent running (%s runtime)", self.config.node_name, self.config.runtime)

    def _loop_ended(self, task: asyncio.Task) -> None:
        """These loops only end when cancelled; anything else is a bug to shout about, not to
        live with (a dead lease loop leaves a node that runs pods but looks unreachable)."""
        if task.cancelled():
            return
        log.error("node %s: %s ended unexpectedly", self.config.node_name, task.get_name(),
                  exc_info=task.exception())
        self.failed.set()

    async def stop(self) -> None:
        """Stop watching and working; containers keep running (a restarted agent adopts them)."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.pods.stop()
        await self.pod_workers.stop()
        try:
            await asyncio.wait_for(self.services.events.drain(), 2.0)   # the last Events, if the API answers
        except TimeoutError:
            pass
        await self.services.events.stop()
        await self.runtime.close()

    # ---- housekeeping ---------------------------------------------------------------------

    async def _housekeeping(self) -> None:
        while True:
            await asyncio.sleep(self.config.housekeeping_period)
            try:
                await self.clean_up_orphans()
            except Exception as e:
                log.warning("housekeeping failed: %s", e)

    async def clean_up_orphans(self) -> None:
        """Kill and remove containers (and volume dirs) of pods that are neither in our
        pod cache nor being worked on (kubelet's HandlePodCleanups)."""
        self.pod_workers.forget_finished()
        known = {p["metadata"]["uid"] for p in self.pods.list()} | self.pod_workers.active_uids()
        for record in self.runtime.pod_containers():
            if record.pod_uid not in known:
                await self._remove_orphan(record)
        if not self.runtime.hollow:
            for uid in self.services.volumes.pod_dirs():
                if uid not in known:
                    self.services.volumes.tear_down(uid)

    async def _remove_orphan(self, record: ContainerRecord) -> None:
        """One orphan at a time: a container Docker refuses to remove (a "Dead" one whose
        filesystem is busy, say) is retried next time and must not shield the others."""
        log.info("removing orphaned container %s of pod %s/%s", record.id[:12], record.pod_namespace,
                 record.pod_name)
        try:
            await self.runtime.stop_container(record.id, 0)
            await self.runtime.remove_container(record.id)
        except asyncio.CancelledError:
            raise
        except Exception as e:
            log.warning("could not remove orphaned container %s of pod %s/%s (next housekeeping retries): %s",
                        record.id[:12], record.pod_namespace, record.pod_name, e)
