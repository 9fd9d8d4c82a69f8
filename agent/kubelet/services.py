"""What every pod worker shares: the kubelet's dependencies in one place (kubelet's Dependencies)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agent.kubelet.config import KubeletConfig
from agent.kubelet.runtime.network import NetworkPlugin
from agent.kubelet.runtime.types import Runtime
from agent.kubelet.status import StatusManager
from agent.kubelet.volumes import VolumeManager
from minikube_py.api.errors import ApiError
from minikube_py.client.event_sink import EventSink

_PLURALS = {"configmap": "configmaps", "secret": "secrets"}


@dataclass
class Services:
    config: KubeletConfig
    api: Any                      # minikube_py.client.ApiClient
    runtime: Runtime
    network: NetworkPlugin
    volumes: VolumeManager
    status: StatusManager
    events: EventSink             # Events are queued, never awaited on the way to Running

    def object_getter(self, namespace: str):
        """(kind, name) -> the ConfigMap or Secret, or None when it does not exist."""
        async def get(kind: str, name: str) -> dict | None:
            try:
                return await self.api.resource(_PLURALS[kind], namespace).get(name)
            except ApiError as e:
                if e.code == 404:
                    return None
                raise
        return get
