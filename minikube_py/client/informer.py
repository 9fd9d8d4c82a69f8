"""Informers: client-go's Reflector + Indexer + SharedIndexInformer (tools/cache), simplified.

An informer keeps a local, always-converging copy of one kind of object and
tells event handlers what changed, so controllers never poll the API server:

1. List (in pages, one consistent snapshot) and remember the list's resourceVersion.
2. Watch from that resourceVersion with allowWatchBookmarks; each event updates
   the store (store.py) and is handed to the handlers. BOOKMARKs only move the
   resourceVersion forward. When the server ends the watch (timeoutSeconds), we
   watch again from the last resourceVersion we saw: no event is lost.
3. On a 410 Expired ERROR event (our resourceVersion was compacted away) or a
   broken watch or connection: list again and deliver the *difference* between
   the cache and the fresh list: adds for new objects, updates for changed ones,
   deletes for vanished ones. Handlers never miss a final state and never get an
   add for an object they already have.

Where we differ from client-go, on purpose:
- No DeltaFIFO: events are applied to the store as they arrive (one event loop,
  no locks needed) and fanned out to each handler's own queue (client-go's
  processorListener), so a slow handler delays only itself.
- A vanished object's delete carries a `DeletedFinalStateUnknown`, which *is* the
  last known object (a dict subclass) plus `.key`: handlers that only read it
  need no type check, handlers that care can test `isinstance(...)`.
- A relist delivers updates only for objects whose resourceVersion changed
  (client-go re-delivers every object); an object replaced under the same name
  (new uid) arrives as an update, as in client-go.
"""
from __future__ import annotations

import asyncio
import builtins
import logging
import random
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from minikube_py.api.errors import ApiError
from minikube_py.api.resources import ResourceType
from minikube_py.client.callbacks import call
from minikube_py.client.resource import ResourceClient
from minikube_py.client.store import NODE_NAME_INDEX, Indexer, IndexFunc, index_pods_by_node, key_of

if TYPE_CHECKING:
    from minikube_py.client.rest import ApiClient

log = logging.getLogger("client.informer")

Handler = Callable[..., Any] | None


class DeletedFinalStateUnknown(dict[str, Any]):
    """The last known state of an object deleted while we were not watching."""

    def __init__(self, key: str, obj: dict[str, Any]) -> None:
        super().__init__(obj)
        self.key = key


class WatchExpired(Exception):
    """The server answered 410 Expired: our resourceVersion is too old, we must relist."""


def resource_version(obj: dict[str, Any]) -> str:
    version: str = (obj.get("metadata") or {}).get("resourceVersion", "")
    return version


class EventHandlerRegistration:
    """One set of handlers with its own queue and task (client-go's processorListener)."""

    def __init__(self, on_add: Handler, on_update: Handler, on_delete: Handler) -> None:
        self._handlers = {"add": on_add, "update": on_update, "delete": on_delete}
        self._queue: asyncio.Queue[tuple[str, tuple[Any, ...]]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    def notify(self, kind: str, *args: Any) -> None:
        if self._handlers[kind] is not None:
            self._queue.put_nowait((kind, args))

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="informer-handler")

    async def drained(self) -> None:
        """Wait until every notification queued so far has been handled."""
        await self._queue.join()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _run(self) -> None:
        while True:
            kind, args = await self._queue.get()
            try:
                await call(self._handlers[kind], *args)
            except Exception:
                log.exception("%s handler failed", kind)
            finally:
                self._queue.task_done()


