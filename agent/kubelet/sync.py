"""One pod's reconciliation: kubelet's SyncPod / computePodActions (kuberuntime_manager.go).

Each sync compares the desired pod with the pod's containers in the runtime's
view (found by the pod-uid label as the PLEG last listed them, plus what the
runtime did since; nothing is remembered that the runtime does not also know)
and takes the next steps:

1. The sandbox: none, or not running -> kill what is left, start a new one
   (attempt + 1) and hand its network namespace to the network plugin.
2. Volumes: make them exist and current (configMap/secret files refreshed).
3. Init containers, in order: the first that has not succeeded runs alone.
4. App containers: start the missing, restart the exited ones the
   restartPolicy wants back (after the crash-loop back-off), kill the ones
   whose liveness probe failed.
5. Status: computed from what was seen, sent when it changed.

Restart counts and last states come from the containers' labels and from the
previous (exited) container kept beside the current one, so they survive an
agent restart, as kubelet's do.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any

from agent.kubelet.backoff import ImagePullBackoff, crash_backoff_remaining
from agent.kubelet.containers import ContainerStarter, StartError, pod_ref
from agent.kubelet.probes import LIVENESS, READINESS, STARTUP, ContainerProbes, ProbeResults
from agent.kubelet.runtime.types import KIND_APP, KIND_INIT, KIND_SANDBOX, ContainerRecord
from agent.kubelet.services import Services
from agent.kubelet.status import Observation, pod_status
from agent.kubelet.volumes import VolumeError

log = logging.getLogger("agent.sync")


def latest(history: dict[str, list[ContainerRecord]], name: str) -> ContainerRecord | None:
    """The newest record of the container `name` in a history_by_name() result."""
    records = history.get(name)
    return records[-1] if records else None


def history_by_name(records: list[ContainerRecord], kind: str) -> dict[str, list[ContainerRecord]]:
    history: dict[str, list[ContainerRecord]] = {}
    for record in sorted(records, key=lambda r: (r.restart_count, r.created)):
        if record.kind == kind:
            history.setdefault(record.name, []).append(record)
    return history


def current_sandbox(records: list[ContainerRecord]) -> ContainerRecord | None:
    sandboxes = [r for r in records if r.kind == KIND_SANDBOX]
    return max(sandboxes, key=lambda r: (r.attempt, r.created)) if sandboxes else None


def wants_restart(policy: str, record: ContainerRecord) -> bool:
    return policy == "Always" or (policy == "OnFailure" and record.exit_code != 0)


class PodSync:
    """The state one pod worker keeps between syncs: probes, pull back-off, the pod IP."""

    def __init__(self, services: Services, wake: Any) -> None:
        self.services = services
        self.starter = ContainerStarter(services)
        self.results = ProbeResults(on_change=wake)
        self.probes: dict[str, ContainerProbes] = {}
        self.pull_backoff = ImagePullBackoff(services.config.image_pull_backoff_base, services.config.backoff_max)
        self.pod_ip: str | None = None
        self.pod: dict[str, Any] = {}

    # ---- the sync ---------------------------------------------------------------------

    async def sync(self, pod: dict[str, Any]) -> float:
        """Move the pod one step closer to its spec; seconds until the next sync is wanted."""
        self.pod = pod
        runtime = self.services.runtime
        records = runtime.pod_containers(pod["metadata"]["uid"])
        seen = Observation(history={}, host_ip=self.services.config.node_ip)
        next_sync = self.services.config.sync_frequency
        sandbox = current_sandbox(records)
        terminal = (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")
        if terminal:
            await self._stop_all(records, sandbox, "the pod has completed")
        else:
            sandbox = await self._ensure_sandbox(records, sandbox)
            records = runtime.pod_containers(pod["metadata"]["uid"])
            try:
                volume_paths = await self.services.volumes.set_up(pod, self.services.object_getter(
                    pod["metadata"]["namespace"]))
            except VolumeError as e:
                self.services.events.warning(pod, "FailedMount", f"MountVolume.SetUp failed: {e}")
                volume_paths = None
                next_sync = min(next_sync, 2.0)
            if volume_paths is not None and sandbox is not None:
                next_sync = min(next_sync, await self._sync_containers(records, sandbox, volume_paths, seen))
                records = runtime.pod_containers(pod["metadata"]["uid"])
        seen.history = {**history_by_name(records, KIND_INIT), **history_by_name(records, KIND_APP)}
        seen.pod_ip = self.pod_ip                   # status.podIP, from the network plugin
        self._observe_probes(pod, seen)
        status = pod_status(pod, seen)
        await self.services.status.set_status(pod, status)
        if status["phase"] in ("Succeeded", "Failed") and not terminal:
            await self._stop_all(records, current_sandbox(records), "the pod has completed")
        await self._remove_old_containers(records)
        return next_sync

    async def _ensure_sandbox(self, records: list[ContainerRecord],
                              sandbox: ContainerRecord | None) -> ContainerRecord:
        if sandbox is not None and sandbox.running:
            if self.pod_ip is None:
                self.pod_ip = await self.services.network.setup(pod_ref(self.pod), sandbox,
                                                                 self.services.runtime.netns_path(sandbox))
            return sandbox
        if sandbox is not None:
            self.services.events.normal(self.pod, "SandboxChanged",
                                        "Pod sandbox changed, it will be killed and re-created.")
            await self._stop_all(records, sandbox, "the pod sandbox changed")
        attempt = sandbox.attempt + 1 if sandbox else 0
        new = await self.services.runtime.run_sandbox(pod_ref(self.pod), attempt)
        self.pod_ip = await self.services.network.setup(pod_ref(self.pod), new,
                                                         self.services.runtime.netns_path(new))
        return new

    async def _sync_containers(self, records: list[ContainerRecord], sandbox: ContainerRecord,
                               volume_paths: dict[str, str], seen: Observation) -> float:
        """Init containers first, in order; then the app containers. Returns the wanted re-sync delay."""
        spec = self.pod.get("spec") or {}
        inits = history_by_name([r for r in records if r.attempt == sandbox.attempt], KIND_INIT)
        for container in spec.get("initContainers") or []:
            current = latest(inits, container["name"])
            if current is not None and current.exited and current.exit_code == 0:
                continue
            return await self._sync_one(container, current, KIND_INIT, sandbox, volume_paths, seen,
                                        policy="Never" if spec.get("restartPolicy") == "Never" else "OnFailure")
        apps = history_by_name(records, KIND_APP)
        delays = [await self._sync_one(c, latest(apps, c["name"]), KIND_APP, sandbox, volume_paths,
                                       seen, policy=spec.get("restartPolicy", "Always"))
                  for c in spec.get("containers") or []]
        return min(delays, default=self.services.config.sync_frequency)

    async def _sync_one(self, container: dict[str, Any], current: ContainerRecord | None, kind: str,
                        sandbox: ContainerRecord, volume_paths: dict[str, str], seen: Observation, *,
                        policy: str) -> float:
        """One container's next step; the re-sync delay it wants."""
        name = container["name"]
        if current is not None and current.running:
            self._ensure_probes(container, current, sandbox)
            failed = [kind for kind in (STARTUP, LIVENESS) if self.results.get(name, kind) is False]
            if failed:
                await self.starter.kill(self.pod, container, current, sandbox, self._grace(),
                                        f"Container {name} failed {failed[0]} probe, will be restarted")
                self.results.clear(name)
                return 0.0
            return self.services.config.sync_frequency
        if current is not None and current.state == "created":
            await self.services.runtime.start_container(current.id)
            return 0.0
        if current is not None and current.exited and not wants_restart(policy, current):
            return self.services.config.sync_frequency
        if current is not None and current.exited:
            wait = crash_backoff_remaining(current, self.services.config.backoff_base,
                                           self.services.config.backoff_max)
            if wait > 0:
                message = (f"back-off {self._backoff_text(current)} restarting failed container={name} "
                           f"pod={self.pod['metadata']['name']}_{self.pod['metadata']['namespace']}"
                           f"({self.pod['metadata']['uid']})")
                seen.waiting[name] = ("CrashLoopBackOff", message)
                self.services.events.warning(self.pod, "BackOff", "Back-off restarting failed container")
                return wait
        return await self._start(container, current, kind, sandbox, volume_paths, seen)

    async def _start(self, container: dict[str, Any], previous: ContainerRecord | None, kind: str,
                     sandbox: ContainerRecord, volume_paths: dict[str, str], seen: Observation) -> float:
        name, image = container["name"], container["image"]
        wait = self.pull_backoff.remaining(image)
        if wait > 0:
            seen.waiting[name] = ("ImagePullBackOff", f'Back-off pulling image "{image}"')
            self.services.events.normal(self.pod, "BackOff", f'Back-off pulling image "{image}"')
            return wait
        restart_count = previous.restart_count + 1 if previous is not None else 0
        try:
            await self.starter.start(self.pod, container, sandbox, kind=kind, restart_count=restart_count,
                                     volume_paths=volume_paths, pod_ip=self.pod_ip)
        except StartError as e:
            seen.waiting[name] = (e.reason, e.message)
            if e.reason == "ErrImagePull":
                self.pull_backoff.failed(image)
                return self.pull_backoff.remaining(image)
            return 2.0
        self.pull_backoff.succeeded(image)
        return 0.0 if kind == KIND_INIT else self.services.config.sync_frequency

    # ---- probes -------------------------------------------------------------------------

    def _ensure_probes(self, container: dict[str, Any], record: ContainerRecord, sandbox: ContainerRecord) -> None:
        name = container["name"]
        existing = self.probes.get(name)
        if existing is not None and existing.container_id == record.id:
            return
        if existing is not None:
            existing.cancel()
        self.probes[name] = ContainerProbes(self.services.runtime, container, record, sandbox, self.results,
                                            self._probe_failed(container["name"]))

    def _probe_failed(self, name: str):
        async def record(kind: str, message: str) -> None:
            self.services.events.warning(self.pod, "Unhealthy", f"{kind.capitalize()} probe failed: {message}")
        return record

    def _observe_probes(self, pod: dict[str, Any], seen: Observation) -> None:
        for container in (pod.get("spec") or {}).get("containers") or []:
            name = container["name"]
            seen.ready[name] = not container.get("readinessProbe") or self.results.get(name, READINESS) is True
            seen.started[name] = not container.get("startupProbe") or self.results.get(name, STARTUP) is True

    def stop_probes(self) -> None:
        for probes in self.probes.values():
            probes.cancel()
        self.probes.clear()

    # ---- stopping and cleaning ------------------------------------------------------------

    def _grace(self) -> int:
        spec = self.pod.get("spec") or {}
        meta = self.pod.get("metadata") or {}
        grace = meta.get("deletionGracePeriodSeconds", spec.get("terminationGracePeriodSeconds", 30))
        return int(grace if grace is not None else 30)

    async def _stop_all(self, records: list[ContainerRecord], sandbox: ContainerRecord | None, reason: str) -> None:
        specs = {c["name"]: c for c in (self.pod.get("spec") or {}).get("containers") or []}
        self.stop_probes()
        running = [r for r in records if r.running and r.kind != KIND_SANDBOX]
        await asyncio.gather(*(self.starter.kill(self.pod, specs.get(r.name), r, sandbox, self._grace(), reason)
                               for r in running))
        if sandbox is not None and sandbox.running:
            await self.services.network.teardown(pod_ref(self.pod), sandbox)
            await self.services.runtime.stop_container(sandbox.id, 0)

    async def kill_pod(self, pod: dict[str, Any]) -> int:
        """Stop everything of the pod (graceful), then remove its containers and volumes;
        how many containers were removed."""
        self.pod = pod
        records = self.services.runtime.pod_containers(pod["metadata"]["uid"])
        await self._stop_all(records, current_sandbox(records), "the pod is being deleted")
        remaining = self.services.runtime.pod_containers(pod["metadata"]["uid"])
        for record in remaining:
            await self.services.runtime.remove_container(record.id)
        self.services.volumes.tear_down(pod["metadata"]["uid"])
        self.services.status.forget(pod["metadata"]["uid"])
        return len(remaining)

    async def _remove_old_containers(self, records: list[ContainerRecord]) -> None:
        """Keep the current and the previous container of each name (for lastState and
        `logs --previous`), and the current sandbox; remove the rest (kubelet's container GC)."""
        sandbox = current_sandbox(records)
        keep = {sandbox.id} if sandbox else set()
        for kind in (KIND_INIT, KIND_APP):
            for history in history_by_name(records, kind).values():
                keep |= {r.id for r in history[-2:]}
        for record in records:
            if record.id not in keep and not record.running:
                await self.services.runtime.remove_container(record.id)

    def _backoff_text(self, record: ContainerRecord) -> str:
        seconds = min(self.services.config.backoff_base * 2 ** max(record.restart_count - 1, 0),
                      self.services.config.backoff_max)
        minutes, secs = divmod(int(seconds), 60)
        return f"{minutes}m{secs}s" if minutes else f"{secs}s"
