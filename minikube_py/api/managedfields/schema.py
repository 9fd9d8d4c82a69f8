"""What structured-merge-diff needs to know about a type: the kind of each list and map.

SMD reads `x-kubernetes-list-type` (atomic | set | map), `x-kubernetes-list-map-keys`
and `x-kubernetes-map-type` / `x-kubernetes-structure-type` (atomic | granular)
from the type's schema; Kubernetes derives them from Go markers
(`+listType=map`, `+listMapKey=name`, `+structType=atomic`) and, where there
are none, from the strategic-merge tags: a list with `patchStrategy:"merge"`
and a `patchMergeKey` is a map keyed by that field, a merged list of scalars
is a set, every other list is atomic.

So the strategic-merge table (minikube_py/api/patch_strategies.py) stays the
one source of list keys; this module adds only what the Go markers say
differently: lists keyed by more than one field, the default of a key field,
and objects that are replaced as a whole.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

from minikube_py.api.patch_strategies import patch_strategies

# `+listMapKey` markers that name more keys than the patchMergeKey (by field path, any kind).
EXTRA_LIST_KEYS: dict[str, tuple[str, ...]] = {
    "ports": ("containerPort", "protocol"),                 # core/v1 Container.ports
    "spec.ports": ("port", "protocol"),                     # core/v1 ServiceSpec.ports
    "topologySpreadConstraints": ("topologyKey", "whenUnsatisfiable"),
}
# Key fields with a schema default: an item that omits one is keyed by the default.
KEY_DEFAULTS: dict[str, object] = {"protocol": "TCP"}

# Objects replaced as a whole (`+structType=atomic` / `+mapType=atomic`), by the last path segment(s).
ATOMIC_OBJECTS_ANY_KIND = ("labelSelector", "namespaceSelector")     # metav1.LabelSelector in affinity terms
ATOMIC_OBJECTS: dict[tuple[str, str], tuple[str, ...]] = {
    ("v1", "Service"): ("spec.selector",),                  # map[string]string, +mapType=atomic
    ("apps/v1", "Deployment"): ("spec.selector",),          # metav1.LabelSelector, +structType=atomic
    ("apps/v1", "ReplicaSet"): ("spec.selector",),
    ("apps/v1", "DaemonSet"): ("spec.selector",),
    ("batch/v1", "Job"): ("spec.selector",),
    ("policy/v1", "PodDisruptionBudget"): ("spec.selector",),
}


@dataclass(frozen=True)
class ListType:
    """`x-kubernetes-list-type` and, for maps, `x-kubernetes-list-map-keys`."""
    kind: str                           # "atomic", "set" or "map"
    keys: tuple[str, ...] = ()


ATOMIC = ListType("atomic")
SET = ListType("set")


@dataclass(frozen=True)
class TypeSchema:
    """The list and object kinds of one API type, by dotted field path (list items add nothing)."""
    lists: dict[str, ListType]
    atomic_objects: frozenset[str]

    def list_type(self, path: str) -> ListType:
        return self.lists.get(path, ATOMIC)

    def is_atomic_object(self, path: str) -> bool:
        return path in self.atomic_objects or (path.endswith("Selector") and
                                               path.rpartition(".")[2] in ATOMIC_OBJECTS_ANY_KIND)


def _keys_for(path: str, merge_key: str) -> tuple[str, ...]:
    for suffix, keys in EXTRA_LIST_KEYS.items():
        if (path == suffix or path.endswith("." + suffix)) and keys[0] == merge_key:
            return keys
    return (merge_key,)


@functools.cache
def schema_for(api_version: str, kind: str) -> TypeSchema:
    lists: dict[str, ListType] = {}
    for path, meta in patch_strategies(api_version, kind).items():
        if not meta.merges_list:
            continue
        lists[path] = ListType("map", _keys_for(path, meta.merge_key)) if meta.merge_key else SET
    return TypeSchema(lists, frozenset(ATOMIC_OBJECTS.get((api_version, kind), ())))
