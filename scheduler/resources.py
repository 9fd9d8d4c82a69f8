"""Resource arithmetic: kube-scheduler's framework.Resource and the pod-request helpers
(pkg/scheduler/framework/types.go, k8s.io/component-helpers/resource).

A pod asks for the *effective* request of its containers: the sum over the app
containers, or the largest single init container if that is bigger (init
containers run one at a time before the app containers), plus the pod overhead.
Nodes offer `status.allocatable` (what is left after system reservations).
CPU is counted in millicores, memory and storage in bytes, everything else
(extended resources such as example.com/gpu) as whole units.
"""
from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from minikube_py.api.pods import container_resources
from minikube_py.api.quantity import QuantityError, cpu_millis, memory_bytes

CPU, MEMORY, EPHEMERAL_STORAGE, PODS = "cpu", "memory", "ephemeral-storage", "pods"

# What the scoring plugins assume a container uses when it requests nothing
# (kube-scheduler's DefaultMilliCPURequest / DefaultMemoryRequest), so that
# "best effort" pods still spread instead of piling onto one node.
DEFAULT_MILLI_CPU_REQUEST = 100
DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024


@dataclass
class Resource:
    milli_cpu: int = 0
    memory: int = 0
    ephemeral_storage: int = 0
    scalar: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_list(cls, quantities: Mapping[str, Any] | None) -> Resource:
        """A Resource from a ResourceList such as {"cpu": "500m", "memory": "1Gi"}; bad values count 0."""
        resource = cls()
        for name, quantity in (quantities or {}).items():
            resource.set(name, _amount(name, quantity))
        return resource

    def set(self, name: str, amount: int) -> None:
        if name == CPU:
            self.milli_cpu = amount
        elif name == MEMORY:
            self.memory = amount
        elif name == EPHEMERAL_STORAGE:
            self.ephemeral_storage = amount
        elif name != PODS:
            self.scalar[name] = amount

    def get(self, name: str) -> int:
        if name == CPU:
            return self.milli_cpu
        if name == MEMORY:
            return self.memory
        if name == EPHEMERAL_STORAGE:
            return self.ephemeral_storage
        return self.scalar.get(name, 0)

    def names(self) -> list[str]:
        return [CPU, MEMORY, EPHEMERAL_STORAGE, *self.scalar]

    def add(self, other: Resource, sign: int = 1) -> None:
        self.milli_cpu += sign * other.milli_cpu
        self.memory += sign * other.memory
        self.ephemeral_storage += sign * other.ephemeral_storage
        for name, amount in other.scalar.items():
            self.scalar[name] = self.scalar.get(name, 0) + sign * amount

    def set_max(self, other: Resource) -> None:
        for name in other.names():
            self.set(name, max(self.get(name), other.get(name)))

    def is_zero(self) -> bool:
        return not (self.milli_cpu or self.memory or self.ephemeral_storage or any(self.scalar.values()))


def _amount(name: str, quantity: Any) -> int:
    if isinstance(quantity, str):
        return _parsed_amount(name == CPU, quantity)   # the same few strings come back in every pod
    try:
        return cpu_millis(quantity) if name == CPU else memory_bytes(quantity)
    except QuantityError:
        return 0


@functools.lru_cache(maxsize=4096)
def _parsed_amount(is_cpu: bool, quantity: str) -> int:
    try:
        return cpu_millis(quantity) if is_cpu else memory_bytes(quantity)
    except QuantityError:
        return 0


def _containers(spec: Mapping[str, Any], field_name: str) -> list[Mapping[str, Any]]:
    return [c for c in spec.get(field_name) or [] if isinstance(c, dict)]


def _requests(container: Mapping[str, Any]) -> Mapping[str, Any]:
    return container_resources(container, "requests")


def pod_requests(spec: Mapping[str, Any]) -> Resource:
    """max(sum of app containers, largest init container) + overhead, per resource."""
    total = Resource()
    for container in _containers(spec, "containers"):
        total.add(Resource.from_list(_requests(container)))
    for container in _containers(spec, "initContainers"):
        total.set_max(Resource.from_list(_requests(container)))
    total.add(Resource.from_list(spec.get("overhead")))
    return total


def non_zero_requests(spec: Mapping[str, Any]) -> tuple[int, int]:
    """(milli-CPU, memory) for scoring, with defaults for containers that request nothing."""
    cpu = memory = 0
    for container in _containers(spec, "containers"):
        requests = _requests(container)
        cpu += _amount(CPU, requests[CPU]) if CPU in requests else DEFAULT_MILLI_CPU_REQUEST
        memory += _amount(MEMORY, requests[MEMORY]) if MEMORY in requests else DEFAULT_MEMORY_REQUEST
    for container in _containers(spec, "initContainers"):
        requests = _requests(container)
        cpu = max(cpu, _amount(CPU, requests[CPU]) if CPU in requests else DEFAULT_MILLI_CPU_REQUEST)
        memory = max(memory, _amount(MEMORY, requests[MEMORY]) if MEMORY in requests else DEFAULT_MEMORY_REQUEST)
    return cpu, memory
