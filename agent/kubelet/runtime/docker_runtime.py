"""The Docker runtime: kubelet's old dockershim, CRI calls mapped onto the Docker API.

- A pod sandbox is a `minikube-py/pause` container with a shareable IPC
  namespace; its hostname is the pod's hostname. Its network namespace (lo
  only) is created by the OCI runtime (runc), not by Docker's network stack:
  `network_disabled` leaves libnetwork out, which halves the sandbox's start
  (measured 64 ms instead of 148 ms; bench/README.md). containerd's CRI does the
  same (it makes the netns and hands it to CNI). Docker then writes no
  /etc/hosts or /etc/resolv.conf for the pod; the kubelet mounts its own, as
  Kubernetes does (hosts_file.py, the network plugin's resolv_conf).
- App and init containers join it: `network_mode=container:<sandbox>` and
  `ipc_mode=container:<sandbox>` (Docker then also gives them its hostname).
- Names follow dockershim: k8s_<container>_<pod>_<namespace>_<uid>_<restart count>.
- Every container carries the labels of runtime/types.py, including the node,
  and this class only ever lists containers with its own node label.
- Docker is listed only by `relist()` (the PLEG); pod workers read the
  ContainerView, into which every create/start/stop/remove here writes through.

The Docker SDK is blocking, so every call runs in a thread, never on the event
loop, from one of two pools:
- `_calls`: calls Docker answers at its own pace (create, start, inspect,
  list, remove). Its size is how many such calls Docker works on at once;
  measured on a 2-core node, 16 starts pods sooner than 8 or 4 and as soon as 24;
- `_waits`: calls that wait on a container or a registry (stop waits
  out the grace period, exec the command, pull the download), so that a pod
  being deleted or probed never holds a thread another pod's start needs.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import time
from collections.abc import AsyncGenerator, Callable
from typing import Any

import docker
import docker.errors
import docker.utils

from agent.kubelet.runtime.container_view import ContainerView
from agent.kubelet.runtime.types import (
    CREATED,
    EXITED,
    KIND_SANDBOX,
    LABEL_ATTEMPT,
    LABEL_CONTAINER,
    LABEL_KIND,
    LABEL_MANAGED,
    LABEL_NODE,
    LABEL_POD_NAME,
    LABEL_POD_NAMESPACE,
    LABEL_POD_UID,
    LABEL_RESTART_COUNT,
    RUNNING,
    SANDBOX_NAME,
    ContainerConfig,
    ContainerRecord,
    ImagePullError,
    PodRef,
)
from minikube_py.api.times import parse_time

log = logging.getLogger("agent.runtime.docker")

CALL_CONCURRENCY = 16     # Docker calls in flight at once (16 and 24 beat 8 and 4 on 2 cores: bench/README.md)
WAITING_CALLS = 32        # stops, execs and pulls in flight at once

_DOCKER_STATES = {"running": RUNNING, "created": CREATED, "restarting": RUNNING, "paused": RUNNING}


def _rfc3339(docker_time: str | None) -> str | None:
    """Docker's nanosecond timestamps, cut to seconds as Kubernetes shows them."""
    if not docker_time or docker_time.startswith("0001-"):
        return None
    return docker_time[:19] + "Z"


