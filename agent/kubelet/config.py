"""Kubelet settings (kubelet's KubeletConfiguration), with Kubernetes' defaults.

Tests shorten the periods and back-offs through flags; nothing else differs.
"""
from __future__ import annotations

import socket
from dataclasses import dataclass, field


@dataclass
class KubeletConfig:
    node_name: str = field(default_factory=lambda: socket.gethostname().lower())
    node_ip: str = "127.0.0.1"
    port: int = 10250                          # the log server (kubelet's read/write port)
    bind_address: str = "0.0.0.0"
    root_dir: str = "/var/lib/minikube-py/agent"   # emptyDir, configMap and secret volumes
    runtime: str = "docker"                    # docker | hollow
    pause_image: str = "minikube-py/pause:latest"
    # Images that exist only locally (built by `minikube-py images build` on every node): never
    # pulled, even with imagePullPolicy Always, since there is no registry to pull them from.
    local_image_prefixes: tuple[str, ...] = ("minikube-py/",)
    node_labels: dict[str, str] = field(default_factory=dict)
    # capacity reservations (kubelet's --kube-reserved, --system-reserved, --eviction-hard)
    kube_reserved: dict[str, str] = field(default_factory=lambda: {"cpu": "100m", "memory": "100Mi"})
    system_reserved: dict[str, str] = field(default_factory=dict)
    eviction_hard_memory: str = "100Mi"
    max_pods: int = 110
    # hollow nodes report this instead of reading the host
    hollow_capacity: dict[str, str] = field(default_factory=lambda: {"cpu": "4", "memory": "16Gi"})
    # periods, in seconds (Kubernetes' defaults)
    node_status_update_frequency: float = 10.0
    node_status_report_frequency: float = 300.0
    node_lease_duration_seconds: int = 40
    sync_frequency: float = 60.0               # a pod worker re-syncs at least this often
    pleg_relist_period: float = 1.0            # how often the runtime is listed for changes
    housekeeping_period: float = 2.0           # orphan clean-up
    backoff_base: float = 10.0                 # crash loop back-off: 10 s doubling ...
    backoff_max: float = 300.0                 # ... to 5 min
    image_pull_backoff_base: float = 10.0
    verbosity: int = 0

    @property
    def lease_renew_interval(self) -> float:
        return self.node_status_update_frequency
