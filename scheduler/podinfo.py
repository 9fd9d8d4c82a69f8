"""A pod as the scheduler sees it: kube-scheduler's framework.PodInfo (framework/types.go).

Parsing a pod's requests, ports, tolerations and (anti-)affinity terms is done
once, when the pod enters the queue or the cache, not once per node per plugin:
the filters run thousands of times per scheduling decision.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from minikube_py.api.selectors import NOTHING, LabelSelector, SelectorError, label_selector_from_dict
from scheduler.resources import Resource, non_zero_requests, pod_requests

DEFAULT_SCHEDULER_NAME = "default-scheduler"
PREEMPT_LOWER_PRIORITY, PREEMPT_NEVER = "PreemptLowerPriority", "Never"


@dataclass(frozen=True)
class AffinityTerm:
    """A PodAffinityTerm: pods matching `selector` in `namespaces` (None = all), grouped by `topology_key`."""
    selector: LabelSelector
    namespaces: frozenset[str] | None
    topology_key: str
    weight: int = 0                         # only for preferred terms

    def matches(self, pod: PodInfo) -> bool:
        in_namespace = self.namespaces is None or pod.namespace in self.namespaces
        return in_namespace and self.selector.matches(pod.labels)


@dataclass(frozen=True)
class SpreadConstraint:
    """A topologySpreadConstraint of the pod."""
    max_skew: int
    topology_key: str
    when_unsatisfiable: str                 # DoNotSchedule | ScheduleAnyway
    selector: LabelSelector


@dataclass(frozen=True)
class HostPort:
    host_ip: str
    protocol: str
    port: int


@dataclass
class PodInfo:
    obj: dict[str, Any]
    key: str
    namespace: str
    name: str
    uid: str
    labels: Mapping[str, str]
    node_name: str
    scheduler_name: str
    priority: int
    deleting: bool
    requests: Resource
    non_zero_cpu: int
    non_zero_memory: int
    host_ports: tuple[HostPort, ...]
    tolerations: tuple[Mapping[str, Any], ...]
    node_selector: Mapping[str, str]
    node_affinity: Mapping[str, Any]
    images: tuple[str, ...]
    required_affinity: tuple[AffinityTerm, ...] = ()
    required_anti_affinity: tuple[AffinityTerm, ...] = ()
    preferred_affinity: tuple[AffinityTerm, ...] = ()
    preferred_anti_affinity: tuple[AffinityTerm, ...] = ()
    spread_constraints: tuple[SpreadConstraint, ...] = field(default=())
    preemption_policy: str = PREEMPT_LOWER_PRIORITY
    nominated_node_name: str = ""           # status.nominatedNodeName: where it preempted
    start_time: str = ""                    # status.startTime, else creationTimestamp (RFC 3339 sorts)

    @property
    def has_affinity(self) -> bool:
        return bool(self.required_affinity or self.required_anti_affinity
                    or self.preferred_affinity or self.preferred_anti_affinity)


def pod_info(pod: dict[str, Any]) -> PodInfo:
    meta, spec, status = pod.get("metadata") or {}, pod.get("spec") or {}, pod.get("status") or {}
    namespace = meta.get("namespace") or "default"
    affinity = spec.get("affinity") or {}
    pod_affinity, pod_anti_affinity = affinity.get("podAffinity") or {}, affinity.get("podAntiAffinity") or {}
    cpu, memory = non_zero_requests(spec)
    containers = [c for c in (spec.get("containers") or []) + (spec.get("initContainers") or [])
                  if isinstance(c, dict)]
    return PodInfo(
        obj=pod, key=f"{namespace}/{meta.get('name', '')}", namespace=namespace, name=meta.get("name", ""),
        uid=meta.get("uid", ""), labels=meta.get("labels") or {}, node_name=spec.get("nodeName") or "",
        scheduler_name=spec.get("schedulerName") or DEFAULT_SCHEDULER_NAME,
        priority=int(spec.get("priority") or 0), deleting=bool(meta.get("deletionTimestamp")),
        requests=pod_requests(spec), non_zero_cpu=cpu, non_zero_memory=memory,
        host_ports=_host_ports(spec.get("containers") or []),
        tolerations=tuple(t for t in spec.get("tolerations") or [] if isinstance(t, dict)),
        node_selector=spec.get("nodeSelector") or {}, node_affinity=affinity.get("nodeAffinity") or {},
        images=tuple(c["image"] for c in containers if c.get("image")),
        required_affinity=_terms(pod_affinity, "required", namespace),
        required_anti_affinity=_terms(pod_anti_affinity, "required", namespace),
        preferred_affinity=_terms(pod_affinity, "preferred", namespace),
        preferred_anti_affinity=_terms(pod_anti_affinity, "preferred", namespace),
        spread_constraints=_spread_constraints(spec.get("topologySpreadConstraints") or []),
        preemption_policy=spec.get("preemptionPolicy") or PREEMPT_LOWER_PRIORITY,
        nominated_node_name=status.get("nominatedNodeName") or "",
        start_time=status.get("startTime") or meta.get("creationTimestamp") or "",
    )


def _host_ports(containers: list[Any]) -> tuple[HostPort, ...]:
    ports = []
    for container in containers:
        for port in (container.get("ports") or []) if isinstance(container, dict) else []:
            if isinstance(port, dict) and port.get("hostPort"):
                ports.append(HostPort(port.get("hostIP") or "0.0.0.0", port.get("protocol") or "TCP",
                                      int(port["hostPort"])))
    return tuple(ports)


def _selector(selector: Any) -> LabelSelector:
    """A metav1.LabelSelector; a missing or invalid one selects nothing, as in kube-scheduler."""
    if selector is None:
        return NOTHING
    try:
        return label_selector_from_dict(selector)
    except SelectorError:
        return NOTHING


def _terms(affinity: Mapping[str, Any], kind: str, own_namespace: str) -> tuple[AffinityTerm, ...]:
    if kind == "required":
        raw = [(0, t) for t in affinity.get("requiredDuringSchedulingIgnoredDuringExecution") or []]
    else:
        raw = [(int(w.get("weight") or 0), w.get("podAffinityTerm") or {})
               for w in affinity.get("preferredDuringSchedulingIgnoredDuringExecution") or []]
    return tuple(_term(t, weight, own_namespace) for weight, t in raw if isinstance(t, dict))


def _term(term: Mapping[str, Any], weight: int, own_namespace: str) -> AffinityTerm:
    """namespaces [] and no namespaceSelector = the pod's own namespace; namespaceSelector {} = all."""
    namespaces: frozenset[str] | None = frozenset(term.get("namespaces") or [])
    if term.get("namespaceSelector") == {}:
        namespaces = None
    elif not namespaces:
        namespaces = frozenset([own_namespace])
    return AffinityTerm(_selector(term.get("labelSelector")), namespaces, term.get("topologyKey") or "", weight)


def _spread_constraints(raw: list[Any]) -> tuple[SpreadConstraint, ...]:
    return tuple(SpreadConstraint(int(c.get("maxSkew") or 1), c.get("topologyKey") or "",
                                  c.get("whenUnsatisfiable") or "DoNotSchedule", _selector(c.get("labelSelector")))
                 for c in raw if isinstance(c, dict))
