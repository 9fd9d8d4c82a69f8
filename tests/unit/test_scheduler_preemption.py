"""DefaultPreemption (victim selection, node choice, eligibility) and the nominator, table-driven."""
from __future__ import annotations

import random

import pytest

from scheduler.algorithm import Algorithm, FitError
from scheduler.config import SchedulerConfig, load_config
from scheduler.framework import UNRESOLVABLE, UNSCHEDULABLE, Snapshot, Status
from scheduler.nominator import Nominator
from scheduler.plugins.default_preemption import (
    Candidate,
    DefaultPreemption,
    Preemption,
    eligible,
    num_candidates,
    pick_one_node,
    select_victims,
)
from tests.unit.test_scheduler_plugins import make_node, make_pod


def prio_pod(name: str, priority: int, cpu: str = "1", started: str = "", **spec):
    pod = make_pod(name, cpu=cpu, priority=priority, **spec)
    pod.start_time = started
    return pod


def node_with(*pods, name: str = "n1", cpu: str = "4"):
    node = make_node(name, cpu=cpu)
    for pod in pods:
        node.add_pod(pod)
    return node


def fits_with_default_filters(pod):
    """The default profile's filters after PreFilter, as the framework gives them to PostFilter."""
    framework = SchedulerConfig().build_framework()
    state: dict = {}
    active, rejection = framework.run_pre_filter(state, pod, Snapshot([]))
    assert rejection is None
    return lambda node: framework.fits(active, state, pod, node)


T1, T2, T3, T4 = (f"2024-01-01T10:0{i}:00Z" for i in range(1, 5))
PORT = [{"containerPort": 80, "hostPort": 8080}]


@pytest.mark.parametrize("on_node, preemptor, victims", [
    # four equal pods: the last started goes (the earlier started ones are more important)
    ([("a", 0, "1", T1), ("b", 0, "1", T2), ("c", 0, "1", T4), ("d", 0, "1", T3)], (10, "1"), ["c"]),
    # the higher-priority lower pod is reprieved first, then what still fits
    ([("hi", 5, "2", T1), ("b", 1, "1", T2), ("c", 1, "1", T3)], (10, "2"), ["b", "c"]),
    ([("hi", 5, "2", T1), ("b", 1, "1", T2), ("c", 1, "1", T3)], (10, "3"), ["hi", "c"]),
    # pods of higher or equal priority are never victims: evicting the rest does not help
    ([("top", 20, "3", T1), ("low", 0, "1", T2)], (10, "2"), None),
    ([("same", 10, "4", T1)], (10, "1"), None),
    ([], (10, "8"), None),                                 # nothing to evict
])
def test_select_victims(on_node, preemptor, victims):
    node = node_with(*(prio_pod(n, p, cpu, started) for n, p, cpu, started in on_node))
    pod = prio_pod("preemptor", *preemptor)
    found = select_victims(pod, node, fits_with_default_filters(pod))
    assert (None if found is None else [v.name for v in found]) == victims
    assert len(node.pods) == len(on_node)                  # the dry run worked on a copy


def test_select_victims_frees_a_host_port():
    node = node_with(prio_pod("web", 0, "100m", T1, ports=PORT), prio_pod("other", 0, "100m", T2))
    pod = prio_pod("preemptor", 10, "100m", ports=PORT)
    victims = select_victims(pod, node, fits_with_default_filters(pod))
    assert victims is not None and [v.name for v in victims] == ["web"]


def candidate(node: str, *victims: tuple[int, str]) -> Candidate:
    return Candidate(node, [prio_pod(f"{node}-{i}", p, started=s) for i, (p, s) in enumerate(victims)])


@pytest.mark.parametrize("candidates, chosen", [
    ([candidate("n1", (5, T1)), candidate("n2", (1, T1), (1, T2))], "n2"),       # lowest top victim priority
    ([candidate("n1", (1, T1), (1, T2)), candidate("n2", (1, T1))], "n2"),       # smallest priority sum
    ([candidate("n1", (1, T1), (0, T2)), candidate("n2", (1, T1), (1, T2))], "n1"),
    ([candidate("n1", (3, T2), (0, T1)), candidate("n2", (3, T3), (0, T1))], "n2"),  # latest start of the top ones
    ([candidate("n1", (0, T1)), candidate("n2")], "n2"),                        # no victim at all
    ([candidate("n1", (0, T1)), candidate("n2", (0, T1))], "n1"),               # a full tie: the first
])
def test_pick_one_node(candidates, chosen):
    assert pick_one_node(candidates).node == chosen


@pytest.mark.parametrize("potential, wanted", [(5, 5), (100, 100), (999, 100), (5000, 500)])
def test_num_candidates(potential, wanted):
    assert num_candidates(potential) == wanted


