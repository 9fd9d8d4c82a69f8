"""The ReplicaSet controller: kube-controller-manager's pkg/controller/replicaset.

Keeps `spec.replicas` pods that match the selector, owned by the ReplicaSet:

- claims pods (ownership.claim): adopts matching orphans, releases pods whose
  labels no longer match;
- creates missing pods from the template (generateName "<rs>-") in slow-start
  batches 1, 2, 4, ... so a broken template fails once, not 500 times;
- deletes surplus pods in Kubernetes' preference order (pods_to_delete);
- never resizes while its own creates/deletes are still on their way to the
  informer cache (expectations.Expectations);
- writes status (replicas, fullyLabeledReplicas, readyReplicas,
  availableReplicas after minReadySeconds, observedGeneration) through the
  status subresource.
"""
from __future__ import annotations

import asyncio
import copy
from typing import Any

from minikube_py.api.errors import ApiError
from minikube_py.api import times
from minikube_py.api.conditions import find_condition, transition_time
from minikube_py.api.meta import controller_ref, is_being_deleted, is_controlled_by, new_controller_ref
from minikube_py.api.selectors import label_selector_from_dict
from minikube_py.api import pods

from controllers import ownership
from controllers.pods import is_active, pods_to_delete
from controllers.base import Controller, ControllerContext, Obj, object_key, register, split_key
from controllers.expectations import Expectations

BURST_REPLICAS = 500          # most pods created or deleted in one sync (Kubernetes' burstReplicas)
SLOW_START_INITIAL_BATCH = 1


@register
class ReplicaSetController(Controller):
    name = "replicaset"
    workers_flag = "replicaset"

    def __init__(self, ctx: ControllerContext) -> None:
        self.expectations = Expectations()
        super().__init__(ctx)

    def setup(self) -> None:
        self.replica_sets = self.informer("replicasets")
        self.pods = self.informer("pods")
        self.replica_sets.add_event_handler(self.enqueue, lambda old, new: self.enqueue(new), self.on_rs_delete)
        self.pods.add_event_handler(self.on_pod_add, self.on_pod_update, self.on_pod_delete)

    # ---- event handlers: map pod events to ReplicaSet keys ------------------------------------

    def on_rs_delete(self, rs: Obj) -> None:
        self.expectations.forget(object_key(rs))
        self.enqueue(rs)

    def owner_of(self, pod: Obj) -> Obj | None:
        return ownership.resolve_controller_ref(pod, "ReplicaSet", self.replica_sets.get)

    def on_pod_add(self, pod: Obj) -> None:
        if is_being_deleted(pod):
            self.on_pod_delete(pod)       # appeared already terminating (e.g. after a relist)
            return
        owner = self.owner_of(pod)
        if owner is not None:
            self.expectations.creation_observed(object_key(owner))
            self.enqueue(owner)
        elif controller_ref(pod) is None:
            for rs in self.matching_replica_sets(pod):
                self.enqueue(rs)

    def on_pod_update(self, old: Obj, new: Obj) -> None:
        if is_being_deleted(new) and not is_being_deleted(old):
            self.on_pod_delete(new)       # a graceful delete: the pod no longer counts
            return
        for pod in (old, new):
            owner = self.owner_of(pod)
            if owner is not None:
                self.enqueue(owner)
                min_ready = int(owner["spec"].get("minReadySeconds") or 0)
                if min_ready and pods.is_ready(new) and not pods.is_ready(old):
                    self.enqueue_after(owner, min_ready + 1)    # re-count it as available later
            elif controller_ref(pod) is None:
                for rs in self.matching_replica_sets(pod):
                    self.enqueue(rs)

    def on_pod_delete(self, pod: Obj) -> None:
        owner = self.owner_of(pod)
        if owner is not None:
            self.expectations.deletion_observed(object_key(owner), object_key(pod))
            self.enqueue(owner)

    def matching_replica_sets(self, pod: Obj) -> list[Obj]:
        namespace = pod["metadata"].get("namespace")
        labels = pod["metadata"].get("labels")
        return [rs for rs in self.replica_sets.by_index("namespace", namespace)
                if label_selector_from_dict(rs["spec"].get("selector")).matches(labels)]

    # ---- reconcile ----------------------------------------------------------------------------

    async def reconcile(self, key: str) -> None:
        namespace, name = split_key(key)
        rs = self.replica_sets.get(name, namespace)
        if rs is None:
            self.expectations.forget(key)
            return
        may_resize = self.expectations.satisfied(key)
        owned = await self.claim_pods(rs)
        active = [pod for pod in owned if is_active(pod)]
        error: ApiError | None = None
        if may_resize and not is_being_deleted(rs):
            error = await self.manage_replicas(key, rs, active)
        # pods we have just asked to delete no longer count (their delete event is still on its way)
        _, deleting = self.expectations.outstanding_deletions(key)
        await self.update_status(rs, [pod for pod in active if object_key(pod) not in deleting], error)
        if error is not None:
            raise error

    async def claim_pods(self, rs: Obj) -> list[Obj]:
        namespace = rs["metadata"]["namespace"]
        selector = label_selector_from_dict(rs["spec"].get("selector"))
        candidates = [pod for pod in self.pods.by_index("namespace", namespace) if not pods.is_terminal(pod)]
        return await ownership.claim(rs, selector, candidates, self.api.resource("pods", namespace))

    async def manage_replicas(self, key: str, rs: Obj, active: list[Obj]) -> ApiError | None:
        diff = len(active) - int(rs["spec"].get("replicas", 1))
        if diff < 0:
            return await self.create_pods(key, rs, min(-diff, BURST_REPLICAS))
        if diff > 0:
            return await self.delete_pods(key, rs, active, min(diff, BURST_REPLICAS))
        return None

    async def create_pods(self, key: str, rs: Obj, count: int) -> ApiError | None:
        """Slow start: batches of 1, 2, 4, ...; the first failure stops the rest, whose
        expected creations are withdrawn (they will never be observed)."""
        self.expectations.expect_creations(key, count)
        client = self.api.resource("pods", rs["metadata"]["namespace"])
        created, batch = 0, SLOW_START_INITIAL_BATCH
        while created < count:
            batch = min(batch, count - created)
            results = await asyncio.gather(*(client.create(pod_from_template(rs)) for _ in range(batch)),
                                           return_exceptions=True)
            failures = [r for r in results if isinstance(r, BaseException)]
            created += batch - len(failures)
            if failures:
                self.expectations.creation_observed(key, count - created)
                await self.recorder.warning(rs, "FailedCreate", f"Error creating: {failures[0]}")
                return failures[0] if isinstance(failures[0], ApiError) else ApiError(500, "InternalError",
                                                                                        str(failures[0]))
            for pod in results:
                await self.recorder.normal(rs, "SuccessfulCreate", f"Created pod: {pod['metadata']['name']}")
            batch *= 2
        return None

    async def delete_pods(self, key: str, rs: Obj, active: list[Obj], count: int) -> ApiError | None:
        related = [pod for pod in self.pods.by_index("namespace", rs["metadata"]["namespace"])
                   if is_controlled_by(pod, rs)]
        victims = pods_to_delete(active, count, related)
        self.expectations.expect_deletions(key, [object_key(pod) for pod in victims])
        client = self.api.resource("pods", rs["metadata"]["namespace"])
        results = await asyncio.gather(*(client.delete(pod["metadata"]["name"]) for pod in victims),
                                       return_exceptions=True)
        error = None
        for pod, result in zip(victims, results):
            if isinstance(result, ApiError) and result.reason != "NotFound":
                self.expectations.deletion_observed(key, object_key(pod))   # it will not go away
                error = result
            else:
                if isinstance(result, ApiError):
                    self.expectations.deletion_observed(key, object_key(pod))
                await self.recorder.normal(rs, "SuccessfulDelete", f"Deleted pod: {pod['metadata']['name']}")
        return error

    async def update_status(self, rs: Obj, active: list[Obj], error: ApiError | None) -> None:
        status = compute_status(rs, active, error)
        if status == rs.get("status"):
            return
        client = self.api.resource("replicasets", rs["metadata"]["namespace"])
        try:
            await client.update_status({**rs, "status": status})
        except ApiError as e:
            if e.reason not in ("NotFound", "Conflict"):
                raise
            if e.reason == "Conflict":
                self.enqueue(rs)          # the cache is behind; the next sync sees the new object
        min_ready = int(rs["spec"].get("minReadySeconds") or 0)
        if min_ready and status["readyReplicas"] > status["availableReplicas"]:
            self.enqueue_after(rs, min_ready)


