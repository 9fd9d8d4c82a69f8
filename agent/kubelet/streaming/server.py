"""The streaming endpoints: find the container or sandbox, negotiate the protocol, run the session.

Protocol negotiation is the kubelet's: `Upgrade: websocket` picks a channel
subprotocol from Sec-WebSocket-Protocol (the client's first one we know);
`Upgrade: SPDY/3.1` picks from the client's X-Stream-Protocol-Version headers
and echoes the choice in the 101. Anything else is refused before the upgrade
with a plain-text error, which the API server turns into a Status.

GET /debug/streams reports the open sessions, the asyncio tasks they started
(tasks.py) and the process's task count, so that tests can check that nothing
is left once clients are gone.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from typing import Any

from aiohttp import hdrs, web

from agent.kubelet.runtime.types import KIND_APP, KIND_INIT, KIND_SANDBOX
from minikube_py.httpstream import remotecommand as rc
from minikube_py.httpstream import spdy, wsstream
from minikube_py.httpstream.hijack import Hijacked, hijack

from .command_io import CommandIO, CommandOptions, SpdyCommand, WebSocketCommand
from .docker_streams import DockerStreamError, DockerStreams
from .portforward import SpdyPortForward, WebSocketBytes, parse_ports, pod_connector, websocket_port_forward
from .tasks import TASK_NAME, open_tasks

log = logging.getLogger("agent.streaming")

Find = Callable[[str, str], tuple[Any, dict[str, Any]]]    # (namespace, name) -> (kubelet, pod) or HTTPNotFound


def _upgrade(request: web.Request) -> str:
    return request.headers.get(hdrs.UPGRADE, "").lower()


def _offered_ws_protocols(request: web.Request) -> list[str]:
    return [p.strip() for p in request.headers.get(hdrs.SEC_WEBSOCKET_PROTOCOL, "").split(",") if p.strip()]


async def _spdy_upgrade(request: web.Request, supported: tuple[str, ...]) -> Hijacked:
    offered = [v.strip() for value in request.headers.getall(rc.PROTOCOL_HEADER, []) for v in value.split(",")]
    chosen = next((p for p in offered if p in supported), None)
    if chosen is None:
        raise web.HTTPForbidden(text=f"unable to upgrade: unable to negotiate protocol: client supports {offered}, "
                                     f"server supports {list(supported)}\n")
    return await hijack(request, {hdrs.CONNECTION: "Upgrade", hdrs.UPGRADE: rc.SPDY_UPGRADE,
                                  rc.PROTOCOL_HEADER: chosen})


class StreamingServer:
    def __init__(self, find: Find) -> None:
        self.find = find
        self.sessions = 0

    def register(self, app: web.Application) -> None:
        for verb in ("exec", "run", "attach"):
            app.router.add_route("*", f"/{verb}/{{namespace}}/{{pod}}/{{container}}", self.command)
        app.router.add_route("*", "/portForward/{namespace}/{pod}", self.port_forward)
        app.router.add_get("/debug/streams", self.debug)

    async def debug(self, request: web.Request) -> web.Response:
        return web.json_response({"sessions": self.sessions, "streaming_tasks": open_tasks(),
                                  "tasks": len(asyncio.all_tasks())})

    @contextlib.contextmanager
    def _session(self, what: str) -> Iterator[None]:
        self.sessions += 1
        log.debug("stream session %s opened (%d open)", what, self.sessions)
        try:
            yield
        finally:
            self.sessions -= 1
            log.debug("stream session %s closed (%d open)", what, self.sessions)

    # ---- exec, run, attach ------------------------------------------------------------------

    async def command(self, request: web.Request) -> web.StreamResponse:
        verb = request.path.split("/")[1]
        namespace, name, container = (request.match_info[k] for k in ("namespace", "pod", "container"))
        kubelet, pod = self.find(namespace, name)
        if kubelet.runtime.hollow:
            raise web.HTTPNotImplemented(text="the hollow runtime runs no processes to stream from\n")
        container_id = self._running_container(kubelet, pod, container)
        options = CommandOptions.from_request(request)
        if verb != "attach" and not options.command:
            raise web.HTTPBadRequest(text="you must specify at least one command for the container\n")
        if not (options.stdin or options.stdout or options.stderr):
            raise web.HTTPBadRequest(text="you must specify at least one of stdin, stdout, stderr\n")
        docker = DockerStreams(kubelet.runtime.client)
        run = docker.attach if verb == "attach" else docker.exec
        with self._session(f"{verb} {namespace}/{name}/{container} ({_upgrade(request)})"):
            if _upgrade(request) == "websocket":
                ws = web.WebSocketResponse(protocols=wsstream.EXEC_PROTOCOLS)
                await ws.prepare(request)
                ws_io = WebSocketCommand(ws, ws.ws_protocol or rc.CHANNEL)
                await self._run(ws_io, ws_io.pump(), lambda: run(container_id, options, ws_io))
                return ws
            if _upgrade(request) == rc.SPDY_UPGRADE.lower():
                connection = await _spdy_upgrade(request, (rc.V4_CHANNEL,))
                spdy_io = SpdyCommand(connection, options)

                async def start() -> None:
                    if await spdy_io.wait_for_streams():
                        await run(container_id, options, spdy_io)
                    else:
                        await spdy_io.close()
                await self._run(spdy_io, spdy_io.serve(), start)
                return connection.response
        raise web.HTTPBadRequest(text="Upgrade request required\n")

    @staticmethod
    async def _run(io: CommandIO, pump: Coroutine[Any, Any, None], start: Callable[[], Awaitable[None]]) -> None:
        reading = asyncio.create_task(pump, name=TASK_NAME)
        try:
            await start()
        except (DockerStreamError, OSError) as e:
            log.info("stream failed: %s", e)
            if not io.gone.is_set():
                await io.finish(rc.failure(str(e)))
        finally:
            reading.cancel()
            await asyncio.gather(reading, return_exceptions=True)

    @staticmethod
    def _running_container(kubelet: Any, pod: dict[str, Any], name: str) -> str:
        records = [r for r in kubelet.runtime.pod_containers(pod["metadata"]["uid"])
                   if r.name == name and r.kind in (KIND_APP, KIND_INIT) and r.running]
        if not records:
            raise web.HTTPNotFound(text=f'container not found ("{name}")\n')
        return max(records, key=lambda r: r.created).id

    # ---- port-forward -------------------------------------------------------------------------

    async def port_forward(self, request: web.Request) -> web.StreamResponse:
        namespace, name = request.match_info["namespace"], request.match_info["pod"]
        kubelet, pod = self.find(namespace, name)
        sandboxes = [r for r in kubelet.runtime.pod_containers(pod["metadata"]["uid"])
                     if r.kind == KIND_SANDBOX and r.running]
        netns = kubelet.runtime.netns_path(sandboxes[-1]) if sandboxes else None
        if netns is None:
            raise web.HTTPNotFound(text=f'no running sandbox with a network namespace for pod "{name}"\n')
        connect, label = pod_connector(netns), f"{namespace}/{name}"
        with self._session(f"portForward {label} ({_upgrade(request)})"):
            if _upgrade(request) == "websocket":
                tunneled = bool(set(rc.TUNNELED_PORT_FORWARD) & set(_offered_ws_protocols(request)))
                ports: list[int] = []
                if not tunneled:
                    try:
                        ports = parse_ports(request.query.getall("ports", []))
                    except ValueError as e:
                        raise web.HTTPBadRequest(text=f"{e}\n") from None
                ws = web.WebSocketResponse(protocols=(*rc.TUNNELED_PORT_FORWARD, *wsstream.PORT_FORWARD_PROTOCOLS))
                await ws.prepare(request)
                if ws.ws_protocol in rc.TUNNELED_PORT_FORWARD:
                    tunnel = WebSocketBytes(ws)
                    await SpdyPortForward(spdy.Session(tunnel, tunnel.write), connect, label).serve()
                    await ws.close()
                else:
                    await websocket_port_forward(ws, ws.ws_protocol or rc.CHANNEL, ports, connect, label)
                return ws
            if _upgrade(request) == rc.SPDY_UPGRADE.lower():
                connection = await _spdy_upgrade(request, (rc.PORT_FORWARD,))
                try:
                    await SpdyPortForward(spdy.Session(connection, connection.write), connect, label).serve()
                finally:
                    connection.close()
                return connection.response
        raise web.HTTPBadRequest(text="Upgrade request required\n")
