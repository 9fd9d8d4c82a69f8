"""Strategic merge patch (`Content-Type: application/strategic-merge-patch+json`).

Mirrors k8s.io/apimachinery/pkg/util/strategicpatch (StrategicMergeMapPatch), the
patch kind `kubectl apply`, `kubectl label/annotate/cordon/set image` and the
official clients send. It is JSON merge patch (RFC 7386: maps merge recursively,
`null` deletes a key) plus knowledge of the API's lists:

* A list the Go type tags `patchStrategy:"merge"` with `patchMergeKey:"name"` is
  merged element by element, matching elements on that key. So
  `{"spec":{"containers":[{"name":"c","image":"v2"}]}}` changes one container's
  image and keeps every other container and field. Every other list is atomic:
  the patch's list replaces it whole (tolerations, node taints, endpoints).
* A list of primitives with merge strategy (metadata.finalizers) is a set union.
* Directives: `$patch: replace|delete|merge` on a map or a list element,
  `$deleteFromPrimitiveList/<field>`, `$setElementOrder/<field>`, `$retainKeys`.

Kubernetes reads the strategies from the Go struct tags of its compiled-in types;
we keep them in an explicit table in patch_strategies.py.

Where Kubernetes' behaviour is surprising we keep it, and say so: without a
`$setElementOrder` list, elements the patch adds come *before* the existing ones
(kubectl apply always sends `$setElementOrder`, so its lists keep the order of
the manifest). We deliberately differ in three corners that Kubernetes leaves
undefined or leaks: a value added under a new key has its directives and nulls
processed instead of being stored verbatim; a map deleted with `$patch: delete`
loses its key instead of becoming `{}`; `$deleteFromPrimitiveList` on a list that
does not exist is a no-op instead of creating it.
"""
from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from minikube_py.api.meta import Obj
from minikube_py.api.patch_strategies import PatchMeta, merge_by, patch_strategies
from minikube_py.api.selectors import json_type_name

# PatchMeta and patch_strategies are re-exported: callers that compute patches
# (mkctl's three-way merge) use the same strategy table this module applies.
__all__ = ["PatchError", "PatchMeta", "apply_strategic_merge_patch", "patch_strategies"]

DIRECTIVE = "$patch"
RETAIN_KEYS = "$retainKeys"
SET_ELEMENT_ORDER = "$setElementOrder/"
DELETE_FROM_PRIMITIVE_LIST = "$deleteFromPrimitiveList/"


class PatchError(ValueError):
    """A strategic merge patch that cannot be applied (the API answers 400/422)."""


# --------------------------------------------------------------------------
# Applying a patch
# --------------------------------------------------------------------------

def apply_strategic_merge_patch(original: Obj, patch: Obj, api_version: str,
                                kind: str) -> Obj:
    """Return `original` with `patch` applied; neither input is modified.

    Raises PatchError for a patch that is not valid strategic merge patch.
    """
    if not isinstance(patch, dict):
        raise PatchError(f"a strategic merge patch must be a JSON object, not {json_type_name(patch)}")
    if not isinstance(original, dict):
        raise PatchError(f"the object to patch must be a JSON object, not {json_type_name(original)}")
    strategies = {tuple(path.split(".")): meta
                  for path, meta in patch_strategies(api_version, kind).items()}
    try:
        # Work on private copies: the merge may then reuse and rearrange their parts.
        result = _Merger(strategies).merge_map(copy.deepcopy(original), copy.deepcopy(patch), ())
    except RecursionError:
        raise PatchError("the patch or the object is nested too deeply") from None
    return {} if isinstance(result, _Deleted) else result


class _Deleted:
    """What merging a map that carries `$patch: delete` yields."""


DELETED = _Deleted()
Path = tuple[str, ...]


def _where(path: Path) -> str:
    return ".".join(path) or "<root>"


