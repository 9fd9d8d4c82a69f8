"""The served resource types: Kubernetes' API "schema" for minikube-py.

In Kubernetes every resource (pods, deployments, ...) is registered with its
group, version, kind, plural name, scope and the verbs it supports; discovery
(`/api/v1`, `/apis/apps/v1`) and the REST routes are generated from that
registry. This module is our registry: one `ResourceType` per served resource.
"""
from __future__ import annotations

from dataclasses import dataclass, field

ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")


@dataclass(frozen=True)
class ResourceType:
    group: str                      # "" for the core ("legacy") group
    version: str
    kind: str
    plural: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    subresources: tuple[str, ...] = ()    # e.g. ("status", "binding", "log")
    categories: tuple[str, ...] = ()      # "all" makes `kubectl get all` include it
    verbs: tuple[str, ...] = ALL_VERBS
    has_spec: bool = True                  # generation is bumped on spec changes only
    allow_create_on_update: bool = False   # PUT of a missing object creates it
    list_kind: str = field(default="")

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def singular(self) -> str:
        return self.kind.lower()

    @property
    def kind_list(self) -> str:
        return self.list_kind or f"{self.kind}List"

    @property
    def has_status(self) -> bool:
        return "status" in self.subresources

    @property
    def storage_name(self) -> str:
        """The etcd key segment: /registry/<storage_name>/<namespace>/<name>."""
        return self.plural if not self.group else f"{self.group}/{self.plural}"


_WORKLOAD = ("all",)

RESOURCES: tuple[ResourceType, ...] = (
    # core/v1
    ResourceType("", "v1", "Namespace", "namespaces", False, ("ns",), ("status", "finalize"),
                 verbs=("create", "delete", "get", "list", "patch", "update", "watch")),
    ResourceType("", "v1", "Pod", "pods", True, ("po",),
                 ("status", "binding", "log", "eviction", "exec", "attach", "portforward"), _WORKLOAD),
    ResourceType("", "v1", "Node", "nodes", False, ("no",), ("status",)),
    ResourceType("", "v1", "Service", "services", True, ("svc",), ("status",), _WORKLOAD,
                 verbs=("create", "delete", "get", "list", "patch", "update", "watch")),
    ResourceType("", "v1", "Endpoints", "endpoints", True, ("ep",), has_spec=False,
                 allow_create_on_update=True, list_kind="EndpointsList"),
    ResourceType("", "v1", "ConfigMap", "configmaps", True, ("cm",), has_spec=False),
    ResourceType("", "v1", "Secret", "secrets", True, has_spec=False),
    ResourceType("", "v1", "ReplicationController", "replicationcontrollers", True, ("rc",), ("status", "scale"),
                 _WORKLOAD),
    ResourceType("", "v1", "Event", "events", True, ("ev",), has_spec=False,
                 allow_create_on_update=True),
    # apps/v1
    ResourceType("apps", "v1", "Deployment", "deployments", True, ("deploy",), ("status", "scale"), _WORKLOAD),
    ResourceType("apps", "v1", "ReplicaSet", "replicasets", True, ("rs",), ("status", "scale"), _WORKLOAD),
    ResourceType("apps", "v1", "DaemonSet", "daemonsets", True, ("ds",), ("status",), _WORKLOAD),
    # batch/v1
    ResourceType("batch", "v1", "Job", "jobs", True, (), ("status",), _WORKLOAD),
    # coordination.k8s.io/v1
    ResourceType("coordination.k8s.io", "v1", "Lease", "leases", True, allow_create_on_update=True),
    # networking.k8s.io/v1
    ResourceType("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", True, ("netpol",)),
    # policy/v1
    ResourceType("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", True, ("pdb",), ("status",)),
    # scheduling.k8s.io/v1
    ResourceType("scheduling.k8s.io", "v1", "PriorityClass", "priorityclasses", False, ("pc",), has_spec=False),
)

# The API groups in the order discovery lists them (core is served at /api).
GROUP_VERSIONS: tuple[tuple[str, str], ...] = (("apps", "v1"), ("batch", "v1"), ("coordination.k8s.io", "v1"),
                                               ("networking.k8s.io", "v1"), ("policy", "v1"),
                                               ("scheduling.k8s.io", "v1"))


def by_group_version(group: str, version: str) -> dict[str, ResourceType]:
    """plural -> ResourceType for one group/version (what `/apis/<g>/<v>` serves)."""
    return {r.plural: r for r in RESOURCES if r.group == group and r.version == version}


def by_kind(api_version: str, kind: str) -> ResourceType | None:
    for r in RESOURCES:
        if r.api_version == api_version and r.kind == kind:
            return r
    return None


def lookup(name: str) -> ResourceType | None:
    """Find a type by plural, singular, short name or kind (case-insensitive), as kubectl does."""
    name = name.lower()
    for r in RESOURCES:
        if name in (r.plural, r.singular, r.kind.lower(), *r.short_names):
            return r
    return None


def known(name: str) -> ResourceType:
    """A type the code itself names (`known("pods")`): its absence is a programming error, not bad input."""
    found = lookup(name)
    if found is None:
        raise LookupError(f"no served resource type {name!r}")
    return found
