"""The watch cache: one etcd watch fanned out to every HTTP watcher.

Kubernetes' apiserver does not open an etcd watch per client. Its "cacher"
keeps one watch per resource, a ring buffer of recent events, and hands each
event to every interested watcher after filtering it by namespace and
selectors. We do the same with a single etcd watch over the whole registry
prefix (so its revision is also a valid bookmark for every resource):

    etcd --watch--> WatchCache --(per resource ring buffer)--> Watcher queues --> HTTP streams

A watcher asking for `resourceVersion=N` gets every event after N: replayed
from the ring buffer when N is still covered, otherwise from a dedicated etcd
watch starting at N+1 (which etcd refuses with "compacted" when N is too old;
that becomes the 410 Expired ERROR event clients expect).

Selectors see transitions: an object that stops matching a watcher's selector
is sent to it as DELETED, one that starts matching as ADDED, as in Kubernetes.

After an etcd compaction the cache can lose track, two ways: its own watch is
refused as too old (after a reconnect), or etcd delivers an update or delete
without the previous value, because that revision was compacted before the
event was sent (a DELETE then does not even say what was deleted). Either way
the cache starts over from a fresh read, as Kubernetes' cacher does when its
reflector's watch fails ("etcd event received with PrevKv=nil"): it relists,
and every watcher gets 410 Expired, so clients relist too and drop what no
longer exists.
"""
from __future__ import annotations

import asyncio
import collections
import logging
from collections.abc import Callable, Iterable
from typing import Any

import aetcd
import orjson

from minikube_py.api import errors
from minikube_py.api.resources import RESOURCES, ResourceType

from .storage import Object, Store, _prefix_end, _with_rv

log = logging.getLogger("apiserver.watchcache")

Matcher = Callable[[Object], bool]


class PrevValueLost(Exception):
    """etcd sent an update or delete without the previous value (compacted before it was sent)."""

    def __init__(self, raw: aetcd.rtypes.Event) -> None:
        super().__init__(f"etcd event received without its previous value (key={raw.kv.key.decode()!r}, "
                         f"modRevision={raw.kv.mod_revision}, type={raw.kind})")


class WatchEvent:
    """One change of one object as etcd reported it.

    The JSON is decoded lazily, once, and only if some watcher needs it: with
    no watchers on a resource its events cost next to nothing.
    """

    __slots__ = ("type", "revision", "_value", "_prev_value", "_prev_revision", "_obj", "_prev", "_json", "_lines")

    def __init__(self, type: str, revision: int, value: bytes, prev_value: bytes | None,
                 prev_revision: int = 0) -> None:
        self.type = type                # ADDED, MODIFIED or DELETED
        self.revision = revision
        self._value = value              # for DELETED: the last stored value
        self._prev_value = prev_value
        self._prev_revision = prev_revision
        self._obj: Object | None = None
        self._prev: Object | None = None
        self._json: bytes | None = None
        self._lines: dict[str, bytes] = {}

    @property
    def obj(self) -> Object:
        """The object at this revision (a deleted object carries the deletion revision)."""
        if self._obj is None:
            self._obj = _with_rv(self._value, self.revision)
        return self._obj

    @property
    def prev(self) -> Object | None:
        if self._prev is None and self._prev_value is not None:
            self._prev = _with_rv(self._prev_value, self._prev_revision)
        return self._prev

    def object_json(self) -> bytes:
        if self._json is None:
            self._json = orjson.dumps(self.obj)
        return self._json

    def line(self, event_type: str) -> bytes:
        """The stream line for this event as `event_type`, built once and shared by every watcher."""
        if event_type not in self._lines:
            self._lines[event_type] = event_line(event_type, self.object_json())
        return self._lines[event_type]


async def _cancel_quietly(stream: Any) -> None:
    """Cancel an aetcd watch; after a broken connection there may be nothing left to cancel."""
    try:
        await asyncio.shield(stream.cancel())
    except Exception:  # noqa: BLE001 - the stream is gone either way
        pass


def event_line(event_type: str, object_json: bytes) -> bytes:
    """One line of a watch stream: {"type": ..., "object": ...}."""
    return b'{"type":"' + event_type.encode() + b'","object":' + object_json + b"}\n"