def pod_from_template(rs: Obj) -> Obj:
    """A new pod as the ReplicaSet's template describes it, owned by the ReplicaSet."""
    template = copy.deepcopy(rs["spec"].get("template") or {})
    template_meta = template.get("metadata") or {}
    metadata: dict[str, Any] = {
        "generateName": f"{rs['metadata']['name']}-",
        "namespace": rs["metadata"]["namespace"],
        "labels": template_meta.get("labels") or {},
        "ownerReferences": [new_controller_ref(rs)],
    }
    if template_meta.get("annotations"):
        metadata["annotations"] = template_meta["annotations"]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": template.get("spec") or {}}


def compute_status(rs: Obj, active: list[Obj], error: ApiError | None) -> Obj:
    template_labels = ((rs["spec"].get("template") or {}).get("metadata") or {}).get("labels") or {}
    min_ready = int(rs["spec"].get("minReadySeconds") or 0)
    at = times.now()
    status: Obj = {
        "replicas": len(active),
        "fullyLabeledReplicas": sum(1 for pod in active if _has_labels(pod, template_labels)),
        "readyReplicas": sum(1 for pod in active if pods.is_ready(pod)),
        "availableReplicas": sum(1 for pod in active if pods.is_available(pod, min_ready, at)),
        "observedGeneration": rs["metadata"].get("generation", 0),
    }
    conditions = replica_failure_conditions(rs, error)
    if conditions:
        status["conditions"] = conditions
    return status


def replica_failure_conditions(rs: Obj, error: ApiError | None) -> list[Obj]:
    """ReplicaFailure=True while creating or deleting pods fails; dropped once it works again."""
    kept = [c for c in (rs.get("status") or {}).get("conditions") or [] if c.get("type") != "ReplicaFailure"]
    if error is None:
        return kept
    previous = find_condition((rs.get("status") or {}).get("conditions"), "ReplicaFailure")
    failure = {"type": "ReplicaFailure", "status": "True", "reason": "FailedCreate", "message": error.message,
               "lastTransitionTime": transition_time(previous, "True")}
    return [*kept, failure]


def _has_labels(pod: Obj, labels: dict[str, str]) -> bool:
    pod_labels = pod["metadata"].get("labels") or {}
    return all(pod_labels.get(k) == v for k, v in labels.items())
