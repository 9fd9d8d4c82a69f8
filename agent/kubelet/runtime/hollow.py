"""The hollow runtime: kubemark's fake container runtime (and kwok's idea).

Containers "start" instantly and run forever; nothing touches Docker, the disk
or the network. The kubelet above it is the real one (node registration,
leases, pod workers, status), so one machine can host hundreds of hollow nodes
and the scheduler and controllers see a realistic cluster.
"""
from __future__ import annotations

import itertools
import time
from collections.abc import AsyncGenerator

from agent.kubelet.runtime.types import (
    CREATED,
    EXITED,
    KIND_INIT,
    KIND_SANDBOX,
    RUNNING,
    SANDBOX_NAME,
    ContainerConfig,
    ContainerRecord,
    PodRef,
)
from minikube_py.api.times import timestamp

_ids = itertools.count(1)


class HollowRuntime:
    hollow = True

    def __init__(self, node_name: str) -> None:
        self.node_name = node_name
        self.containers: dict[str, ContainerRecord] = {}

    def version(self) -> str:
        return "hollow://0.1.0"

    async def close(self) -> None:
        self.containers.clear()

    def _new(self, pod: PodRef, name: str, kind: str, restart_count: int, attempt: int,
             image: str) -> ContainerRecord:
        record = ContainerRecord(
            id=f"hollow-{next(_ids):012d}", pod_uid=pod.uid, pod_name=pod.name, pod_namespace=pod.namespace,
            name=name, kind=kind, restart_count=restart_count, attempt=attempt, state=CREATED,
            image=image, image_id=f"hollow://{image}", created=time.time())
        self.containers[record.id] = record
        return record

    async def relist(self) -> list[ContainerRecord]:
        return self.pod_containers()

    def pod_containers(self, pod_uid: str | None = None) -> list[ContainerRecord]:
        found = [c for c in self.containers.values() if pod_uid is None or c.pod_uid == pod_uid]
        return sorted(found, key=lambda c: c.created)

    async def image_present(self, image: str) -> bool:
        return True               # a hollow node has every image

    async def pull_image(self, image: str) -> None:
        pass

    async def run_sandbox(self, pod: PodRef, attempt: int) -> ContainerRecord:
        record = self._new(pod, SANDBOX_NAME, KIND_SANDBOX, 0, attempt, "hollow/pause")
        await self.start_container(record.id)
        return record

    async def create_container(self, pod: PodRef, sandbox: ContainerRecord, config: ContainerConfig) -> str:
        return self._new(pod, config.name, config.kind, config.restart_count, config.attempt, config.image).id

    async def start_container(self, container_id: str) -> None:
        record = self.containers[container_id]
        record.state, record.started_at = RUNNING, timestamp()
        if record.kind == KIND_INIT:     # init containers complete at once
            record.state, record.exit_code, record.finished_at = EXITED, 0, timestamp()

    async def stop_container(self, container_id: str, timeout: int) -> None:
        record = self.containers.get(container_id)
        if record is not None and record.state != EXITED:
            record.state, record.exit_code, record.finished_at = EXITED, 0, timestamp()

    async def remove_container(self, container_id: str) -> None:
        self.containers.pop(container_id, None)

    async def exec(self, container_id: str, command: list[str], timeout: float) -> tuple[int, bytes]:
        return 0, b""

    async def logs(self, container_id: str, *, follow: bool, tail_lines: int | None,
                   timestamps: bool) -> AsyncGenerator[bytes, None]:
        yield f"hollow container {container_id}: no output\n".encode()

    def netns_path(self, sandbox: ContainerRecord) -> str | None:
        return None
