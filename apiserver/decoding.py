"""Reading and decoding request bodies: Kubernetes' limitedReadBody and input negotiation.

    Content-Type --(table below)--> decoder --> a JSON value, within the limits

1. The media type of the body picks its decoder from a small table (one table
   for object bodies, one for patches). A type that is not in the table, or is
   in it without a decoder yet, is 415 UnsupportedMediaType naming the ones that
   are served. A body without Content-Type is read as JSON: Kubernetes takes the
   first serializer it supports (JSON) for that case. A patch always needs one.
2. The body is read through the size limit (413 RequestEntityTooLarge, before
   the rest is read) and within a deadline (408 when a client sends too slowly).
3. Decoding refuses what is nested too deep (400) or expands too far (413:
   YAML aliases) — see limits.py. YAML is decoded with a composer that counts
   its depth, so `[[[[...` cannot exhaust the stack, and turned into plain JSON
   values the way sigs.k8s.io/yaml does (string keys, no NaN).
4. Big bodies are decoded on a worker thread so that one client's megabytes
   do not stall the event loop for everybody else.

Strings are text as Go's decoders leave them: a lone UTF-16 surrogate
(`"\\ud800"` in YAML) becomes U+FFFD. orjson refuses one in JSON outright
(400), which is stricter than Go's replacement and costs nothing.
"""
from __future__ import annotations

import asyncio
import math
import re
from collections.abc import Callable
from typing import Any

import orjson
import yaml
from aiohttp import web

from minikube_py.api import errors

from .limits import DEFAULT, Limits, check_decoded, request_too_large
from .protobuf import PROTOBUF, decode_protobuf

Decoder = Callable[[bytes, Limits], Any]

JSON = "application/json"
YAML = "application/yaml"
JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"
APPLY_PATCH_CBOR = "application/apply-patch+cbor"
OFFLOAD_BYTES = 128 * 1024        # bodies above this size are decoded on a worker thread


class _BoundedYamlLoader(yaml.SafeLoader):
    """PyYAML's safe loader, with a depth bound on composing and YAML 1.1 dates left as strings."""

    max_depth = DEFAULT.max_depth
    _depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._depth += 1
        try:
            if self._depth > self.max_depth:
                raise yaml.YAMLError(f"the document is nested deeper than the limit of {self.max_depth} levels")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


# sigs.k8s.io/yaml converts YAML to JSON without turning dates into time values: nor do we.
_BoundedYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}


_SURROGATE = re.compile("[\ud800-\udfff]")


def valid_text(value: str) -> str:
    """Replace lone surrogates by U+FFFD, as Go's UTF-8 handling does."""
    return _SURROGATE.sub("\ufffd", value) if not value.isascii() else value


def _yaml_key(key: Any) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    return valid_text(key) if isinstance(key, str) else str(key)


