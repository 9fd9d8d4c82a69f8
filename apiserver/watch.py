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

A watcher that does not keep up is closed, as Kubernetes' cacher terminates
slow watchers; the client re-watches from its last resourceVersion. Two bounds
keep what one watcher costs small and freed: the events queued for it
(`--watch-buffer-bytes`, one event always fits), and the time one write may
wait for the client's socket to take data (`--watch-send-timeout`). The
synthetic ADDED events of the initial list are written straight from the
snapshot, encoded (smaller than decoded objects), not queued.
"""
from __future__ import annotations

import asyncio
import logging
import random
import time
from typing import Any

import orjson
from aiohttp import web

from . import tables
from .decoding import limits_of
from .limits import Limits
from .listing import Lister, ListQuery, parse_resource_version
from .routing import RequestInfo
from .storage import Store
from .watchcache import WatchCache, Watcher, event_line

log = logging.getLogger("apiserver.watch")
DEFAULT_TIMEOUT_SECONDS = 1800
WRITE_BYTES = 256 * 1024       # one write to the socket carries at most about this much


class SlowWatcher(Exception):
    """The client's connection took no data within the send timeout."""


def _start_revision(query: ListQuery) -> int | None:
    """The revision to watch after, or None for "list first, then watch"."""
    if query.resource_version in (None, "", "0"):
        return None
    return parse_resource_version(query.resource_version)


def _as_table_line(rt: Any, line: bytes, table_version: str) -> bytes:
    """kubectl get -w asks for Table rows instead of objects in each event."""
    event = orjson.loads(line)
    if event["type"] in ("ADDED", "MODIFIED", "DELETED"):
        event["object"] = tables.to_table(rt, [event["object"]], table_version=table_version)
    return orjson.dumps(event) + b"\n"


async def serve_watch(request: web.Request, store: Store, cache: WatchCache, info: RequestInfo,
                      query: ListQuery, bookmark_interval: float = 10.0) -> web.StreamResponse:
    rt = info.rt
    limits = limits_of(request)
    matches = query.matcher(rt, info.namespace)
    after = _start_revision(query)
    initial: list[bytes] = []
    if after is None:
        objects, after = await Lister(store).list_all(rt, info.namespace, matches)
        initial = [event_line("ADDED", orjson.dumps(obj)) for obj in objects]
        del objects
    watcher = cache.watch(rt, matches, after)
    watcher.max_queued_bytes = limits.watch_buffer_bytes
    table_version = tables.table_request(request.headers.get("Accept", ""))
    timeout = query.timeout_seconds or DEFAULT_TIMEOUT_SECONDS * (1 + random.random())
    response = web.StreamResponse(headers={"Content-Type": "application/json", "Cache-Control": "no-cache"})
    response.enable_chunked_encoding()
    sender = _Sender(request, response, limits, rt, table_version)
    try:
        await response.prepare(request)          # the client may already be gone: same as a disconnect
        log.debug("watch %s ns=%s from rv=%s (%d watchers)", rt.plural, info.namespace, after,
                  cache.watcher_count())
        await sender.send_all(initial)
        del initial
        await _pump(request, sender, watcher, time.monotonic() + timeout,
                    bookmark_interval if query.allow_bookmarks else None)
        await sender.end()
    except SlowWatcher:
        log.warning("closing a %s watcher whose client took no data for %gs", rt.plural,
                    limits.watch_send_timeout)
        if request.transport is not None:
            request.transport.abort()            # drop what is buffered for it, now
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    finally:
        watcher.close()
    return response


class _Sender:
    """Writes event lines to one client, in bounded writes, each within the send timeout."""

    def __init__(self, request: web.Request, response: web.StreamResponse, limits: Limits, rt: Any,
                 table_version: str | None) -> None:
        self.request, self.response, self.limits = request, response, limits
        self.rt, self.table_version = rt, table_version

    async def write(self, lines: list[bytes]) -> None:
        if self.table_version:
            lines = [_as_table_line(self.rt, line, self.table_version) for line in lines]
        try:
            async with asyncio.timeout(self.limits.watch_send_timeout):
                await self.response.write(b"".join(lines))
        except TimeoutError:
            raise SlowWatcher() from None

    async def end(self) -> None:
        """The last chunk, within the send timeout too (a watcher closed for falling behind ends here)."""
        try:
            async with asyncio.timeout(self.limits.watch_send_timeout):
                await self.response.write_eof()
        except TimeoutError:
            raise SlowWatcher() from None

    async def send_all(self, lines: list[bytes]) -> None:
        """Write `lines` in chunks of about WRITE_BYTES, releasing each chunk once written."""
        batch: list[bytes] = []
        size = 0
        lines.reverse()
        while lines:
            line = lines.pop()
            batch.append(line)
            size += len(line)
            if size >= WRITE_BYTES or not lines:
                await self.write(batch)
                batch, size = [], 0


async def _pump(request: web.Request, sender: _Sender, watcher: Watcher, deadline: float,
                bookmark_every: float | None) -> None:
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
        except TimeoutError:
            continue
        lines, size = [line], len(line or b"")
        while not watcher.queue.empty() and len(lines) < 256 and size < WRITE_BYTES:   # what is ready, in one write
            lines.append(watcher.queue.get_nowait())
            size += len(lines[-1] or b"")
        for taken in lines:
            watcher.taken(taken)
        ended = None in lines
        payload = [ln for ln in lines if ln is not None]
        if payload:
            await sender.write(payload)
        if ended:
            return