class DockerRuntime:
    hollow = False

    def __init__(self, node_name: str, pause_image: str, *, concurrency: int = CALL_CONCURRENCY,
                 waiting: int = WAITING_CALLS) -> None:
        self.node_name = node_name
        self.pause_image = pause_image
        self.client = docker.from_env(max_pool_size=concurrency + waiting)
        self._calls = concurrent.futures.ThreadPoolExecutor(concurrency, thread_name_prefix="docker")
        self._waits = concurrent.futures.ThreadPoolExecutor(waiting, thread_name_prefix="docker-wait")
        self._inspect_cache: dict[tuple[str, str], ContainerRecord] = {}   # (id, Docker state) -> record
        self._view = ContainerView()
        self._images: set[str] = set()        # images seen present (kubelet's image manager asks CRI instead)

    async def _call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._calls, lambda: fn(*args, **kwargs))

    async def _wait(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._waits, lambda: fn(*args, **kwargs))

    def version(self) -> str:
        return f"docker://{self.client.version().get('Version', 'unknown')}"

    async def close(self) -> None:
        for pool in (self._calls, self._waits):
            pool.shutdown(wait=False, cancel_futures=True)
        self.client.close()

    def _labels(self, pod: PodRef, name: str, kind: str, restart_count: int, attempt: int) -> dict[str, str]:
        return {LABEL_MANAGED: "true", LABEL_NODE: self.node_name, LABEL_POD_UID: pod.uid,
                LABEL_POD_NAME: pod.name, LABEL_POD_NAMESPACE: pod.namespace, LABEL_CONTAINER: name,
                LABEL_KIND: kind, LABEL_RESTART_COUNT: str(restart_count), LABEL_ATTEMPT: str(attempt)}

    @staticmethod
    def _docker_name(pod: PodRef, name: str, count: int) -> str:
        return f"k8s_{name}_{pod.name}_{pod.namespace}_{pod.uid}_{count}"

    # ---- listing: one call for the node, details inspected once per container state ----

    async def relist(self) -> list[ContainerRecord]:
        since = self._view.begin_listing()
        summaries = await self._call(self.client.api.containers, all=True,
                                     filters={"label": [f"{LABEL_NODE}={self.node_name}"]})
        records = await asyncio.gather(*(self._record(s) for s in summaries))
        self._view.replace([r for r in records if r is not None], since)
        current = self._view.pod()
        known = {r.id for r in current}
        self._inspect_cache = {k: v for k, v in self._inspect_cache.items() if k[0] in known}
        return current

    def pod_containers(self, pod_uid: str | None = None) -> list[ContainerRecord]:
        return self._view.pod(pod_uid)

    async def _record(self, summary: dict[str, Any]) -> ContainerRecord | None:
        key = (summary["Id"], summary["State"])
        if key not in self._inspect_cache:
            try:
                details = await self._call(self.client.api.inspect_container, summary["Id"])
            except docker.errors.NotFound:
                return None
            self._inspect_cache[key] = self._from_inspect(details)
        return self._inspect_cache[key]

    async def _inspect(self, container_id: str) -> ContainerRecord | None:
        """Look at one container we just changed and write it through to the view."""
        try:
            details = await self._call(self.client.api.inspect_container, container_id)
        except docker.errors.NotFound:
            self._view.drop(container_id)
            return None
        record = self._from_inspect(details)
        self._inspect_cache[(container_id, details["State"].get("Status"))] = record
        self._view.put(record)
        return record

    @staticmethod
    def _from_inspect(details: dict[str, Any]) -> ContainerRecord:
        labels = details["Config"]["Labels"] or {}
        state = details["State"]
        status = _DOCKER_STATES.get(state.get("Status"), EXITED)
        return ContainerRecord(
            id=details["Id"], pod_uid=labels.get(LABEL_POD_UID, ""), pod_name=labels.get(LABEL_POD_NAME, ""),
            pod_namespace=labels.get(LABEL_POD_NAMESPACE, ""), name=labels.get(LABEL_CONTAINER, ""),
            kind=labels.get(LABEL_KIND, ""), restart_count=int(labels.get(LABEL_RESTART_COUNT, "0")),
            attempt=int(labels.get(LABEL_ATTEMPT, "0")), state=status, image=details["Config"]["Image"],
            image_id=details.get("Image", ""), exit_code=state.get("ExitCode") if status == EXITED else None,
            started_at=_rfc3339(state.get("StartedAt")), finished_at=_rfc3339(state.get("FinishedAt")),
            oom_killed=bool(state.get("OOMKilled")), pid=int(state.get("Pid") or 0),
            created=_created_order(details.get("Created", "")), message=state.get("Error", ""))

    # ---- images ------------------------------------------------------------------------

    async def image_present(self, image: str) -> bool:
        """An image once seen is taken as present until a create says otherwise (no inspect per start)."""
        if image not in self._images:
            if not await self._call(self._image_present, image):
                return False
            self._images.add(image)
        return True

    async def pull_image(self, image: str) -> None:
        try:
            await self._wait(self.client.images.pull, image)
        except docker.errors.APIError as e:
            raise ImagePullError("ErrImagePull", f'Failed to pull image "{image}": {e.explanation or e}') from e
        self._images.add(image)

    def _image_present(self, image: str) -> bool:
        try:
            self.client.api.inspect_image(image)
            return True
        except docker.errors.ImageNotFound:
            return False

    # ---- sandbox and containers ---------------------------------------------------------

    async def run_sandbox(self, pod: PodRef, attempt: int) -> ContainerRecord:
        host_config = self.client.api.create_host_config(network_mode="none", ipc_mode="shareable")
        created = await self._call(
            self.client.api.create_container, self.pause_image, hostname=pod.hostname[:63], network_disabled=True,
            name=self._docker_name(pod, SANDBOX_NAME, attempt), host_config=host_config,
            labels=self._labels(pod, SANDBOX_NAME, KIND_SANDBOX, 0, attempt))
        self._created(created["Id"], pod, SANDBOX_NAME, KIND_SANDBOX, 0, attempt, self.pause_image)
        await self._call(self.client.api.start, created["Id"])
        record = await self._inspect(created["Id"])
        if record is None:
            raise RuntimeError(f"the sandbox of pod {pod.namespace}/{pod.name} vanished as it started")
        return record

    async def create_container(self, pod: PodRef, sandbox: ContainerRecord, config: ContainerConfig) -> str:
        host_config = self.client.api.create_host_config(
            network_mode=f"container:{sandbox.id}", ipc_mode=f"container:{sandbox.id}",
            binds=[f"{m.host_path}:{m.container_path}:{'ro' if m.read_only else 'rw'}" for m in config.mounts],
            cpu_quota=config.cpu_quota, cpu_period=config.cpu_period if config.cpu_quota else None,
            cpu_shares=config.cpu_shares, mem_limit=config.memory_limit, privileged=config.privileged)
        try:
            created = await self._call(
                self.client.api.create_container, config.image, command=config.args, entrypoint=config.command,
                environment=config.env, working_dir=config.working_dir, user=config.user or "",
                tty=config.tty, stdin_open=config.stdin, host_config=host_config,
                name=self._docker_name(pod, config.name, config.restart_count),
                labels=self._labels(pod, config.name, config.kind, config.restart_count, config.attempt))
        except docker.errors.ImageNotFound:
            self._images.discard(config.image)     # removed behind our back: the next start looks again
            raise
        self._created(created["Id"], pod, config.name, config.kind, config.restart_count, config.attempt,
                      config.image)
        return created["Id"]

    def _created(self, container_id: str, pod: PodRef, name: str, kind: str, restart_count: int, attempt: int,
                 image: str) -> None:
        """Record a container we just created without asking Docker (start inspects it). A relist
        meanwhile must not inspect it either: Docker would make that wait for the start to finish."""
        record = ContainerRecord(id=container_id, pod_uid=pod.uid, pod_name=pod.name, pod_namespace=pod.namespace,
                                 name=name, kind=kind, restart_count=restart_count, attempt=attempt, state=CREATED,
                                 image=image, created=time.time())
        self._inspect_cache[(container_id, "created")] = record
        self._view.put(record)

    async def start_container(self, container_id: str) -> None:
        await self._call(self.client.api.start, container_id)
        await self._inspect(container_id)

    async def stop_container(self, container_id: str, timeout: int) -> None:
        """SIGTERM, then SIGKILL after `timeout` seconds (what `docker stop` does)."""
        try:
            await self._wait(self.client.api.stop, container_id, timeout=max(0, int(timeout)))
        except docker.errors.NotFound:
            self._view.drop(container_id)
            return
        await self._inspect(container_id)

    async def remove_container(self, container_id: str) -> None:
        try:
            await self._call(self.client.api.remove_container, container_id, force=True, v=True)
        except docker.errors.NotFound:
            pass
        except docker.errors.APIError as e:
            if "already in progress" not in str(e):
                raise
        self._view.drop(container_id)

    async def exec(self, container_id: str, command: list[str], timeout: float) -> tuple[int, bytes]:
        """Run a command in the container (CRI ExecSync); exit code 124-like -1 on timeout."""
        return await asyncio.wait_for(self._wait(self._exec_blocking, container_id, command), timeout)

    def _exec_blocking(self, container_id: str, command: list[str]) -> tuple[int, bytes]:
        exec_id = self.client.api.exec_create(container_id, command, stdout=True, stderr=True)["Id"]
        output = self.client.api.exec_start(exec_id)
        return int(self.client.api.exec_inspect(exec_id).get("ExitCode") or 0), output

    def netns_path(self, sandbox: ContainerRecord) -> str | None:
        return f"/proc/{sandbox.pid}/ns/net" if sandbox.pid else None

    # ---- logs ---------------------------------------------------------------------------

    async def logs(self, container_id: str, *, follow: bool, tail_lines: int | None,
                   timestamps: bool) -> AsyncGenerator[bytes, None]:
        """The container's output, chunk by chunk, read by a thread and handed over through a queue.

        Each stream has a connection of its own: a stream closed before its end (a client that
        went away, limitBytes reached) leaves a dead socket that a pooled connection would keep."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=256)
        api = docker.APIClient(version=self.client.api.api_version, **docker.utils.kwargs_from_env())
        stream = await self._call(api.logs, container_id, stream=True, follow=follow,
                                  timestamps=timestamps, tail="all" if tail_lines is None else tail_lines)

        def pump() -> None:
            try:
                for chunk in stream:
                    asyncio.run_coroutine_threadsafe(queue.put(chunk), loop).result()
            except Exception:        # stream closed by the reader, or the container went away
                pass
            finally:
                asyncio.run_coroutine_threadsafe(queue.put(None), loop)

        reader = loop.run_in_executor(None, pump)
        try:
            while (chunk := await queue.get()) is not None:
                yield chunk
        finally:
            stream.close()
            reader.cancel()
            api.close()


def _created_order(created: str) -> float:
    """Docker's Created time (RFC 3339 with nanoseconds) as a sortable number."""
    moment = parse_time(created)
    return moment.timestamp() if moment else 0.0
