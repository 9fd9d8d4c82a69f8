"""What the scheduler knows about one node: kube-scheduler's framework.NodeInfo (framework/types.go).

A NodeInfo aggregates the node object with the pods on it (bound *and* assumed):
their summed requests, the host ports they use, which of them carry
(anti-)affinity terms, and the images the node reports. Filters and scores
read only this, never the API. The sums are plain ints on `requested` and
`allocatable` (and `non_zero_cpu`/`non_zero_memory`), updated as pods come and
go, so the resource plugins do integer arithmetic and nothing else per node.

`restricted` says whether the node itself keeps some pods out: cordoned, a
NoSchedule/NoExecute taint, or a Ready condition that is not True. Most nodes
are not, and the filters that only look at those things are skipped on them
(framework.py). It is recomputed whenever the node object changes.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from typing import Any

from minikube_py.api.conditions import find_condition
from scheduler.podinfo import HostPort, PodInfo
from scheduler.resources import PODS, Resource, _amount

DEFAULT_ALLOWED_PODS = 110
RESTRICTING_TAINT_EFFECTS = ("NoSchedule", "NoExecute")


def normalized_image_name(name: str) -> str:
    """An image named without tag or digest means ":latest" (as the kubelet reports it)."""
    last = name.rsplit("/", 1)[-1]
    return name if (":" in last or "@" in name) else f"{name}:latest"


class NodeInfo:
    def __init__(self, node: dict[str, Any]) -> None:
        self.pods: dict[str, PodInfo] = {}
        self.requested = Resource()
        self.non_zero_cpu = 0
        self.non_zero_memory = 0
        self.used_ports: set[HostPort] = set()
        self.pods_with_affinity: dict[str, PodInfo] = {}
        self.pods_with_required_anti_affinity: dict[str, PodInfo] = {}
        self.set_node(node)

    def __repr__(self) -> str:
        return f"NodeInfo({self.name}, pods={len(self.pods)})"

    def set_node(self, node: dict[str, Any]) -> None:
        meta, spec, status = node.get("metadata") or {}, node.get("spec") or {}, node.get("status") or {}
        self.node = node
        self.name: str = meta.get("name", "")
        self.labels: Mapping[str, str] = meta.get("labels") or {}
        self.unschedulable = bool(spec.get("unschedulable"))
        self.taints: list[Mapping[str, Any]] = [t for t in spec.get("taints") or [] if isinstance(t, dict)]
        allocatable = status.get("allocatable") or status.get("capacity") or {}
        self.allocatable = Resource.from_list(allocatable)
        self.allowed_pods = _amount(PODS, allocatable[PODS]) if PODS in allocatable else DEFAULT_ALLOWED_PODS
        self.ready = _ready_condition(status)
        self.images = _image_sizes(status.get("images") or [])
        self.restricted = (self.unschedulable or self.ready not in (None, "True")
                           or any(taint.get("effect") in RESTRICTING_TAINT_EFFECTS for taint in self.taints))

    def clone(self, without: AbstractSet[str] = frozenset(), extra: Sequence[PodInfo] = ()) -> NodeInfo:
        """A copy to try "what if" on (preemption, nominated pods): minus the pods keyed in
        `without`, plus `extra`. The node object is shared, the pod bookkeeping is the copy's own."""
        copy = NodeInfo(self.node)
        for key, pod in self.pods.items():
            if key not in without:
                copy.add_pod(pod)
        for pod in extra:
            copy.add_pod(pod)
        return copy

    # ---- pods -------------------------------------------------------------------------

    def add_pod(self, pod: PodInfo) -> None:
        if pod.key in self.pods:
            self.remove_pod(pod.key)
        self.pods[pod.key] = pod
        self._account(pod, +1)
        self.used_ports.update(pod.host_ports)
        if pod.has_affinity:
            self.pods_with_affinity[pod.key] = pod
        if pod.required_anti_affinity:
            self.pods_with_required_anti_affinity[pod.key] = pod

    def remove_pod(self, key: str) -> PodInfo | None:
        pod = self.pods.pop(key, None)
        if pod is None:
            return None
        self._account(pod, -1)
        self.pods_with_affinity.pop(key, None)
        self.pods_with_required_anti_affinity.pop(key, None)
        self.used_ports = {port for other in self.pods.values() for port in other.host_ports}
        return pod

    def _account(self, pod: PodInfo, sign: int) -> None:
        self.requested.add(pod.requests, sign)
        self.non_zero_cpu += sign * pod.non_zero_cpu
        self.non_zero_memory += sign * pod.non_zero_memory


def _ready_condition(status: Mapping[str, Any]) -> str | None:
    """The Ready condition's status ("True", "False", "Unknown"), None when the node reports none."""
    condition = find_condition(status.get("conditions"), "Ready")
    return None if condition is None else condition.get("status")


def _image_sizes(images: list[Any]) -> dict[str, int]:
    sizes: dict[str, int] = {}
    for image in images:
        if isinstance(image, dict):
            for name in image.get("names") or []:
                sizes[normalized_image_name(name)] = int(image.get("sizeBytes") or 0)
    return sizes
