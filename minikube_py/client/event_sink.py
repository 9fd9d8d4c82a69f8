"""Sending Events without slowing the caller: client-go's event broadcaster (tools/record).

kube-scheduler and kubelet hand each Event to a broadcaster with a bounded
queue (1000) and go on; a separate goroutine writes them, and when the queue is
full new events are dropped rather than blocking the component. We do the same
with an asyncio queue and a few writer tasks around the shared EventRecorder
(which aggregates repeats into one Event with a count).
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any

from minikube_py.client.events import NORMAL, WARNING, EventRecorder

log = logging.getLogger("client.events")

MAX_QUEUED_EVENTS = 1000


class EventSink:
    def __init__(self, recorder: EventRecorder, writers: int = 4, max_queued: int = MAX_QUEUED_EVENTS) -> None:
        self.recorder = recorder
        self.writers = writers
        self.dropped = 0
        self._queue: asyncio.Queue[tuple[dict[str, Any], str, str, str]] = asyncio.Queue(max_queued)
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._write(), name=f"event-writer-{i}") for i in range(self.writers)]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def drain(self) -> None:
        await self._queue.join()

    def emit(self, obj: dict[str, Any], event_type: str, reason: str, message: str) -> None:
        try:
            self._queue.put_nowait((obj, event_type, reason, message))
        except asyncio.QueueFull:
            self.dropped += 1
            if self.dropped % 100 == 1:
                log.warning("event queue full: dropped %d events so far", self.dropped)

    def normal(self, obj: dict[str, Any], reason: str, message: str) -> None:
        self.emit(obj, NORMAL, reason, message)

    def warning(self, obj: dict[str, Any], reason: str, message: str) -> None:
        self.emit(obj, WARNING, reason, message)

    async def _write(self) -> None:
        while True:
            obj, event_type, reason, message = await self._queue.get()
            try:
                await self.recorder.record(obj, event_type, reason, message)
            except Exception:
                log.exception("could not record %s event", reason)
            finally:
                self._queue.task_done()
