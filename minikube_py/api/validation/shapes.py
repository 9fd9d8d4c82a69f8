"""Reading JSON values of the expected shape, without ever raising.

In Kubernetes the JSON decoder turns the body into Go structs first, so a string
where a list belongs fails before validation runs. We validate the raw JSON, so
each read checks the type: a wrong type becomes a field error naming the field
and the read returns an empty value, letting validation carry on. A missing
field and JSON `null` both read as "not set", like a nil pointer in Go.

Every getter appends type errors to the caller's `errs` list and returns what
the rest of the validation can safely use.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .field import Cause, child, index, invalid, key, required

_INT_LIMITS = {32: 2**31 - 1, 64: 2**63 - 1}


def get_object(parent: dict[str, Any], name: str, path: str, errs: list[Cause]) -> dict[str, Any]:
    """parent[name] as a JSON object; {} when absent, null or of another type."""
    value = parent.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        errs.append(invalid(child(path, name), value, "must be an object"))
        return {}
    return value


def get_list(parent: dict[str, Any], name: str, path: str, errs: list[Cause]) -> list[Any]:
    """parent[name] as a JSON array; [] when absent, null or of another type."""
    return as_list(parent.get(name), child(path, name), errs)


def get_required_list(parent: dict[str, Any], name: str, path: str, errs: list[Cause]) -> list[Any]:
    """Like get_list, and an absent or empty list is reported as Required."""
    value = parent.get(name)
    if value is None or value == []:
        errs.append(required(child(path, name)))
        return []
    return as_list(value, child(path, name), errs)


def as_list(value: Any, path: str, errs: list[Cause]) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        errs.append(invalid(path, value, "must be an array"))
        return []
    return value


def get_str(parent: dict[str, Any], name: str, path: str, errs: list[Cause]) -> str | None:
    """parent[name] as a string; None when absent, null or of another type."""
    return as_str(parent.get(name), child(path, name), errs)


def get_required_str(parent: dict[str, Any], name: str, path: str, errs: list[Cause]) -> str | None:
    """Like get_str, and an absent or empty string is reported as Required."""
    value = parent.get(name)
    if value is None or value == "":
        errs.append(required(child(path, name)))
        return None
    return as_str(value, child(path, name), errs)


def as_str(value: Any, path: str, errs: list[Cause]) -> str | None:
    if value is None or isinstance(value, str):
        return value
    errs.append(invalid(path, value, "must be a string"))
    return None


def get_int(parent: dict[str, Any], name: str, path: str, errs: list[Cause], bits: int = 32) -> int | None:
    """parent[name] as a (32- or 64-bit signed) integer; None when absent, null or not an integer."""
    return as_int(parent.get(name), child(path, name), errs, bits)


def as_int(value: Any, path: str, errs: list[Cause], bits: int = 32) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        errs.append(invalid(path, value, "must be an integer"))
        return None
    limit = _INT_LIMITS[bits]
    if not -limit - 1 <= value <= limit:
        errs.append(invalid(path, value, f"must fit in a {bits}-bit signed integer"))
        return None
    return value


def get_bool(parent: dict[str, Any], name: str, path: str, errs: list[Cause]) -> bool | None:
    value = parent.get(name)
    if value is None or isinstance(value, bool):
        return value
    errs.append(invalid(child(path, name), value, "must be a boolean"))
    return None


def as_str_map(value: Any, path: str, errs: list[Cause]) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        errs.append(invalid(path, value, "must be an object"))
        return {}
    strings = {}
    for map_key, item in value.items():
        if isinstance(item, str):
            strings[map_key] = item
        else:
            errs.append(invalid(key(path, map_key), item, "must be a string"))
    return strings


def objects_in(items: list[Any], path: str, errs: list[Cause]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(item path, item) for each element of a list of objects; other elements are reported."""
    for position, item in enumerate(items):
        item_path = index(path, position)
        if isinstance(item, dict):
            yield item_path, item
        else:
            errs.append(invalid(item_path, item, "must be an object"))


def strings_in(items: list[Any], path: str, errs: list[Cause]) -> Iterator[tuple[str, str]]:
    """(item path, item) for each element of a list of strings; other elements are reported."""
    for position, item in enumerate(items):
        item_path = index(path, position)
        if isinstance(item, str):
            yield item_path, item
        else:
            errs.append(invalid(item_path, item, "must be a string"))


def get_int_or_str(parent: dict[str, Any], name: str, path: str, errs: list[Cause]) -> int | str | None:
    """An IntOrString field (ports, maxSurge): an integer or a string."""
    value = parent.get(name)
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool) or not isinstance(value, int):
        errs.append(invalid(child(path, name), value, "must be an integer or a string"))
        return None
    return as_int(value, child(path, name), errs)


def fields_set(parent: dict[str, Any], names: tuple[str, ...]) -> list[str]:
    """Which of these (mutually exclusive) fields are set: for "exactly one of" rules."""
    return [name for name in names if parent.get(name) is not None]


def dig(value: Any, *names: str) -> dict[str, Any]:
    """value[names[0]][names[1]]... as an object, or {} if any step is missing or not an object.

    For cross-field rules that run after the fields themselves were validated
    (their type errors are already reported, so here a wrong type just means "skip").
    """
    for name in names:
        value = value.get(name) if isinstance(value, dict) else None
    return value if isinstance(value, dict) else {}
