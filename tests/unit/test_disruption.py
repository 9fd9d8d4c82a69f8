"""PodDisruptionBudgets without a server: the disruption controller's arithmetic, the eviction
subresource's decision, the budget's validation and its `kubectl get` row."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import make_mocked_request

from apiserver.eviction import can_ignore_budget, delete_options, parse_eviction, spend_disruption
from apiserver.routing import RequestInfo
from apiserver.table_printers import PRINTERS
from controllers.disruption import (
    DELETION_TIMEOUT,
    Counts,
    ExpectedCountError,
    count_healthy,
    desired_healthy,
    disruptions_allowed,
    expected_counts,
    fail_safe_status,
    next_status,
    recent_disruptions,
)
from minikube_py.api import conditions, disruption
from minikube_py.api.errors import ApiError
from minikube_py.api.resources import known
from minikube_py.api.validation import validate

NOW = datetime(2024, 5, 1, 10, 0, 0, tzinfo=UTC)
STAMP = "2024-05-01T10:00:00Z"
PODS = known("pods")
PDBS = known("pdb")


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def pod(name: str, ready: bool = True, owner_uid: str | None = "rs-1", phase: str = "Running",
        deleting: bool = False, labels: dict[str, str] | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": "ns", "labels": {"app": "web"} if labels is None else labels,
                            "resourceVersion": "7"}
    if owner_uid:
        meta["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web", "uid": owner_uid,
                                    "controller": True}]
    if deleting:
        meta["deletionTimestamp"] = STAMP
    return {"metadata": meta, "status": {"phase": phase, "conditions": [
        {"type": "Ready", "status": "True" if ready else "False"}]}}


def budget(generation: int = 1, **status: Any) -> dict[str, Any]:
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
            "metadata": {"name": "web", "namespace": "ns", "generation": generation, "resourceVersion": "9"},
            "spec": {"minAvailable": 2, "selector": {"matchLabels": {"app": "web"}}},
            "status": {"observedGeneration": 1, "disruptionsAllowed": 1, "currentHealthy": 3, "desiredHealthy": 2,
                       "expectedPods": 3, **status}}


# ---- the controller's arithmetic ----------------------------------------------------------------

@pytest.mark.parametrize("spec, expected, desired", [
    ({"minAvailable": "50%"}, 3, 2),        # 1.5 rounds up
    ({"minAvailable": "100%"}, 3, 3),
    ({"minAvailable": "1%"}, 3, 1),
    ({"minAvailable": 2}, 5, 2),
    ({"minAvailable": 0}, 5, 0),
    ({"maxUnavailable": 1}, 3, 2),
    ({"maxUnavailable": "50%"}, 3, 1),      # 3 - ceil(1.5)
    ({"maxUnavailable": "100%"}, 3, 0),
    ({"maxUnavailable": 5}, 3, 0),          # never below 0
    ({}, 3, 0),
])
def test_desired_healthy_rounds_percentages_up(spec, expected, desired) -> None:
    assert desired_healthy(spec, expected) == desired


def test_disruptions_allowed_is_never_negative_and_zero_without_expected_pods() -> None:
    assert disruptions_allowed(3, 2, 3) == 1
    assert disruptions_allowed(1, 2, 3) == 0
    assert disruptions_allowed(3, 0, 0) == 0


def test_scaled_value_rejects_what_is_not_a_percentage() -> None:
    assert disruption.scaled_value("25%", 10, round_up=False) == 2
    with pytest.raises(ValueError):
        disruption.scaled_value("25", 10, round_up=True)


class Scales:
    """A stand-in for the controller's finders: controller uid -> replicas; records the lookups."""

    def __init__(self, replicas: dict[str, int]) -> None:
        self.replicas = replicas
        self.asked: list[str] = []

    async def __call__(self, ref: dict[str, Any], namespace: str) -> tuple[str, int] | None:
        self.asked.append(ref["uid"])
        return (ref["uid"], self.replicas[ref["uid"]]) if ref["uid"] in self.replicas else None