class Watcher:
    """One client's watch: filters events and queues ready-to-send lines."""

    def __init__(self, rt: ResourceType, matches: Matcher, after_revision: int,
                 max_queued: int = 10_000) -> None:
        self.rt = rt
        self.matches = matches
        self.last_revision = after_revision   # events at or before this were already seen
        self.queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        self.max_queued = max_queued
        self.queued_bytes = 0                       # what the queue holds; see taken()
        self.max_queued_bytes: int | None = None    # set by the HTTP side (watch.py: slow watchers)
        self.closed = False
        self.on_close: Callable[[Watcher], object] | None = None     # its result is ignored
        # The newest revision this watcher is known to be complete up to (for bookmarks).
        self.progress: Callable[[], int] = lambda: self.last_revision

    def offer(self, event: WatchEvent) -> None:
        if self.closed or event.revision <= self.last_revision:
            return
        now = self.matches(event.obj)
        before = event.prev is not None and self.matches(event.prev)
        if event.type == "DELETED":
            event_type = "DELETED" if before else None
        elif now:
            event_type = "MODIFIED" if before else "ADDED"
        else:
            event_type = "DELETED" if before else None
        self.last_revision = event.revision
        if event_type is not None:
            self._put(event.line(event_type))

    def send_initial(self, obj: Object) -> None:
        """A synthetic ADDED for an object that existed when the watch began."""
        self._put(event_line("ADDED", orjson.dumps(obj)))

    def bookmark(self, revision: int) -> None:
        mark = {"kind": self.rt.kind, "apiVersion": self.rt.api_version,
                "metadata": {"resourceVersion": str(revision)}}
        self._put(event_line("BOOKMARK", orjson.dumps(mark)))

    def fail(self, error: errors.ApiError) -> None:
        """Send an ERROR event carrying a Status, then end the stream."""
        self._put(event_line("ERROR", orjson.dumps(error.status())))
        self.close()

    def _put(self, line: bytes) -> None:
        if self.closed:
            return
        if self.queue.qsize() >= self.max_queued or (
                self.max_queued_bytes and self.queued_bytes and self.queued_bytes + len(line) > self.max_queued_bytes):
            log.warning("closing a %s watcher that fell %d events (%d bytes) behind", self.rt.plural,
                        self.queue.qsize(), self.queued_bytes)
            self.close()
            return
        self.queued_bytes += len(line)
        self.queue.put_nowait(line)

    def taken(self, line: bytes | None) -> None:
        """The consumer took `line` off the queue: it no longer counts against max_queued_bytes."""
        if line is not None:
            self.queued_bytes -= len(line)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.queue.put_nowait(None)
            if self.on_close:
                self.on_close(self)


