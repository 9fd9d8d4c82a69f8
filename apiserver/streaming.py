"""pods/exec, pods/attach, pods/portforward: proxy an upgraded connection to the pod's node agent.

As kube-apiserver's UpgradeAwareHandler: the API server checks the request
(the pod exists, is assigned to a node, has not completed, the container is
one of the pod's), then opens a TCP connection to the node agent, sends it
the client's request (the client's own Upgrade, Connection, Sec-WebSocket-*
and X-Stream-Protocol-Version headers, the path rewritten to the kubelet's
/exec/{ns}/{pod}/{container}), and reads the answer. A 101 is passed on to
the client and from then on bytes are spliced both ways, unread: whatever
protocol the two ends negotiated (WebSocket channels, SPDY, SPDY inside
WebSocket) is theirs. Any other answer becomes a Status for the client.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from aiohttp import hdrs, web
from multidict import CIMultiDict

from minikube_py.api import errors
from minikube_py.api.resources import known
from minikube_py.httpstream.hijack import Hijacked, hijack

from .routing import RequestInfo
from .storage import Object, Store

PODS = known("pods")
DEFAULT_CONTAINER_ANNOTATION = "kubectl.kubernetes.io/default-container"
AGENT_PATHS = {"exec": "exec", "attach": "attach", "portforward": "portForward"}
CONNECT_TIMEOUT = 5.0
MAX_RESPONSE_HEAD = 64 * 1024
SPLICE_CHUNK = 256 * 1024
# Not passed to the agent: the agent gets its own Host, and credentials stay with the API server.
DROPPED_REQUEST_HEADERS = {"host", "authorization", "content-length", "transfer-encoding"}
# Set by aiohttp itself on the 101 it sends.
DROPPED_RESPONSE_HEADERS = {"content-length", "transfer-encoding", "date", "server", "content-type"}

AgentUrl = Callable[[str, str], Awaitable[str]]     # (node name, path) -> http://address:port/path


def _names(containers: Any) -> list[str]:
    return [c["name"] for c in containers or [] if isinstance(c, dict) and isinstance(c.get("name"), str)]


def _container(pod: Object, requested: str | None) -> str:
    """The container to exec into or attach to, defaulted as kubectl and the API server do."""
    spec, name = pod.get("spec") or {}, pod["metadata"]["name"]
    containers = _names(spec.get("containers"))
    valid = containers + _names(spec.get("initContainers")) + _names(spec.get("ephemeralContainers"))
    default = ((pod["metadata"].get("annotations") or {}).get(DEFAULT_CONTAINER_ANNOTATION)
               or (containers[0] if len(containers) == 1 else None))
    container = requested or default
    if container is None:
        raise errors.bad_request(f"a container name must be specified for pod {name}, choose one of: {containers}")
    if container not in valid:
        raise errors.bad_request(f"container {container} is not valid for pod {name}")
    return container


def _check_runnable(pod: Object, subresource: str) -> None:
    name, phase = pod["metadata"]["name"], (pod.get("status") or {}).get("phase")
    if not (pod.get("spec") or {}).get("nodeName"):
        raise errors.bad_request(f"pod {name} does not have a host assigned")
    if phase in ("Succeeded", "Failed"):
        doing = {"exec": "exec into", "attach": "attach"}.get(subresource)
        raise errors.bad_request(f"cannot {doing} a container in a completed pod; current phase is {phase}"
                                 if doing else f"unable to forward port because pod is not running. "
                                               f"Current status={phase}")


async def serve(request: web.Request, info: RequestInfo, store: Store, agent_url: AgentUrl) -> web.StreamResponse:
    pod = await store.get(PODS, info.namespace, info.name or "")
    subresource = info.subresource or ""
    path = f"/{AGENT_PATHS[subresource]}/{info.namespace}/{info.name}"
    if subresource != "portforward":
        path += f"/{_container(pod, request.query.get('container'))}"     # checked first, as Kubernetes does
    _check_runnable(pod, subresource)
    url = urlsplit(await agent_url(pod["spec"]["nodeName"], path))
    query = request.rel_url.raw_query_string
    target = path + (f"?{query}" if query else "")
    return await proxy_upgrade(request, url.hostname or "", url.port or 80, target)


def _request_head(request: web.Request, host: str, port: int, target: str) -> bytes:
    lines = [f"{request.method} {target} HTTP/1.1", f"Host: {host}:{port}"]
    lines += [f"{name.decode('latin-1')}: {value.decode('latin-1')}" for name, value in request.raw_headers
              if name.decode("latin-1").lower() not in DROPPED_REQUEST_HEADERS]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _parse_head(head: bytes) -> tuple[int, CIMultiDict[str]]:
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    status = int(status_line.split(" ", 2)[1])
    headers: CIMultiDict[str] = CIMultiDict()
    for line in header_lines:
        if ":" in line:
            name, _, value = line.partition(":")
            headers.add(name.strip(), value.strip())
    return status, headers


async def proxy_upgrade(request: web.Request, host: str, port: int, target: str) -> web.StreamResponse:
    """Send the client's upgrade request to host:port and, on 101, splice the two connections."""
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port, limit=MAX_RESPONSE_HEAD),
                                                CONNECT_TIMEOUT)
    except (TimeoutError, OSError) as e:
        raise errors.ApiError(503, "ServiceUnavailable",
                              f"error dialing backend: dial tcp {host}:{port}: {e or 'timeout'}") from e
    try:
        writer.write(_request_head(request, host, port, target))
        head = await reader.readuntil(b"\r\n\r\n")
        status, headers = _parse_head(head)
        if status != 101:
            raise await _error_from_backend(reader, status, headers)
    except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError, IndexError) as e:
        writer.close()
        raise errors.ApiError(503, "ServiceUnavailable", f"error upgrading connection: {e}") from e
    except BaseException:
        writer.close()
        raise
    client = await hijack(request, CIMultiDict((k, v) for k, v in headers.items()
                                               if k.lower() not in DROPPED_RESPONSE_HEADERS))
    await _splice(client, reader, writer)
    return client.response


async def _error_from_backend(reader: asyncio.StreamReader, status: int, headers: CIMultiDict[str]) -> errors.ApiError:
    length = min(int(headers.get(hdrs.CONTENT_LENGTH, "0") or 0), MAX_RESPONSE_HEAD)
    body = (await reader.readexactly(length)).decode(errors="replace").strip() if length else ""
    with contextlib.suppress(ValueError, AttributeError):
        status_object = json.loads(body)
        body = status_object.get("message", body)
    reason = {400: "BadRequest", 403: "Forbidden", 404: "NotFound"}.get(status, "InternalError")
    return errors.ApiError(status if status < 500 else 503, reason if status < 500 else "ServiceUnavailable", body)


async def _splice(client: Hijacked, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy bytes both ways until either side ends, then close both."""
    async def to_backend() -> None:
        while chunk := await client.read():
            writer.write(chunk)
            await writer.drain()

    async def to_client() -> None:
        while chunk := await reader.read(SPLICE_CHUNK):
            await client.write(chunk)

    copies = [asyncio.create_task(to_backend()), asyncio.create_task(to_client())]
    try:
        await asyncio.wait(copies, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for copy in copies:
            copy.cancel()
        await asyncio.gather(*copies, return_exceptions=True)
        writer.close()
        client.close()
