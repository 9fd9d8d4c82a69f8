"""The agent's HTTP endpoint: kubelet's server (pkg/kubelet/server) for logs and health.

    GET /containerLogs/{namespace}/{pod}/{container}?follow=&tailLines=&timestamps=&previous=
    GET /healthz
    GET /pods                 the pods this agent runs (as kubelet's read-only /pods)
    /exec, /attach, /run, /portForward   kubelet's streaming server (agent/kubelet/streaming)

The API server's pods/log proxies here. `previous` reads the container before
the current one, which the pod worker keeps for exactly this reason. One server
can serve several (hollow) kubelets of one process.
"""
from __future__ import annotations

import contextlib
from typing import Any

from aiohttp import web

from agent.kubelet.kubelet import Kubelet
from agent.kubelet.streaming.server import StreamingServer
from agent.kubelet.sync import history_by_name
from agent.kubelet.runtime.types import KIND_APP, KIND_INIT


def _flag(request: web.Request, name: str) -> bool:
    return request.query.get(name, "false").lower() in ("true", "1")


class LogServer:
    def __init__(self, kubelets: list[Kubelet], bind_address: str, port: int) -> None:
        self.kubelets, self.bind_address, self.port = kubelets, bind_address, port
        self.app = web.Application()
        self.app.router.add_get("/healthz", self.healthz)
        self.app.router.add_get("/pods", self.pods)
        self.app.router.add_get("/containerLogs/{namespace}/{pod}/{container}", self.container_logs)
        StreamingServer(self._find).register(self.app)      # /exec, /attach, /run, /portForward
        self.runner: web.AppRunner | None = None

    async def start(self) -> None:
        self.runner = web.AppRunner(self.app, access_log=None)
        await self.runner.setup()
        await web.TCPSite(self.runner, self.bind_address, self.port).start()

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()

    async def healthz(self, request: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def pods(self, request: web.Request) -> web.Response:
        items = [pod for kubelet in self.kubelets for pod in kubelet.pods.list()]
        return web.json_response({"kind": "PodList", "apiVersion": "v1", "items": items})

    def _find(self, namespace: str, name: str) -> tuple[Kubelet, dict[str, Any]]:
        for kubelet in self.kubelets:
            pod = kubelet.find_pod(namespace, name)
            if pod is not None:
                return kubelet, pod
        raise web.HTTPNotFound(text=f'pod "{name}" in namespace "{namespace}" is not on this node\n')

    async def container_logs(self, request: web.Request) -> web.StreamResponse:
        namespace, name, container = (request.match_info[k] for k in ("namespace", "pod", "container"))
        kubelet, pod = self._find(namespace, name)
        records = kubelet.runtime.pod_containers(pod["metadata"]["uid"])
        history = {**history_by_name(records, KIND_INIT), **history_by_name(records, KIND_APP)}.get(container) or []
        previous = _flag(request, "previous")
        if len(history) < (2 if previous else 1):
            which = "previous terminated" if previous else ""
            raise web.HTTPBadRequest(text=f'{which} container "{container}" in pod "{name}" not found\n'.lstrip())
        record = history[-2] if previous else history[-1]
        tail = request.query.get("tailLines")
        response = web.StreamResponse(headers={"Content-Type": "text/plain"})
        await response.prepare(request)
        stream = kubelet.runtime.logs(record.id, follow=_flag(request, "follow") and not previous,
                                      tail_lines=int(tail) if tail else None, timestamps=_flag(request, "timestamps"))
        async with contextlib.aclosing(stream) as chunks:
            async for chunk in chunks:
                await response.write(chunk)
        await response.write_eof()
        return response
