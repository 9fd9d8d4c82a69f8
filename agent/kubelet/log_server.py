"""The agent's HTTP endpoint: kubelet's server (pkg/kubelet/server) for logs and health.

    GET /containerLogs/{namespace}/{pod}/{container}?follow=&previous=&sinceSeconds=&sinceTime=
                                                     &timestamps=&tailLines=&limitBytes=
    GET /healthz
    GET /pods                 the pods this agent runs (as kubelet's read-only /pods)
    /exec, /attach, /run, /portForward   kubelet's streaming server (agent/kubelet/streaming)

The API server's pods/log proxies here with the PodLogOptions it validated
(minikube_py/api/pod_log_options.py). `previous` reads the container before the
current one, which the pod worker keeps for exactly this reason; since and
limitBytes are applied to the timestamped lines by log_filter.py. One server
can serve several (hollow) kubelets of one process.
"""
from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from agent.kubelet.kubelet import Kubelet
from agent.kubelet.log_filter import LogFilter
from agent.kubelet.runtime.types import KIND_APP, KIND_INIT
from agent.kubelet.streaming.server import StreamingServer
from agent.kubelet.sync import history_by_name
from minikube_py.api.errors import ApiError
from minikube_py.api.pod_log_options import PodLogOptions


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
        try:
            options = PodLogOptions.from_query(request.query, name)
        except ApiError as e:
            raise web.HTTPBadRequest(text=e.message + "\n") from None
        if len(history) < (2 if options.previous else 1):
            which = "previous terminated" if options.previous else ""
            raise web.HTTPBadRequest(text=f'{which} container "{container}" in pod "{name}" not found\n'.lstrip())
        record = history[-2] if options.previous else history[-1]
        since = options.since(datetime.now(UTC))
        shaped = since is not None or options.limit_bytes is not None
        response = web.StreamResponse(headers={"Content-Type": "text/plain"})
        await response.prepare(request)
        stream = kubelet.runtime.logs(record.id, follow=options.follow and not options.previous,
                                      tail_lines=options.tail_lines, timestamps=options.timestamps or shaped)
        if shaped:
            stream = LogFilter(since, options.timestamps, options.limit_bytes).apply(stream)
        async with contextlib.aclosing(stream) as chunks:
            async for chunk in chunks:
                await response.write(chunk)
        await response.write_eof()
        return response
