"""Kubernetes' protobuf serializer (k8s.io/apimachinery/pkg/runtime/serializer/protobuf).

A protobuf body is 4 magic bytes, then a `runtime.Unknown` message:

    "k8s\\0" | Unknown{ typeMeta{apiVersion=1, kind=2} = 1, raw = 2, contentEncoding = 3, contentType = 4 }

`raw` is the object itself, encoded with its type's message (which has no TypeMeta:
the envelope carries apiVersion and kind). Decoding turns the object into the same
dict its JSON form gives, so the request then runs the pipeline JSON requests run.

The mapping message -> JSON follows the Go types both encodings come from:
- a field is written on the wire whenever the Go value is set, and a Go struct
  always writes its non-pointer fields, so a zero value such as `uid: ""` arrives
  on the wire; JSON's `omitempty` drops it, and so do we (shape "" in the table);
  a pointer (`*int32 replicas` set to 0) keeps its zero (shape "keep");
- a few messages have their own JSON form (SPECIAL below): Time as an RFC 3339
  string (null when zero), MicroTime with microseconds, Quantity as its string,
  IntOrString as a number or a string, FieldsV1 as the JSON object it holds;
- `bytes` (a Secret's data) is base64 text, as Go's encoding/json writes []byte.
"""
from __future__ import annotations

import base64
from datetime import datetime, timezone
from typing import Any, Callable

import orjson
from google.protobuf.message import DecodeError, Message

from minikube_py.api import errors

from .messages import CLASSES
from .schema import MESSAGES, ROOTS

MAGIC = b"k8s\x00"
ENVELOPE = "runtime.Unknown"
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


# --------------------------------------------------------------------------
# The messages with a JSON form of their own: message -> (to JSON, from JSON)
# --------------------------------------------------------------------------


def _time_to_json(message: Message, layout: str) -> str | None:
    if message.ByteSize() == 0:
        return None                 # Go writes its zero time.Time as an empty message; JSON null
    moment = datetime.fromtimestamp(message.f1, timezone.utc).replace(microsecond=message.f2 // 1000)
    return moment.strftime(layout)


def _time_from_json(message: Message, value: str) -> None:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    delta = moment - _EPOCH
    message.f1 = delta.days * 86400 + delta.seconds
    if delta.microseconds:
        message.f2 = delta.microseconds * 1000


def _int_or_string_from_json(message: Message, value: int | str) -> None:
    if isinstance(value, str):
        message.f1, message.f3 = 1, value
    else:
        message.f1, message.f2 = 0, value


ToJson = Callable[[Message], Any]
FromJson = Callable[[Message, Any], None]
SPECIAL: dict[str, tuple[ToJson, FromJson]] = {
    "meta.v1.Time": (lambda m: _time_to_json(m, "%Y-%m-%dT%H:%M:%SZ"), _time_from_json),
    "meta.v1.MicroTime": (lambda m: _time_to_json(m, "%Y-%m-%dT%H:%M:%S.%fZ"), _time_from_json),
    "resource.Quantity": (lambda m: m.f1, lambda m, v: setattr(m, "f1", str(v))),
    "intstr.IntOrString": (lambda m: m.f3 if m.f1 == 1 else m.f2, _int_or_string_from_json),
    "meta.v1.FieldsV1": (lambda m: orjson.loads(m.f1) if m.f1 else {},
                         lambda m, v: setattr(m, "f1", orjson.dumps(v))),
}


# --------------------------------------------------------------------------
# message -> JSON dict
# --------------------------------------------------------------------------


def _value_to_json(value: Any, type_name: str) -> Any:
    if type_name == "bytes":
        return base64.b64encode(value).decode()
    if type_name not in MESSAGES:
        return value                    # string, bool, int32, int64, ...
    special = SPECIAL.get(type_name)
    return special[0](value) if special else message_to_json(value, type_name)


def message_to_json(message: Message, name: str) -> dict[str, Any]:
    fields = MESSAGES[name]
    out: dict[str, Any] = {}
    for descriptor, value in message.ListFields():
        json_name, type_name, shape = fields[descriptor.number]
        if shape == "list":
            out[json_name] = [_value_to_json(item, type_name) for item in value]
        elif shape == "map":
            out[json_name] = {key: _value_to_json(item, type_name) for key, item in value.items()}
        elif shape == "inline":
            out.update(message_to_json(value, type_name))
        elif shape == "keep" or value or type_name in MESSAGES:    # "": JSON's omitempty drops zeros
            out[json_name] = _value_to_json(value, type_name)
    return out


def decode_protobuf(body: bytes) -> dict[str, Any]:
    """A `k8s\\0`-prefixed protobuf body -> the object's JSON dict (400 BadRequest when it is not one)."""
    if not body.startswith(MAGIC):
        raise errors.bad_request("error decoding protobuf body: it does not start with the k8s\\0 prefix")
    try:
        unknown = CLASSES[ENVELOPE].FromString(body[len(MAGIC):])
        api_version, kind = unknown.f1.f1, unknown.f1.f2
        if unknown.f3:
            raise errors.bad_request(f"error decoding protobuf body: contentEncoding {unknown.f3!r} is not "
                                     "supported")
        name = ROOTS.get((api_version, kind))
        if name is None:
            raise errors.bad_request(f'no kind "{kind}" is registered for version "{api_version}" '
                                     "in the protobuf encoding")
        obj = message_to_json(CLASSES[name].FromString(unknown.f2), name)
    except (DecodeError, UnicodeDecodeError, RecursionError, ValueError, OverflowError, OSError) as e:
        raise errors.bad_request(f"error decoding protobuf body: {e}") from e
    return {"kind": kind, "apiVersion": api_version, **obj}


# --------------------------------------------------------------------------
# JSON dict -> message (what clients do; the tests and the benchmark use it)
# --------------------------------------------------------------------------


def _fill_value(message: Message, value: Any, type_name: str) -> None:
    special = SPECIAL.get(type_name)
    if special:
        special[1](message, value)
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