async def test_integer_min_available_counts_the_selected_pods_without_asking_controllers() -> None:
    scales = Scales({})
    counts = await expected_counts({"minAvailable": 2}, [pod("a"), pod("b", owner_uid=None), pod("c")], scales)
    assert counts == Counts(expected=3, desired=2)
    assert scales.asked == []


async def test_percentages_use_the_sum_of_the_controllers_scales() -> None:
    scales = Scales({"rs-1": 3, "rs-2": 2})
    selected = [pod("a"), pod("b"), pod("c", owner_uid="rs-2"), pod("d", owner_uid=None)]
    counts = await expected_counts({"minAvailable": "50%"}, selected, scales)
    assert counts == Counts(expected=5, desired=3, unmanaged=("d",))
    assert scales.asked == ["rs-1", "rs-2"]       # each controller once


async def test_a_pod_whose_controller_is_missing_fails_the_count() -> None:
    with pytest.raises(ExpectedCountError, match='found no controllers for pod "a"'):
        await expected_counts({"maxUnavailable": 1}, [pod("a", owner_uid="gone")], Scales({}))


def test_healthy_pods_are_ready_not_deleting_and_not_just_evicted() -> None:
    selected = [pod("ready"), pod("unready", ready=False), pod("deleting", deleting=True),
                pod("evicted"), pod("evicted-long-ago")]
    disrupted = {"evicted": stamp(NOW - timedelta(seconds=10)),
                 "evicted-long-ago": stamp(NOW - DELETION_TIMEOUT - timedelta(seconds=1))}
    assert count_healthy(selected, disrupted, NOW) == 2      # "ready" and "evicted-long-ago"


def test_disrupted_pods_expire_after_the_deletion_timeout() -> None:
    selected = [pod("recent"), pod("old"), pod("gone-now", deleting=True)]
    recent = NOW - timedelta(seconds=30)
    disrupted = {"recent": stamp(recent), "old": stamp(NOW - DELETION_TIMEOUT - timedelta(seconds=1)),
                 "gone-now": STAMP, "not-selected": STAMP}
    kept, recheck, expired = recent_disruptions(selected, disrupted, NOW)
    assert kept == {"recent": stamp(recent)}
    assert recheck == recent + DELETION_TIMEOUT
    assert [p["metadata"]["name"] for p in expired] == ["old"]


def test_next_status_sets_the_condition_and_is_none_when_nothing_changed() -> None:
    pdb = budget(generation=2, conditions=[])
    status = next_status(pdb, Counts(3, 2), 3, {}, STAMP)
    assert status is not None
    assert (status["disruptionsAllowed"], status["observedGeneration"]) == (1, 2)
    assert "disruptedPods" not in status
    [condition] = status["conditions"]
    assert condition == {"type": "DisruptionAllowed", "status": "True", "reason": "SufficientPods", "message": "",
                         "observedGeneration": 2, "lastTransitionTime": STAMP}
    pdb["status"] = status
    assert next_status(pdb, Counts(3, 2), 3, {}, "2024-05-01T11:00:00Z") is None
    later = next_status(pdb, Counts(3, 2), 2, {"a": STAMP}, "2024-05-01T11:00:00Z")
    assert later is not None and later["disruptionsAllowed"] == 0 and later["disruptedPods"] == {"a": STAMP}
    assert later["conditions"][0] == {"type": "DisruptionAllowed", "status": "False", "reason": "InsufficientPods",
                                      "message": "", "observedGeneration": 2,
                                      "lastTransitionTime": "2024-05-01T11:00:00Z"}


def test_condition_keeps_its_transition_time_while_the_status_stays() -> None:
    first = conditions.set_condition([], {"type": "DisruptionAllowed", "status": "False",
                                          "reason": "InsufficientPods"}, STAMP)
    again = conditions.set_condition(first, {"type": "DisruptionAllowed", "status": "False",
                                             "reason": "SyncFailed"}, "2030-01-01T00:00:00Z")
    assert again == [{"type": "DisruptionAllowed", "status": "False", "reason": "SyncFailed",
                      "lastTransitionTime": STAMP}]


