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
    PostFilter  when no node fits: DefaultPreemption (plugins/default_preemption.py)
                looks for lower-priority pods to evict so the pod fits.
    PreScore    once per pod, over the feasible nodes: precompute, or Skip
    Score       each feasible node gets an integer; then NormalizeScore maps each
                plugin's scores to 0..100, and the framework multiplies by the
                plugin's weight and sums.

Nominated pods (nominator.py): a node's filters also see the pods nominated to
it with at least the pod's priority, as kube-scheduler's
RunFilterPluginsWithNominatedPods; only node-local filters do (kube-scheduler
also feeds them to the PreFilter state of InterPodAffinity/PodTopologySpread
through PreFilterExtensions.AddPod; we do not).

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

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from scheduler.nodeinfo import NodeInfo
from scheduler.nominator import Nominator
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
        self._by_name: dict[str, NodeInfo] | None = None

    def node(self, name: str) -> NodeInfo | None:
        if self._by_name is None:
            self._by_name = {node.name: node for node in self.nodes}
        return self._by_name.get(name)


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


# "Does the pod fit on this NodeInfo?" with the cycle's filters: None = yes, else the first rejection.
Fits = Callable[[NodeInfo], "Status | None"]


class PostFilterPlugin(Plugin):
    def post_filter(self, state: CycleState, pod: PodInfo, snapshot: Snapshot, statuses: dict[str, Status],
                    fits: Fits, nominator: Nominator) -> Any:
        """Called when no node fits (`statuses`: each node's rejection); a result, or None."""
        return None


class Framework:
    """The enabled plugins of one profile, in order, with their score weights."""

    def __init__(self, filters: Iterable[FilterPlugin], scorers: Iterable[tuple[ScorePlugin, int]],
                 post_filters: Iterable[PostFilterPlugin] = ()) -> None:
        self.filters = list(filters)
        self.scorers = list(scorers)
        self.post_filters = list(post_filters)

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

    @classmethod
    def run_filters_with_nominated_pods(cls, active: list[FilterPlugin], state: CycleState, pod: PodInfo,
                                        nodes: Sequence[NodeInfo], rejected: dict[str, Status],
                                        nominator: Nominator) -> list[NodeInfo]:
        """run_filters, then each passing node that has pods nominated to it (of at least this pod's
        priority) is tried again with them placed on it: the pod must fit beside them too."""
        passed = cls.run_filters(active, state, pod, nodes, rejected)
        if not nominator:
            return passed
        kept = []
        for node in passed:
            nominated = nominator.nominated_for(pod, node.name)
            status = cls.fits(active, state, pod, node.clone(extra=nominated)) if nominated else None
            if status is None:
                kept.append(node)
            else:
                rejected[node.name] = status
        return kept

    @classmethod
    def fits(cls, active: list[FilterPlugin], state: CycleState, pod: PodInfo, node: NodeInfo) -> Status | None:
        """One node's verdict (often a NodeInfo.clone())."""
        rejected: dict[str, Status] = {}
        cls.run_filters(active, state, pod, [node], rejected)
        return rejected.get(node.name)

    def run_post_filters(self, state: CycleState, pod: PodInfo, snapshot: Snapshot, statuses: dict[str, Status],
                         active: list[FilterPlugin], nominator: Nominator) -> Any:
        """The first PostFilter plugin's result, or None (kube-scheduler stops at the first success)."""
        def fits(node: NodeInfo) -> Status | None:
            nominated = nominator.nominated_for(pod, node.name)
            return self.fits(active, state, pod, node.clone(extra=nominated) if nominated else node)
        for plugin in self.post_filters:
            result = plugin.post_filter(state, pod, snapshot, statuses, fits, nominator)
            if result is not None:
                return result
        return None

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
