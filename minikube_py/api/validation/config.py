"""ConfigMaps and Secrets, as Kubernetes' ValidateConfigMap and ValidateSecret do it.

Both are key -> value maps that pods consume as environment variables or as
files in a volume, so keys must be usable as file names. Secret values travel
base64-encoded (`data`); `stringData` is the plain-text convenience form that
the server folds into `data` on write. Either may be marked `immutable: true`,
after which its contents can never change (kubelets then stop watching it).
"""
from __future__ import annotations

import base64
import binascii
from typing import Any

from .field import Cause, forbidden, immutable, invalid, key, required, too_long
from .names import config_key_problems
from .shapes import get_bool, get_object, get_str

MAX_TOTAL_BYTES = 1024 * 1024
REDACTED = "<secret contents redacted>"
# Secret types that promise certain keys to their readers.
REQUIRED_SECRET_KEYS = {
    "kubernetes.io/tls": ("tls.crt", "tls.key"),
    "kubernetes.io/dockerconfigjson": (".dockerconfigjson",),
    "kubernetes.io/dockercfg": (".dockercfg",),
    "kubernetes.io/ssh-auth": ("ssh-privatekey",),
}


def validate_config_map(config_map: dict[str, Any]) -> list[Cause]:
    errs: list[Cause] = []
    get_bool(config_map, "immutable", "", errs)
    data = _validate_keys(config_map, "data", errs)
    binary = _validate_keys(config_map, "binaryData", errs)
    size = 0
    for data_key, value in data.items():
        if not isinstance(value, str):
            errs.append(invalid(key("data", data_key), value, "must be a string"))
        else:
            size += len(data_key) + len(value.encode())
    for data_key, value in binary.items():
        decoded = _decoded(value)
        if data_key in data:
            errs.append(invalid(key("data", data_key), data_key, "duplicate of key present in binaryData"))
        if decoded is None:
            errs.append(invalid(key("binaryData", data_key), value, "must be base64-encoded"))
        else:
            size += len(data_key) + len(decoded)
    if size > MAX_TOTAL_BYTES:
        errs.append(too_long("", MAX_TOTAL_BYTES))
    return errs


def validate_secret(secret: dict[str, Any]) -> list[Cause]:
    errs: list[Cause] = []
    get_bool(secret, "immutable", "", errs)
    secret_type = get_str(secret, "type", "", errs)
    data = _validate_keys(secret, "data", errs)
    string_data = _validate_keys(secret, "stringData", errs)
    size = 0
    for data_key, value in data.items():
        decoded = _decoded(value)
        if decoded is None:
            errs.append(invalid(key("data", data_key), REDACTED, "must be base64-encoded"))
        else:
            size += len(decoded)
    for data_key, value in string_data.items():
        if not isinstance(value, str):
            errs.append(invalid(key("stringData", data_key), REDACTED, "must be a string"))
        else:
            size += len(value.encode())
    if size > MAX_TOTAL_BYTES:
        errs.append(too_long("data", MAX_TOTAL_BYTES))
    for required_key in REQUIRED_SECRET_KEYS.get(secret_type or "", ()):
        if required_key not in data and required_key not in string_data:
            errs.append(required(key("data", required_key)))
    return errs


def _validate_keys(obj: dict[str, Any], name: str, errs: list[Cause]) -> dict[str, Any]:
    """The `data`-like map `name`, after checking its keys (they become file names)."""
    entries = get_object(obj, name, "", errs)
    for entry_key in entries:
        errs.extend(invalid(name, entry_key, problem) for problem in config_key_problems(entry_key))
    return entries


def _decoded(value: Any) -> bytes | None:
    """Standard base64 (what Go's encoding/json uses for []byte; it skips line breaks), or None."""
    if not isinstance(value, str):
        return None
    try:
        return base64.b64decode(value.replace("\r", "").replace("\n", ""), validate=True)
    except (binascii.Error, ValueError):
        return None


def validate_immutable_data_update(new: dict[str, Any], old: dict[str, Any]) -> list[Cause]:
    """Once `immutable: true`, the data and the flag itself are frozen (Secrets and ConfigMaps alike)."""
    if old.get("immutable") is not True:
        return []
    message = "field is immutable when `immutable` is set"
    errs = [forbidden(name, message) for name in ("data", "binaryData", "stringData")
            if new.get(name) != old.get(name) and (new.get(name) or old.get(name))]
    if new.get("immutable") is not True:
        errs.append(forbidden("immutable", message))
    return errs


def validate_secret_type_update(new: dict[str, Any], old: dict[str, Any]) -> list[Cause]:
    """Readers of a Secret rely on its type (what keys it holds), so the type never changes."""
    return immutable("type", new.get("type"), old.get("type"))

