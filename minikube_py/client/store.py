"""The informer's local cache: client-go's `cache.Indexer` (tools/cache/store.go, thread_safe_store.go).

Objects are kept by key, "namespace/name" (or "name" for cluster-scoped
objects), exactly like client-go's MetaNamespaceKeyFunc. Named indexers map an
object to index values, so lookups such as "all pods on node-1" or "everything
in namespace x" are a dict access instead of a scan. Controllers read from the
cache and never mutate the objects they get (they are shared).

Everything runs on one asyncio event loop and no method awaits, so no locking
is needed: each call is atomic with respect to the other tasks.
"""
from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable
from typing import Any

IndexFunc = Callable[[dict[str, Any]], Iterable[str]]

NAMESPACE_INDEX = "namespace"
NODE_NAME_INDEX = "spec.nodeName"


def key_of(obj: dict[str, Any]) -> str:
    """"namespace/name", or "name" for cluster-scoped objects."""
    meta = obj.get("metadata") or {}
    return f'{meta["namespace"]}/{meta["name"]}' if meta.get("namespace") else meta["name"]


def split_key(key: str) -> tuple[str | None, str]:
    namespace, _, name = key.rpartition("/")
    return namespace or None, name


def index_by_namespace(obj: dict[str, Any]) -> list[str]:
    namespace = (obj.get("metadata") or {}).get("namespace")
    return [namespace] if namespace else []


def index_pods_by_node(obj: dict[str, Any]) -> list[str]:
    """Pods by spec.nodeName; unscheduled pods are not indexed (so "" finds nothing)."""
    node = (obj.get("spec") or {}).get("nodeName")
    return [node] if node else []


class Indexer:
    """A key -> object store with secondary indexes kept up to date on every change."""

    def __init__(self) -> None:
        self._items: dict[str, dict[str, Any]] = {}
        self._index_funcs: dict[str, IndexFunc] = {}
        self._indices: dict[str, dict[str, set[str]]] = {}
        self.add_indexer(NAMESPACE_INDEX, index_by_namespace)

    # ---- reads ------------------------------------------------------------------------

    def get_by_key(self, key: str) -> dict[str, Any] | None:
        return self._items.get(key)

    def get(self, name: str, namespace: str | None = None) -> dict[str, Any] | None:
        return self._items.get(f"{namespace}/{name}" if namespace else name)

    def list(self) -> list[dict[str, Any]]:
        return list(self._items.values())

    def keys(self) -> builtins.list[str]:
        return list(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: str) -> bool:
        return key in self._items

    def by_index(self, index_name: str, value: str | None) -> builtins.list[dict[str, Any]]:
        """The objects indexed under `value`; None (a field an object lacks) finds nothing, like ""."""
        if index_name not in self._indices:
            raise KeyError(f"no indexer named {index_name!r}")
        if value is None:
            return []
        return [self._items[key] for key in sorted(self._indices[index_name].get(value, ()))]

    def index_values(self, index_name: str) -> builtins.list[str]:
        return sorted(value for value, keys in self._indices[index_name].items() if keys)

    # ---- writes (the informer calls these; controllers should not) ----------------------

    def add_indexer(self, name: str, fn: IndexFunc) -> None:
        """Register an index; it is built for the objects already cached."""
        self._index_funcs[name] = fn
        self._indices[name] = {}
        for key, obj in self._items.items():
            self._index_one(name, key, obj)

    def put(self, obj: dict[str, Any]) -> dict[str, Any] | None:
        """Add or replace an object; returns the previous one."""
        key = key_of(obj)
        old = self._items.get(key)
        if old is not None:
            self._unindex(key, old)
        self._items[key] = obj
        for name in self._index_funcs:
            self._index_one(name, key, obj)
        return old

    def delete(self, key: str) -> dict[str, Any] | None:
        old = self._items.pop(key, None)
        if old is not None:
            self._unindex(key, old)
        return old

    def _index_one(self, name: str, key: str, obj: dict[str, Any]) -> None:
        for value in self._index_funcs[name](obj):
            self._indices[name].setdefault(value, set()).add(key)

    def _unindex(self, key: str, obj: dict[str, Any]) -> None:
        for name, fn in self._index_funcs.items():
            index = self._indices[name]
            for value in fn(obj):
                keys = index.get(value)
                if keys is not None:
                    keys.discard(key)
                    if not keys:
                        del index[value]
