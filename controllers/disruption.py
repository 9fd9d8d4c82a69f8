"""The disruption controller: kube-controller-manager's DisruptionController
(pkg/controller/disruption).

It keeps every PodDisruptionBudget's status true to the pods it selects, so
that the eviction subresource (apiserver/eviction.py) can decide from the
status alone whether one more pod may go:

    expectedPods        how many pods there should be:
                        - minAvailable is an integer: the number of selected pods;
                        - otherwise (a percentage, or maxUnavailable): the sum of
                          the scales of the pods' controllers (a Deployment's
                          spec.replicas for pods of its ReplicaSets, a ReplicaSet's,
                          or any owner's `scale` subresource);
    desiredHealthy      minAvailable, as a count (percentages of expectedPods, rounded
                        up: 50% of 3 is 2), or expectedPods - maxUnavailable (at least 0);
    currentHealthy      selected pods that are Ready, not being deleted and not
                        recently evicted (in disruptedPods);
    disruptionsAllowed  currentHealthy - desiredHealthy, at least 0, and 0 while
                        expectedPods is 0 (a budget whose pods have not appeared yet
                        must be safe when they do);
    disruptedPods       pods the API server has evicted but that are not yet seen
                        terminating; an entry older than DELETION_TIMEOUT is dropped
                        (the delete evidently did not happen) with a NotDeleted Event;
    observedGeneration  the budget's generation this status was computed for
                        (the eviction subresource refuses to spend a stale budget);
    conditions          DisruptionAllowed: True/SufficientPods or False/InsufficientPods,
                        False/SyncFailed when the status cannot be computed.

When a sync fails (a selected pod whose controller has no scale, say), the
controller "fails safe": it sets disruptionsAllowed to 0 so that evictions stop
until it knows better. Events: NoPods, UnmanagedPods (pods without a controller
while the budget needs their controllers' scale), CalculateExpectedPodCountFailed,
NotDeleted and MultiplePodDisruptionBudgets, with Kubernetes' texts.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from controllers.base import Controller, Obj, object_key, register, split_key
from controllers.util import ownership
from minikube_py.api import disruption, times
from minikube_py.api import pods as podutil
from minikube_py.api.conditions import set_condition
from minikube_py.api.errors import ApiError
from minikube_py.api.meta import controller_ref, is_being_deleted
from minikube_py.api.resources import by_kind

DELETION_TIMEOUT = timedelta(minutes=2)     # Kubernetes' DeletionTimeout

# (controller uid, replicas) of a pod's controller, or None when it is not found
ScaleFinder = Callable[[Obj, str], Awaitable[tuple[str, int] | None]]


class ExpectedCountError(Exception):
    """The number of expected pods cannot be computed (Kubernetes fails safe then)."""


@dataclass(frozen=True)
class Counts:
    expected: int
    desired: int
    unmanaged: tuple[str, ...] = ()


# ---- the arithmetic (pure: unit-tested on its own) ---------------------------------------------

def needs_controller_scale(spec: Obj) -> bool:
    """Only an integer minAvailable can do without the controllers' scale."""
    return spec.get("maxUnavailable") is not None or isinstance(spec.get("minAvailable"), str)


def desired_healthy(spec: Obj, expected: int) -> int:
    """getExpectedPodCount's second half: how many pods must stay healthy."""
    if spec.get("maxUnavailable") is not None:
        return max(expected - disruption.scaled_value(spec["maxUnavailable"], expected, round_up=True), 0)
    if spec.get("minAvailable") is not None:
        return disruption.scaled_value(spec["minAvailable"], expected, round_up=True)
    return 0


def disruptions_allowed(current_healthy: int, desired: int, expected: int) -> int:
    if expected <= 0:
        return 0
    return max(current_healthy - desired, 0)


def recent_disruptions(selected: list[Obj], disrupted_pods: dict[str, str],
                       now: datetime) -> tuple[dict[str, str], datetime | None, list[Obj]]:
    """buildDisruptedPodMap: the entries still expected to be deleted, when to look again (the
    earliest expiry), and the pods whose entry expired without a deletion."""
    kept: dict[str, str] = {}
    recheck: datetime | None = None
    expired: list[Obj] = []
    for pod in selected:
        name = pod["metadata"]["name"]
        disrupted_at = times.parse_time(disrupted_pods.get(name)) if not is_being_deleted(pod) else None
        if disrupted_at is None:
            continue
        expected_deletion = disrupted_at + DELETION_TIMEOUT
        if expected_deletion < now:
            expired.append(pod)
        else:
            recheck = expected_deletion if recheck is None else min(recheck, expected_deletion)
            kept[name] = disrupted_pods[name]
    return kept, recheck, expired


