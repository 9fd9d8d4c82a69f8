"""The strategic-merge-patch table: which lists merge, and on which key.

Kubernetes reads these strategies from the Go struct tags of its types, e.g.
`patchStrategy:"merge" patchMergeKey:"name"` on `Containers []Container`
in core/v1 PodSpec. We keep them as an explicit table, one entry per
(type, field path). Lists not named here are atomic: a patch replaces them.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PatchMeta:
    """The `patchStrategy` / `patchMergeKey` struct tags of one field."""
    strategy: str                   # "merge", "merge,retainKeys" or "retainKeys"
    merge_key: str | None = None    # None for a list of primitives (e.g. finalizers)

    @property
    def merges_list(self) -> bool:
        return "merge" in self.strategy.split(",")


def merge_by(merge_key: str) -> PatchMeta:
    """A list merged element by element, matching on `merge_key`."""
    return PatchMeta("merge", merge_key)


def _nested(prefix: str, table: dict[str, PatchMeta]) -> dict[str, PatchMeta]:
    return {f"{prefix}.{path}": meta for path, meta in table.items()}


# Field paths are JSON field names from the object's root joined by "."; the
# elements of a list add nothing ("spec.containers.ports" = the ports of any
# container). A field that is not listed is atomic (lists) or merged (maps).

OBJECT_META = {                               # metav1.ObjectMeta
    "ownerReferences": merge_by("uid"),
    "finalizers": PatchMeta("merge"),         # a set of strings
}

CONTAINER = {                                 # core/v1 Container, EphemeralContainer
    "ports": merge_by("containerPort"),
    "env": merge_by("name"),
    "volumeMounts": merge_by("mountPath"),
    "volumeDevices": merge_by("devicePath"),
    # command, args, envFrom, resizePolicy: atomic
}

POD_SPEC = {                                  # core/v1 PodSpec
    "volumes": PatchMeta("merge,retainKeys", "name"),
    "initContainers": merge_by("name"),
    "containers": merge_by("name"),
    "ephemeralContainers": merge_by("name"),
    **_nested("initContainers", CONTAINER),
    **_nested("containers", CONTAINER),
    **_nested("ephemeralContainers", CONTAINER),
    "imagePullSecrets": merge_by("name"),
    "hostAliases": merge_by("ip"),
    "topologySpreadConstraints": merge_by("topologyKey"),
    "schedulingGates": merge_by("name"),
    "resourceClaims": PatchMeta("merge,retainKeys", "name"),
    # tolerations, readinessGates, dnsConfig.*: atomic
}

POD_STATUS = {                                # core/v1 PodStatus
    "conditions": merge_by("type"),
    "podIPs": merge_by("ip"),
    "hostIPs": merge_by("ip"),
    "resourceClaimStatuses": PatchMeta("merge,retainKeys", "name"),
    # containerStatuses, initContainerStatuses: atomic
}

POD_TEMPLATE_SPEC = {**_nested("metadata", OBJECT_META), **_nested("spec", POD_SPEC)}

CONDITIONS_BY_TYPE = {"conditions": merge_by("type")}

WORKLOAD = {**_nested("spec.template", POD_TEMPLATE_SPEC), **_nested("status", CONDITIONS_BY_TYPE)}

# (apiVersion, kind) -> field path -> PatchMeta. metadata applies to every kind.
PATCH_STRATEGIES: dict[tuple[str, str], dict[str, PatchMeta]] = {
    ("v1", "Pod"): {**_nested("spec", POD_SPEC), **_nested("status", POD_STATUS)},
    ("v1", "Node"): {
        "spec.podCIDRs": PatchMeta("merge"),  # spec.taints: atomic
        "status.conditions": merge_by("type"),
        "status.addresses": merge_by("type"),      # status.images: atomic
    },
    ("v1", "Namespace"): _nested("status", CONDITIONS_BY_TYPE),   # spec.finalizers: atomic
    ("v1", "Service"): {"spec.ports": merge_by("port"), **_nested("status", CONDITIONS_BY_TYPE)},
    ("v1", "Endpoints"): {},                  # subsets: atomic
    ("v1", "ConfigMap"): {},
    ("v1", "Secret"): {},
    ("v1", "Event"): {},
    ("v1", "ReplicationController"): WORKLOAD,
    ("apps/v1", "Deployment"): {"spec.strategy": PatchMeta("retainKeys"), **WORKLOAD},
    ("apps/v1", "ReplicaSet"): WORKLOAD,
    ("apps/v1", "DaemonSet"): WORKLOAD,
    ("batch/v1", "Job"): WORKLOAD,
    ("coordination.k8s.io/v1", "Lease"): {},
}


def patch_strategies(api_version: str, kind: str) -> dict[str, PatchMeta]:
    """Every declared strategy for one kind, by dotted field path."""
    return {**_nested("metadata", OBJECT_META), **PATCH_STRATEGIES.get((api_version, kind), {})}
