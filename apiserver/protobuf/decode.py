"""Decoding Kubernetes' protobuf bodies (k8s.io/apimachinery/pkg/runtime/serializer/protobuf).

A protobuf body is 4 magic bytes, then a `runtime.Unknown` message:

    "k8s\\0" | Unknown{ typeMeta{apiVersion=1, kind=2} = 1, raw = 2, contentEncoding = 3, contentType = 4 }

`raw` is the object itself, encoded with its type's message (which has no TypeMeta:
the envelope carries apiVersion and kind). The protobuf library parses the wire
format with the message classes of messages.py; we then turn the message into the
same dict the object's JSON form gives, so the request runs the pipeline JSON
requests run.

The mapping message -> JSON follows the Go types both encodings come from:
- Go writes every non-pointer field of a struct, so a zero value such as
  `uid: ""` arrives on the wire; JSON's `omitempty` drops it, and so do we
  (shape "" in the table); a pointer (`*int32 replicas` set to 0) keeps its zero
  (shape "keep");
- a few messages have their own JSON form (SPECIAL below): Time as an RFC 3339
  string (null when zero), MicroTime with microseconds, Quantity as its string,
  IntOrString as a number or a string, FieldsV1 as the JSON object it holds;
- `bytes` (a Secret's data) is base64 text, as Go's encoding/json writes []byte.
"""
from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson
from google.protobuf.message import DecodeError, Message

from minikube_py.api import errors
from minikube_py.api.times import MICROTIME_FORMAT, TIME_FORMAT

from .messages import CLASSES
from .schema import MESSAGES, ROOTS

MAGIC = b"k8s\x00"
ENVELOPE = "runtime.Unknown"


# --------------------------------------------------------------------------
# The messages with a JSON form of their own
# --------------------------------------------------------------------------


def _time_to_json(message: Message, layout: str) -> str | None:
    if message.ByteSize() == 0:
        return None                 # Go writes its zero time.Time as an empty message; JSON null
    moment = datetime.fromtimestamp(message.f1, UTC).replace(microsecond=message.f2 // 1000)
    return moment.strftime(layout)


SPECIAL: dict[str, Callable[[Message], Any]] = {
    "meta.v1.Time": lambda m: _time_to_json(m, TIME_FORMAT),      # seconds only, as Go's Time
    "meta.v1.MicroTime": lambda m: _time_to_json(m, MICROTIME_FORMAT),
    "resource.Quantity": lambda m: m.f1,
    "intstr.IntOrString": lambda m: m.f3 if m.f1 == 1 else m.f2,
    "meta.v1.FieldsV1": lambda m: orjson.loads(m.f1) if m.f1 else {},
}


# --------------------------------------------------------------------------
# message -> JSON dict
# --------------------------------------------------------------------------


def _value_to_json(value: Any, type_name: str) -> Any:
    if type_name == "bytes":
        return base64.b64encode(value).decode()
    if type_name not in MESSAGES:
        if isinstance(value, bytes):    # a proto2 string that is not UTF-8: Go's JSON writes U+FFFD
            return value.decode("utf-8", "replace")
        return value                    # string, bool, int32, int64, ...
    special = SPECIAL.get(type_name)
    return special(value) if special else message_to_json(value, type_name)


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
