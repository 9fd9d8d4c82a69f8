"""DefaultPreemption: kube-scheduler's plugins/defaultpreemption and framework/preemption (PostFilter).

When no node fits a pod, evicting pods of lower priority (spec.priority) may
make room. For a pod that may preempt:

1. Eligible (PodEligibleToPreemptOthers): not `preemptionPolicy: Never`, and not
   already nominated to a node where lower-priority victims are still
   terminating (it waits for them instead of evicting more).
2. Candidates (DryRunPreemption): the nodes whose rejection preemption could
   cure (Unschedulable, not UnschedulableAndUnresolvable), visited from a random
   offset until max(10% of them, 100) candidates are found. On a copy of each
   node, all lower-priority pods are removed; if the pod still does not fit,
   the node is no candidate. Otherwise the removed pods are put back one by one,
   most important first (higher priority, then the earlier started), and each
   one the pod can live beside is reprieved; the rest are the victims.
3. The node (pickOneNodeForPreemption), narrowing the candidates step by step:
   the lowest priority of its most important victim, the smallest sum of
   victim priorities, the fewest victims, the latest start among its most
   important victims; then the first one.
4. Prepare (prepareCandidate, `evict`): each victim is deleted through the API
   with its own grace period (no gracePeriodSeconds, as kube-scheduler; we add
   a uid precondition so a same-named replacement is never hit) and gets a
   Normal `Preempted` Event "Preempted by pod <uid> on node <node>"; pods of
   lower priority nominated to that node lose their nomination. The scheduler
   nominates the preemptor (status.nominatedNodeName, nominator.py), whose
   space the filters then keep for it; when its victims are gone (pod delete
   event) it is retried and tries the nominated node first.

Simplified, compared with kube-scheduler:
- No PodDisruptionBudgets (our API has none): no victim "violates" one.
- The dry run re-runs only the filters' per-node checks on the node copy; the
  cluster-wide PreFilter state of InterPodAffinity and PodTopologySpread is not
  updated for the removed pods (kube-scheduler's PreFilterExtensions). So
  preemption never evicts to cure an affinity or spread rejection caused by the
  victims themselves; it only misses such chances, it never evicts in vain for
  resources, ports or node-local reasons.
- A pod without status.startTime counts as started at its creationTimestamp.
- Victims get no DisruptionTarget condition before their deletion.
- Victims are deleted after the scheduling cycle, in the background (so is
  kube-scheduler's async preemption); should the preemptor be retried before
  all deletions are seen, it may pick the same victims again (a second delete
  finds them gone or terminating). Backoff (1 s first) makes that rare.
- The FitError message does not get kube-scheduler's "preemption: ..." suffix.
"""
from __future__ import annotations

import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from minikube_py.api.errors import ApiError
from minikube_py.client.event_sink import EventSink
from minikube_py.client.events import NORMAL
from minikube_py.client.rest import ApiClient
from scheduler.framework import UNRESOLVABLE, CycleState, Fits, PostFilterPlugin, Snapshot, Status
from scheduler.nodeinfo import NodeInfo
from scheduler.nominator import Nominator
from scheduler.podinfo import PREEMPT_NEVER, PodInfo

log = logging.getLogger("scheduler.preemption")

MIN_CANDIDATE_NODES_PERCENTAGE, MIN_CANDIDATE_NODES_ABSOLUTE = 10, 100
PRIORITY_OFFSET = 2 ** 31          # kube-scheduler adds MaxInt32+1 so every summed priority is positive
NOT_STARTED = "9999"               # sorts after every RFC 3339 time: the least important


@dataclass
class Candidate:
    """A node where the pod would fit once `victims` (most important first) are gone."""
    node: str
    victims: list[PodInfo]


@dataclass
class Preemption:
    """PostFilter's result: nominate the pod to `node`, evict `victims`, un-nominate `lower_nominated`."""
    node: str
    victims: list[PodInfo]
    lower_nominated: list[PodInfo]


def importance(pod: PodInfo) -> tuple[int, str]:
    """Sort key, most important first (kube-scheduler's MoreImportantPod)."""
    return -pod.priority, pod.start_time or NOT_STARTED


def eligible(pod: PodInfo, snapshot: Snapshot, statuses: dict[str, Status], nominator: Nominator) -> bool:
    """PodEligibleToPreemptOthers."""
    if pod.preemption_policy == PREEMPT_NEVER:
        return False
    nominated = nominator.node_of(pod.key) or pod.nominated_node_name
    if not nominated:
        return True
    status = statuses.get(nominated)
    if status is not None and status.code == UNRESOLVABLE:
        return True                  # preempting there could not help anyway: look elsewhere
    node = snapshot.node(nominated)
    return node is None or not any(other.deleting and other.priority < pod.priority for other in node.pods.values())