def count_healthy(selected: list[Obj], disrupted_pods: dict[str, str], now: datetime) -> int:
    """countHealthyPods: Ready, not being deleted, not evicted within DELETION_TIMEOUT."""
    healthy = 0
    for pod in selected:
        if is_being_deleted(pod):
            continue
        disrupted_at = times.parse_time(disrupted_pods.get(pod["metadata"]["name"]))
        if disrupted_at is not None and disrupted_at + DELETION_TIMEOUT > now:
            continue
        healthy += podutil.is_ready(pod)
    return healthy


def next_status(pdb: Obj, counts: Counts, current_healthy: int, disrupted_pods: dict[str, str],
                now: str) -> Obj | None:
    """updatePdbStatus: the status to write, or None when the stored one is already right."""
    status, generation = pdb.get("status") or {}, pdb["metadata"].get("generation") or 0
    wanted: Obj = {"currentHealthy": current_healthy, "desiredHealthy": counts.desired,
                   "expectedPods": counts.expected,
                   "disruptionsAllowed": disruptions_allowed(current_healthy, counts.desired, counts.expected),
                   "observedGeneration": generation}
    if all(status.get(k) == v for k, v in wanted.items()) and (status.get("disruptedPods") or {}) == disrupted_pods \
            and disruption.conditions_are_up_to_date(pdb):
        return None
    new = {**wanted, "conditions": status.get("conditions") or []}
    if disrupted_pods:
        new["disruptedPods"] = disrupted_pods
    disruption.update_disruption_allowed_condition(new, now)
    return new


def fail_safe_status(pdb: Obj, error: str, now: str) -> Obj:
    """failSafe: no disruption is allowed while the status cannot be computed."""
    status = {**(pdb.get("status") or {}), "disruptionsAllowed": 0}
    status["conditions"] = set_condition(status.get("conditions") or [], {
        "type": disruption.DISRUPTION_ALLOWED, "status": "False", "reason": disruption.SYNC_FAILED,
        "message": error, "observedGeneration": status.get("observedGeneration") or 0}, now)
    return status


async def expected_counts(spec: Obj, selected: list[Obj], scale_of: ScaleFinder) -> Counts:
    """getExpectedPodCount: expectedPods and desiredHealthy, and the pods without a controller."""
    if not needs_controller_scale(spec):
        expected = len(selected) if spec.get("minAvailable") is not None else 0
        return Counts(expected, desired_healthy(spec, expected))
    scales: dict[str, int] = {}
    unmanaged: list[str] = []
    for pod in selected:
        ref = controller_ref(pod)
        if ref is None:
            unmanaged.append(pod["metadata"]["name"])
            continue
        if ref.get("uid") in scales:
            continue
        found = await scale_of(ref, pod["metadata"]["namespace"])
        if found is None:
            raise ExpectedCountError(f'found no controllers for pod "{pod["metadata"]["name"]}"')
        scales[found[0]] = found[1]
    expected = sum(scales.values())
    return Counts(expected, desired_healthy(spec, expected), tuple(unmanaged))


# ---- the controller ------------------------------------------------------------------------------