def test_fail_safe_allows_no_disruption() -> None:
    status = fail_safe_status(budget(), "found no controllers for pod \"a\"", STAMP)
    assert status["disruptionsAllowed"] == 0
    assert status["conditions"][0]["reason"] == "SyncFailed"
    assert status["conditions"][0]["message"] == 'found no controllers for pod "a"'


# ---- the eviction subresource's decision ----------------------------------------------------------

def test_spending_a_disruption_decrements_and_records_the_pod() -> None:
    spent = spend_disruption(budget(), "web-1", STAMP)
    assert spent["status"]["disruptionsAllowed"] == 0
    assert spent["status"]["disruptedPods"] == {"web-1": STAMP}
    assert spent["status"]["conditions"][0]["reason"] == "InsufficientPods"


def test_no_disruption_left_is_429_with_the_budget_cause() -> None:
    with pytest.raises(ApiError) as raised:
        spend_disruption(budget(disruptionsAllowed=0, currentHealthy=2), "web-1", STAMP)
    error = raised.value
    assert (error.code, error.reason, error.message) == (
        429, "TooManyRequests", "Cannot evict pod as it would violate the pod's disruption budget.")
    assert error.details == {"causes": [{"reason": "DisruptionBudget",
                                         "message": "The disruption budget web needs 2 healthy pods and has 2 "
                                                    "currently"}]}


def test_a_budget_not_yet_computed_for_its_generation_is_429_retry_later() -> None:
    with pytest.raises(ApiError) as raised:
        spend_disruption(budget(generation=2), "web-1", STAMP)
    assert raised.value.code == 429
    details = raised.value.details
    assert details is not None and details["retryAfterSeconds"] == 10
    assert "is still being processed by the server" in details["causes"][0]["message"]


def test_negative_or_overfull_budgets_are_forbidden() -> None:
    with pytest.raises(ApiError, match="pdb disruptions allowed is negative") as raised:
        spend_disruption(budget(disruptionsAllowed=-1), "web-1", STAMP)
    assert raised.value.code == 403
    full = {f"p{i}": STAMP for i in range(2001)}
    with pytest.raises(ApiError, match="DisruptedPods map too big"):
        spend_disruption(budget(disruptedPods=full), "web-1", STAMP)


@pytest.mark.parametrize("phase, deleting, ignored", [
    ("Pending", False, True), ("Succeeded", False, True), ("Failed", False, True),
    ("Running", True, True), ("Running", False, False), ("Unknown", False, False)])
def test_pods_that_are_not_running_disrupt_nothing(phase, deleting, ignored) -> None:
    assert can_ignore_budget(pod("p", phase=phase, deleting=deleting)) is ignored


def test_budgets_cover_pods_by_selector_in_their_namespace() -> None:
    pdb = budget()
    assert disruption.covers(pdb, pod("p"))
    assert not disruption.covers(pdb, pod("p", labels={"app": "db"}))
    other_namespace = pod("p")
    other_namespace["metadata"]["namespace"] = "elsewhere"
    assert not disruption.covers(pdb, other_namespace)
    pdb["spec"]["selector"] = {}
    assert disruption.covers(pdb, pod("p", labels={}))        # policy/v1: {} selects every pod
    del pdb["spec"]["selector"]
    assert not disruption.covers(pdb, pod("p"))               # no selector selects none


INFO = RequestInfo(PODS, "ns", "web-1", "eviction", False)


def test_the_eviction_must_name_the_pod_of_the_url() -> None:
    assert parse_eviction({"apiVersion": "policy/v1beta1", "kind": "Eviction", "metadata": {"name": "web-1"},
                           "deleteOptions": {"gracePeriodSeconds": 0}}, INFO) == {"gracePeriodSeconds": 0}
    for body, message in [({"metadata": {"name": "other"}}, "name in URL does not match"),
                          ({"kind": "Pod", "metadata": {"name": "web-1"}}, "not a Eviction object"),
                          ({"metadata": {"name": "web-1", "namespace": "x"}}, "namespace of the provided object"),
                          ({"metadata": {"name": "web-1"}, "deleteOptions": []}, "deleteOptions must be"),
                          ([], "not a Eviction object")]:
        with pytest.raises(ApiError, match=message) as raised:
            parse_eviction(body, INFO)
        assert raised.value.code == 400


