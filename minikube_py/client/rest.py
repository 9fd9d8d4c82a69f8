"""The REST client: client-go's `rest.RESTClient` plus a typed-ish `dynamic` client.

`ApiClient` speaks HTTP to the API server: it turns answers into JSON, failed
answers into `ApiError` (the Kubernetes Status the server sent), and retries
when the server cannot be reached. `ResourceClient` knows one resource type
(pods, deployments, ...) and builds its paths exactly as Kubernetes does:

    /api/v1/namespaces/{ns}/pods/{name}          core group, namespaced
    /apis/apps/v1/namespaces/{ns}/deployments    named group
    /api/v1/pods                                 a namespaced type across all namespaces
    /api/v1/nodes/{name}/status                  a subresource

Retries follow client-go's rule: a request that never reached the server
(connection refused, DNS, TLS handshake) is retried for every verb with
exponential backoff; a connection broken after the request was sent is retried
only for GET, since a write may already have happened. When retries run out
the caller gets ApiError(503, "ServiceUnavailable").
"""
from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import AsyncGenerator
from typing import Any

import aiohttp
import orjson

from minikube_py.api.errors import ApiError
from minikube_py.api.resources import ResourceType, lookup
from minikube_py.client.config import ClientConfig
from minikube_py.client.resource import PATCH_CONTENT_TYPES, TABLE_ACCEPT, ResourceClient

__all__ = ["ApiClient", "ResourceClient", "ApiError", "PATCH_CONTENT_TYPES", "TABLE_ACCEPT"]

log = logging.getLogger("client.rest")

_REASONS = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound",
            405: "MethodNotAllowed", 409: "Conflict", 410: "Expired", 415: "UnsupportedMediaType",
            422: "Invalid", 429: "TooManyRequests", 500: "InternalError", 503: "ServiceUnavailable",
            504: "Timeout"}


def query(params: dict[str, Any] | None) -> dict[str, str]:
    """Query parameters as strings: None dropped, booleans as true/false."""
    out: dict[str, str] = {}
    for key, value in (params or {}).items():
        if value is not None:
            out[key] = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return out


def error_from_response(code: int, text: str) -> ApiError:
    """The server's Status as an ApiError; any other error body still keeps the HTTP code."""
    try:
        body = orjson.loads(text)
    except orjson.JSONDecodeError:
        body = None
    if isinstance(body, dict) and body.get("kind") == "Status":
        return ApiError.from_status(body, code)
    return ApiError(code, _REASONS.get(code, "Unknown"), text.strip() or f"HTTP {code}")


def _never_sent(error: Exception) -> bool:
    return isinstance(error, (aiohttp.ClientConnectorError, aiohttp.ClientConnectorCertificateError))


