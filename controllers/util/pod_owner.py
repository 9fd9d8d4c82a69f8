"""What the controllers that own pods (ReplicaSet, DaemonSet, Job) share: kube-controller-manager's
pod event handlers (addPod / updatePod / deletePod of each workload controller) and the
PodControl of pkg/controller/controller_utils.go (slowStartBatch creates, deletes).

Pod events become "sync my owner":

- a pod with a controller ownerReference wakes that owner, if it is of our kind and has
  the same uid (a same-named replacement is not its owner); its creation or deletion is
  ticked off the owner's expectations (expectations.py);
- an orphan (no controller) wakes every owner whose selector matches it, so one of them
  adopts it (ownership.claim);
- a pod that starts terminating counts as deleted at once (it no longer counts toward
  replicas), and one that becomes Ready wakes its owner again after minReadySeconds, when
  it becomes available.

Creates go in slow-start batches of 1, 2, 4, ...: a broken template fails once, not 500
times; the creations that were never sent are withdrawn from the expectations. Deletes
carry the pod's uid as a precondition, so a replacement with the same name is never hit.
Both raise the first error (an ApiError) once every request they sent is answered.
"""
from __future__ import annotations

import asyncio
import copy
from typing import Any, ClassVar

from controllers.base import Controller, ControllerContext, object_key
from controllers.util.expectations import Expectations
from controllers.util.ownership import resolve_controller_ref
from minikube_py.api import pods as podutil
from minikube_py.api.errors import ApiError
from minikube_py.api.meta import Obj, controller_ref, is_being_deleted, meta, new_controller_ref
from minikube_py.api.selectors import label_selector_from_dict

SLOW_START_INITIAL_BATCH = 1


