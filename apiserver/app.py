"""The API server process: an aiohttp application in front of etcd.

    clients --HTTP--> middleware (errors become Status) --> discovery / resource routes
                                                             |
                                        ResourceApi (verbs) -+- AdmissionChain (admission/)
                                                             +- Store (etcd txns)
                                                             +- WatchCache (one etcd watch)

The command line (cli.py) gives it an ApiServerOptions (options.py).
Everything the server knows lives in etcd, so any number of API servers can
run against one etcd, and a restarted server loses nothing.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aetcd
from aiohttp import web

from minikube_py.api import errors

from . import bootstrap, discovery, fieldvalidation
from .admission import PluginContext, new_chain
from .handlers import ResourceApi
from .http import error_response
from .leases import LeaseManager
from .options import ApiServerOptions, RegistryConfig
from .storage import ETCD_CHANNEL_OPTIONS, Store
from .watchcache import WatchCache

log = logging.getLogger("apiserver")


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


def create_app(options: ApiServerOptions) -> web.Application:
    app = web.Application(middlewares=[status_errors, fieldvalidation.middleware],
                          client_max_size=options.limits.max_request_body_bytes)
    app["options"] = options
    app["limits"] = options.limits
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
    options: ApiServerOptions = app["options"]
    host, port = options.etcd_host_port()
    client = aetcd.Client(host=host, port=port, timeout=10, options=ETCD_CHANNEL_OPTIONS)
    store = Store(client, options.etcd_prefix, options.limits.max_object_bytes)
    await store.current_revision()   # fail fast when etcd is not there
    cache = WatchCache(store)
    await cache.start()
    config = RegistryConfig(service_ranges=options.service_ranges(), leases=LeaseManager(client),
                            bookmark_interval=options.bookmark_interval,
                            ttl_seconds={"events": options.event_ttl_seconds})
    admission = new_chain(PluginContext(store, cache, options.admission))
    api = ResourceApi(store, cache, config, admission)
    app["api"] = api
    app["ready"] = cache.ready.is_set
    await bootstrap.ensure(api, options.advertised(), options.port)
    log.info("serving on %s:%d, etcd %s:%d prefix %s, admission plugins %s", options.bind_address, options.port,
             host, port, options.etcd_prefix, ",".join(admission.names) or "(none)")
    yield
    await cache.stop()
    await client.close()


def run(options: ApiServerOptions) -> None:
    try:
        import uvloop  # a faster event loop; the server works without it
        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    except ImportError:
        pass
    try:
        web.run_app(create_app(options), host=options.bind_address, port=options.port, print=None,
                    access_log=logging.getLogger("aiohttp.access"))
    except errors.ApiError as e:
        raise SystemExit(f"apiserver: cannot start: {e.message} (etcd {options.etcd_servers})") from None
    except OSError as e:
        raise SystemExit(f"apiserver: cannot listen on {options.bind_address}:{options.port}: {e}") from None
