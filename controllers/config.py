"""kube-controller-manager's configuration, typed: the parts of its
KubeControllerManagerConfiguration that our controllers read.

    NodeIPAMControllerConfiguration       --cluster-cidr, --node-cidr-mask-size
    NodeLifecycleControllerConfiguration  --node-monitor-grace-period, --node-monitor-period,
                                          --node-eviction-rate
    JobControllerConfiguration            the first crash back-off of a Job's pods (a constant
                                          in Kubernetes, 10 s; tests shorten it)

Each controller reads its part from `ctx.config` (controllers/base.py ControllerContext).
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class NodeIPAMControllerConfiguration:
    cluster_cidr: str = "10.244.0.0/16"      # the cluster's pod network
    node_cidr_mask_size: int = 24            # prefix length of each node's podCIDR


@dataclass(frozen=True)
class NodeLifecycleControllerConfiguration:
    node_monitor_grace_period: float = 40.0  # seconds without a lease renewal before a node is Unknown
    node_monitor_period: float = 5.0         # seconds between checks of the leases
    node_eviction_rate: float = 0.1          # nodes per second that may get the NoExecute taint


@dataclass(frozen=True)
class JobControllerConfiguration:
    pod_failure_backoff: float = 10.0        # seconds; doubled per failure, capped at 6 min


@dataclass(frozen=True)
class ControllerManagerConfiguration:
    node_ipam: NodeIPAMControllerConfiguration = field(default_factory=NodeIPAMControllerConfiguration)
    node_lifecycle: NodeLifecycleControllerConfiguration = field(
        default_factory=NodeLifecycleControllerConfiguration)
    job: JobControllerConfiguration = field(default_factory=JobControllerConfiguration)
