"""Pod facts shared by every component (minikube_py/api/pods.py): QoS class, readiness,
containers' resources."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from minikube_py.api import pods


def spec(*containers: dict[str, Any], init: tuple[dict[str, Any], ...] = ()) -> dict[str, Any]:
    return {"containers": [{"name": f"c{i}", "resources": r} for i, r in enumerate(containers)],
            "initContainers": [{"name": f"i{i}", "resources": r} for i, r in enumerate(init)]}


def ready_pod(since: str) -> dict[str, Any]:
    return {"status": {"conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": since}]}}


EQUAL = {"requests": {"cpu": "500m", "memory": "64Mi"}, "limits": {"cpu": "500m", "memory": "64Mi"}}


def test_1000m_requested_with_a_limit_of_1_is_guaranteed() -> None:
    """The pod of issue 12: the quantities are equal although their strings differ."""
    resources = {"requests": {"cpu": "1000m", "memory": "128Mi"}, "limits": {"cpu": "1", "memory": "0.125Gi"}}
    assert pods.qos_class(spec(resources)) == pods.GUARANTEED


@pytest.mark.parametrize("pod_spec, expected", [
    (spec({}), pods.BEST_EFFORT),
    (spec({"requests": {"cpu": "0", "memory": "0"}}), pods.BEST_EFFORT),         # zero does not count
    (spec({"requests": {"example.com/gpu": "1"}, "limits": {"example.com/gpu": "1"}}), pods.BEST_EFFORT),
    (spec(EQUAL), pods.GUARANTEED),
    (spec(EQUAL, EQUAL, init=(EQUAL,)), pods.GUARANTEED),
    # a cpu limit alone is not enough: every container needs cpu and memory limits
    (spec({"requests": {"cpu": "1000m"}, "limits": {"cpu": "1"}}), pods.BURSTABLE),
    (spec({"requests": {"cpu": "250m", "memory": "64Mi"}, "limits": {"cpu": "500m", "memory": "64Mi"}}),
     pods.BURSTABLE),
    (spec(EQUAL, {}), pods.BURSTABLE),                                            # one container without limits
    (spec(EQUAL, init=({"requests": {"cpu": "100m"}},)), pods.BURSTABLE),         # init containers count
    (spec({"limits": {"cpu": "1", "memory": "1Gi"}}), pods.BURSTABLE),            # no request (not defaulted)
    (spec({"requests": {"cpu": "nonsense"}}), pods.BEST_EFFORT),                  # unreadable: does not count
    ({"containers": "not a list"}, pods.BEST_EFFORT),
])
def test_qos_class(pod_spec: dict[str, Any], expected: str) -> None:
    assert pods.qos_class(pod_spec) == expected


def test_containers_and_their_resources() -> None:
    pod_spec: dict[str, Any] = {"containers": [{"name": "a", "resources": {"limits": {"cpu": "1"}}}, "junk"],
                "initContainers": [{"name": "i"}]}
    assert [c["name"] for c in pods.containers(pod_spec)] == ["a", "i"]
    assert [c["name"] for c in pods.containers(pod_spec, init=False)] == ["a"]
    assert pods.container_resources(pod_spec["containers"][0], "limits") == {"cpu": "1"}
    assert pods.container_resources(pod_spec["initContainers"][0], "requests") == {}


def test_phase_readiness_and_restarts() -> None:
    running = {"spec": {"nodeName": "n1"}, "status": {
        "phase": "Running", "conditions": [{"type": "Ready", "status": "True"}],
        "containerStatuses": [{"restartCount": 2}, {"restartCount": 1}]}}
    assert pods.is_ready(running) and not pods.is_terminal(running)
    assert pods.node_name(running) == "n1" and pods.restart_count(running) == 3
    assert pods.is_terminal({"status": {"phase": "Succeeded"}}) and not pods.is_ready({})


def test_available_means_ready_for_min_ready_seconds():
    ready = ready_pod("2024-01-01T00:00:10Z")
    since = pods.ready_since(ready)
    assert since is not None
    assert pods.is_available(ready, 0)
    assert not pods.is_available(ready, 30, at=since + timedelta(seconds=29))
    assert pods.is_available(ready, 30, at=since + timedelta(seconds=30))
    assert not pods.is_available({"status": {"conditions": [{"type": "Ready", "status": "False"}]}}, 0)


