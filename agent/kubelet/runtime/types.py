"""The runtime interface: a small CRI (Container Runtime Interface), as kubelet sees it.

Kubelet never calls Docker directly: it calls CRI's RunPodSandbox,
CreateContainer, StartContainer, StopContainer, RemoveContainer,
ListContainers, ExecSync and friends, and a runtime (containerd, CRI-O, once
dockershim) does the work. `Runtime` below is that contract for us, with two
implementations: DockerRuntime (real containers) and HollowRuntime (kubemark's
fake, which "runs" containers instantly).

Everything kubelet needs to know about a container lives in its labels, so a
restarted agent rebuilds its whole picture from the runtime alone (kubelet
does the same with the `io.kubernetes.*` labels it puts on containers).

Reading is split as in kubelet: `relist()` asks the runtime for all of the
node's containers (only the PLEG calls it, once a period), and
`pod_containers(uid)` answers from that listing plus the changes the runtime
made itself since (kubelet's pod cache: pod workers never list the runtime).
"""
from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from typing import Protocol

LABEL_PREFIX = "io.minikube-py"
LABEL_MANAGED = f"{LABEL_PREFIX}.managed"          # "true": made by minikube-py's agent
LABEL_NODE = f"{LABEL_PREFIX}.node"                # the node (agent) that owns the container
LABEL_POD_UID = f"{LABEL_PREFIX}.pod-uid"
LABEL_POD_NAME = f"{LABEL_PREFIX}.pod-name"
LABEL_POD_NAMESPACE = f"{LABEL_PREFIX}.pod-namespace"
LABEL_CONTAINER = f"{LABEL_PREFIX}.container"      # container name in the pod spec ("POD" = sandbox)
LABEL_KIND = f"{LABEL_PREFIX}.kind"                # sandbox | init | app
LABEL_RESTART_COUNT = f"{LABEL_PREFIX}.restart-count"
LABEL_ATTEMPT = f"{LABEL_PREFIX}.sandbox-attempt"  # which sandbox (pod "incarnation") it belongs to

SANDBOX_NAME = "POD"
KIND_SANDBOX, KIND_INIT, KIND_APP = "sandbox", "init", "app"
RUNNING, CREATED, EXITED = "running", "created", "exited"


class ImagePullError(Exception):
    """The image could not be pulled (reason: ErrImagePull)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass
class ContainerRecord:
    """One container as the runtime reports it (CRI's ContainerStatus)."""
    id: str
    pod_uid: str
    pod_name: str
    pod_namespace: str
    name: str
    kind: str
    restart_count: int
    attempt: int
    state: str                      # running | created | exited
    image: str = ""
    image_id: str = ""
    exit_code: int | None = None
    started_at: str | None = None   # RFC 3339, as Kubernetes shows it
    finished_at: str | None = None
    oom_killed: bool = False
    pid: int = 0
    created: float = 0.0            # for ordering: newest last
    message: str = ""

    @property
    def running(self) -> bool:
        return self.state == RUNNING

    @property
    def exited(self) -> bool:
        return self.state == EXITED


@dataclass
class Mount:
    host_path: str
    container_path: str
    read_only: bool = False


@dataclass
class ContainerConfig:
    """What to create (CRI's ContainerConfig), already resolved from the pod spec."""
    name: str
    image: str
    kind: str
    restart_count: int
    attempt: int
    command: list[str] | None = None     # Kubernetes `command` = Docker entrypoint
    args: list[str] | None = None        # Kubernetes `args` = Docker cmd
    env: dict[str, str] = field(default_factory=dict)
    working_dir: str | None = None
    mounts: list[Mount] = field(default_factory=list)
    cpu_quota: int | None = None         # microseconds per cpu_period (limits.cpu)
    cpu_period: int = 100_000
    cpu_shares: int | None = None        # from requests.cpu
    memory_limit: int | None = None      # bytes (limits.memory)
    user: str | None = None              # securityContext.runAsUser[:runAsGroup]
    privileged: bool = False
    tty: bool = False
    stdin: bool = False


@dataclass
class PodRef:
    """The pod identity a runtime needs to label and name containers."""
    uid: str
    name: str
    namespace: str
    hostname: str


class Runtime(Protocol):
    hollow: bool

    def version(self) -> str: ...                                # CRI Version: "<runtime>://<version>"
    async def relist(self) -> list[ContainerRecord]: ...                   # CRI ListContainers, the node's
    def pod_containers(self, pod_uid: str | None = None) -> list[ContainerRecord]: ...   # the cached view
    async def image_present(self, image: str) -> bool: ...      # CRI ImageStatus
    async def pull_image(self, image: str) -> None: ...         # CRI PullImage; raises ImagePullError
    async def run_sandbox(self, pod: PodRef, attempt: int) -> ContainerRecord: ...
    async def create_container(self, pod: PodRef, sandbox: ContainerRecord, config: ContainerConfig) -> str: ...
    async def start_container(self, container_id: str) -> None: ...
    async def stop_container(self, container_id: str, timeout: int) -> None: ...
    async def remove_container(self, container_id: str) -> None: ...
    async def exec(self, container_id: str, command: list[str], timeout: float) -> tuple[int, bytes]: ...
    def logs(self, container_id: str, *, follow: bool, tail_lines: int | None,
             timestamps: bool) -> AsyncGenerator[bytes, None]: ...
    def netns_path(self, sandbox: ContainerRecord) -> str | None: ...
    async def close(self) -> None: ...
