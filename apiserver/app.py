"""The API server process: an aiohttp application in front of etcd.

    clients --HTTP--> middleware (errors become Status) --> discovery / resource routes
                                                             |
                                        ResourceApi (verbs) -+- Store (etcd txns)
                                                             +- WatchCache (one etcd watch)

Everything the server knows lives in etcd, so any number of API servers can
run against one etcd, and a restarted server loses nothing.
"""
from __future__ import annotations

import asyncio
import ipaddress
import logging
from dataclasses import dataclass
from typing import Any, Awaitable, Callable
from urllib.parse import urlparse

import aetcd
from aiohttp import web

from minikube_py.api import errors

from . import bootstrap, discovery
from .allocator import ServiceRanges
from .default_tolerations import DefaultTolerationSeconds
from .handlers import ResourceApi
from .leases import LeaseManager
from .http import error_response
from .storage import Store
from .watchcache import WatchCache

log = logging.getLogger("apiserver")


@dataclass
class ApiServerConfig:
    etcd_servers: str = "http://127.0.0.1:2379"
    etcd_prefix: str = "/registry"
    bind_address: str = "127.0.0.1"
    port: int = 6443
    advertise_address: str | None = None
    service_cluster_ip_range: str = "10.96.0.0/12"
    service_node_port_range: str = "30000-32767"
    bookmark_interval: float = 10.0
    event_ttl_seconds: int = 3600
    default_not_ready_toleration_seconds: int = 300
    default_unreachable_toleration_seconds: int = 300

    def etcd_host_port(self) -> tuple[str, int]:
        first = self.etcd_servers.split(",")[0].strip()
        url = urlparse(first if "://" in first else f"http://{first}")
        return url.hostname or "127.0.0.1", url.port or 2379

    def service_ranges(self) -> ServiceRanges:
        low, high = (int(x) for x in self.service_node_port_range.split("-"))
        return ServiceRanges(ipaddress.IPv4Network(self.service_cluster_ip_range), range(low, high + 1))

    def advertised(self) -> str:
        if self.advertise_address:
            return self.advertise_address
        return "127.0.0.1" if self.bind_address in ("0.0.0.0", "") else self.bind_address


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def status_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every failure leaves as a Kubernetes Status object, never as a traceback."""
    try:
        return await handler(request)
    except errors.ApiError as e:
        if e.code >= 500:
            log.warning("%s %s: %s", request.method, request.path, e.message)
        return error_response(e)
    except web.HTTPException as e:
        if e.status == 404:
            return error_response(errors.ApiError(404, "NotFound", "the server could not find the requested "
                                                  f"resource ({request.path})"))
        if e.status == 405:
            return error_response(errors.method_not_allowed(f"{request.method} is not allowed on {request.path}"))
        raise
    except Exception as e:  # a bug: say so in the Status and in the log
        log.exception("internal error serving %s %s", request.method, request.path)
        return error_response(errors.internal(f"internal error: {type(e).__name__}: {e}"))


def create_app(config: ApiServerConfig) -> web.Application:
    app = web.Application(middlewares=[status_errors], client_max_size=8 * 1024 * 1024)
    app["config"] = config
    app.add_routes(discovery.routes)
    # The ResourceApi is built at start-up (it needs etcd); the routes find it on the app.
    app.router.add_route("*", "/api/v1/{tail:.*}", lambda request: request.app["api"].core(request))
    app.router.add_route("*", "/apis/{group}/{version}/{tail:.+}",
                         lambda request: request.app["api"].grouped(request))
    app.cleanup_ctx.append(_lifecycle)
    app.on_shutdown.append(_end_watches)
    return app


async def _end_watches(app: web.Application) -> None:
    """On shutdown, end every watch stream first: aiohttp waits for open handlers,
    and a watch would otherwise keep the server alive for up to its timeout."""
    if "api" in app:
        await app["api"].cache.stop()


async def _lifecycle(app: web.Application) -> Any:
    """Connect to etcd, start the watch cache, make sure the system objects exist."""
    config: ApiServerConfig = app["config"]
    host, port = config.etcd_host_port()
    client = aetcd.Client(host=host, port=port, timeout=10)
    store = Store(client, config.etcd_prefix)
    await store.current_revision()   # fail fast when etcd is not there
    cache = WatchCache(store)
    await cache.start()
    api = ResourceApi(store, cache, {"service_ranges": config.service_ranges(),
                                     "bookmark_interval": config.bookmark_interval,
                                     "leases": LeaseManager(client),
                                     "ttl_seconds": {"events": config.event_ttl_seconds},
                                     "default_tolerations": DefaultTolerationSeconds(
                                         config.default_not_ready_toleration_seconds,
                                         config.default_unreachable_toleration_seconds)})
    app["api"] = api
    app["ready"] = cache.ready.is_set
    await bootstrap.ensure(api, config.advertised(), config.port)
    log.info("serving on %s:%d, etcd %s:%d prefix %s", config.bind_address, config.port, host, port,
             config.etcd_prefix)
    yield
    await cache.stop()
    await client.close()


def run(config: ApiServerConfig) -> None:
    try:
        import uvloop   # a faster event loop; the server works without it
        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    except ImportError:
        pass
    try:
        web.run_app(create_app(config), host=config.bind_address, port=config.port, print=None,
                    access_log=logging.getLogger("aiohttp.access"))
    except errors.ApiError as e:
        raise SystemExit(f"apiserver: cannot start: {e.message} (etcd {config.etcd_servers})") from None
    except OSError as e:
        raise SystemExit(f"apiserver: cannot listen on {config.bind_address}:{config.port}: {e}") from None
