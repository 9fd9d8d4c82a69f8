"""HTTP plumbing shared by the handlers: decoding bodies, query parameters, JSON replies."""
from __future__ import annotations

from typing import Any

import orjson
import yaml
from aiohttp import web

from minikube_py.api import errors

from .protobuf import PROTOBUF, decode_protobuf

JSON = "application/json"


def json_response(body: Any, status: int = 200) -> web.Response:
    """A JSON answer ending in a newline, as kube-apiserver's encoder (json.Encoder.Encode) writes it."""
    return web.Response(body=orjson.dumps(body) + b"\n", status=status, content_type=JSON)


def error_response(error: errors.ApiError) -> web.Response:
    return json_response(error.status(), error.code)


def success_status(rt_plural: str, group: str, obj: dict[str, Any]) -> dict[str, Any]:
    """The Status a DELETE answers with for types that do not return the object."""
    meta = obj.get("metadata") or {}
    details = {"name": meta.get("name"), "kind": rt_plural, "uid": meta.get("uid")}
    if group:
        details["group"] = group
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details}


async def read_body(request: web.Request, *, required: bool = True) -> Any:
    """Decode a JSON or YAML body; malformed input is a 400 BadRequest."""
    raw = await request.read()
    if not raw.strip():
        if required:
            raise errors.bad_request("the request body is empty")
        return None
    content_type = request.content_type
    if content_type == PROTOBUF:
        return decode_protobuf(raw)
    try:
        if "yaml" in content_type:
            return yaml.safe_load(raw)
        return orjson.loads(raw)
    except (orjson.JSONDecodeError, yaml.YAMLError, UnicodeDecodeError) as e:
        kind = "YAML" if "yaml" in content_type else "JSON"
        raise errors.bad_request(f"error decoding {kind} body: {e}") from e


def query_int(request: web.Request, name: str, default: int | None = None, minimum: int = 0) -> int | None:
    value = request.query.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise errors.bad_request(f"{name}: invalid integer {value!r}") from None
    if number < minimum:
        raise errors.bad_request(f"{name}: must be >= {minimum}, got {number}")
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
