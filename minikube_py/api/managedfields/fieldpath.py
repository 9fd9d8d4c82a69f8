"""Field sets: SMD's fieldpath.Set, stored directly in Kubernetes' FieldsV1 encoding.

A path to a field is a list of path elements, each serialized as in FieldsV1:

    f:<name>             a field of an object (struct or map)       f:spec, f:replicas
    k:<json object>      an item of an associative list, by its keys k:{"name":"web"}
    v:<json value>       an item of a set (list of unique scalars)   v:"example.com/x"
    i:<index>            an item of an atomic list (never stored: atomic lists are leaves)

A set of paths is a trie; in FieldsV1 it is a JSON object whose keys are path
elements and whose values are the sub-tries, where the key "." marks that the
path to that node is itself a member (not only a prefix of members):

    {"f:metadata": {"f:labels": {"f:app": {}}},
     "f:spec": {"f:containers": {"k:{\\"name\\":\\"web\\"}": {".": {}, "f:image": {}}}}}

We keep sets in exactly that shape (nested dicts), so encoding and decoding
managedFields is free. A node with no children is a member ("f:image": {}).
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson

FieldSet = dict[str, Any]
SELF = "."


def field(name: str) -> str:
    return "f:" + name


def key_element(keys: dict[str, Any]) -> str:
    """k:{...}: the item's key fields, sorted by name, compact JSON (as SMD serializes them)."""
    return "k:" + orjson.dumps(keys, option=orjson.OPT_SORT_KEYS).decode()


def value_element(value: Any) -> str:
    return "v:" + orjson.dumps(value).decode()


def is_member(node: FieldSet) -> bool:
    return not node or SELF in node


def members(fs: FieldSet, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every member path, depth first in key order."""
    for element in sorted(k for k in fs if k != SELF):
        child = fs[element]
        path = (*prefix, element)
        if is_member(child):
            yield path
        yield from members(child, path)


def union(a: FieldSet, b: FieldSet) -> FieldSet:
    if not a:
        return _copy(b)
    if not b:
        return _copy(a)
    result: FieldSet = {}
    for element in a.keys() | b.keys():
        if element == SELF:
            result[SELF] = {}
        elif element not in b:
            result[element] = _copy(a[element])
        elif element not in a:
            result[element] = _copy(b[element])
        else:
            left, right = a[element], b[element]
            merged = union(left, right)
            if merged and (is_member(left) or is_member(right)):
                merged[SELF] = {}
            result[element] = merged
    return result


def difference(a: FieldSet, b: FieldSet) -> FieldSet:
    """The members of `a` that are not members of `b`."""
    return _select(a, b, keep_unmatched=True, keep_self=lambda left, right: not is_member(right))


def intersection(a: FieldSet, b: FieldSet) -> FieldSet:
    """The members of both."""
    return _select(a, b, keep_unmatched=False, keep_self=lambda left, right: is_member(right))


def _select(a: FieldSet, b: FieldSet, keep_unmatched: bool, keep_self: Any) -> FieldSet:
    """Walk `a` against `b`: subtrees of `a` that `b` lacks are kept or dropped whole; where both
    have a node, `keep_self(left, right)` decides whether `a`'s member there stays."""
    result: FieldSet = {}
    for element, left in a.items():
        if element == SELF:
            continue
        right = b.get(element)
        if right is None:
            if keep_unmatched:
                result[element] = _copy(left)
            continue
        rest = _select(left, right, keep_unmatched, keep_self) if left and right else (
            _copy(left) if keep_unmatched and left else {})
        rest.pop(SELF, None)
        member = is_member(left) and keep_self(left, right)
        if rest or member:
            if member and rest:
                rest[SELF] = {}
            result[element] = rest
    return result


def without(fs: FieldSet, removed: FieldSet) -> FieldSet:
    """difference() for a small `removed`: walks only its paths and shares every untouched
    subtree of `fs` (returns `fs` itself when nothing goes). Sets are never changed in place."""
    result = fs
    for element, gone in removed.items():
        if element == SELF or element not in fs:
            continue
        node = fs[element]
        if is_member(gone) and not (node and set(node) - {SELF}):
            replacement = None                               # the member itself goes, nothing below it
        elif is_member(gone):
            replacement = {k: v for k, v in without(node, gone).items() if k != SELF}
        else:
            replacement = without(node, gone) if node else node
            if replacement is node:
                continue
            if replacement == {SELF: {}}:
                replacement = {}
        if result is fs:
            result = dict(fs)
        if replacement is None or (not replacement and not is_member(node)) or \
                (not replacement and is_member(gone)):
            del result[element]
        else:
            result[element] = replacement
    return result


def owns_under(fs: FieldSet, path: tuple[str, ...]) -> bool:
    """Whether `fs` has the member `path` or any member below it."""
    node = fs
    for element in path:
        if element not in node:
            return False
        node = node[element]
    return True


def path_string(path: tuple[str, ...]) -> str:
    """SMD's fieldpath.Path.String(): .spec.containers[name="web"].image, .metadata.finalizers[="x"]."""
    out = []
    for element in path:
        kind, rest = element[:2], element[2:]
        if kind == "f:":
            out.append("." + rest)
        elif kind == "k:":
            keys = orjson.loads(rest)
            out.append("[" + ",".join(f"{k}={orjson.dumps(v).decode()}" for k, v in sorted(keys.items())) + "]")
        elif kind == "v:":
            out.append("[=" + rest + "]")
        else:
            out.append("[" + rest + "]")
    return "".join(out)


def sorted_set(fs: FieldSet) -> FieldSet:
    """A copy with keys in serialization order ("." first, then fields, keys, values), as SMD writes."""
    return {k: sorted_set(fs[k]) for k in sorted(fs)}


def _copy(fs: FieldSet) -> FieldSet:
    return {k: _copy(v) for k, v in fs.items()}
