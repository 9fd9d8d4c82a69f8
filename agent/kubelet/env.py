"""Container environment: kubelet's makeEnvironmentVariables (pkg/kubelet/kubelet_pods.go).

Order and precedence as in Kubernetes: `envFrom` sources first (a later source
wins), then `env` entries (which override envFrom); `$(VAR)` references in
values, command and args are expanded with the variables defined before them,
`$$` escapes a dollar. valueFrom: fieldRef (downward API), configMapKeyRef,
secretKeyRef, resourceFieldRef (limits).
"""
from __future__ import annotations

import base64
import re
from collections.abc import Awaitable, Callable
from typing import Any

from minikube_py.api.quantity import cpu_millis, memory_bytes

Getter = Callable[[str, str], Awaitable[dict[str, Any] | None]]   # (kind, name) -> object or None
_REF = re.compile(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)")


class EnvError(Exception):
    """The environment cannot be built (kubelet reports CreateContainerConfigError)."""


def expand(text: str, env: dict[str, str]) -> str:
    """Kubernetes' $(VAR) expansion; unknown references stay as written."""
    def replace(match: re.Match) -> str:
        if match.group(0) == "$$":
            return "$"
        return env.get(match.group(1), match.group(0))
    return _REF.sub(replace, text)


def field_ref(pod: dict[str, Any], path: str, pod_ip: str | None, host_ip: str) -> str:
    meta, spec = pod.get("metadata") or {}, pod.get("spec") or {}
    simple = {"metadata.name": meta.get("name"), "metadata.namespace": meta.get("namespace"),
              "metadata.uid": meta.get("uid"), "spec.nodeName": spec.get("nodeName"),
              "spec.serviceAccountName": spec.get("serviceAccountName"), "status.hostIP": host_ip,
              "status.podIP": pod_ip or "", "status.podIPs": pod_ip or ""}
    if path in simple:
        return str(simple[path] or "")
    match = re.fullmatch(r"metadata\.(labels|annotations)\['([^']+)'\]", path)
    if match:
        return str((meta.get(match.group(1)) or {}).get(match.group(2), ""))
    raise EnvError(f"unsupported fieldRef {path!r}")


def resource_ref(container: dict[str, Any], ref: dict[str, Any]) -> str:
    """limits.cpu / requests.memory ... divided by the divisor (default 1), rounded up as Kubernetes does."""
    kind, _, name = ref.get("resource", "").partition(".")
    value = ((container.get("resources") or {}).get(kind) or {}).get(name)
    if value is None:
        return "0"
    divisor = ref.get("divisor") or "1"
    if name == "cpu":
        return str(-(-cpu_millis(value) // max(1, cpu_millis(divisor))))
    return str(-(-memory_bytes(value) // max(1, memory_bytes(divisor))))


async def _source_data(get: Getter, kind: str, name: str, optional: bool) -> dict[str, str] | None:
    obj = await get(kind, name)
    if obj is None:
        if optional:
            return None
        raise EnvError(f'{kind} "{name}" not found')
    data = dict(obj.get("data") or {})
    if kind == "secret":
        return {k: base64.b64decode(v).decode(errors="replace") for k, v in data.items()}
    return {k: str(v) for k, v in data.items()}


async def _value_from(pod: dict, container: dict, source: dict, get: Getter, pod_ip: str | None,
                      host_ip: str) -> str | None:
    if "fieldRef" in source:
        return field_ref(pod, source["fieldRef"].get("fieldPath", ""), pod_ip, host_ip)
    if "resourceFieldRef" in source:
        return resource_ref(container, source["resourceFieldRef"])
    for key_ref, kind in (("configMapKeyRef", "configmap"), ("secretKeyRef", "secret")):
        if key_ref in source:
            ref = source[key_ref]
            optional = bool(ref.get("optional"))
            data = await _source_data(get, kind, ref.get("name", ""), optional)
            if data is None:
                return None
            if ref.get("key") not in data:
                if optional:
                    return None
                raise EnvError(f'couldn\'t find key {ref.get("key")} in {kind} {ref.get("name")}')
            return data[ref["key"]]
    raise EnvError("valueFrom needs one of fieldRef, resourceFieldRef, configMapKeyRef, secretKeyRef")


async def container_env(pod: dict[str, Any], container: dict[str, Any], get: Getter, *,
                        pod_ip: str | None, host_ip: str) -> dict[str, str]:
    env: dict[str, str] = {}
    for source in container.get("envFrom") or []:
        kind, ref = ("configmap", source["configMapRef"]) if "configMapRef" in source \
            else ("secret", source.get("secretRef") or {})
        data = await _source_data(get, kind, ref.get("name", ""), bool(ref.get("optional")))
        prefix = source.get("prefix", "")
        env.update({prefix + k: v for k, v in (data or {}).items()})
    for var in container.get("env") or []:
        if "valueFrom" in var:
            value = await _value_from(pod, container, var["valueFrom"], get, pod_ip, host_ip)
            if value is None:
                continue
        else:
            value = expand(str(var.get("value", "")), env)
        env[var["name"]] = value
    return env
