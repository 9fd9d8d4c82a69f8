"""The scheduler: kube-scheduler's scheduler.go, eventhandlers.go and schedule_one.go, wired together.

Informers on pods and nodes feed two things (eventhandlers.go):
  - the cache: every node, and every pod bound to a node (not finished ones);
  - the queue: pending pods that name our schedulerName and are not being deleted.
Cluster events (node added/updated, pod added/deleted) move unschedulable pods
back to the active queue when a plugin that rejected them cares about that event.

The loop (scheduleOne): pop the next pod, run the decision (algorithm.py)
synchronously, assume the pod on the chosen node, start the binding in the
background (binder.py) and go on with the next pod. When no node fits:
PodScheduled=False/Unschedulable with kube-scheduler's message (pods/status),
a `FailedScheduling` Warning event, and the pod waits in the unschedulable set;
if PostFilter (plugins/default_preemption.py) finds lower-priority victims, the
pod is nominated to their node (nominator.py) and they are deleted.

Restart-safe by construction: all state is rebuilt from the API on start, and
the API server refuses a second binding (409), which we take as "done by someone".
"""
from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import asdict, dataclass
from typing import Any

from minikube_py.api.conditions import find_condition
from minikube_py.api.errors import ApiError
from minikube_py.api.times import timestamp
from minikube_py.client.event_sink import EventSink
from minikube_py.client.events import NORMAL, WARNING, EventRecorder
from minikube_py.client.informer import SharedInformerFactory
from minikube_py.client.rest import ApiClient
from minikube_py.client.store import NAMESPACE_INDEX
from scheduler.algorithm import Algorithm, Decision, FitError
from scheduler.binder import Binder
from scheduler.cache import SchedulerCache
from scheduler.config import SchedulerConfig
from scheduler.explain import DECISION_ANNOTATION, decision_annotation, decision_table
from scheduler.framework import NODE_ADD, NODE_UPDATE, POD_ADD, POD_DELETE
from scheduler.nominator import Nominator
from scheduler.plugins.default_preemption import Preemption, evict
from scheduler.podinfo import PodInfo, pod_info
from scheduler.queue import QueuedPodInfo, SchedulingQueue
from scheduler.workloads import Workloads

log = logging.getLogger("scheduler")

FINISHED_PHASES = ("Succeeded", "Failed")
# Node fields whose change can make a pending pod fit (kube-scheduler's nodeSchedulingPropertiesChange).
NODE_SCHEDULING_FIELDS = (("metadata", "labels"), ("spec", "taints"), ("spec", "unschedulable"),
                          ("status", "allocatable"), ("status", "conditions"), ("status", "images"))


@dataclass
class Metrics:
    attempts: int = 0
    scheduled: int = 0
    unschedulable: int = 0
    preemptions: int = 0
    bind_errors: int = 0
    algorithm_seconds: float = 0.0       # time inside scheduling cycles (the decision alone)

    def summary(self) -> dict[str, Any]:
        data = asdict(self)
        data["algorithm_ms_per_attempt"] = round(1000 * self.algorithm_seconds / max(self.attempts, 1), 3)
        return data


def _field(obj: dict[str, Any], path: tuple[str, str]) -> Any:
    return (obj.get(path[0]) or {}).get(path[1])


def _is_assigned(obj: dict[str, Any]) -> bool:
    return bool((obj.get("spec") or {}).get("nodeName"))


def _is_finished(obj: dict[str, Any]) -> bool:
    return (obj.get("status") or {}).get("phase") in FINISHED_PHASES