class ApiClient:
    """One connection pool to one API server. Use as `async with ApiClient(cfg) as api:`."""

    def __init__(self, config: ClientConfig, *, retries: int = 5, request_timeout: float = 60.0,
                 backoff_base: float = 0.1, backoff_cap: float = 5.0) -> None:
        self.config = config
        self.retries = retries
        self.request_timeout = request_timeout
        self.backoff_base, self.backoff_cap = backoff_base, backoff_cap
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> ApiClient:
        self._ensure_session()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _ensure_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            # limit=0: no cap on connections, since every watch holds one open (like Go's default).
            connector = aiohttp.TCPConnector(limit=0, ssl=self._ssl())
            self._session = aiohttp.ClientSession(connector=connector, headers=self._auth_headers())
        return self._session

    def _ssl(self) -> ssl.SSLContext | bool:
        if not self.config.server.startswith("https://"):
            return True    # irrelevant for plain http
        if self.config.insecure_skip_tls_verify:
            return False
        return ssl.create_default_context(cafile=self.config.ca_file)

    def _auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.config.token}"} if self.config.token else {}

    # ---- plain requests -------------------------------------------------------------

    async def request(self, method: str, path: str, *, params: dict[str, Any] | None = None, body: Any = None,
                      content_type: str = "application/json", headers: dict[str, str] | None = None) -> Any:
        """Send one request; the JSON-decoded answer (None when empty, the text when not JSON,
        e.g. /healthz's "ok")."""
        text = await self._send(method, path, params, body, content_type, headers)
        if not text.strip():
            return None
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            return text

    async def request_text(self, method: str, path: str, params: dict[str, Any] | None = None) -> str:
        """Send one request; the answer as text (pod logs)."""
        return await self._send(method, path, params, None, "application/json", None)

    async def _send(self, method: str, path: str, params: dict[str, Any] | None, body: Any,
                    content_type: str, headers: dict[str, str] | None) -> str:
        data = None if body is None else (body if isinstance(body, (bytes, str)) else orjson.dumps(body))
        all_headers = {"Content-Type": content_type, **(headers or {})}
        timeout = aiohttp.ClientTimeout(total=self.request_timeout)
        attempt = 0
        while True:
            try:
                async with self._ensure_session().request(
                        method, self.config.server + path, params=query(params), data=data,
                        headers=all_headers, timeout=timeout) as response:
                    text = await response.text()
                    if response.status >= 300:
                        raise error_from_response(response.status, text)
                    return text
            except (TimeoutError, aiohttp.ClientError, OSError) as e:
                attempt = await self._retry_or_raise(method, path, e, attempt)

    async def _retry_or_raise(self, method: str, path: str, error: Exception, attempt: int) -> int:
        """Sleep before the next attempt, or raise ApiError(503) when we may not or should not retry."""
        retryable = _never_sent(error) or method == "GET"
        if not retryable or attempt >= self.retries:
            raise ApiError(503, "ServiceUnavailable",
                           f"{method} {self.config.server}{path}: {type(error).__name__}: {error}") from error
        delay = min(self.backoff_base * 2 ** attempt, self.backoff_cap)
        log.debug("%s %s failed (%s); retry %d in %.2fs", method, path, error, attempt + 1, delay)
        await asyncio.sleep(delay)
        return attempt + 1

    # ---- streams (watch, log -f) ------------------------------------------------------

    async def stream_lines(self, path: str, params: dict[str, Any] | None = None) -> AsyncGenerator[bytes, None]:
        """GET a streaming answer and yield it line by line, each line with its trailing newline
        (the last may lack one). Opening is retried like any GET; a stream broken later raises
        ApiError(503). Close it early with `aclose()` (or `contextlib.aclosing`)."""
        response = await self._open_stream(path, params)
        try:
            while line := await response.content.readline():
                yield line
        except (aiohttp.ClientError, OSError) as e:
            raise ApiError(503, "ServiceUnavailable", f"stream {path} broken: {type(e).__name__}: {e}") from e
        finally:
            response.release()
            response.close()

    async def _open_stream(self, path: str, params: dict[str, Any] | None) -> aiohttp.ClientResponse:
        no_timeout = aiohttp.ClientTimeout(total=None, sock_connect=self.request_timeout)
        attempt = 0
        while True:
            try:
                response = await self._ensure_session().get(
                    self.config.server + path, params=query(params), timeout=no_timeout)
                if response.status >= 300:
                    text = await response.text()
                    response.release()
                    raise error_from_response(response.status, text)
                return response
            except (TimeoutError, aiohttp.ClientError, OSError) as e:
                attempt = await self._retry_or_raise("GET", path, e, attempt)

    async def websocket(self, path: str, params: list[tuple[str, str]],
                        protocols: tuple[str, ...]) -> aiohttp.ClientWebSocketResponse:
        """Open a WebSocket to `path` offering `protocols` (exec, attach, port-forward: client/stream.py)."""
        return await self._ensure_session().ws_connect(self.config.server + path, params=params,
                                                       protocols=protocols, max_msg_size=0)

    # ---- per resource -----------------------------------------------------------------

    def resource(self, rt: ResourceType | str, namespace: str | None = None) -> ResourceClient:
        """A client for one resource type; namespace None means all namespaces (for namespaced types)."""
        if isinstance(rt, str):
            found = lookup(rt)
            if found is None:
                raise ValueError(f'the server doesn\'t have a resource type "{rt}"')
            rt = found
        return ResourceClient(self, rt, namespace if rt.namespaced else None)

