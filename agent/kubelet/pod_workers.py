"""Pod workers: kubelet's podWorkers (pod_workers.go) and its termination path.

One asyncio task per pod uid. The informer hands every change of a pod to its
worker (`update`), which keeps only the latest version and syncs: the sync
itself may take seconds (pulls, hooks), and updates arriving meanwhile are
folded into one next sync. Between changes the worker wakes up when the sync
asks for it (a back-off expiring, a periodic re-sync), when a probe result
changes, or when the PLEG sees one of its containers change in the runtime.

A pod that is deleted (deletionTimestamp) or gone from the API is terminated:
preStop hooks, SIGTERM, SIGKILL after the grace period, containers and volumes
removed, and then — only then — the deletion is confirmed to the API server
with gracePeriodSeconds=0 and the pod's uid as a precondition, so a new pod of
the same name is never deleted by mistake.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any

from agent.kubelet.services import Services
from agent.kubelet.sync import PodSync
from minikube_py.api.errors import ApiError

log = logging.getLogger("agent.podworkers")


def is_terminating(pod: dict[str, Any]) -> bool:
    return bool((pod.get("metadata") or {}).get("deletionTimestamp"))


class PodWorker:
    def __init__(self, services: Services, pod: dict[str, Any]) -> None:
        self.services = services
        self.uid = pod["metadata"]["uid"]
        self.pod = pod
        self.gone = False                 # the pod left the API (or this node)
        self._wakeup = asyncio.Event()
        self.syncer = PodSync(services, self.wake)
        self.task = asyncio.create_task(self._run(), name=f"pod-{pod['metadata']['name']}")

    def wake(self) -> None:
        self._wakeup.set()

    def update(self, pod: dict[str, Any]) -> None:
        self.pod = pod
        self.wake()

    def remove(self) -> None:
        self.gone = True
        self.wake()

    async def _run(self) -> None:
        failures = 0
        while True:
            self._wakeup.clear()
            if self.gone or is_terminating(self.pod):
                if await self._terminate():
                    return
                delay = 1.0
            else:
                try:
                    delay = await self.syncer.sync(self.pod)
                    failures = 0
                except asyncio.CancelledError:
                    raise
                except Exception:
                    failures += 1
                    log.exception("sync of pod %s failed", self.name)
                    delay = min(0.5 * 2 ** failures, 30.0)
            try:
                await asyncio.wait_for(self._wakeup.wait(), timeout=max(delay, 0.05))
            except TimeoutError:
                pass

    @property
    def name(self) -> str:
        return f"{self.pod['metadata']['namespace']}/{self.pod['metadata']['name']}"

    async def _terminate(self) -> bool:
        """Kill the pod and confirm the deletion; False when it has to be tried again."""
        try:
            removed = await self.syncer.kill_pod(self.pod)
            if not self.gone:
                await self._confirm_deletion()
            log.info("pod %s (uid %s): %d containers removed, %s", self.name, self.uid, removed,
                     "already gone from the API" if self.gone else "deletion confirmed")
            return True
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("terminating pod %s failed; will retry", self.name)
            return False

    async def _confirm_deletion(self) -> None:
        meta = self.pod["metadata"]
        try:
            await self.services.api.resource("pods", meta["namespace"]).delete(
                meta["name"], grace_period_seconds=0, preconditions={"uid": meta["uid"]})
        except ApiError as e:
            if e.code not in (404, 409):
                raise

    async def stop(self) -> None:
        """Stop working on the pod without touching its containers (agent shutdown)."""
        self.syncer.stop_probes()
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)


class PodWorkers:
    """The map uid -> worker; informer handlers call `update_pod` / `remove_pod`."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.workers: dict[str, PodWorker] = {}

    def update_pod(self, pod: dict[str, Any]) -> None:
        uid = pod["metadata"]["uid"]
        worker = self.workers.get(uid)
        if worker is None or worker.task.done():
            if worker is not None and worker.task.done() and (is_terminating(pod) or worker.gone):
                return            # already terminated; a late update must not resurrect it
            self.workers[uid] = PodWorker(self.services, pod)
        else:
            worker.update(pod)

    def remove_pod(self, pod: dict[str, Any]) -> None:
        worker = self.workers.get(pod["metadata"]["uid"])
        if worker is not None:
            worker.update(pod)
            worker.remove()
        else:                     # deleted while we were not looking: terminate what is left
            self.workers[pod["metadata"]["uid"]] = worker = PodWorker(self.services, pod)
            worker.remove()

    def wake(self, uid: str) -> None:
        worker = self.workers.get(uid)
        if worker is not None:
            worker.wake()

    def forget_finished(self) -> None:
        for uid in [uid for uid, w in self.workers.items() if w.task.done()]:
            del self.workers[uid]

    def active_uids(self) -> set[str]:
        return {uid for uid, worker in self.workers.items() if not worker.task.done()}

    async def stop(self) -> None:
        await asyncio.gather(*(worker.stop() for worker in self.workers.values()))
