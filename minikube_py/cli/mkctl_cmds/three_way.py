"""The patch `kubectl apply` sends: a three-way strategic merge patch.

Mirrors k8s.io/apimachinery/pkg/util/strategicpatch CreateThreeWayMergePatch.
Three versions of the object take part:

* original - what the last `apply` sent, kept by kubectl in the annotation
  `kubectl.kubernetes.io/last-applied-configuration`;
* modified - the manifest being applied now;
* current  - the live object on the server (defaults, status, and fields that
  other clients such as `mkctl scale` or controllers set).

The patch is the union of two diffs:

* current -> modified, additions and changes only: make the live object say
  what the manifest says;
* original -> modified, deletions only: remove what the *previous* manifest
  set and this one no longer does. Fields that never were in a manifest
  (set by someone else) are left alone, which a plain "make it equal" would not.

Lists the API declares mergeable (containers by name, ports by containerPort,
env by name, ...) are diffed element by element: a changed element is sent with
its merge key, a removed one as `{"name": "x", "$patch": "delete"}`, and
`$setElementOrder/<field>` keeps the manifest's order. All other lists are
atomic and sent whole. The server applies the result with
minikube_py.api.strategic_merge.
"""
from __future__ import annotations

import copy
import json
from typing import Any

from minikube_py.api.strategic_merge import PatchMeta, patch_strategies

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
SET_ORDER = "$setElementOrder/"
DELETE_PRIMITIVES = "$deleteFromPrimitiveList/"

Path = tuple[str, ...]
Strategies = dict[Path, PatchMeta]


def strategies_for(api_version: str, kind: str) -> Strategies:
    return {tuple(path.split(".")): meta for path, meta in patch_strategies(api_version, kind).items()}


def with_last_applied(manifest: dict[str, Any]) -> dict[str, Any]:
    """The manifest plus its own JSON in the last-applied annotation, as kubectl stores it
    (keys sorted, `annotations: {}` kept, a trailing newline)."""
    obj = copy.deepcopy(manifest)
    annotations = obj.setdefault("metadata", {}).setdefault("annotations", {})
    annotations.pop(LAST_APPLIED, None)
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"
    result = copy.deepcopy(obj)
    result["metadata"]["annotations"][LAST_APPLIED] = text
    return result


def last_applied(live: dict[str, Any]) -> dict[str, Any] | None:
    """The previous manifest recorded on the live object, or None if there is none."""
    text = (live.get("metadata", {}).get("annotations") or {}).get(LAST_APPLIED)
    if not text:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def three_way_patch(original: dict | None, modified: dict, current: dict, strategies: Strategies) -> dict:
    """The strategic merge patch that takes `current` to `modified`, deleting what `original` had."""
    changes = _Differ(strategies, ignore_deletions=True).maps(current, modified, ())
    deletions = _Differ(strategies, ignore_changes=True).maps(original or {}, modified, ())
    return merge_patches(deletions, changes, strategies)


class _Differ:
    """One direction of the diff: either only additions/changes, or only deletions."""

    def __init__(self, strategies: Strategies, *, ignore_deletions: bool = False,
                 ignore_changes: bool = False) -> None:
        self.strategies = strategies
        self.ignore_deletions = ignore_deletions
        self.ignore_changes = ignore_changes

    def maps(self, old: dict, new: dict, path: Path) -> dict:
        patch: dict[str, Any] = {}
        for key, new_value in new.items():
            field = path + (key,)
            if key not in old:
                if not self.ignore_changes:
                    patch[key] = new_value
            elif isinstance(old[key], dict) and isinstance(new_value, dict):
                if sub := self.maps(old[key], new_value, field):
                    patch[key] = sub
            elif isinstance(old[key], list) and isinstance(new_value, list) and self._merges(field):
                patch.update(self.lists(key, old[key], new_value, field))
            elif old[key] != new_value or type(old[key]) is not type(new_value):
                if not self.ignore_changes:
                    patch[key] = new_value
        if not self.ignore_deletions:
            patch.update({key: None for key in old if key not in new})
        return patch

    def lists(self, key: str, old: list, new: list, field: Path) -> dict:
        """The patch entries for one mergeable list (may be empty)."""
        merge_key = self.strategies[field].merge_key
        if merge_key is None:
            return self._primitive_list(key, old, new)
        if not all(isinstance(e, dict) and merge_key in e for e in old + new):
            return {} if old == new or self.ignore_changes else {key: new}
        old_by_key = {e[merge_key]: e for e in old}
        new_keys = [e[merge_key] for e in new]
        elements: list[dict] = []
        for element in new:
            previous = old_by_key.get(element[merge_key])
            if previous is None:
                if not self.ignore_changes:
                    elements.append(element)
            elif sub := self.maps(previous, element, field):
                elements.append({merge_key: element[merge_key], **sub})
        if not self.ignore_deletions:
            elements += [{merge_key: k, "$patch": "delete"} for k in old_by_key if k not in new_keys]
        if not elements:
            return {}
        return {SET_ORDER + key: [{merge_key: k} for k in new_keys], key: elements}

    def _primitive_list(self, key: str, old: list, new: list) -> dict:
        added = [] if self.ignore_changes else [v for v in new if v not in old]
        removed = [] if self.ignore_deletions else [v for v in old if v not in new]
        patch: dict[str, Any] = {}
        if added:
            patch[key] = added
        if removed:
            patch[DELETE_PRIMITIVES + key] = removed
        if patch:
            patch[SET_ORDER + key] = list(new)
        return patch

    def _merges(self, field: Path) -> bool:
        meta = self.strategies.get(field)
        return meta is not None and meta.merges_list


def merge_patches(first: dict, second: dict, strategies: Strategies, path: Path = ()) -> dict:
    """Combine two patches of the same object; on a plain conflict `second` wins."""
    merged = copy.deepcopy(first)
    for key, value in second.items():
        field = path + (key,)
        if key not in merged:
            merged[key] = value
        elif isinstance(merged[key], dict) and isinstance(value, dict):
            merged[key] = merge_patches(merged[key], value, strategies, field)
        elif isinstance(merged[key], list) and isinstance(value, list):
            merged[key] = _merge_patch_lists(merged[key], value, strategies.get(field), strategies, field)
        else:
            merged[key] = value
    return merged


def _merge_patch_lists(first: list, second: list, meta: PatchMeta | None,
                       strategies: Strategies, field: Path) -> list:
    merge_key = meta.merge_key if meta and meta.merges_list else None
    if merge_key is None:                       # directive lists and primitive sets: union
        return first + [v for v in second if v not in first]
    by_key = {e.get(merge_key): e for e in first if isinstance(e, dict)}
    result = list(first)
    for element in second:
        k = element.get(merge_key) if isinstance(element, dict) else None
        if k in by_key:
            result[result.index(by_key[k])] = merge_patches(by_key[k], element, strategies, field)
        else:
            result.append(element)
    return result
