"""Walks of typed values (SMD's typed.TypedValue): field sets, comparison, merge, removal.

A value's type at each point comes from TypeSchema: objects are granular
(each field on its own) unless atomic; lists are atomic, sets or maps (see
schema.py). The rules follow SMD's walkers:

- field_set (ToFieldSet): every scalar, every atomic list or object, every
  empty object and every item of a set or map-list is a member; an object's
  fields are prefixes of their members only.
- changed (Compare's Added + Modified): the members of the new value that are
  new or hold another value than in the old one.
- merge (Merge): an apply configuration merged into the live object: objects
  field by field, map-lists item by item on their keys, sets by value, atomic
  values replaced; a null in the configuration removes the field.
- remove (RemoveItems): drop one member path from a value, in place.
"""
from __future__ import annotations

from typing import Any

from . import fieldpath
from .fieldpath import SELF, FieldSet
from .schema import KEY_DEFAULTS, TypeSchema


def _child(spath: str, name: str) -> str:
    return f"{spath}.{name}" if spath else name


def item_element(item: Any, spath: str, schema: TypeSchema) -> str | None:
    """The path element of a list item (k:{...} or v:...), None in an atomic list."""
    list_type = schema.list_type(spath)
    if list_type.kind == "set":
        return fieldpath.value_element(item)
    if list_type.kind == "map" and isinstance(item, dict):
        keys = {}
        for key in list_type.keys:
            value = item.get(key, KEY_DEFAULTS.get(key))
            if value is not None:
                keys[key] = value
        return fieldpath.key_element(keys)
    return None


def _granular_list(value: Any, spath: str, schema: TypeSchema) -> bool:
    return isinstance(value, list) and bool(value) and schema.list_type(spath).kind != "atomic"


def _granular_object(value: Any, spath: str, schema: TypeSchema) -> bool:
    return isinstance(value, dict) and bool(value) and not schema.is_atomic_object(spath)


def field_set(value: Any, schema: TypeSchema, spath: str = "") -> FieldSet:
    """The members below `value` (an empty result: `value` itself is a leaf)."""
    if _granular_object(value, spath, schema):
        return {fieldpath.field(name): field_set(child, schema, _child(spath, name)) for name, child in value.items()}
    if _granular_list(value, spath, schema):
        out: FieldSet = {}
        for item in value:
            element = item_element(item, spath, schema)
            if element is not None:
                below = field_set(item, schema, spath)
                out[element] = {SELF: {}, **below} if below else {}
        return out
    return {}


def changed(old: Any, new: Any, schema: TypeSchema, spath: str = "",
            removed: list[bool] | None = None) -> FieldSet | None:
    """Members of `new` added or modified relative to `old`: None when nothing changed,
    {} when `new` itself is a changed leaf. Something of `old` missing from `new`
    appends True to `removed` (SMD's Compare.Removed, needed only as a yes/no)."""
    if old == new:                  # one C-level comparison skips every unchanged subtree
        return None
    if _granular_object(new, spath, schema) and isinstance(old, dict):
        if removed is not None and not old.keys() <= new.keys():
            removed.append(True)
        out: FieldSet = {}
        for name, child in new.items():
            child_spath = _child(spath, name)
            if name not in old:
                out[fieldpath.field(name)] = field_set(child, schema, child_spath)
            else:
                diff = changed(old[name], child, schema, child_spath, removed)
                if diff is not None:
                    out[fieldpath.field(name)] = diff
        return out or None
    if _granular_list(new, spath, schema) and isinstance(old, list):
        before = {item_element(item, spath, schema): item for item in old}
        out = {}
        for item in new:
            element = item_element(item, spath, schema)
            if element is None:
                continue
            if element not in before:
                below = field_set(item, schema, spath)
                out[element] = {SELF: {}, **below} if below else {}
            else:
                diff = changed(before.pop(element), item, schema, spath, removed)
                if diff is not None:
                    out[element] = diff if diff else {}
        if removed is not None and before:
            removed.append(True)
        return out or None
    if removed is not None and isinstance(old, (dict, list)) and old:
        removed.append(True)        # a granular value became a leaf: its members are gone
    return {}


def merge(live: Any, config: Any, schema: TypeSchema, spath: str = "") -> Any:
    """`config` merged into `live` (a new value; neither input is changed)."""
    if isinstance(config, dict) and isinstance(live, dict) and not schema.is_atomic_object(spath):
        result = dict(live)
        for name, value in config.items():
            if value is None:
                result.pop(name, None)
            elif name in live:
                result[name] = merge(live[name], value, schema, _child(spath, name))
            else:
                result[name] = value
        return result
    if isinstance(config, list) and isinstance(live, list) and schema.list_type(spath).kind != "atomic":
        wanted = {item_element(item, spath, schema): item for item in config}
        merged, seen = [], set()
        for item in live:
            element = item_element(item, spath, schema)
            if element in wanted:
                merged.append(merge(item, wanted[element], schema, spath))
                seen.add(element)
            else:
                merged.append(item)
        merged.extend(item for item in config if item_element(item, spath, schema) not in seen)
        return merged
    return config


def existing(fs: FieldSet, value: Any, schema: TypeSchema, spath: str = "") -> FieldSet:
    """The members of `fs` whose path is still in `value` (walks only the set's paths)."""
    result: FieldSet = {}
    items: dict[str | None, Any] | None = None
    for element, below in fs.items():
        if element == SELF:
            result[SELF] = {}
            continue
        if element.startswith("f:"):
            name = element[2:]
            if not isinstance(value, dict) or name not in value:
                continue
            child, child_spath = value[name], _child(spath, name)
        else:
            if not isinstance(value, list):
                continue
            if items is None:
                items = {item_element(item, spath, schema): item for item in value}
            if element not in items:
                continue
            child, child_spath = items[element], spath
        kept = existing(below, child, schema, child_spath) if below else {}
        if kept or fieldpath.is_member(below):
            if kept and fieldpath.is_member(below):
                kept[SELF] = {}
            result[element] = kept
    if list(result) == [SELF]:
        return {}
    return result


def remove(value: Any, path: tuple[str, ...], schema: TypeSchema, spath: str = "") -> None:
    """Remove the member `path` from `value` in place (no-op when it is not there). An object
    or list left empty by it goes too, as Go's `omitempty` drops it from Kubernetes' answer."""
    element, rest = path[0], path[1:]
    if element.startswith("f:"):
        name = element[2:]
        if not isinstance(value, dict) or name not in value:
            return
        if rest:
            remove(value[name], rest, schema, _child(spath, name))
        if not rest or value[name] in ({}, []):
            del value[name]
        return
    if not isinstance(value, list):
        return
    for index, item in enumerate(value):
        if item_element(item, spath, schema) == element:
            if rest:
                remove(item, rest, schema, spath)
            if not rest or item in ({}, []):
                del value[index]
            return


def lookup(value: Any, path: tuple[str, ...], schema: TypeSchema, spath: str = "") -> tuple[bool, Any]:
    """(found, value) at a member path."""
    for element in path:
        if element.startswith("f:"):
            name = element[2:]
            if not isinstance(value, dict) or name not in value:
                return False, None
            value, spath = value[name], _child(spath, name)
            continue
        if not isinstance(value, list):
            return False, None
        matches = [item for item in value if item_element(item, spath, schema) == element]
        if not matches:
            return False, None
        value = matches[0]
    return True, value