def select_victims(pod: PodInfo, node: NodeInfo, fits: Fits) -> list[PodInfo] | None:
    """SelectVictimsOnNode: the fewest, least important pods to evict; None when evicting cannot help."""
    lower = sorted((other for other in node.pods.values() if other.priority < pod.priority), key=importance)
    if not lower:
        return None
    trial = node.clone(without={other.key for other in lower})
    if fits(trial) is not None:
        return None
    victims = []
    for other in lower:                    # reprieve as many as possible, the most important first
        trial.add_pod(other)
        if fits(trial) is not None:
            trial.remove_pod(other.key)
            victims.append(other)
    return victims


def num_candidates(potential: int) -> int:
    """How many candidates are enough (kube-scheduler's calculateNumCandidates)."""
    wanted = potential * MIN_CANDIDATE_NODES_PERCENTAGE // 100
    return min(max(wanted, MIN_CANDIDATE_NODES_ABSOLUTE), potential)


def find_candidates(pod: PodInfo, snapshot: Snapshot, statuses: dict[str, Status], fits: Fits,
                    offset: int = 0) -> list[Candidate]:
    potential = [node for node in snapshot.nodes
                 if (status := statuses.get(node.name)) is not None and status.code != UNRESOLVABLE]
    if not potential:
        return []
    wanted = num_candidates(len(potential))
    candidates: list[Candidate] = []
    for i in range(len(potential)):
        node = potential[(offset + i) % len(potential)]
        victims = select_victims(pod, node, fits)
        if victims is not None:
            candidates.append(Candidate(node.name, victims))
            if len(candidates) >= wanted:
                break
    return candidates


def _narrow(candidates: list[Candidate], key: Callable[[Candidate], Any]) -> list[Candidate]:
    best = min(key(candidate) for candidate in candidates)
    return [candidate for candidate in candidates if key(candidate) == best]


def _earliest_start_of_most_important(victims: Sequence[PodInfo]) -> str:
    top = victims[0].priority
    return min(victim.start_time or NOT_STARTED for victim in victims if victim.priority == top)


def pick_one_node(candidates: list[Candidate]) -> Candidate:
    """pickOneNodeForPreemption: each rule keeps the best candidates for the next one."""
    no_victims = [candidate for candidate in candidates if not candidate.victims]
    if no_victims:
        return no_victims[0]
    rules: list[Callable[[Candidate], Any]] = [
        lambda c: c.victims[0].priority,                                    # lowest most-important victim
        lambda c: sum(victim.priority + PRIORITY_OFFSET for victim in c.victims),
        lambda c: len(c.victims),
        lambda c: _Reversed(_earliest_start_of_most_important(c.victims)),   # the latest start wins
    ]
    for rule in rules:
        candidates = _narrow(candidates, rule)
        if len(candidates) == 1:
            break
    return candidates[0]


@dataclass(frozen=True)
class _Reversed:
    """Orders strings backwards, so `min` picks the latest time."""
    value: str

    def __lt__(self, other: _Reversed) -> bool:
        return self.value > other.value


class DefaultPreemption(PostFilterPlugin):
    name = "DefaultPreemption"

    def __init__(self, args: dict[str, Any] | None = None, rng: random.Random | None = None) -> None:
        super().__init__(args)
        self.rng = rng or random.Random()

    def post_filter(self, state: CycleState, pod: PodInfo, snapshot: Snapshot, statuses: dict[str, Status],
                    fits: Fits, nominator: Nominator) -> Preemption | None:
        if not eligible(pod, snapshot, statuses, nominator):
            return None
        candidates = find_candidates(pod, snapshot, statuses, fits, self.rng.randrange(max(len(snapshot.nodes), 1)))
        if not candidates:
            return None
        best = pick_one_node(candidates)
        lower = [other for other in nominator.pods_on(best.node) if other.priority < pod.priority]
        return Preemption(best.node, best.victims, lower)


async def evict(api: ApiClient, events: EventSink, preemptor: PodInfo, preemption: Preemption) -> None:
    """prepareCandidate: delete the victims (their own grace period) with an Event each, and clear the
    nomination of lower-priority pods nominated to the node."""
    for victim in preemption.victims:
        try:
            await api.resource("pods", victim.namespace).delete(victim.name, preconditions={"uid": victim.uid})
        except ApiError as e:
            if e.code not in (404, 409):
                log.warning("preempting %s for %s: %s", victim.key, preemptor.key, e.message)
            continue
        log.info("preempted %s on %s for %s", victim.key, preemption.node, preemptor.key)
        events.emit(victim.obj, NORMAL, "Preempted", f"Preempted by pod {preemptor.uid} on node {preemption.node}")
    for pod in preemption.lower_nominated:
        try:
            await api.resource("pods", pod.namespace).patch_status(pod.name, {"status": {"nominatedNodeName": None}})
        except ApiError as e:
            if e.code != 404:
                log.warning("clearing the nomination of %s: %s", pod.key, e.message)
