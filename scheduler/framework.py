"""The scheduling framework: kube-scheduler's pkg/scheduler/framework (interface.go, runtime/framework.go).

A scheduling decision runs *extension points* in order, each implemented by
plugins (scheduler/plugins/, one file each):

    PreFilter   once per pod: precompute what the filters need, or Skip (the
                plugin has nothing to check for this pod, its Filter is not run)
    Filter      per node: can the pod run there? None = yes, else a Status with
                the reasons (e.g. "Insufficient cpu"). A node's first rejection
                decides. Filters that look only at a node's restrictions (cordon,
                NoSchedule/NoExecute taints, a Ready condition that is not True)
                say so with `rejects_only_restricted_nodes`, and are run only on
                nodes that have such a restriction (NodeInfo.restricted, kept by
                the cache); on any other node they could only answer yes.
    PostFilter  when no node fits (kube-scheduler: preemption). We have none.
    PreScore    once per pod, over the feasible nodes: precompute, or Skip
    Score       each feasible node gets an integer; then NormalizeScore maps each
                plugin's scores to 0..100, and the framework multiplies by the
                plugin's weight and sums.

Filter and Score run plugin by plugin over a batch of nodes (filter_nodes,
score_nodes), not node by node: the per-pod values are read once per batch and
the loop over the nodes stays tight. Simple plugins write filter()/score() for
one node and inherit the loop. The results are the same as node by node; this
and the restricted-nodes shortcut are ours, not kube-scheduler's (Go runs the
per-node work on 16 goroutines; we have one Python thread).
    Reserve     the pod is assumed onto the chosen node in the cache (scheduler.py)
    Bind        the binder POSTs pods/binding (binder.py)

State computed in PreFilter/PreScore lives in a CycleState (a dict per
decision), exactly like kube-scheduler's framework.CycleState.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Iterable, Sequence

from scheduler.nodeinfo import NodeInfo
from scheduler.podinfo import PodInfo
from scheduler.workloads import NO_WORKLOADS, Workloads

MAX_NODE_SCORE = 100

# Cluster events a plugin may say could make a pod it rejected schedulable
# (kube-scheduler's EventsToRegister / ClusterEvent).
NODE_ADD, NODE_UPDATE, POD_ADD, POD_UPDATE, POD_DELETE = "NodeAdd", "NodeUpdate", "PodAdd", "PodUpdate", "PodDelete"


@dataclass(frozen=True)
class Status:
    """Why a plugin said no. code: Unschedulable, UnschedulableAndUnresolvable, Skip or Error."""
    code: str
    reasons: tuple[str, ...] = ()
    plugin: str = ""

    @property
    def skip(self) -> bool:
        return self.code == SKIP_CODE


UNSCHEDULABLE, UNRESOLVABLE, SKIP_CODE, ERROR = "Unschedulable", "UnschedulableAndUnresolvable", "Skip", "Error"
SKIP = Status(SKIP_CODE)


def unschedulable(*reasons: str, plugin: str = "") -> Status:
    return Status(UNSCHEDULABLE, tuple(reasons), plugin)


def unresolvable(*reasons: str, plugin: str = "") -> Status:
    """Preemption could not help either (kube-scheduler uses this to skip such nodes when preempting)."""
    return Status(UNRESOLVABLE, tuple(reasons), plugin)


class Snapshot:
    """What PreFilter/PreScore may look at: every node (kube-scheduler's SharedLister), the
    nodes holding pods with (anti-)affinity terms, on how many nodes each image is, and the
    workloads (Services, ReplicaSets) pods belong to (kube-scheduler's informer listers)."""

    def __init__(self, nodes: Sequence[NodeInfo], image_node_counts: dict[str, int] | None = None,
                 with_affinity: Sequence[NodeInfo] | None = None,
                 with_required_anti_affinity: Sequence[NodeInfo] | None = None,
                 workloads: Workloads = NO_WORKLOADS) -> None:
        self.nodes = nodes
        self.workloads = workloads
        self.image_node_counts = image_node_counts or {}
        self.with_affinity = [n for n in nodes if n.pods_with_affinity] if with_affinity is None else with_affinity
        self.with_required_anti_affinity = ([n for n in nodes if n.pods_with_required_anti_affinity]
                                            if with_required_anti_affinity is None else with_required_anti_affinity)


CycleState = dict[str, Any]


class Plugin:
    name: ClassVar[str] = ""
    # Cluster events after which a pod this plugin rejected deserves another try.
    events: ClassVar[frozenset[str]] = frozenset({NODE_ADD, NODE_UPDATE})

    def __init__(self, args: dict[str, Any] | None = None) -> None:
        self.args = args or {}


class FilterPlugin(Plugin):
    # True for filters that can say no only to a node with NodeInfo.restricted set.
    rejects_only_restricted_nodes: ClassVar[bool] = False

    def pre_filter(self, state: CycleState, pod: PodInfo, snapshot: Snapshot) -> Status | None:
        return None

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status | None:
        """One node's verdict. Override this or filter_nodes."""
        return self.filter_nodes(state, pod, [node])[0]

    def filter_nodes(self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo]) -> list[Status | None]:
        """Every node's verdict, in order."""
        check = self.filter
        return [check(state, pod, node) for node in nodes]


class ScorePlugin(Plugin):
    def pre_score(self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo],
                  snapshot: Snapshot) -> Status | None:
        return None

    def score(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> int:
        """One node's raw score. Override this or score_nodes."""
        return self.score_nodes(state, pod, [node])[0]

    def score_nodes(self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo]) -> list[int]:
        """Every node's raw score, in order."""
        score = self.score
        return [score(state, pod, node) for node in nodes]

    def normalize_scores(self, state: CycleState, pod: PodInfo, scores: list[int]) -> None:
        """Map this plugin's raw scores to 0..MAX_NODE_SCORE in place; default: already there."""


