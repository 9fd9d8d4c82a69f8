"""Which workload a pod belongs to: kube-scheduler's helper.DefaultSelector (framework/plugins/helper/spread.go).

PodTopologySpread's system default constraints spread "the pods of the same
workload". kube-scheduler builds that group's selector from the objects the pod
belongs to:

  - every Service of the pod's namespace whose spec.selector matches the pod, and
    every ReplicationController likewise: their selectors (label maps) are merged;
  - the pod's controller (the ownerReference with controller: true), when it is a
    ReplicaSet or a StatefulSet: that object's spec.selector requirements are added.

An empty result means "no workload": no default constraint applies.

Our API server serves Services and ReplicaSets (Deployments act through their
ReplicaSets) but no ReplicationControllers or StatefulSets, so only the first two
are looked up; the lookup functions are plain callables so a lister can be added
here the day those types exist.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from minikube_py.api.meta import controller_ref
from minikube_py.api.selectors import (
    EVERYTHING,
    LabelSelector,
    SelectorError,
    label_selector_from_dict,
    label_selector_from_set,
)
from scheduler.podinfo import PodInfo

# (namespace) -> the Services of that namespace
ServicesIn = Callable[[str], Iterable[Mapping[str, Any]]]
# (kind, namespace, name) -> the controller object, or None
ControllerGetter = Callable[[str, str, str], Mapping[str, Any] | None]

CONTROLLERS_WITH_SELECTOR = ("ReplicaSet", "StatefulSet")


def _no_services(namespace: str) -> list[Mapping[str, Any]]:
    return []


def _no_controller(kind: str, namespace: str, name: str) -> None:
    return None


class Workloads:
    """Read access to the objects a pod may belong to (kube-scheduler's Service/ReplicaSet listers)."""

    def __init__(self, services_in: ServicesIn = _no_services, controller: ControllerGetter = _no_controller) -> None:
        self.services_in = services_in
        self.controller = controller

    def default_selector(self, pod: PodInfo) -> LabelSelector:
        """The selector of the pod's workload; EVERYTHING (empty) when it belongs to none."""
        merged: dict[str, str] = {}
        for service in self.services_in(pod.namespace):
            selector = (service.get("spec") or {}).get("selector")
            if selector and all(pod.labels.get(key) == value for key, value in selector.items()):
                merged.update(selector)       # they all match the pod: no conflicting values
        requirements = list(label_selector_from_set(merged).requirements) if merged else []
        ref = controller_ref(pod.obj)
        if ref is not None and ref.get("kind") in CONTROLLERS_WITH_SELECTOR:
            owner = self.controller(ref["kind"], pod.namespace, ref.get("name", ""))
            if owner is not None:
                requirements += _selector_requirements((owner.get("spec") or {}).get("selector"))
        return LabelSelector.of(requirements) if requirements else EVERYTHING


def _selector_requirements(selector: Any) -> list[Any]:
    """A controller's selector as requirements; a missing or invalid one adds nothing (as kube-scheduler)."""
    try:
        parsed = label_selector_from_dict(selector)
    except SelectorError:
        return []
    return [] if parsed.matches_nothing else list(parsed.requirements)


NO_WORKLOADS = Workloads()
