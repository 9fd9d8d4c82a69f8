"""Status conditions (minikube_py/api/conditions.py)."""
from __future__ import annotations

from minikube_py.api.conditions import find_condition, is_true, transition_time
from minikube_py.api.times import parse_time


def test_find_condition_and_is_true() -> None:
    conditions = ["junk", {"type": "Ready", "status": "True"}, {"type": "Initialized", "status": "False"}]
    assert is_true(find_condition(conditions, "Ready"))
    assert not is_true(find_condition(conditions, "Initialized"))
    assert find_condition(conditions, "PodScheduled") is None and find_condition(None, "Ready") is None
    assert not is_true(None)


def test_transition_time_moves_only_when_the_status_flips() -> None:
    old = {"type": "Ready", "status": "True", "lastTransitionTime": "2021-01-02T15:04:05Z"}
    assert transition_time(old, "True") == "2021-01-02T15:04:05Z"
    flipped = transition_time(old, "False")
    assert flipped != "2021-01-02T15:04:05Z" and parse_time(flipped) is not None
    assert parse_time(transition_time(None, "True")) is not None
    assert parse_time(transition_time({"status": "True"}, "True")) is not None     # no time yet: now
