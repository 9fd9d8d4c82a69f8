"""The in-tree plugins, one per file, and kube-scheduler's default profile
(pkg/scheduler/apis/config/v1/default_plugins.go): which plugins filter, in
what order, and with what weight each scores.
"""
from __future__ import annotations

from scheduler.framework import FilterPlugin, Plugin, PostFilterPlugin, ScorePlugin
from scheduler.plugins.balanced_allocation import BalancedAllocation
from scheduler.plugins.default_preemption import DefaultPreemption
from scheduler.plugins.image_locality import ImageLocality
from scheduler.plugins.inter_pod_affinity import InterPodAffinity
from scheduler.plugins.node_affinity import NodeAffinity
from scheduler.plugins.node_name import NodeName
from scheduler.plugins.node_ports import NodePorts
from scheduler.plugins.node_ready import NodeReady
from scheduler.plugins.node_resources_fit import NodeResourcesFit
from scheduler.plugins.node_unschedulable import NodeUnschedulable
from scheduler.plugins.pod_topology_spread import PodTopologySpread
from scheduler.plugins.taint_toleration import TaintToleration

# Filters run in this order; cheap and decisive checks first, as kube-scheduler orders them.
DEFAULT_FILTERS: list[type[FilterPlugin]] = [
    NodeUnschedulable, NodeName, NodeReady, TaintToleration, NodeAffinity, NodePorts, NodeResourcesFit,
    PodTopologySpread, InterPodAffinity,
]

# Score plugins and kube-scheduler's default weights.
DEFAULT_SCORE_WEIGHTS: dict[type[ScorePlugin], int] = {
    TaintToleration: 3, NodeAffinity: 2, InterPodAffinity: 2, PodTopologySpread: 2,
    NodeResourcesFit: 1, BalancedAllocation: 1, ImageLocality: 1,
}

# When no node fits.
DEFAULT_POST_FILTERS: list[type[PostFilterPlugin]] = [DefaultPreemption]

REGISTRY: dict[str, type[Plugin]] = {
    cls.name: cls for cls in [*DEFAULT_FILTERS, *DEFAULT_SCORE_WEIGHTS, *DEFAULT_POST_FILTERS]
}