def _as_json_value(value: Any) -> Any:
    """A YAML value as JSON has it (called after check_decoded, so depth and size are bounded)."""
    if isinstance(value, str):
        return valid_text(value)
    if isinstance(value, dict):
        return {_yaml_key(k): _as_json_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_json_value(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        raise errors.bad_request(f"error converting YAML to JSON: json: unsupported value: {value}")
    if isinstance(value, (bytes, bytearray)):     # !!binary
        raise errors.bad_request("error converting YAML to JSON: binary values are not supported")
    return value


def decode_json_object(raw: bytes, limits: Limits) -> Any:
    """JSON of an object body. No walk here: JSON has no aliases, so it expands to no more than
    the body limit, and the typed decoder that every object body goes through bounds its depth."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as e:
        raise errors.bad_request(f"error decoding JSON body: {e}") from e


def decode_json(raw: bytes, limits: Limits) -> Any:
    """JSON of a patch: applied by recursive code before any typed decoding, so its depth is checked."""
    value = decode_json_object(raw, limits)
    check_decoded(value, limits)
    return value


def decode_yaml(raw: bytes, limits: Limits) -> Any:
    loader = _BoundedYamlLoader(raw)
    loader.max_depth = limits.max_depth
    try:
        value = loader.get_single_data()
    except (yaml.YAMLError, UnicodeDecodeError, RecursionError) as e:
        raise errors.bad_request(f"error decoding YAML body: {e}") from e
    finally:
        loader.dispose()
    check_decoded(value, limits)
    return _as_json_value(value)


def decode_protobuf_body(raw: bytes, limits: Limits) -> Any:
    """The object of a `k8s\\0` protobuf envelope, as JSON values (protobuf.py); no aliases, bounded by size."""
    return decode_protobuf(raw)


# media type -> decoder; None: a type clients send that we do not decode yet (415 for now).
BODY_TYPES: dict[str, Decoder | None] = {
    JSON: decode_json_object,
    YAML: decode_yaml,
    PROTOBUF: decode_protobuf_body,      # kubectl >= 1.32's typed creates (protobuf.py)
}
PATCH_TYPES: dict[str, Decoder | None] = {
    JSON_PATCH: decode_json,
    MERGE_PATCH: decode_json,
    STRATEGIC_PATCH: decode_json,
    APPLY_PATCH: decode_yaml,            # server-side apply (apply.py); YAML is a superset of JSON
    APPLY_PATCH_CBOR: None,
}


def media_type(request: web.Request) -> str:
    """The Content-Type without parameters (`; charset=utf-8`), lower case; "" when absent."""
    return request.headers.get("Content-Type", "").split(";")[0].strip().lower()


def _decoder_for(request: web.Request, table: dict[str, Decoder | None]) -> Decoder:
    content_type = media_type(request)
    if not content_type and table is BODY_TYPES:
        content_type = JSON
    decoder = table.get(content_type)
    if decoder is None:
        served = ", ".join(name for name, known in table.items() if known is not None)
        raise errors.ApiError(415, "UnsupportedMediaType",
                              f"the body of the request was in an unknown format - accepted media types "
                              f"include: {served} (got {content_type or 'no Content-Type'!r})")
    return decoder


def limits_of(request: web.Request) -> Limits:
    return request.app.get("limits", DEFAULT)


async def read_raw(request: web.Request, limits: Limits) -> bytes:
    """The whole body, within the size limit and the body deadline."""
    limit = limits.max_request_body_bytes
    if request.content_length is not None and request.content_length > limit:
        raise request_too_large(f"limit is {limit}")
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(limits.request_body_timeout):
            async for chunk in request.content.iter_chunked(64 * 1024):
                size += len(chunk)
                if size > limit:
                    raise request_too_large(f"limit is {limit}")
                chunks.append(chunk)
    except ConnectionResetError:     # nobody is left to answer; not a server fault either
        raise errors.bad_request("the client closed the connection before the request body was complete") \
            from None
    except TimeoutError:
        raise errors.ApiError(408, "Timeout", f"Timeout: the request body was not received within "
                                              f"{limits.request_body_timeout:g}s") from None
    return b"".join(chunks)


async def read_body(request: web.Request, *, required: bool = True, patch: bool = False,
                    then: Callable[[Any], Any] | None = None) -> Any:
    """Read and decode a body (an object, or a patch when `patch`); an absent optional body is None.

    `then` (typed decoding) runs right after decoding, on the same worker thread for a big body.
    """
    table = PATCH_TYPES if patch else BODY_TYPES
    if required:
        decoder = _decoder_for(request, table)        # 415 before reading anything
    limits = limits_of(request)
    raw = await read_raw(request, limits)
    if not raw.strip():
        if required:
            raise errors.bad_request("the request body is empty")
        return None
    if not required:
        decoder = _decoder_for(request, table)

    def decode() -> Any:
        value = decoder(raw, limits)
        return then(value) if then is not None else value
    if len(raw) > OFFLOAD_BYTES:
        return await asyncio.to_thread(decode)     # the context (fieldValidation, warnings) goes along
    return decode()
