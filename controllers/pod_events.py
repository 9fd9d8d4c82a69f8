"""What controllers that own pods (DaemonSet, Job) share: pod events and pod deletion.

Every pod event is turned into "sync my owner": the owner is found through
the pod's controller ownerReference, and the creations and deletions the
owner was expecting (see expectations.py) are marked as observed, exactly as
kube-controller-manager's pod handlers do for each workload controller.
Deleting pods records the deletions it expects first, and deletes each pod
with its uid as a precondition so a replacement with the same name is safe.
"""
from __future__ import annotations

from minikube_py.api.errors import ApiError

from controllers.base import Obj, object_key


class PodOwnerEvents:
    """Mixin: needs `owner_of(pod)`, `expectations`, `enqueue(owner)`, `api` and `recorder`."""

    def owner_of(self, pod: Obj) -> Obj | None:
        raise NotImplementedError

    def on_pod_add(self, pod: Obj) -> None:
        owner = self.owner_of(pod)
        if owner is not None:
            self.expectations.creation_observed(object_key(owner))   # type: ignore[attr-defined]
            self.enqueue(owner)                                      # type: ignore[attr-defined]

    def on_pod(self, pod: Obj) -> None:
        owner = self.owner_of(pod)
        if owner is not None:
            self.enqueue(owner)                                      # type: ignore[attr-defined]

    def on_pod_delete(self, pod: Obj) -> None:
        owner = self.owner_of(pod)
        if owner is not None:
            self.expectations.deletion_observed(object_key(owner), object_key(pod))  # type: ignore[attr-defined]
            self.enqueue(owner)                                      # type: ignore[attr-defined]

    async def delete_pods(self, key: str, owner: Obj, victims: list[Obj]) -> None:
        victims = list({object_key(p): p for p in victims}.values())
        if not victims:
            return
        self.expectations.expect_deletions(key, [object_key(p) for p in victims])   # type: ignore[attr-defined]
        client = self.api.resource("pods", owner["metadata"]["namespace"])             # type: ignore[attr-defined]
        for pod in victims:
            try:
                await client.delete(pod["metadata"]["name"], preconditions={"uid": pod["metadata"]["uid"]})
            except ApiError as e:
                self.expectations.deletion_observed(key, object_key(pod))             # type: ignore[attr-defined]
                if e.reason not in ("NotFound", "Conflict"):
                    raise
                continue
            await self.recorder.normal(owner, "SuccessfulDelete",                      # type: ignore[attr-defined]
                                       f"Deleted pod: {pod['metadata']['name']}")
