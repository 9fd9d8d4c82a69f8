"""Starting and stopping one container: kubelet's kuberuntime_container.go.

startContainer: pull the image (per pull policy), build the config (env,
mounts), create, start, then run the postStart hook — a failing hook kills the
container (FailedPostStartHook). killContainer: run the preStop hook within the
grace period, then stop (SIGTERM, SIGKILL when the rest of the grace period is
over). Each step records the Event kubelet would.
"""
from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from agent.kubelet.container_config import container_config
from agent.kubelet.env import EnvError, container_env
from agent.kubelet.hosts_file import write_hosts_file
from agent.kubelet.probes import run_handler
from agent.kubelet.runtime.types import ContainerRecord, ImagePullError, Mount, PodRef
from agent.kubelet.services import Services
from agent.kubelet.volumes import VolumeError

log = logging.getLogger("agent.containers")


class StartError(Exception):
    """The container could not start; `reason` becomes its waiting reason."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason, self.message = reason, message


def pod_ref(pod: dict[str, Any]) -> PodRef:
    meta = pod["metadata"]
    spec = pod.get("spec") or {}
    return PodRef(meta["uid"], meta["name"], meta["namespace"], spec.get("hostname") or meta["name"])


def etc_mounts(services: Services, pod: dict[str, Any], pod_ip: str | None) -> list[Mount]:
    """The pod's /etc/hosts (kubelet's own) and /etc/resolv.conf (the network plugin's), as kubelet
    mounts them in every container; the runtime provides neither (see runtime/docker_runtime.py)."""
    if services.runtime.hollow:
        return []
    hosts = write_hosts_file(services.volumes.pod_dir(pod["metadata"]["uid"]), pod, pod_ip)
    resolv_conf = services.network.resolv_conf(pod)
    return [Mount(str(hosts), "/etc/hosts")] + ([Mount(str(resolv_conf), "/etc/resolv.conf", True)]
                                               if resolv_conf else [])


def pull_policy(services: Services, container: dict[str, Any]) -> str:
    image, policy = container["image"], container.get("imagePullPolicy") or "IfNotPresent"
    if policy == "Always" and image.startswith(services.config.local_image_prefixes):
        return "IfNotPresent"     # built locally on every node; there is no registry to ask
    return policy


class ContainerStarter:
    def __init__(self, services: Services) -> None:
        self.services = services

    async def ensure_image(self, pod: dict[str, Any], container: dict[str, Any]) -> None:
        """Kubelet's image manager: the pull policy decides, the runtime looks and pulls."""
        services, image = self.services, container["image"]
        policy = pull_policy(services, container)
        present = await services.runtime.image_present(image)
        if policy == "Never" and not present:
            message = f'Container image "{image}" is not present with pull policy of Never'
            services.events.warning(pod, "ErrImageNeverPull", message)
            raise StartError("ErrImageNeverPull", message)
        if policy == "Never" or (present and policy == "IfNotPresent"):
            return
        services.events.normal(pod, "Pulling", f'Pulling image "{image}"')
        try:
            await services.runtime.pull_image(image)
        except ImagePullError as e:
            services.events.warning(pod, "Failed", str(e))
            raise StartError(e.reason, str(e)) from e
        services.events.normal(pod, "Pulled", f'Successfully pulled image "{image}"')

    async def start(self, pod: dict[str, Any], container: dict[str, Any], sandbox: ContainerRecord, *,
                    kind: str, restart_count: int, volume_paths: dict[str, str], pod_ip: str | None) -> str:
        """Create and start the container; its id. Raises StartError."""
        services = self.services
        await self.ensure_image(pod, container)
        try:
            env = await container_env(pod, container, services.object_getter(pod["metadata"]["namespace"]),
                                      pod_ip=pod_ip, host_ip=services.config.node_ip)
            mounts = services.volumes.mounts(container, volume_paths) + etc_mounts(services, pod, pod_ip)
        except (EnvError, VolumeError) as e:
            services.events.warning(pod, "Failed", f"Error: {e}")
            raise StartError("CreateContainerConfigError", str(e)) from e
        config = container_config(pod, container, kind=kind, restart_count=restart_count,
                                  attempt=sandbox.attempt, env=env, mounts=mounts)
        try:
            container_id = await services.runtime.create_container(pod_ref(pod), sandbox, config)
            services.events.normal(pod, "Created", f"Created container {container['name']}")
            await services.runtime.start_container(container_id)
        except Exception as e:            # the runtime refused (bad command, bad mount ...)
            services.events.warning(pod, "Failed", f"Error: {e}")
            raise StartError("RunContainerError", str(e)) from e
        services.events.normal(pod, "Started", f"Started container {container['name']}")
        await self._post_start(pod, container, container_id, sandbox)
        return container_id

    async def _post_start(self, pod: dict, container: dict, container_id: str, sandbox: ContainerRecord) -> None:
        handler = ((container.get("lifecycle") or {}).get("postStart"))
        if not handler:
            return
        record = _stub_record(container_id, container["name"])
        outcome = await run_handler(self.services.runtime, handler, container, record, sandbox, timeout=30)
        if not outcome.ok:
            self.services.events.warning(pod, "FailedPostStartHook", outcome.message)
            await self.services.runtime.stop_container(container_id, 0)

    async def kill(self, pod: dict[str, Any], container: dict[str, Any] | None, record: ContainerRecord,
                   sandbox: ContainerRecord | None, grace_seconds: int, reason: str) -> None:
        """preStop hook (bounded by the grace period), then SIGTERM and SIGKILL when the rest runs out."""
        if not record.running:
            return
        deadline = time.monotonic() + grace_seconds
        self.services.events.normal(pod, "Killing", f"Stopping container {record.name}: {reason}")
        handler = ((container or {}).get("lifecycle") or {}).get("preStop")
        if handler and container is not None:
            try:
                outcome = await asyncio.wait_for(
                    run_handler(self.services.runtime, handler, container, record, sandbox, grace_seconds),
                    max(grace_seconds, 0.1))
                if not outcome.ok:
                    self.services.events.warning(pod, "FailedPreStopHook", outcome.message)
            except TimeoutError:
                log.info("preStop hook of %s ran out the grace period", record.name)
        remaining = max(0, round(deadline - time.monotonic()))
        await self.services.runtime.stop_container(record.id, remaining)


def _stub_record(container_id: str, name: str) -> ContainerRecord:
    """Just enough of a record to exec into a container we have not listed yet."""
    return ContainerRecord(id=container_id, pod_uid="", pod_name="", pod_namespace="", name=name, kind="",
                           restart_count=0, attempt=0, state="running")
