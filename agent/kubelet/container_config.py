"""From a container in the pod spec to what the runtime creates: kubelet's generateContainerConfig.

- command/args: Kubernetes `command` replaces the image's ENTRYPOINT, `args` its CMD,
  both after $(VAR) expansion with the container's environment.
- resources: limits.cpu -> CFS quota per 100 ms period, requests.cpu -> CPU shares
  (1024 per core, at least 2), limits.memory -> the cgroup memory limit (the kernel's
  OOM killer then ends the container and Docker reports OOMKilled).
- securityContext: runAsUser / runAsGroup (container wins over pod), privileged.
"""
from __future__ import annotations

from typing import Any

from agent.kubelet.env import expand
from agent.kubelet.runtime.types import ContainerConfig, Mount
from minikube_py.api.pods import container_resources
from minikube_py.api.quantity import cpu_millis, memory_bytes

CPU_PERIOD_US = 100_000


def _resources(container: dict[str, Any]) -> dict[str, int | None]:
    limits, requests = container_resources(container, "limits"), container_resources(container, "requests")
    cpu_limit = cpu_millis(limits["cpu"]) if "cpu" in limits else None
    cpu_request = cpu_millis(requests["cpu"]) if "cpu" in requests else None
    return {
        "cpu_quota": max(1000, cpu_limit * CPU_PERIOD_US // 1000) if cpu_limit else None,
        "cpu_shares": max(2, cpu_request * 1024 // 1000) if cpu_request else None,
        "memory_limit": memory_bytes(limits["memory"]) if "memory" in limits else None,
    }


def _user(pod_spec: dict[str, Any], container: dict[str, Any]) -> tuple[str | None, bool]:
    pod_context = pod_spec.get("securityContext") or {}
    context = container.get("securityContext") or {}
    uid = context.get("runAsUser", pod_context.get("runAsUser"))
    gid = context.get("runAsGroup", pod_context.get("runAsGroup"))
    user = None if uid is None else (f"{uid}:{gid}" if gid is not None else str(uid))
    return user, bool(context.get("privileged", False))


def container_config(pod: dict[str, Any], container: dict[str, Any], *, kind: str, restart_count: int,
                     attempt: int, env: dict[str, str], mounts: list[Mount]) -> ContainerConfig:
    command = [expand(str(part), env) for part in container["command"]] if container.get("command") else None
    args = [expand(str(part), env) for part in container["args"]] if container.get("args") else None
    if command is not None and args is None:
        args = []          # an explicit command drops the image's CMD, as in Kubernetes
    user, privileged = _user(pod.get("spec") or {}, container)
    return ContainerConfig(
        name=container["name"], image=container["image"], kind=kind, restart_count=restart_count,
        attempt=attempt, command=command, args=args, env=env, working_dir=container.get("workingDir"),
        mounts=mounts, user=user, privileged=privileged, tty=bool(container.get("tty")),
        stdin=bool(container.get("stdin")), cpu_period=CPU_PERIOD_US, **_resources(container))