def default_normalize(scores: list[int], reverse: bool = False) -> None:
    """kube-scheduler's helper.DefaultNormalizeScore: scale so the best is 100 (reverse: the lowest is best)."""
    highest = max(scores, default=0)
    if highest == 0:
        if reverse:
            scores[:] = [MAX_NODE_SCORE] * len(scores)
        return
    for i, score in enumerate(scores):
        scaled = MAX_NODE_SCORE * score // highest
        scores[i] = MAX_NODE_SCORE - scaled if reverse else scaled


class Framework:
    """The enabled plugins of one profile, in order, with their score weights."""

    def __init__(self, filters: Iterable[FilterPlugin], scorers: Iterable[tuple[ScorePlugin, int]]) -> None:
        self.filters = list(filters)
        self.scorers = list(scorers)

    @property
    def plugin_names(self) -> list[str]:
        return [p.name for p in self.filters] + [p.name for p, _ in self.scorers if p not in self.filters]

    def run_pre_filter(self, state: CycleState, pod: PodInfo, snapshot: Snapshot
                       ) -> tuple[list[FilterPlugin], Status | None]:
        """The filters still to run for this pod, or a Status that rejects the pod on every node."""
        active = []
        for plugin in self.filters:
            status = plugin.pre_filter(state, pod, snapshot)
            if status is None:
                active.append(plugin)
            elif not status.skip:
                return [], Status(status.code, status.reasons, plugin.name)
        return active, None

    @staticmethod
    def run_filters(active: list[FilterPlugin], state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo],
                    rejected: dict[str, Status]) -> list[NodeInfo]:
        """The nodes of the batch that pass every filter, in order; the others go into `rejected` with
        the Status of the first plugin that said no (kube-scheduler stops at a node's first failure)."""
        passed = list(nodes)
        restricted = [node for node in passed if node.restricted]
        for plugin in active:
            candidates = restricted if plugin.rejects_only_restricted_nodes else passed
            if not candidates:
                continue
            failed = {node.name: status for node, status in zip(candidates, plugin.filter_nodes(state, pod, candidates))
                      if status is not None}
            if failed:
                for name, status in failed.items():
                    rejected[name] = status if status.plugin else Status(status.code, status.reasons, plugin.name)
                passed = [node for node in passed if node.name not in failed]
                restricted = [node for node in restricted if node.name not in failed]
        return passed

    def run_scores(self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo],
                   snapshot: Snapshot) -> dict[str, list[int]]:
        """Per plugin, the weighted normalized score of each node (same order as `nodes`)."""
        per_plugin: dict[str, list[int]] = {}
        for plugin, weight in self.scorers:
            status = plugin.pre_score(state, pod, nodes, snapshot)
            if status is not None and status.skip:
                continue
            scores = plugin.score_nodes(state, pod, nodes)
            plugin.normalize_scores(state, pod, scores)
            per_plugin[plugin.name] = [score * weight for score in scores]
        return per_plugin