class Scheduler:
    def __init__(self, api: ApiClient, config: SchedulerConfig | None = None, *, explain: bool = False,
                 bind_concurrency: int = 64) -> None:
        self.api = api
        self.config = config or SchedulerConfig()
        self.framework = self.config.build_framework()
        self.nominator = Nominator()
        self.algorithm = Algorithm(self.framework, self.config.percentage_of_nodes_to_score,
                                   nominator=self.nominator)
        self.explain = explain
        self.factory = SharedInformerFactory(api)
        self.pods = self.factory.informer("pods")
        self.nodes = self.factory.informer("nodes")
        self.cache = SchedulerCache(workloads=self._workloads())
        self.queue = SchedulingQueue(self._plugins_interested_in)
        self.binder = Binder(api, bind_concurrency)
        self.events = EventSink(EventRecorder(api, self.config.scheduler_name))
        self.metrics = Metrics()
        self._background: set[asyncio.Task] = set()

    def _workloads(self) -> Workloads:
        """Services and ReplicaSets from informers: PodTopologySpread's default constraints need them."""
        services, replica_sets = self.factory.informer("services"), self.factory.informer("replicasets")

        def controller(kind: str, namespace: str, name: str) -> dict[str, Any] | None:
            return replica_sets.get(name, namespace) if kind == "ReplicaSet" else None
        return Workloads(lambda namespace: services.by_index(NAMESPACE_INDEX, namespace), controller)

    def _plugins_interested_in(self, event: str) -> set[str]:
        return {plugin.name for plugin in [*self.framework.filters, *(p for p, _ in self.framework.scorers)]
                if event in plugin.events}

    # ---- running ----------------------------------------------------------------------

    async def run(self) -> None:
        """Run until cancelled; everything started here is stopped on the way out."""
        node_handlers = self.nodes.add_event_handler(self._on_node_add, self._on_node_update, self._on_node_delete)
        pod_handlers = self.pods.add_event_handler(self._on_pod_add, self._on_pod_update, self._on_pod_delete)
        self.events.start()
        self.factory.start()
        loops = []
        try:
            await self.factory.wait_for_cache_sync()
            await node_handlers.drained()
            await pod_handlers.drained()
            log.info("caches synced: %d nodes, %d pending pods", self.cache.node_count(), len(self.queue))
            loops = [asyncio.create_task(self.queue.run_flushes(), name="queue-flushes"),
                     asyncio.create_task(self._expire_assumed_pods(), name="assumed-pod-expiry")]
            await self._scheduling_loop()
        finally:
            for task in loops + list(self._background):
                task.cancel()
            await asyncio.gather(*loops, *self._background, return_exceptions=True)
            await self.binder.stop()
            await self.events.stop()
            await self.factory.stop()
            log.info("metrics: %s", self.metrics.summary())

    async def _scheduling_loop(self) -> None:
        while True:
            queued = await self.queue.pop()
            self.schedule_one(queued)
            await asyncio.sleep(0)       # let informer handlers and bindings progress

    async def _expire_assumed_pods(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            self.cache.cleanup_expired_assumed_pods()

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.create_task(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # ---- one pod ------------------------------------------------------------------------

    def schedule_one(self, queued: QueuedPodInfo) -> None:
        pod = queued.pod
        if self._skip(pod):
            return
        cycle = self.queue.scheduling_cycle
        started = time.perf_counter()
        snapshot = self.cache.snapshot()
        try:
            decision = self.algorithm.schedule(pod, snapshot)
        except FitError as error:
            preemption = self.algorithm.post_filter(error, snapshot)
            self._account(started)
            self._explain(pod, error.decision)
            self._handle_unschedulable(queued, error, cycle, preemption)
            return
        self._account(started)
        self._explain(pod, decision)
        node = decision.node
        assert node is not None             # schedule() raises FitError rather than choose no node
        self.cache.assume_pod(pod, node)
        self.nominator.delete(pod.key)
        annotations = {DECISION_ANNOTATION: decision_annotation(decision)}
        self.binder.bind(pod, node, annotations,
                         lambda error: self._binding_done(queued, node, error))

    def _skip(self, pod: PodInfo) -> bool:
        """Deleted, bound or assumed meanwhile (kube-scheduler's skipPodSchedule)."""
        current = self.pods.get(pod.name, pod.namespace)
        return (current is None or _is_assigned(current) or pod.deleting
                or bool((current.get("metadata") or {}).get("deletionTimestamp"))
                or self.cache.has_pod(pod.key))

    def _account(self, started: float) -> None:
        self.metrics.attempts += 1
        self.metrics.algorithm_seconds += time.perf_counter() - started

    def _explain(self, pod: PodInfo, decision: Decision) -> None:
        if self.explain or log.isEnabledFor(logging.DEBUG):
            log.info("%s", decision_table(pod.key, decision))

    async def _binding_done(self, queued: QueuedPodInfo, node: str, error: ApiError | None) -> None:
        pod = queued.pod
        if error is None:
            self.cache.finish_binding(pod.key)
            self.metrics.scheduled += 1
            self.events.emit(pod.obj, NORMAL, "Scheduled", f"Successfully assigned {pod.key} to {node}")
            return          # the decision annotation rode in the Binding: no further write
        self.cache.forget_pod(pod.key)
        if error.code in (404, 409):
            log.info("binding %s to %s: %s (somebody else bound or deleted it); moving on", pod.key, node,
                     error.message)
            return
        self.metrics.bind_errors += 1
        log.warning("binding %s to %s failed: %s; retrying with backoff", pod.key, node, error.message)
        self.events.emit(pod.obj, WARNING, "FailedScheduling", f"Binding rejected: {error.message}")
        self.queue.add_backoff(queued)

    # ---- no node fits ---------------------------------------------------------------------

    def _handle_unschedulable(self, queued: QueuedPodInfo, error: FitError, cycle: int,
                              preemption: Preemption | None = None) -> None:
        """The pod waits; when PostFilter found victims, it is nominated to their node (in memory now, so
        the next decisions keep the space for it), then the API learns it and the victims are deleted."""
        pod = queued.pod
        self.metrics.unschedulable += 1
        self.queue.add_unschedulable(queued, error.plugins, cycle)
        message = str(error)
        log.info("unable to schedule %s: %s", pod.key, message)
        self.events.emit(pod.obj, WARNING, "FailedScheduling", message)
        if preemption is None:
            self._spawn(self._record_unschedulable(pod, message, decision_annotation(error.decision)))
            return
        self.metrics.preemptions += 1
        self.nominator.add(pod, preemption.node)
        for lower in preemption.lower_nominated:
            self.nominator.delete(lower.key)
        self._spawn(self._preempt(pod, message, decision_annotation(error.decision), preemption))

    async def _preempt(self, pod: PodInfo, message: str, annotation: str, preemption: Preemption) -> None:
        await self._record_unschedulable(pod, message, annotation, preemption.node)
        await evict(self.api, self.events, pod, preemption)

    async def _record_unschedulable(self, pod: PodInfo, message: str, annotation: str,
                                    nominated_node: str | None = None) -> None:
        """PodScheduled=False (only when it changes, as kube-scheduler's updatePod), status.nominatedNodeName
        after a preemption, and the decision annotation; off the hot path: a failed pod waits anyway."""
        current = self.pods.get(pod.name, pod.namespace) or pod.obj
        client = self.api.resource("pods", pod.namespace)
        try:
            status: dict[str, Any] = {}
            if _scheduled_condition(current) != ("False", "Unschedulable", message):
                status["conditions"] = [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                                         "message": message, "lastProbeTime": None,
                                         "lastTransitionTime": timestamp()}]
            if nominated_node and (current.get("status") or {}).get("nominatedNodeName") != nominated_node:
                status["nominatedNodeName"] = nominated_node
            if status:
                await client.patch_status(pod.name, {"status": status}, "strategic")
            annotations = (current.get("metadata") or {}).get("annotations") or {}
            if annotations.get(DECISION_ANNOTATION) != annotation:
                await self._annotate(pod, {DECISION_ANNOTATION: annotation})
        except ApiError as e:
            if e.code != 404:
                log.warning("could not record why %s is unschedulable: %s", pod.key, e.message)

    async def _annotate(self, pod: PodInfo, annotations: dict[str, str]) -> None:
        try:
            await self.api.resource("pods", pod.namespace).patch(pod.name, {"metadata": {"annotations": annotations}})
        except ApiError as e:
            if e.code != 404:
                log.warning("could not annotate %s: %s", pod.key, e.message)

    # ---- informer event handlers (eventhandlers.go) --------------------------------------------

    def _responsible_for(self, pod: PodInfo) -> bool:
        return pod.scheduler_name == self.config.scheduler_name and not pod.deleting

    def _on_pod_add(self, obj: dict[str, Any]) -> None:
        if _is_assigned(obj):
            if not _is_finished(obj):
                self.cache.add_pod(pod_info(obj))
                self.queue.move_all_to_active_or_backoff(POD_ADD)
            return
        pod = pod_info(obj)
        if self._responsible_for(pod):
            self.queue.add(pod)
            if pod.nominated_node_name:              # nominated before a restart
                self.nominator.add(pod, pod.nominated_node_name)

    def _on_pod_update(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        pod = pod_info(new)
        self._update_nomination(old, pod)
        if _is_assigned(new):
            self.queue.delete(pod.key)
            if _is_finished(new):
                self.cache.remove_pod(pod.key)
                self.queue.move_all_to_active_or_backoff(POD_DELETE)
            else:
                self.cache.update_pod(pod)
            return
        if not self._responsible_for(pod):
            self.queue.delete(pod.key)
        elif not self.cache.is_assumed(pod.key):
            self.queue.update(pod)

    def _update_nomination(self, old: dict[str, Any], pod: PodInfo) -> None:
        """kube-scheduler's UpdateNominatedPod: a bound or foreign pod has none; a nominatedNodeName set
        or changed in the API wins; one removed in the API is removed; else ours is kept (the API may
        not show it yet)."""
        if pod.node_name or not self._responsible_for(pod):
            self.nominator.delete(pod.key)
        elif pod.nominated_node_name:
            self.nominator.add(pod, pod.nominated_node_name)
        elif (old.get("status") or {}).get("nominatedNodeName"):
            self.nominator.delete(pod.key)
        elif (node := self.nominator.node_of(pod.key)) is not None:
            self.nominator.add(pod, node)               # the newer PodInfo

    def _on_pod_delete(self, obj: dict[str, Any]) -> None:
        key = pod_info(obj).key
        self.queue.delete(key)
        self.nominator.delete(key)
        if self.cache.has_pod(key):
            self.cache.remove_pod(key)
            self.queue.move_all_to_active_or_backoff(POD_DELETE)

    def _on_node_add(self, node: dict[str, Any]) -> None:
        self.cache.add_or_update_node(node)
        self.queue.move_all_to_active_or_backoff(NODE_ADD)

    def _on_node_update(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        self.cache.add_or_update_node(new)
        if any(_field(old, path) != _field(new, path) for path in NODE_SCHEDULING_FIELDS):
            self.queue.move_all_to_active_or_backoff(NODE_UPDATE)

    def _on_node_delete(self, node: dict[str, Any]) -> None:
        self.cache.remove_node(node["metadata"]["name"])


def _scheduled_condition(pod: dict[str, Any]) -> tuple[Any, Any, Any] | None:
    """(status, reason, message) of the PodScheduled condition, as stored (None if absent)."""
    condition = find_condition((pod.get("status") or {}).get("conditions"), "PodScheduled")
    return None if condition is None else (condition.get("status"), condition.get("reason"), condition.get("message"))