class PodOwnerController(Controller):
    """A controller that owns pods. Subclasses set `owner_kind` and `owner_resource`; setup()
    here opens both informers and wires their events; `watch_more()` adds what else a
    controller needs (the DaemonSet controller: nodes)."""

    owner_kind: ClassVar[str]               # "ReplicaSet"
    owner_resource: ClassVar[str]           # "replicasets"

    def __init__(self, ctx: ControllerContext) -> None:
        self.expectations = Expectations()
        super().__init__(ctx)

    def setup(self) -> None:
        self.owners = self.informer(self.owner_resource)
        self.pods = self.informer("pods")
        self.owners.add_event_handler(self.enqueue, lambda old, new: self.enqueue(new), self.on_owner_delete)
        self.pods.add_event_handler(self.on_pod_add, self.on_pod_update, self.on_pod_delete)
        self.watch_more()

    def watch_more(self) -> None:
        """Further informers and handlers; none by default."""

    def on_owner_delete(self, owner: Obj) -> None:
        self.expectations.forget(object_key(owner))
        self.enqueue(owner)

    # ---- pod events -> owner keys ---------------------------------------------------------

    def owner_of(self, pod: Obj) -> Obj | None:
        return resolve_controller_ref(pod, self.owner_kind, self.owners.get)

    def matching_owners(self, pod: Obj) -> list[Obj]:
        """The owners of the pod's namespace whose selector matches its labels (for orphans)."""
        labels = meta(pod).get("labels")
        return [owner for owner in self.owners.by_index("namespace", meta(pod).get("namespace"))
                if label_selector_from_dict((owner.get("spec") or {}).get("selector")).matches(labels)]

    def on_pod_add(self, pod: Obj) -> None:
        if is_being_deleted(pod):
            self.on_pod_delete(pod)       # appeared already terminating (e.g. after a relist)
            return
        owner = self.owner_of(pod)
        if owner is not None:
            self.expectations.creation_observed(object_key(owner))
            self.enqueue(owner)
        elif controller_ref(pod) is None:
            for candidate in self.matching_owners(pod):
                self.enqueue(candidate)

    def on_pod_update(self, old: Obj, new: Obj) -> None:
        if is_being_deleted(new) and not is_being_deleted(old):
            self.on_pod_delete(new)       # a graceful delete: the pod no longer counts
            return
        for pod in (old, new):            # both: the controller ref may have changed
            owner = self.owner_of(pod)
            if owner is not None:
                self.enqueue(owner)
                min_ready = int((owner.get("spec") or {}).get("minReadySeconds") or 0)
                if min_ready and podutil.is_ready(new) and not podutil.is_ready(old):
                    self.enqueue_after(owner, min_ready + 1)    # re-count it as available later
            elif controller_ref(pod) is None:
                for candidate in self.matching_owners(pod):
                    self.enqueue(candidate)

    def on_pod_delete(self, pod: Obj) -> None:
        owner = self.owner_of(pod)
        if owner is not None:
            self.expectations.deletion_observed(object_key(owner), object_key(pod))
            self.enqueue(owner)

    # ---- PodControl -----------------------------------------------------------------------

    async def create_pods(self, key: str, owner: Obj, new_pods: list[Obj]) -> None:
        """Create `new_pods` in slow-start batches; the first failure stops the rest, whose
        expected creations are withdrawn (they will never be observed)."""
        if not new_pods:
            return
        self.expectations.expect_creations(key, len(new_pods))
        client = self.api.resource("pods", meta(owner)["namespace"])
        sent, batch = 0, SLOW_START_INITIAL_BATCH
        while sent < len(new_pods):
            chunk = new_pods[sent:sent + batch]
            results = await asyncio.gather(*(client.create(pod) for pod in chunk), return_exceptions=True)
            sent += len(chunk)
            failures = [r for r in results if isinstance(r, BaseException)]
            for pod in results:
                if not isinstance(pod, BaseException):
                    await self.recorder.normal(owner, "SuccessfulCreate", f"Created pod: {pod['metadata']['name']}")
            if failures:
                self.expectations.creation_observed(key, len(failures) + len(new_pods) - sent)
                await self.recorder.warning(owner, "FailedCreate", f"Error creating: {failures[0]}")
                raise _api_error(failures[0])
            batch *= 2

    async def delete_pods(self, key: str, owner: Obj, victims: list[Obj]) -> None:
        """Delete `victims` (at once), each with its uid as a precondition. A pod already gone
        or replaced is not an error."""
        victims = list({object_key(p): p for p in victims}.values())
        if not victims:
            return
        self.expectations.expect_deletions(key, [object_key(p) for p in victims])
        client = self.api.resource("pods", meta(owner)["namespace"])
        results = await asyncio.gather(
            *(client.delete(meta(p)["name"], preconditions={"uid": meta(p)["uid"]}) for p in victims),
            return_exceptions=True)
        error: ApiError | None = None
        for pod, result in zip(victims, results, strict=True):
            if isinstance(result, BaseException):
                self.expectations.deletion_observed(key, object_key(pod))    # it will not go away by us
                if not (isinstance(result, ApiError) and result.reason in ("NotFound", "Conflict")):
                    error = error or _api_error(result)
                continue
            await self.recorder.normal(owner, "SuccessfulDelete", f"Deleted pod: {meta(pod)['name']}")
        if error is not None:
            raise error


def _api_error(failure: BaseException) -> ApiError:
    return failure if isinstance(failure, ApiError) else ApiError(500, "InternalError", str(failure))


def pod_from_template(owner: Obj) -> Obj:
    """GetPodFromTemplate: a new pod as the owner's spec.template describes it, named
    "<owner>-<random>" and owned (controller ref) by the owner."""
    template = copy.deepcopy(owner["spec"].get("template") or {})
    template_meta = template.get("metadata") or {}
    metadata: dict[str, Any] = {
        "generateName": f"{owner['metadata']['name']}-",
        "namespace": owner["metadata"]["namespace"],
        "labels": template_meta.get("labels") or {},
        "ownerReferences": [new_controller_ref(owner)],
    }
    if template_meta.get("annotations"):
        metadata["annotations"] = template_meta["annotations"]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": template.get("spec") or {}}
