"""Watch over HTTP: a chunked stream of newline-delimited JSON events.

    GET /api/v1/namespaces/default/pods?watch=1&resourceVersion=1234

answers 200 and then, for as long as the watch lasts, one line per change:
`{"type": "ADDED"|"MODIFIED"|"DELETED"|"BOOKMARK"|"ERROR", "object": {...}}`.

- resourceVersion N: every change after N (from the watch cache, see watchcache.py).
- no resourceVersion, or "0": first a synthetic ADDED for every existing
  object, then every change after that snapshot.
- allowWatchBookmarks: periodic BOOKMARK events carrying only a
  resourceVersion, so a client can resume from a recent point.
- timeoutSeconds: the server ends the stream after that long; clients re-watch.
"""
from __future__ import annotations

import asyncio
import logging
import random
import time
from typing import Any

import orjson
from aiohttp import web

from minikube_py.api import errors

from . import tables
from .listing import Lister, ListQuery
from .routing import RequestInfo
from .storage import Store
from .watchcache import WatchCache, Watcher

log = logging.getLogger("apiserver.watch")
DEFAULT_TIMEOUT_SECONDS = 1800


def _start_revision(query: ListQuery) -> int | None:
    """The revision to watch after, or None for "list first, then watch"."""
    if query.resource_version in (None, "", "0"):
        return None
    try:
        return int(query.resource_version)
    except ValueError:
        raise errors.bad_request(f"resourceVersion: invalid value {query.resource_version!r}") from None


def _as_table_line(rt: Any, line: bytes, table_version: str) -> bytes:
    """kubectl get -w asks for Table rows instead of objects in each event."""
    event = orjson.loads(line)
    if event["type"] in ("ADDED", "MODIFIED", "DELETED"):
        event["object"] = tables.to_table(rt, [event["object"]], table_version=table_version)
    return orjson.dumps(event) + b"\n"


async def serve_watch(request: web.Request, store: Store, cache: WatchCache, info: RequestInfo,
                      query: ListQuery, bookmark_interval: float = 10.0) -> web.StreamResponse:
    rt = info.rt
    matches = query.matcher(rt, info.namespace)
    after = _start_revision(query)
    initial: list[dict[str, Any]] = []
    if after is None:
        initial, after = await Lister(store).list_all(rt, info.namespace, matches)
    watcher = cache.watch(rt, matches, after, initial)
    table_version = tables.table_request(request.headers.get("Accept", ""))
    timeout = query.timeout_seconds or DEFAULT_TIMEOUT_SECONDS * (1 + random.random())
    response = web.StreamResponse(headers={"Content-Type": "application/json", "Cache-Control": "no-cache"})
    response.enable_chunked_encoding()
    try:
        await response.prepare(request)          # the client may already be gone: same as a disconnect
        log.debug("watch %s ns=%s from rv=%s (%d watchers)", rt.plural, info.namespace, after,
                  cache.watcher_count())
        await _pump(request, response, watcher, time.monotonic() + timeout,
                    bookmark_interval if query.allow_bookmarks else None, rt, table_version)
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    finally:
        watcher.close()
    return response


async def _pump(request: web.Request, response: web.StreamResponse, watcher: Watcher, deadline: float,
                bookmark_every: float | None, rt: Any, table_version: str | None) -> None:
    """Copy lines from the watcher to the client until the deadline, a close or a disconnect."""
    next_bookmark = time.monotonic() + (bookmark_every or 3600)
    while True:
        now = time.monotonic()
        if now >= deadline or request.transport is None or request.transport.is_closing():
            return
        if bookmark_every and now >= next_bookmark:
            watcher.bookmark(watcher.progress())
            next_bookmark = now + bookmark_every
        wait = min(deadline, next_bookmark, now + 5.0) - now
        try:
            line = await asyncio.wait_for(watcher.queue.get(), timeout=max(wait, 0.01))
        except asyncio.TimeoutError:
            continue
        lines = [line]
        while not watcher.queue.empty() and len(lines) < 256:   # send what is ready in one write
            lines.append(watcher.queue.get_nowait())
        ended = None in lines
        payload = [ln for ln in lines if ln is not None]
        if table_version:
            payload = [_as_table_line(rt, ln, table_version) for ln in payload]
        if payload:
            await response.write(b"".join(payload))
        if ended:
            return