def _brief(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _scalar_identity(value: Any) -> tuple[str, Any] | None:
    """How elements compare, like Go's `==` on decoded JSON (1 and 1.0 are equal, true and 1 not)."""
    if isinstance(value, bool):
        return ("boolean", value)
    if isinstance(value, (int, float)):
        return ("number", value)
    if isinstance(value, str):
        return ("string", value)
    return None


@dataclass
class _Directives:
    """A patch map split into its plain fields and its per-field directives."""
    fields: dict[str, Any]
    element_orders: dict[str, list[Any]]        # $setElementOrder/<field>
    deletions: dict[str, list[Any]]             # $deleteFromPrimitiveList/<field>


class _Merger:
    """Applies one patch; `strategies` maps field paths to their PatchMeta.

    Works in place on private copies of the original and the patch.
    """

    def __init__(self, strategies: dict[Path, PatchMeta]) -> None:
        self.strategies = strategies

    # ----- maps -----------------------------------------------------------

    def merge_map(self, original: Obj, patch: Obj, path: Path) -> Obj | _Deleted:
        if DIRECTIVE in patch:
            directive = patch.pop(DIRECTIVE)
            if directive == "delete":
                return DELETED
            if directive == "replace":
                original = {}
            elif directive != "merge":
                raise PatchError(f"{_where(path)}: unknown {DIRECTIVE} directive {directive!r} "
                                 "(expected replace, delete or merge)")
        self.apply_retain_keys(original, patch, path)
        directives = self.split_directives(patch, path)
        for key, value in directives.fields.items():
            self.merge_field(original, key, value, path, directives)
        for key, order in directives.element_orders.items():
            if key not in directives.fields and isinstance(original.get(key), list):
                # Only the order changes: kubectl apply after reordering a manifest's list.
                child = path + (key,)
                meta = self.list_meta(child, directives)
                original[key] = self.apply_element_order(original[key], original[key], order,
                                                         child, meta)
        for key, values in directives.deletions.items():
            self.delete_primitives(original, key, values, path + (key,))
        return original

    def split_directives(self, patch: Obj, path: Path) -> _Directives:
        directives = _Directives({}, {}, {})
        for key, value in patch.items():
            if not isinstance(key, str):
                raise PatchError(f"{_where(path)}: object keys must be strings, not {key!r}")
            if key.startswith(SET_ELEMENT_ORDER):
                directives.element_orders[self.directive_field(key, value, path)] = value
            elif key.startswith(DELETE_FROM_PRIMITIVE_LIST):
                directives.deletions[self.directive_field(key, value, path)] = value
            elif key.startswith("$"):
                raise PatchError(f"{_where(path)}: unknown patch directive {key!r}")
            else:
                directives.fields[key] = value
        return directives

    @staticmethod
    def directive_field(key: str, value: Any, path: Path) -> str:
        field = key.partition("/")[2]
        if not field:
            raise PatchError(f"{_where(path)}: directive {key!r} names no field")
        if not isinstance(value, list):
            raise PatchError(f"{_where(path)}: {key} must be a list, not {json_type_name(value)}")
        return field

    @staticmethod
    def apply_retain_keys(original: Obj, patch: Obj, path: Path) -> None:
        """`$retainKeys`: drop every key of the original that the list does not name."""
        if RETAIN_KEYS not in patch:
            return
        retained = patch.pop(RETAIN_KEYS)
        if not isinstance(retained, list) or not all(isinstance(k, str) for k in retained):
            raise PatchError(f"{_where(path)}: {RETAIN_KEYS} must be a list of field names")
        for key, value in patch.items():
            if value is None or not isinstance(key, str) or key.startswith("$"):
                continue
            if key not in retained:
                raise PatchError(f"{_where(path)}: field {key!r} is set by the patch "
                                 f"but missing from its {RETAIN_KEYS} list")
        for key in [k for k in original if k not in retained]:
            del original[key]

    def merge_field(self, original: Obj, key: str, value: Any, path: Path,
                    directives: _Directives) -> None:
        if value is None:
            original.pop(key, None)
            return
        child = path + (key,)
        current = original.get(key)
        merged: Any
        if isinstance(value, dict):
            merged = self.merge_map(current if isinstance(current, dict) else {}, value, child)
        elif isinstance(value, list):
            merged = self.merge_list_field(current if isinstance(current, list) else [], value,
                                           child, directives)
        else:
            merged = value
        if merged is DELETED:
            original.pop(key, None)
        else:
            original[key] = merged

    # ----- lists ----------------------------------------------------------

    def list_meta(self, path: Path, directives: _Directives) -> PatchMeta | None:
        """The field's declared strategy; failing that, what its directives imply."""
        declared = self.strategies.get(path)
        if declared is not None:
            return declared
        order = directives.element_orders.get(path[-1])
        if order and all(isinstance(e, dict) and len(e) == 1 for e in order):
            keys = {next(iter(e)) for e in order}
            if len(keys) == 1:
                return merge_by(keys.pop())        # kubectl sent [{"name": ...}, ...]
        if order or path[-1] in directives.deletions:
            return PatchMeta("merge")
        return None

    def merge_list_field(self, original: list[Any], patch: list[Any], path: Path,
                         directives: _Directives) -> list[Any]:
        meta = self.list_meta(path, directives)
        if meta is None or not meta.merges_list:
            return patch                       # atomic list: replaced whole
        order = directives.element_orders.get(path[-1])
        if order is not None:
            self.check_patch_follows_order(patch, order, path, meta)
        if meta.merge_key is None:
            merged = self.merge_primitive_list(original, patch, path)
        else:
            merged = self.merge_keyed_list(original, patch, path, meta.merge_key)
        if order is not None:
            merged = self.apply_element_order(merged, original, order, path, meta)
        return merged

    def merge_keyed_list(self, original: list[Any], patch: list[Any], path: Path,
                         merge_key: str) -> list[Any]:
        """Merge lists of objects element by element, matching on `merge_key`."""
        for element in (*original, *patch):
            if not isinstance(element, dict):
                raise PatchError(f"{_where(path)}: list elements must be objects merged by "
                                 f"{merge_key!r}, found {json_type_name(element)}")
        to_delete, replace_list, items = self.split_list_directives(patch, path, merge_key)
        if replace_list:
            return [self.merged_element({}, item, path) for item in items]
        kept = [e for e in original if self.element_identity(e, merge_key) not in to_delete]
        merged = list(kept)
        for item in items:
            identity = self.element_identity(item, merge_key)
            index = next((i for i, e in enumerate(merged)
                          if self.element_identity(e, merge_key) == identity), None)
            if index is None:
                merged.append(self.merged_element({}, item, path))
            else:
                merged[index] = self.merged_element(merged[index], item, path)
        return _order_elements(merged, wanted=items, server=kept,
                               identity=lambda e: self.element_identity(e, merge_key))

    def split_list_directives(self, patch: list[Obj], path: Path,
                              merge_key: str) -> tuple[set[Any], bool, list[Obj]]:
        """(merge keys to delete, whether `$patch: replace` was given, the plain elements)."""
        to_delete: set[Any] = set()
        replace_list = False
        items = []
        for element in patch:
            self.require_merge_key(element, merge_key, path)
            directive = element.pop(DIRECTIVE, None)
            if directive == "delete":
                to_delete.add(self.element_identity(element, merge_key))
            elif directive == "replace":
                replace_list = True
            elif directive in (None, "merge"):
                items.append(element)
            else:
                raise PatchError(f"{_where(path)}: unknown {DIRECTIVE} directive {directive!r} "
                                 "in a list element (expected replace, delete or merge)")
        return to_delete, replace_list, items

    @staticmethod
    def require_merge_key(element: Obj, merge_key: str, path: Path) -> None:
        if element.get(DIRECTIVE) == "replace":
            return                             # [{"$patch": "replace"}, ...] needs no key
        if merge_key not in element:
            raise PatchError(f"{_where(path)}: element {_brief(element)} does not contain "
                             f"the merge key {merge_key!r}")
        if _scalar_identity(element[merge_key]) is None and element[merge_key] is not None:
            raise PatchError(f"{_where(path)}: merge key {merge_key!r} must be a string, "
                             f"number or boolean, not {json_type_name(element[merge_key])}")

    @staticmethod
    def element_identity(element: Obj, merge_key: str) -> Any:
        if merge_key in element and element[merge_key] is None:
            return ("null",)
        # An element without a usable key matches nothing but itself.
        return _scalar_identity(element.get(merge_key)) or ("unmatched", id(element))

    def merged_element(self, original: Obj, patch: Obj, path: Path) -> Obj:
        merged = self.merge_map(original, patch, path)
        return {} if isinstance(merged, _Deleted) else merged

    def merge_primitive_list(self, original: list[Any], patch: list[Any], path: Path) -> list[Any]:
        """A set union of strings (or numbers) that keeps the order Kubernetes gives it."""
        kinds = set()
        for element in (*original, *patch):
            identity = _scalar_identity(element)
            if identity is None:
                raise PatchError(f"{_where(path)}: a list merged as a set holds strings, numbers "
                                 f"or booleans, found {json_type_name(element)}")
            kinds.add(identity[0])
        if len(kinds) > 1:
            raise PatchError(f"{_where(path)}: list element types are not identical: {sorted(kinds)}")
        union = _unique([*original, *patch], _scalar_identity)
        return _order_elements(union, wanted=patch, server=original, identity=_scalar_identity)

    @staticmethod
    def delete_primitives(original: Obj, key: str, values: list[Any], path: Path) -> None:
        """`$deleteFromPrimitiveList/<field>`: remove these values from the list."""
        doomed = set()
        for value in values:
            identity = _scalar_identity(value)
            if identity is None:
                raise PatchError(f"{_where(path)}: {DELETE_FROM_PRIMITIVE_LIST}{key} must "
                                 f"list strings, numbers or booleans, found {json_type_name(value)}")
            doomed.add(identity)
        if isinstance(original.get(key), list):
            original[key] = [e for e in original[key] if _scalar_identity(e) not in doomed]

    # ----- $setElementOrder -----------------------------------------------

    def identity_for(self, meta: PatchMeta | None) -> Callable[[Any], Any]:
        """Elements of a merging list are identified by their merge key, primitives by value."""
        merge_key = meta.merge_key if meta else None
        if merge_key is None:
            return _scalar_identity
        return lambda e: (self.element_identity(e, merge_key) if isinstance(e, dict)
                          else ("unmatched", id(e)))

    def validate_order(self, order: list[Any], meta: PatchMeta | None, path: Path) -> None:
        merge_key = meta.merge_key if meta else None
        for element in order:
            if merge_key is None and _scalar_identity(element) is None:
                raise PatchError(f"{_where(path)}: {SET_ELEMENT_ORDER}{path[-1]} must list "
                                 f"strings, numbers or booleans, found {json_type_name(element)}")
            if merge_key is not None:
                if not isinstance(element, dict):
                    raise PatchError(f"{_where(path)}: {SET_ELEMENT_ORDER}{path[-1]} must list "
                                     f"objects holding the merge key {merge_key!r}")
                self.require_merge_key(element, merge_key, path)

    def check_patch_follows_order(self, patch: list[Any], order: list[Any], path: Path,
                                  meta: PatchMeta) -> None:
        """The patch's plain elements must appear in $setElementOrder, in the same order."""
        self.validate_order(order, meta, path)
        identity = self.identity_for(meta)
        remaining = iter([identity(e) for e in order])
        plain = [e for e in patch if not (isinstance(e, dict) and DIRECTIVE in e)]
        if not all(identity(e) in remaining for e in plain):
            raise PatchError(f"{_where(path)}: the order of the patch list does not match "
                             f"its {SET_ELEMENT_ORDER}{path[-1]} list")

    def apply_element_order(self, merged: list[Any], original: list[Any], order: list[Any],
                            path: Path, meta: PatchMeta | None) -> list[Any]:
        self.validate_order(order, meta, path)
        return _order_elements(merged, wanted=order, server=original,
                               identity=self.identity_for(meta))


def _order_elements(merged: list[Any], wanted: list[Any], server: list[Any],
                    identity: Callable[[Any], Any]) -> list[Any]:
    """Kubernetes' normalizeElementOrder + mergeSortedSlice.

    Elements named in `wanted` (the patch list, or `$setElementOrder`) come in
    that order; the others ("server-only" elements) keep their order in
    `server`. The two runs are then interleaved: a server-only element goes
    first only if it stood before the next wanted element in `server`, so
    elements new to the list land before the existing ones.
    """
    wanted_position = _first_positions(map(identity, wanted))
    server_position = _first_positions(map(identity, server))
    ids = [identity(e) for e in merged]
    patch_part = sorted((i for i in range(len(merged)) if ids[i] in wanted_position),
                        key=lambda i: wanted_position[ids[i]])
    server_part = sorted((i for i in range(len(merged)) if ids[i] not in wanted_position),
                         key=lambda i: server_position.get(ids[i], len(server)))
    result: list[int] = []
    while patch_part and server_part:
        left = server_position.get(ids[server_part[0]])
        right = server_position.get(ids[patch_part[0]])
        take_server = left is not None and right is not None and left < right
        result.append((server_part if take_server else patch_part).pop(0))
    result += server_part + patch_part
    return [merged[i] for i in result]


def _unique(elements: list[Any], identity: Callable[[Any], Any]) -> list[Any]:
    """The first element of each identity, in order."""
    seen: set[Any] = set()
    unique = []
    for element in elements:
        if identity(element) not in seen:
            seen.add(identity(element))
            unique.append(element)
    return unique


def _first_positions(identities: Iterable[Any]) -> dict[Any, int]:
    positions: dict[Any, int] = {}
    for index, identity in enumerate(identities):
        positions.setdefault(identity, index)
    return positions