def test_eligibility():
    node = node_with(prio_pod("low", 0, started=T1))
    snapshot, nominator = Snapshot([node]), Nominator()
    rejected = {"n1": Status(UNSCHEDULABLE, ("Insufficient cpu",))}
    assert eligible(prio_pod("p", 10), snapshot, rejected, nominator)
    assert not eligible(prio_pod("p", 10, preemptionPolicy="Never"), snapshot, rejected, nominator)
    waiting = prio_pod("w", 10)
    nominator.add(waiting, "n1")
    assert eligible(waiting, snapshot, rejected, nominator)        # its victims are not terminating
    node.pods["default/low"].deleting = True
    assert not eligible(waiting, snapshot, rejected, nominator)    # they are: wait for them
    assert eligible(waiting, snapshot, {"n1": Status(UNRESOLVABLE, ("x",))}, nominator)


def schedule(algorithm: Algorithm, pod, nodes):
    snapshot = Snapshot(nodes)
    with pytest.raises(FitError) as error:
        algorithm.schedule(pod, snapshot)
    return algorithm.post_filter(error.value, snapshot)


def test_post_filter_picks_the_node_with_the_least_important_victims_and_skips_unresolvable_ones():
    n1 = node_with(prio_pod("a", 5, "4", T1), name="n1")
    n2 = node_with(prio_pod("b", 1, "2", T1), prio_pod("c", 1, "2", T2), name="n2")
    n3 = node_with(prio_pod("d", 0, "4", T1), name="n3")
    n3.labels = {**n3.labels, "disk": "hdd"}
    pod = prio_pod("preemptor", 10, "2", nodeSelector={"disk": "ssd"})
    assert schedule(Algorithm(SchedulerConfig().build_framework()), pod, [n1, n2, n3]) is None
    pod = prio_pod("preemptor", 10, "2")
    framework = SchedulerConfig().build_framework()
    framework.post_filters = [DefaultPreemption(rng=random.Random(1))]
    result = schedule(Algorithm(framework), pod, [n1, n2, n3])
    assert isinstance(result, Preemption)
    assert (result.node, [v.name for v in result.victims]) == ("n3", ["d"])     # priority 0 beats 1 and 5
    n3.labels = {**n3.labels, "disk": "ssd"}
    n1.labels = n2.labels = {"disk": "ssd"}
    result = schedule(Algorithm(framework), prio_pod("p", 10, "2", nodeSelector={"disk": "hdd"}), [n1, n2, n3])
    assert result is None                                      # no node passes the selector: unresolvable


def test_preemption_policy_never_and_disabled_plugin(tmp_path):
    node = node_with(prio_pod("low", 0, "4", T1))
    assert schedule(Algorithm(SchedulerConfig().build_framework()), prio_pod("p", 10, "1",
                    preemptionPolicy="Never"), [node]) is None
    path = tmp_path / "config.yaml"
    path.write_text("profiles:\n- plugins:\n    postFilter:\n      disabled: [{name: DefaultPreemption}]\n")
    assert schedule(Algorithm(load_config(str(path)).build_framework()), prio_pod("p", 10, "1"), [node]) is None
    assert schedule(Algorithm(SchedulerConfig().build_framework()), prio_pod("p", 10, "1"), [node]) is not None


def test_nominated_pods_keep_their_space_from_lower_but_not_higher_priority_pods():
    node = make_node("n1", cpu="2")
    other = make_node("n2", cpu="1")
    nominator = Nominator()
    waiting = prio_pod("waiting", 10, "2")
    nominator.add(waiting, "n1")
    algorithm = Algorithm(SchedulerConfig().build_framework(), nominator=nominator)
    assert algorithm.schedule(prio_pod("low", 5, "1"), Snapshot([node, other])).node == "n2"
    with pytest.raises(FitError):
        algorithm.schedule(prio_pod("low2", 5, "2"), Snapshot([node, other]))
    assert algorithm.schedule(prio_pod("high", 20, "2"), Snapshot([node, other])).node == "n1"
    # the nominated pod itself goes to its node first, without scoring
    decision = algorithm.schedule(waiting, Snapshot([other, node]))
    assert (decision.node, decision.evaluated) == ("n1", 1)


def test_nominator_bookkeeping():
    nominator = Nominator()
    a, b = prio_pod("a", 1), prio_pod("b", 9)
    nominator.add(a, "n1")
    nominator.add(b, "n1")
    nominator.add(a, "n2")                                    # moved
    assert (nominator.node_of("default/a"), [p.name for p in nominator.pods_on("n1")]) == ("n2", ["b"])
    assert [p.name for p in nominator.nominated_for(prio_pod("x", 5), "n1")] == ["b"]
    assert nominator.nominated_for(prio_pod("x", 10), "n1") == []
    nominator.delete("default/a")
    nominator.delete("default/b")
    assert not nominator and nominator.pods_on("n1") == []
