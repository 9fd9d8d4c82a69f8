"""The decision as a whole: feasible-node count, failure message form, config file, selection."""
from __future__ import annotations

import random
from collections import Counter

import pytest

from scheduler.algorithm import Algorithm, FitError, fit_error_message, num_feasible_nodes_to_find
from scheduler.config import ConfigError, SchedulerConfig, load_config
from scheduler.framework import Snapshot
from tests.unit.test_scheduler_plugins import make_node, make_pod


@pytest.mark.parametrize("nodes, percentage, expected", [
    (50, 0, 50), (99, 0, 99), (100, 0, 100), (1000, 0, 420), (5000, 0, 500), (6000, 0, 300),
    (10000, 0, 500), (200, 10, 100), (1000, 30, 300), (1000, 100, 1000),
])
def test_num_feasible_nodes_to_find(nodes, percentage, expected):
    assert num_feasible_nodes_to_find(nodes, percentage) == expected


def test_fit_error_message_counts_and_sorts_reasons_like_kube_scheduler():
    reasons = Counter({"Insufficient cpu": 1, "node(s) had untolerated taint {key: value}": 2})
    assert fit_error_message(3, reasons) == \
        "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had untolerated taint {key: value}."


def test_no_node_fits_gives_the_exact_message():
    taint = [{"key": "key", "value": "value", "effect": "NoSchedule"}]
    nodes = [make_node("small", cpu="1"), make_node("t1", taints=taint), make_node("t2", taints=taint)]
    algorithm = Algorithm(SchedulerConfig().build_framework())
    with pytest.raises(FitError) as caught:
        algorithm.schedule(make_pod(cpu="2"), Snapshot(nodes))
    assert str(caught.value) == \
        "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had untolerated taint {key: value}."
    assert caught.value.plugins == {"NodeResourcesFit", "TaintToleration"}


def test_scoring_picks_the_emptier_node_and_round_robins_the_start():
    busy = make_node("busy")
    busy.add_pod(make_pod("e", cpu="3", memory="6Gi"))
    algorithm = Algorithm(SchedulerConfig().build_framework(), rng=random.Random(1))
    decision = algorithm.schedule(make_pod(cpu="100m"), Snapshot([busy, make_node("idle")]))
    assert decision.node == "idle"
    assert set(decision.scores) >= {"NodeResourcesFit", "NodeResourcesBalancedAllocation", "TaintToleration"}
    assert decision.scores["TaintToleration"] == [300, 300]     # weight 3 x 100


def test_large_clusters_stop_filtering_after_enough_feasible_nodes():
    nodes = [make_node(f"n{i}") for i in range(1000)]
    algorithm = Algorithm(SchedulerConfig().build_framework())
    decision = algorithm.schedule(make_pod(), Snapshot(nodes))
    assert len(decision.feasible) == 420 and decision.evaluated == 420
    assert algorithm.next_start_node_index == 420


def test_config_file_overrides_weights_and_plugins(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("""
apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
percentageOfNodesToScore: 30
profiles:
- schedulerName: my-scheduler
  plugins:
    filter:
      disabled: [{name: NodePorts}]
    score:
      enabled: [{name: ImageLocality, weight: 5}]
      disabled: [{name: NodeResourcesBalancedAllocation}]
""")
    config = load_config(str(path))
    assert config.scheduler_name == "my-scheduler" and config.percentage_of_nodes_to_score == 30
    assert "NodePorts" not in config.filters and config.score_weights["ImageLocality"] == 5
    assert "NodeResourcesBalancedAllocation" not in config.score_weights
    assert config.score_weights["TaintToleration"] == 3
    path.write_text("profiles: [{plugins: {score: {enabled: [{name: NoSuchPlugin}]}}}]")
    with pytest.raises(ConfigError, match="unknown plugin"):
        load_config(str(path))
