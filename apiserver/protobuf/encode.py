"""Encoding objects as Kubernetes' protobuf bodies, as Go clients do (the tests and the benchmark use it).

The server only decodes protobuf (decode.py) and always answers JSON; this is the
other direction: a JSON dict into the message classes of messages.py, written by
the protobuf library. Only what the dict holds is written (a Go client also
writes the zero values of non-pointer fields; decoding drops those again).
"""
from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson
from google.protobuf.message import Message

from minikube_py.api.times import parse_rfc3339

from .decode import ENVELOPE, MAGIC
from .messages import CLASSES
from .schema import MESSAGES, ROOTS

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _time_from_json(message: Message, value: str) -> None:
    delta = parse_rfc3339(value) - _EPOCH
    message.f1 = delta.days * 86400 + delta.seconds
    if delta.microseconds:
        message.f2 = delta.microseconds * 1000


def _int_or_string_from_json(message: Message, value: int | str) -> None:
    if isinstance(value, str):
        message.f1, message.f3 = 1, value
    else:
        message.f1, message.f2 = 0, value


SPECIAL: dict[str, Callable[[Message, Any], None]] = {
    "meta.v1.Time": _time_from_json,
    "meta.v1.MicroTime": _time_from_json,
    "resource.Quantity": lambda m, v: setattr(m, "f1", str(v)),
    "intstr.IntOrString": _int_or_string_from_json,
    "meta.v1.FieldsV1": lambda m, v: setattr(m, "f1", orjson.dumps(v)),
}


def _fill_value(message: Message, value: Any, type_name: str) -> None:
    special = SPECIAL.get(type_name)
    if special:
        special(message, value)
    else:
        json_to_message(message, value, type_name)
        message.SetInParent()        # present even when empty, as Go writes a struct


def _scalar_from_json(value: Any, type_name: str) -> Any:
    return base64.b64decode(value) if type_name == "bytes" else value


def json_to_message(message: Message, obj: dict[str, Any], name: str) -> None:
    for number, (json_name, type_name, shape) in MESSAGES[name].items():
        field = f"f{number}"
        if shape == "inline":
            _fill_value(getattr(message, field), obj, type_name)
            continue
        value = obj.get(json_name)
        if value is None:
            continue
        if type_name not in MESSAGES:
            if shape == "list":
                getattr(message, field).extend(_scalar_from_json(v, type_name) for v in value)
            elif shape == "map":
                getattr(message, field).update({k: _scalar_from_json(v, type_name) for k, v in value.items()})
            else:
                setattr(message, field, _scalar_from_json(value, type_name))
        elif shape == "list":
            for item in value:
                _fill_value(getattr(message, field).add(), item, type_name)
        elif shape == "map":
            for key, item in value.items():
                _fill_value(getattr(message, field)[key], item, type_name)
        else:
            _fill_value(getattr(message, field), value, type_name)


def encode_protobuf(obj: dict[str, Any]) -> bytes:
    """An object's JSON dict -> the `k8s\\0` + runtime.Unknown body a Go client sends."""
    api_version, kind = obj["apiVersion"], obj["kind"]
    name = ROOTS[(api_version, kind)]
    inner = CLASSES[name]()
    json_to_message(inner, obj, name)
    unknown = CLASSES[ENVELOPE]()
    unknown.f1.f1, unknown.f1.f2 = api_version, kind
    unknown.f2 = inner.SerializeToString()
    return MAGIC + unknown.SerializeToString()