class SharedInformer:
    """List + watch + cache for one resource (and namespace and selectors), shared by many handlers."""

    def __init__(self, client: ResourceClient, *, label_selector: str | None = None,
                 field_selector: str | None = None, resync_period: float = 0.0, page_size: int = 500,
                 watch_timeout_seconds: int = 300, backoff_base: float = 0.2, backoff_cap: float = 30.0) -> None:
        self.client = client
        self.label_selector, self.field_selector = label_selector, field_selector
        self.resync_period = resync_period
        self.page_size = page_size
        self.watch_timeout_seconds = watch_timeout_seconds
        self.backoff_base, self.backoff_cap = backoff_base, backoff_cap
        self.store = Indexer()
        self.list_count = 0                  # how many times we listed (1 + relists)
        self.last_sync_resource_version = ""
        self._registrations: list[EventHandlerRegistration] = []
        self._synced = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def __repr__(self) -> str:
        return f"SharedInformer({self.client.rt.plural}, ns={self.client.namespace!r})"

    # ---- what controllers use -----------------------------------------------------------

    def add_event_handler(self, on_add: Handler = None, on_update: Handler = None,
                          on_delete: Handler = None) -> EventHandlerRegistration:
        """on_add(obj), on_update(old, new), on_delete(obj); sync or async. A handler added
        late first gets an add for every cached object, as in client-go."""
        registration = EventHandlerRegistration(on_add, on_update, on_delete)
        for obj in self.store.list():
            registration.notify("add", obj)
        self._registrations.append(registration)
        if self._tasks:
            registration.start()
        return registration

    def add_indexer(self, name: str, fn: IndexFunc) -> None:
        self.store.add_indexer(name, fn)

    def by_index(self, name: str, value: str | None) -> list[dict[str, Any]]:
        return self.store.by_index(name, value)

    def get(self, name: str, namespace: str | None = None) -> dict[str, Any] | None:
        return self.store.get(name, namespace)

    def list(self) -> list[dict[str, Any]]:
        return self.store.list()

    def has_synced(self) -> bool:
        return self._synced.is_set()

    async def wait_for_sync(self, timeout: float | None = None) -> None:
        await asyncio.wait_for(self._synced.wait(), timeout)

    def start(self) -> None:
        """Start listing and watching (needs a running event loop); calling it twice does nothing."""
        if self._tasks:
            return
        for registration in self._registrations:
            registration.start()
        self._tasks.append(asyncio.create_task(self._run(), name=f"reflector-{self.client.rt.plural}"))
        if self.resync_period > 0:
            self._tasks.append(asyncio.create_task(self._resync_loop(), name=f"resync-{self.client.rt.plural}"))

    async def stop(self) -> None:
        """Stop watching and delivering; closes the watch connection."""
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for registration in self._registrations:
            await registration.stop()

    # ---- the reflector ------------------------------------------------------------------

    async def _run(self) -> None:
        backoff = self.backoff_base
        while True:
            try:
                await self._list_and_replace()
                await self._watch_until_broken()
            except WatchExpired as e:
                log.info("%r: watch expired (%s); relisting", self, e)
                backoff = self.backoff_base
            except asyncio.CancelledError:
                raise
            except Exception as e:
                log.warning("%r: list/watch failed (%s: %s); relisting in %.1fs", self, type(e).__name__, e, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.backoff_cap)

    async def _list_and_replace(self) -> None:
        items, rv = await self.client.list_all(label_selector=self.label_selector,
                                               field_selector=self.field_selector, limit=self.page_size)
        self.list_count += 1
        self._replace(items)
        self.last_sync_resource_version = rv
        self._synced.set()
        log.debug("%r: listed %d objects at resourceVersion %s", self, len(items), rv)

    async def _watch_until_broken(self) -> None:
        """Watch from the last resourceVersion; re-watch when the server ends a stream normally."""
        while True:
            timeout = random.randint(self.watch_timeout_seconds, 2 * self.watch_timeout_seconds)
            async for event in self.client.watch(
                    resource_version=self.last_sync_resource_version, label_selector=self.label_selector,
                    field_selector=self.field_selector, timeout_seconds=timeout, allow_bookmarks=True):
                self._apply(event)

    def _apply(self, event: dict[str, Any]) -> None:
        kind, obj = event.get("type"), event.get("object") or {}
        if kind == "ERROR":
            if obj.get("code") == 410:
                raise WatchExpired(obj.get("message", "410 Expired"))
            raise ApiError.from_status(obj, 500)
        if kind in ("ADDED", "MODIFIED"):
            self._upsert(obj)
        elif kind == "DELETED":
            self._remove(key_of(obj), obj)
        elif kind != "BOOKMARK":
            log.warning("%r: ignoring a watch event of type %r", self, kind)
            return
        self.last_sync_resource_version = resource_version(obj) or self.last_sync_resource_version

    # ---- store changes and their notifications (no awaits: atomic on the event loop) -----

    def _replace(self, items: builtins.list[dict[str, Any]]) -> None:
        """Make the store equal the fresh list, notifying only the differences."""
        fresh = {key_of(obj): obj for obj in items}
        for key in [key for key in self.store.keys() if key not in fresh]:
            last = cast(dict[str, Any], self.store.get_by_key(key))      # there: the key comes from keys()
            self._remove(key, DeletedFinalStateUnknown(key, last))
        for key, obj in fresh.items():
            cached = self.store.get_by_key(key)
            if cached is None or resource_version(cached) != resource_version(obj):
                self._upsert(obj)

    def _upsert(self, obj: dict[str, Any]) -> None:
        old = self.store.put(obj)
        if old is None:
            self._notify("add", obj)
        else:
            self._notify("update", old, obj)

    def _remove(self, key: str, final_state: dict[str, Any]) -> None:
        if self.store.delete(key) is not None:
            self._notify("delete", final_state)

    def _notify(self, kind: str, *args: Any) -> None:
        for registration in self._registrations:
            registration.notify(kind, *args)

    async def _resync_loop(self) -> None:
        """Every resync_period, re-deliver every cached object as an update with old == new,
        so level-triggered controllers get a periodic chance to repair drift."""
        while True:
            await asyncio.sleep(self.resync_period)
            for obj in self.store.list():
                self._notify("update", obj, obj)


class SharedInformerFactory:
    """One informer per (resource, namespace, selectors), so many controllers share one watch
    and one cache (client-go's informers.SharedInformerFactory). Pod informers come with a
    spec.nodeName index (store.NODE_NAME_INDEX)."""

    def __init__(self, api: ApiClient, *, resync_period: float = 0.0, **informer_options: Any) -> None:
        self.api = api
        self.resync_period = resync_period
        self.informer_options = informer_options
        self._informers: dict[tuple[Any, ...], SharedInformer] = {}
        self._started = False

    def informer(self, resource: str | ResourceType, namespace: str | None = None, *,
                 label_selector: str | None = None, field_selector: str | None = None) -> SharedInformer:
        client = self.api.resource(resource, namespace)
        key = (client.rt.group, client.rt.plural, client.namespace, label_selector, field_selector)
        if key not in self._informers:
            informer = SharedInformer(client, label_selector=label_selector, field_selector=field_selector,
                                      resync_period=self.resync_period, **self.informer_options)
            if client.rt.plural == "pods" and not client.rt.group:
                informer.add_indexer(NODE_NAME_INDEX, index_pods_by_node)
            self._informers[key] = informer
            if self._started:
                informer.start()
        return self._informers[key]

    def start(self) -> None:
        """Start every informer asked for so far; later ones start as they are created."""
        self._started = True
        for informer in self._informers.values():
            informer.start()

    async def wait_for_cache_sync(self, timeout: float | None = None) -> None:
        await asyncio.wait_for(asyncio.gather(*(i.wait_for_sync() for i in self._informers.values())), timeout)

    async def stop(self) -> None:
        self._started = False
        await asyncio.gather(*(informer.stop() for informer in self._informers.values()))
