"""Recording Kubernetes Events, as client-go's tools/record EventRecorder does.

Components tell users what they did by writing core/v1 Event objects about an
object (`Scheduled`, `FailedScheduling`, `SuccessfulCreate`, `Killing`, ...),
which `kubectl describe` and `mkctl describe` show at the bottom.

Like client-go's EventCorrelator, a repeat of the same event (same object,
type, reason and message) is not a new object: the existing Event's `count`
and `lastTimestamp` are bumped, so a pod that fails to schedule a hundred
times has one FailedScheduling event with count 100, not a hundred events.
The recorder never raises: failing to record an event must not break the
controller that records it (it is logged instead).
"""
from __future__ import annotations

import hashlib
import logging
import socket
from datetime import datetime, timezone
from typing import Any

from minikube_py.api.errors import ApiError

log = logging.getLogger("client.events")

NORMAL, WARNING = "Normal", "Warning"


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _micro_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def object_reference(obj: dict[str, Any]) -> dict[str, Any]:
    """The involvedObject of an Event: who the event is about."""
    meta = obj.get("metadata") or {}
    ref = {"kind": obj.get("kind"), "apiVersion": obj.get("apiVersion"), "name": meta.get("name"),
           "namespace": meta.get("namespace"), "uid": meta.get("uid"),
           "resourceVersion": meta.get("resourceVersion")}
    return {k: v for k, v in ref.items() if v}


class EventRecorder:
    """Write Events on behalf of one component (`source.component`, `reportingComponent`)."""

    def __init__(self, api: Any, component: str, host: str | None = None) -> None:
        self.api = api
        self.component = component
        self.host = host or socket.gethostname()

    def _event_name(self, ref: dict[str, Any], event_type: str, reason: str, message: str) -> str:
        """Same object + type + reason + message -> same Event name, so repeats aggregate."""
        digest = hashlib.sha256(f"{ref.get('uid')}|{event_type}|{reason}|{message}|{self.component}".encode())
        return f"{ref.get('name', 'unknown')}.{digest.hexdigest()[:16]}"

    async def record(self, obj: dict[str, Any], event_type: str, reason: str, message: str) -> None:
        ref = object_reference(obj)
        namespace = ref.get("namespace") or "default"
        events = self.api.resource("events", namespace)
        name = self._event_name(ref, event_type, reason, message)
        now = _now()
        try:
            existing = await events.get(name)
            existing["count"] = int(existing.get("count") or 1) + 1
            existing["lastTimestamp"] = now
            await events.update(existing)
            return
        except ApiError as e:
            if e.reason not in ("NotFound", "Conflict"):
                log.warning("could not update event %s/%s: %s", namespace, name, e.message)
                return
            if e.reason == "Conflict":
                return   # somebody else bumped it at the same moment; one bump is lost, no harm
        event = {
            "apiVersion": "v1", "kind": "Event",
            "metadata": {"name": name, "namespace": namespace},
            "involvedObject": ref, "reason": reason, "message": message, "type": event_type,
            "source": {"component": self.component, "host": self.host},
            "firstTimestamp": now, "lastTimestamp": now, "eventTime": _micro_now(), "count": 1,
            "reportingComponent": self.component, "reportingInstance": self.host, "action": reason,
        }
        try:
            await events.create(event)
        except ApiError as e:
            if e.reason == "AlreadyExists":
                await self.record(obj, event_type, reason, message)   # raced with ourselves: bump it
            else:
                log.warning("could not record event %s %s: %s", reason, ref.get("name"), e.message)

    async def normal(self, obj: dict[str, Any], reason: str, message: str) -> None:
        await self.record(obj, NORMAL, reason, message)

    async def warning(self, obj: dict[str, Any], reason: str, message: str) -> None:
        await self.record(obj, WARNING, reason, message)