@register
class DisruptionController(Controller):
    name = "disruption"
    default_workers = 1          # Kubernetes runs one worker for this controller

    def setup(self) -> None:
        self.budgets = self.informer("poddisruptionbudgets")
        self.pods = self.informer("pods")
        self.replica_sets = self.informer("replicasets")
        self.deployments = self.informer("deployments")
        self.budgets.add_event_handler(self.enqueue, lambda old, new: self.enqueue(new), self.enqueue)
        self.pods.add_event_handler(self.on_pod, lambda old, new: self.on_pod(new), self.on_pod)

    async def on_pod(self, pod: Obj) -> None:
        """getPdbForPod: the pod's budget is synced again (the first, if several select it)."""
        covering = sorted((pdb for pdb in self.budgets.by_index("namespace", pod["metadata"].get("namespace", ""))
                           if disruption.covers(pdb, pod)), key=lambda pdb: pdb["metadata"]["name"])
        if not covering:
            return
        if len(covering) > 1:
            meta = pod["metadata"]
            await self.recorder.warning(pod, "MultiplePodDisruptionBudgets",
                                        f'Pod "{meta["namespace"]}"/"{meta["name"]}" matches multiple '
                                        f'PodDisruptionBudgets.  Chose "{covering[0]["metadata"]["name"]}" '
                                        "arbitrarily.")
        self.enqueue(covering[0])

    async def reconcile(self, key: str) -> None:
        namespace, name = split_key(key)
        pdb = self.budgets.get(name, namespace)
        if pdb is None:
            return
        try:
            await self.sync(key, pdb)
        except ApiError as e:
            if e.reason == "Conflict":
                raise        # a newer budget is on its way: just sync again
            await self.fail_safe(pdb, e.message)
        except ExpectedCountError as e:
            await self.fail_safe(pdb, str(e))

    async def sync(self, key: str, pdb: Obj) -> None:
        selected = [pod for pod in self.pods.by_index("namespace", pdb["metadata"]["namespace"])
                    if disruption.covers(pdb, pod)]
        if not selected:
            await self.recorder.normal(pdb, "NoPods", "No matching pods found")
        spec = pdb.get("spec") or {}
        try:
            counts = await expected_counts(spec, selected, self.scale_of)
        except ExpectedCountError as e:
            await self.recorder.warning(pdb, "CalculateExpectedPodCountFailed",
                                        f"Failed to calculate the number of expected pods: {e}")
            raise
        if counts.unmanaged:
            self.log.debug("budget %s selects unmanaged pods %s", key, ", ".join(counts.unmanaged))
            await self.recorder.warning(pdb, "UnmanagedPods", unmanaged_pods_message(spec))
        now = times.now()
        disrupted, recheck, expired = recent_disruptions(selected, (pdb.get("status") or {}).get("disruptedPods")
                                                         or {}, now)
        for pod in expired:
            self.log.info("pod %s was expected to be deleted but it wasn't, updating budget %s", object_key(pod), key)
            await self.recorder.warning(pod, "NotDeleted", f"Pod was expected by PDB {key} to be deleted but it wasn't")
        status = next_status(pdb, counts, count_healthy(selected, disrupted, now), disrupted, times.format_time(now))
        if status is not None:
            await self.write_status(pdb, status)
        if recheck is not None:
            self.enqueue_after(key, (recheck - now).total_seconds())

    async def fail_safe(self, pdb: Obj, error: str) -> None:
        self.log.warning("failed to sync budget %s: %s", object_key(pdb), error)
        await self.write_status(pdb, fail_safe_status(pdb, error, times.timestamp()))

    async def write_status(self, pdb: Obj, status: Obj) -> None:
        """One PUT of the status at the revision we read: a lost race is a Conflict, and a retry."""
        await self.api.resource("poddisruptionbudgets", pdb["metadata"]["namespace"]).update_status(
            {**pdb, "status": status})
        self.log.debug("budget %s: %s", object_key(pdb), status)

    # ---- finding the scale of a pod's controller (Kubernetes' "finders") ------------------------

    async def scale_of(self, ref: Obj, namespace: str) -> tuple[str, int] | None:
        """(uid, replicas) of the pod's controller: for a ReplicaSet its Deployment's if it has one,
        else the owner's own, read from the informer caches or the owner's `scale` subresource."""
        group = str(ref.get("apiVersion") or "").rpartition("/")[0]
        if ref.get("kind") == "ReplicaSet" and group in ("apps", "extensions"):
            rs = self.replica_sets.get(str(ref.get("name")), namespace)
            if rs is None or rs["metadata"].get("uid") != ref.get("uid"):
                return None
            rs_controller = controller_ref(rs)
            owner = rs
            if rs_controller is not None and rs_controller.get("kind") == "Deployment":
                deployment = ownership.resolve_controller_ref(rs, "Deployment", self.deployments.get)
                if deployment is None:
                    return None      # its Deployment is gone: nothing to count on
                owner = deployment
            return owner["metadata"]["uid"], int((owner.get("spec") or {}).get("replicas", 1))
        return await self.scale_subresource(ref, namespace)

    async def scale_subresource(self, ref: Obj, namespace: str) -> tuple[str, int] | None:
        """getScaleController: any kind that serves `scale` (kubectl scale's view of it)."""
        rt = by_kind(str(ref.get("apiVersion") or ""), str(ref.get("kind") or ""))
        if rt is None:
            raise ExpectedCountError(f'no matches for kind "{ref.get("kind")}" in version "{ref.get("apiVersion")}"')
        if "scale" not in rt.subresources:
            raise ExpectedCountError(f"{rt.plural}{'.' + rt.group if rt.group else ''} does not implement "
                                     "the scale subresource")
        try:
            scale = await self.api.resource(rt, namespace).get_subresource(str(ref.get("name")), "scale")
        except ApiError as e:
            if e.reason == "NotFound":
                return None
            raise
        if (scale.get("metadata") or {}).get("uid") != ref.get("uid"):
            return None
        return ref["uid"], int((scale.get("spec") or {}).get("replicas") or 0)


def unmanaged_pods_message(spec: Any) -> str:
    return (f"Pods selected by this PodDisruptionBudget (selector: {spec.get('selector')}) were found to be "
            "unmanaged. As a result, the status of the PDB cannot be calculated correctly, which may result in "
            'undefined behavior. To account for these pods please set ".spec.minAvailable" field of the PDB to an '
            "integer value.")
