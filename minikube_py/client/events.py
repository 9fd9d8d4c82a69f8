"""Recording Kubernetes Events, as client-go's tools/record EventRecorder does.

Components tell users what they did by writing core/v1 Event objects about an
object (`Scheduled`, `FailedScheduling`, `SuccessfulCreate`, `Killing`, ...),
which `kubectl describe` and `mkctl describe` show at the bottom.

Like client-go's EventCorrelator, a repeat of the same event (same object,
type, reason and message) is not a new object: the existing Event's `count`
and `lastTimestamp` are bumped, so a pod that fails to schedule a hundred
times has one FailedScheduling event with count 100, not a hundred events.

Like client-go's recordToSink, the recorder remembers the events it has
written (a bounded LRU, as the correlator's cache) and so sends one request
per event: a POST for an event it has not seen, a PATCH of count and
lastTimestamp for a repeat. Only when the POST finds the Event already there
(written by an earlier run of this component: our names are derived from the
event, not random as client-go's) does it read it to continue its count; a
PATCH that finds the Event gone (expired) creates it again.
The recorder never raises: failing to record an event must not break the
controller that records it (it is logged instead).
"""
from __future__ import annotations

import hashlib
import logging
import socket
from collections import OrderedDict
from typing import Any

from minikube_py.api.errors import ApiError
from minikube_py.api.times import microtimestamp, timestamp

log = logging.getLogger("client.events")

NORMAL, WARNING = "Normal", "Warning"
MAX_REMEMBERED_EVENTS = 4096          # client-go's maxLruCacheEntries


def object_reference(obj: dict[str, Any]) -> dict[str, Any]:
    """The involvedObject of an Event: who the event is about."""
    meta = obj.get("metadata") or {}
    ref = {"kind": obj.get("kind"), "apiVersion": obj.get("apiVersion"), "name": meta.get("name"),
           "namespace": meta.get("namespace"), "uid": meta.get("uid"),
           "resourceVersion": meta.get("resourceVersion")}
    return {k: v for k, v in ref.items() if v}


class EventRecorder:
    """Write Events on behalf of one component (`source.component`, `reportingComponent`)."""

    def __init__(self, api: Any, component: str, host: str | None = None,
                 max_remembered: int = MAX_REMEMBERED_EVENTS) -> None:
        self.api = api
        self.component = component
        self.host = host or socket.gethostname()
        self.max_remembered = max_remembered
        # (namespace, name) -> the count we last wrote, most recently used last.
        self._counts: OrderedDict[tuple[str, str], int] = OrderedDict()

    def _event_name(self, ref: dict[str, Any], event_type: str, reason: str, message: str) -> str:
        """Same object + type + reason + message -> same Event name, so repeats aggregate."""
        digest = hashlib.sha256(f"{ref.get('uid')}|{event_type}|{reason}|{message}|{self.component}".encode())
        return f"{ref.get('name', 'unknown')}.{digest.hexdigest()[:16]}"

    def _remember(self, key: tuple[str, str], count: int) -> None:
        self._counts[key] = count
        self._counts.move_to_end(key)
        while len(self._counts) > self.max_remembered:
            self._counts.popitem(last=False)

    async def record(self, obj: dict[str, Any], event_type: str, reason: str, message: str) -> None:
        ref = object_reference(obj)
        namespace = ref.get("namespace") or "default"
        events = self.api.resource("events", namespace)
        name = self._event_name(ref, event_type, reason, message)
        key, now = (namespace, name), timestamp()
        try:
            if key in self._counts:
                count = self._counts[key] + 1
                self._remember(key, count)
                try:
                    await events.patch(name, {"count": count, "lastTimestamp": now})
                    return
                except ApiError as e:
                    if e.reason != "NotFound":
                        raise
                await events.create(self._new_event(name, namespace, ref, event_type, reason, message, now, count))
                return
            try:
                await events.create(self._new_event(name, namespace, ref, event_type, reason, message, now, 1))
                self._remember(key, 1)
            except ApiError as e:
                if e.reason != "AlreadyExists":
                    raise
                existing = await events.get(name)      # written before we (re)started: continue its count
                count = int(existing.get("count") or 1) + 1
                self._remember(key, count)
                await events.patch(name, {"count": count, "lastTimestamp": now})
        except ApiError as e:
            log.warning("could not record event %s %s: %s", reason, ref.get("name"), e.message)

    def _new_event(self, name: str, namespace: str, ref: dict[str, Any], event_type: str, reason: str,
                   message: str, now: str, count: int) -> dict[str, Any]:
        return {
            "apiVersion": "v1", "kind": "Event",
            "metadata": {"name": name, "namespace": namespace},
            "involvedObject": ref, "reason": reason, "message": message, "type": event_type,
            "source": {"component": self.component, "host": self.host},
            "firstTimestamp": now, "lastTimestamp": now, "eventTime": microtimestamp(), "count": count,
            "reportingComponent": self.component, "reportingInstance": self.host, "action": reason,
        }

    async def normal(self, obj: dict[str, Any], reason: str, message: str) -> None:
        await self.record(obj, NORMAL, reason, message)

    async def warning(self, obj: dict[str, Any], reason: str, message: str) -> None:
        await self.record(obj, WARNING, reason, message)