def test_dry_run_from_the_query_and_the_body_must_agree() -> None:
    request = make_mocked_request("POST", "/api/v1/namespaces/ns/pods/web-1/eviction?dryRun=All")
    assert delete_options(request, None).dry_run
    assert delete_options(make_mocked_request("POST", "/x"), {"dryRun": ["All"]}).dry_run
    with pytest.raises(ApiError, match="unsupported value"):
        delete_options(make_mocked_request("POST", "/x"), {"dryRun": ["Some"]})
    with pytest.raises(ApiError, match=r'dryRun: Unsupported value: \[\]string\{"Yes"\}') as raised:
        delete_options(make_mocked_request("POST", "/x?dryRun=Yes"), None)
    assert raised.value.code == 422          # the request's CreateOptions are invalid, as in Kubernetes


# ---- validation and table -------------------------------------------------------------------------

def causes(spec: dict[str, Any]) -> set[tuple[str, str]]:
    obj = {"metadata": {"name": "web", "namespace": "ns"}, "spec": spec}
    return {(c["field"], c["message"]) for c in validate(PDBS, obj)}


def test_validation_reads_like_kubernetes() -> None:
    selector = {"matchLabels": {"app": "web"}}
    assert causes({"minAvailable": "50%", "selector": selector}) == set()
    assert causes({"selector": selector}) == set()            # neither: allowed, allows no disruption
    assert ("spec", 'Invalid value: {"minAvailable": 1, "maxUnavailable": 1}: minAvailable and maxUnavailable '
                    "cannot be both set") in causes({"minAvailable": 1, "maxUnavailable": 1, "selector": selector})
    assert causes({"maxUnavailable": "150%", "selector": selector}) == {
        ("spec.maxUnavailable", 'Invalid value: "150%": must not be greater than 100%')}
    assert causes({"minAvailable": -1}) == {
        ("spec.minAvailable", "Invalid value: -1: must be greater than or equal to 0")}
    [(field, message)] = causes({"minAvailable": "half"})
    assert field == "spec.minAvailable" and "a valid percent string must be a numeric string" in message
    assert {field for field, _ in causes({"minAvailable": 1, "selector": {"matchLabels": {"a": "b c"}}})} == {
        "spec.selector.matchLabels"}
    assert {field for field, _ in causes({"minAvailable": 1.5})} == {"spec.minAvailable"}
    assert {field for field, _ in causes({"minAvailable": 1, "unhealthyPodEvictionPolicy": "Never"})} == {
        "spec.unhealthyPodEvictionPolicy"}


def test_status_counts_may_not_be_negative() -> None:
    old = {"metadata": {"name": "web", "namespace": "ns"}, "spec": {"minAvailable": 1}, "status": {}}
    new = {**old, "status": {"disruptionsAllowed": -1, "conditions": [{"type": "DisruptionAllowed"}],
                             "disruptedPods": {"web-1": "yesterday"}}}
    assert {c["field"] for c in validate(PDBS, new, old)} == {
        "status.disruptionsAllowed", "status.conditions[0].reason", "status.conditions[0].status",
        "status.conditions[0].lastTransitionTime", "status.disruptedPods.web-1"}


def test_kubectl_get_columns() -> None:
    printer = PRINTERS["PodDisruptionBudget"]
    assert [c.name for c in printer.columns] == ["Name", "Min Available", "Max Unavailable", "Allowed Disruptions",
                                                 "Age"]
    pdb = budget()
    pdb["metadata"]["creationTimestamp"] = stamp(NOW - timedelta(minutes=5))
    assert printer.row(pdb, NOW) == ["web", "2", "N/A", 1, "5m"]
