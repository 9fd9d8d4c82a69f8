"""Pod event handlers shared by controllers that create pods (DaemonSet, Job).

Every pod event is turned into "sync my owner": the owner is found through
the pod's controller ownerReference, and the creations and deletions the
owner was expecting (see expectations.py) are marked as observed, exactly as
kube-controller-manager's pod handlers do for each workload controller.
"""
from __future__ import annotations

from controllers.base import Obj, object_key


class PodOwnerEvents:
    """Mixin: needs `owner_of(pod)`, `expectations` and `enqueue(owner)` on the controller."""

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
