"""DefaultTolerationSeconds admission, on its own: which tolerations a new pod gets."""
from __future__ import annotations

from apiserver.admission.default_toleration_seconds import DefaultTolerationSeconds

NOT_READY, UNREACHABLE = "node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"


KUBERNETES_DEFAULTS = DefaultTolerationSeconds()


def admitted(tolerations: object = None, admission: DefaultTolerationSeconds = KUBERNETES_DEFAULTS):
    spec: dict = {"containers": [{"name": "c", "image": "i"}]}
    if tolerations is not None:
        spec["tolerations"] = tolerations
    pod = {"metadata": {"name": "p"}, "spec": spec}
    admission.admit_pod(pod)
    return pod["spec"].get("tolerations")


def test_a_pod_without_tolerations_gets_both_for_300_seconds() -> None:
    assert admitted() == [
        {"key": NOT_READY, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
        {"key": UNREACHABLE, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}]


def test_the_seconds_come_from_the_flags() -> None:
    seconds = {t["key"]: t["tolerationSeconds"] for t in admitted(admission=DefaultTolerationSeconds(20, 30))}
    assert seconds == {NOT_READY: 20, UNREACHABLE: 30}


def test_a_pod_that_already_tolerates_a_taint_keeps_its_own() -> None:
    own = {"key": NOT_READY, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 5}
    tolerations = admitted([own])
    assert [t["key"] for t in tolerations] == [NOT_READY, UNREACHABLE]
    assert tolerations[0] is own and tolerations[0]["tolerationSeconds"] == 5


def test_tolerate_everything_needs_nothing_more() -> None:
    assert admitted([{"operator": "Exists"}]) == [{"operator": "Exists"}]


def test_a_noschedule_toleration_does_not_count() -> None:
    keys = [t.get("key") for t in admitted([{"key": NOT_READY, "operator": "Exists", "effect": "NoSchedule"}])]
    assert keys == [NOT_READY, NOT_READY, UNREACHABLE]


def test_malformed_specs_are_left_for_validation() -> None:
    assert admitted("all") == "all"
    pod = {"metadata": {"name": "p"}, "spec": 5}
    DefaultTolerationSeconds().admit_pod(pod)
    assert pod["spec"] == 5
