"""The ReplicaSet controller: kube-controller-manager's pkg/controller/replicaset.

Keeps `spec.replicas` pods that match the selector, owned by the ReplicaSet:

- claims pods (ownership.claim): adopts matching orphans, releases pods whose
  labels no longer match;
- creates missing pods from the template (generateName "<rs>-"), deletes surplus
  pods in Kubernetes' preference order (util/pods.py), both as every pod owner
  does (util/pod_owner.py: slow-start batches, uid preconditions);
- never resizes while its own creates/deletes are still on their way to the
  informer cache (util/expectations.py);
- writes status (replicas, fullyLabeledReplicas, readyReplicas,
  availableReplicas after minReadySeconds, observedGeneration) through the
  status subresource.
"""
from __future__ import annotations

from controllers.base import Obj, object_key, register, split_key
from controllers.util import ownership
from controllers.util.pod_owner import PodOwnerController, pod_from_template
from controllers.util.pods import is_active, pods_to_delete
from minikube_py.api import pods, times
from minikube_py.api.conditions import find_condition, transition_time
from minikube_py.api.errors import ApiError
from minikube_py.api.meta import is_being_deleted, is_controlled_by
from minikube_py.api.selectors import label_selector_from_dict

BURST_REPLICAS = 500          # most pods created or deleted in one sync (Kubernetes' burstReplicas)


@register
class ReplicaSetController(PodOwnerController):
    name = "replicaset"
    workers_flag = "replicaset"
    owner_kind, owner_resource = "ReplicaSet", "replicasets"

    # ---- reconcile ----------------------------------------------------------------------------

    async def reconcile(self, key: str) -> None:
        namespace, name = split_key(key)
        rs = self.owners.get(name, namespace)
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
        """Create or delete pods; the error that stopped it, for the status to report."""
        diff = len(active) - int(rs["spec"].get("replicas", 1))
        try:
            if diff < 0:
                await self.create_pods(key, rs, [pod_from_template(rs) for _ in range(min(-diff, BURST_REPLICAS))])
            elif diff > 0:
                related = [pod for pod in self.pods.by_index("namespace", rs["metadata"]["namespace"])
                           if is_controlled_by(pod, rs)]
                await self.delete_pods(key, rs, pods_to_delete(active, min(diff, BURST_REPLICAS), related))
        except ApiError as e:
            return e
        return None

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