class WatchCache:
    """Single etcd watch over `<prefix>/`, with a ring buffer per resource."""

    def __init__(self, store: Store, capacity: int = 5_000) -> None:
        self.store = store
        self.capacity = capacity
        self.by_plural = {rt.plural: rt for rt in RESOURCES}
        self.buffers: dict[str, collections.deque[WatchEvent]] = {
            rt.plural: collections.deque() for rt in RESOURCES}
        # Events after `floor[plural]` are all in that resource's buffer.
        self.floor: dict[str, int] = {}
        self.watchers: dict[str, set[Watcher]] = {rt.plural: set() for rt in RESOURCES}
        self.revision = 0          # the newest etcd revision this cache has applied
        # Current namespaces, for the "namespace exists and is not terminating" check on
        # every create (Kubernetes' NamespaceLifecycle admission reads an informer the same way).
        self.namespaces: dict[str, Object] = {}
        # Current PriorityClasses, for the Priority admission on every pod create (priority.py).
        self.priority_classes: dict[str, Object] = {}
        # The newest stored value and revision of every object changed since the cache started.
        # A read-modify-write may start from it instead of reading etcd (Kubernetes' cacher hands
        # GuaranteedUpdate its cached object the same way); the write's revision compare keeps it safe.
        self.latest: dict[bytes, tuple[bytes, int]] = {}
        self.ready = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._advanced = asyncio.Event()   # set (and replaced) whenever `revision` moves on
        self._side_tasks: set[asyncio.Task[None]] = set()

    # -- lifecycle --------------------------------------------------------
    async def start(self) -> None:
        self._take(*await self._fresh_read())
        self._task = asyncio.create_task(self._run(), name="watchcache")

    async def _fresh_read(self) -> tuple[int, dict[str, Object], dict[str, Object]]:
        """The current revision and, as of it, the namespaces and PriorityClasses (the mirrors)."""
        namespaces, revision, _ = await self.store.list(self.by_plural["namespaces"], None)
        classes, _, _ = await self.store.list(self.by_plural["priorityclasses"], None, revision=revision)
        return (revision, {ns["metadata"]["name"]: ns for ns in namespaces},
                {pc["metadata"]["name"]: pc for pc in classes})

    def _take(self, revision: int, namespaces: dict[str, Object], classes: dict[str, Object]) -> None:
        """Continue from a fresh read: empty buffers starting at its revision, its mirrors."""
        for buffer in self.buffers.values():
            buffer.clear()
        self.latest.clear()
        self.namespaces, self.priority_classes = namespaces, classes
        self.revision = revision
        self.floor = {plural: revision for plural in self.buffers}
        self._advance()

    async def stop(self) -> None:
        tasks = [t for t in (self._task, *self._side_tasks) if t]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for watchers in self.watchers.values():
            for watcher in list(watchers):
                watcher.close()

    async def _run(self) -> None:
        """Follow etcd forever; reconnect after errors, start over after a compaction."""
        prefix = f"{self.store.prefix}/".encode()
        backoff = 0.1
        lost: str | None = None      # why the cache must start over from a fresh read
        while True:
            try:
                if lost is not None:
                    await self._reset(lost)
                    lost = None
                stream = await self.store.client.watch(prefix, range_end=_prefix_end(prefix),
                                                       start_revision=self.revision + 1, prev_kv=True)
                self.ready.set()
                backoff = 0.1
                try:
                    async for raw in stream:
                        self._apply(raw)
                finally:
                    await _cancel_quietly(stream)
            except asyncio.CancelledError:
                raise
            except aetcd.exceptions.RevisionCompactedError:
                lost = f"etcd compacted past revision {self.revision}"
            except PrevValueLost as e:
                lost = str(e)
            except Exception as e:  # etcd restarted or the connection broke
                self.ready.clear()
                log.warning("etcd watch broke (%s); re-watching from revision %d", e, self.revision + 1)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)

    async def _reset(self, why: str) -> None:
        """Start over from a fresh read; every watcher gets 410 Expired and relists."""
        log.warning("%s: the watch cache starts over from a fresh read", why)
        fresh = await self._fresh_read()
        # From here on without an await: no request sees a half-reset cache.
        for watchers in self.watchers.values():
            for watcher in list(watchers):
                watcher.fail(errors.gone("the watch cache started over after an etcd compaction; re-list"))
        self._take(*fresh)

    # -- dispatch ---------------------------------------------------------
    def decode(self, raw: aetcd.rtypes.Event) -> tuple[ResourceType, WatchEvent] | None:
        """Turn an etcd event into a typed WatchEvent (None for keys that are not objects).

        Raises PrevValueLost for an update or delete that comes without its previous value.
        """
        rest = raw.kv.key[len(self.store.prefix) + 1:].decode()
        rt = self.by_plural.get(rest.split("/", 1)[0])
        if rt is None:
            return None
        revision = raw.kv.mod_revision
        if raw.kind == "PUT" and raw.kv.create_revision == revision:
            return rt, WatchEvent("ADDED", revision, raw.kv.value, None)
        prev_kv = raw.prev_kv if raw.prev_kv is not None and raw.prev_kv.key else None  # empty means none
        if prev_kv is None:
            raise PrevValueLost(raw)
        if raw.kind == "DELETE":
            return rt, WatchEvent("DELETED", revision, prev_kv.value, prev_kv.value, prev_kv.mod_revision)
        return rt, WatchEvent("MODIFIED", revision, raw.kv.value, prev_kv.value, prev_kv.mod_revision)

    async def wait_until(self, revision: int, timeout: float) -> bool:
        """Wait until the cache has applied `revision` (read-your-writes); False on timeout."""
        deadline = asyncio.get_running_loop().time() + timeout
        while self.revision < revision:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                return False
            try:
                await asyncio.wait_for(self._advanced.wait(), remaining)
            except TimeoutError:
                return False
        return True

    def _advance(self) -> None:
        """Wake whoever waits in wait_until: `revision` moved on."""
        self._advanced.set()
        self._advanced = asyncio.Event()

    def _apply(self, raw: aetcd.rtypes.Event) -> None:
        decoded = self.decode(raw)     # first: an event the cache cannot apply does not count as applied
        self.revision = max(self.revision, raw.kv.mod_revision)
        self._advance()
        if decoded is None:
            return
        rt, event = decoded
        if event.type == "DELETED":
            self.latest.pop(raw.kv.key, None)
        else:
            self.latest[raw.kv.key] = (raw.kv.value, event.revision)
        if rt.plural == "namespaces":
            self._mirror(self.namespaces, event)
        elif rt.plural == "priorityclasses":
            self._mirror(self.priority_classes, event)
        buffer = self.buffers[rt.plural]
        buffer.append(event)
        if len(buffer) > self.capacity:
            self.floor[rt.plural] = buffer.popleft().revision
        for watcher in list(self.watchers[rt.plural]):
            watcher.offer(event)

    @staticmethod
    def _mirror(table: dict[str, Object], event: WatchEvent) -> None:
        name = event.obj["metadata"]["name"]
        if event.type == "DELETED":
            table.pop(name, None)
        else:
            table[name] = event.obj

    def cached(self, key: bytes) -> Object | None:
        """The object as this cache last saw it, or None: possibly stale, only a hint."""
        entry = self.latest.get(key)
        return None if entry is None else _with_rv(*entry)

    # -- watchers ---------------------------------------------------------
    def watch(self, rt: ResourceType, matches: Matcher, after_revision: int,
              initial: Iterable[Object] = ()) -> Watcher:
        """A watcher receiving every matching event with revision > after_revision.

        `initial` objects (a list taken at after_revision) are sent first as ADDED.
        """
        watcher = Watcher(rt, matches, after_revision)
        for obj in initial:
            watcher.send_initial(obj)
        if after_revision >= self.floor[rt.plural]:
            watcher.progress = lambda: max(self.revision, watcher.last_revision)
            for event in self.buffers[rt.plural]:
                watcher.offer(event)
            self.watchers[rt.plural].add(watcher)
            watcher.on_close = lambda w: self.watchers[rt.plural].discard(w)
        else:
            task = asyncio.create_task(self._watch_etcd_directly(rt, watcher, after_revision))
            self._side_tasks.add(task)
            task.add_done_callback(self._side_tasks.discard)
            watcher.on_close = lambda w: task.cancel()
        return watcher

    async def _watch_etcd_directly(self, rt: ResourceType, watcher: Watcher, after_revision: int) -> None:
        """For a revision older than the ring buffer: a private etcd watch (410 if compacted)."""
        prefix = self.store.collection_prefix(rt)
        stream = None
        try:
            stream = await self.store.client.watch(prefix, range_end=_prefix_end(prefix),
                                                   start_revision=after_revision + 1, prev_kv=True)
            async for raw in stream:
                decoded = self.decode(raw)
                if decoded:
                    watcher.offer(decoded[1])
        except aetcd.exceptions.RevisionCompactedError as e:
            watcher.fail(errors.gone(f"too old resource version: {after_revision} ({e.compacted_revision})"))
        except PrevValueLost as e:
            watcher.fail(errors.gone(f"{e}; re-list"))
        except asyncio.CancelledError:
            pass
        except Exception as e:
            log.warning("direct etcd watch for %s ended: %s", rt.plural, e)
            watcher.close()
        finally:
            if stream is not None:
                await _cancel_quietly(stream)

    def watcher_count(self) -> int:
        return sum(len(w) for w in self.watchers.values())
