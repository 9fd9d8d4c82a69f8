"""HTTP plumbing shared by the handlers: query parameters and JSON replies (bodies: decoding.py)."""
from __future__ import annotations

import json
import re
from typing import Any

import orjson
from aiohttp import web

from minikube_py.api import errors

JSON = "application/json"


def json_response(body: Any, status: int = 200) -> web.Response:
    """A JSON answer ending in a newline, as kube-apiserver's encoder (json.Encoder.Encode) writes it."""
    return web.Response(body=orjson.dumps(body) + b"\n", status=status, content_type=JSON)


def error_response(error: errors.ApiError) -> web.Response:
    """The Status of an error, newline-terminated like every JSON answer; never fails itself,
    even on text that is not valid UTF-8."""
    status = error.status()
    try:
        body = orjson.dumps(status)
    except TypeError:       # a lone surrogate somewhere: the stdlib escapes it as \\udXXX, still valid JSON
        body = json.dumps(status).encode()
    return web.Response(body=body + b"\n", status=error.code, content_type=JSON)


def success_status(rt_plural: str, group: str, obj: dict[str, Any]) -> dict[str, Any]:
    """The Status a DELETE answers with for types that do not return the object."""
    meta = obj.get("metadata") or {}
    details = {"name": meta.get("name"), "kind": rt_plural, "uid": meta.get("uid")}
    if group:
        details["group"] = group
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details}


INT64_MAX = 2**63 - 1
_INTEGER = re.compile(r"[+-]?[0-9]+")


def query_int(request: web.Request, name: str, default: int | None = None, minimum: int = 0,
              maximum: int = INT64_MAX) -> int | None:
    """An integer query parameter; like Kubernetes' parameter codec, it must fit in an int64."""
    value = request.query.get(name)
    if value is None or value == "":
        return default
    if len(value) > 20 or not _INTEGER.fullmatch(value):
        raise errors.bad_request(f"{name}: invalid integer {value[:40]!r}")
    number = int(value)
    if not minimum <= number <= maximum:
        raise errors.bad_request(f"{name}: must be between {minimum} and {maximum}, got {number}")
    return number


def query_bool(request: web.Request, name: str) -> bool:
    return request.query.get(name, "").lower() in ("1", "true", "yes")


# The options kind Kubernetes validates the query parameters of, per HTTP method.
_OPTIONS_KIND = {"POST": "CreateOptions", "PUT": "UpdateOptions", "PATCH": "PatchOptions",
                 "DELETE": "DeleteOptions"}


def is_dry_run(request: web.Request, body_values: Any = None) -> bool:
    """`?dryRun=All` (or DeleteOptions' `dryRun: [All]`): run the whole write pipeline but store nothing.

    Any other value is refused as Kubernetes' ValidateDryRun does: 422 Invalid
    on the request's CreateOptions/UpdateOptions/PatchOptions/DeleteOptions.
    """
    values = [v for v in request.query.getall("dryRun", []) if v != ""]
    if body_values is not None:
        values += body_values if isinstance(body_values, list) else [body_values]
    if any(v != "All" for v in values):
        kind = f'{_OPTIONS_KIND.get(request.method, "CreateOptions")}.meta.k8s.io'
        shown = "[]string{" + ", ".join(orjson.dumps(v).decode() for v in values) + "}"
        message = f'Unsupported value: {shown}: supported values: "All"'
        raise errors.ApiError(422, "Invalid", f'{kind} "" is invalid: dryRun: {message}',
                              {"group": "meta.k8s.io", "kind": kind.split(".")[0], "causes": [
                                  errors.cause("dryRun", message, "FieldValueNotSupported")]})
    return bool(values)
