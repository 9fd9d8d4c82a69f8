"""The Deployment controller's arithmetic, rule by rule (controllers/deployment_util.py)."""
from __future__ import annotations

import pytest

from controllers import deployment_util as du


def deployment(replicas: int, surge=None, unavailable=None, strategy: str = "RollingUpdate", status_replicas=0):
    rolling = {k: v for k, v in (("maxSurge", surge), ("maxUnavailable", unavailable)) if v is not None}
    spec_strategy = {"type": strategy, **({"rollingUpdate": rolling} if strategy == "RollingUpdate" else {})}
    return {"metadata": {"name": "web"}, "spec": {"replicas": replicas, "strategy": spec_strategy},
            "status": {"replicas": status_replicas}}


def rs(name: str, replicas: int, available: int = 0, created: str = "2024-01-01T00:00:00Z", annotations=None):
    return {"metadata": {"name": name, "creationTimestamp": created, "annotations": annotations or {}},
            "spec": {"replicas": replicas}, "status": {"replicas": replicas, "availableReplicas": available}}


@pytest.mark.parametrize("surge,unavailable,replicas,expected", [
    (None, None, 4, (1, 1)),            # defaults 25% / 25%
    (None, None, 10, (3, 2)),           # 2.5 -> surge up to 3, unavailable down to 2
    ("50%", "50%", 3, (2, 1)),
    (0, "10%", 3, (0, 1)),              # 0.3 rounds to 0 and 0: unavailable forced to 1
    (2, 0, 3, (2, 0)),
    ("1", 1, 5, (1, 1)),
])
def test_fenceposts_round_surge_up_and_unavailable_down(surge, unavailable, replicas, expected):
    assert du.fenceposts(deployment(replicas, surge, unavailable)) == expected


def test_recreate_has_no_surge_and_no_unavailable_budget():
    d = deployment(3, strategy="Recreate")
    assert du.max_surge(d) == 0 and du.max_unavailable(d) == 0
    assert du.new_rs_target(d, [rs("old", 3)], rs("new", 0)) == 3


def test_new_replica_set_grows_only_up_to_replicas_plus_surge():
    d = deployment(4, surge=1, unavailable=1)
    old, new = rs("old", 4, 4), rs("new", 0)
    assert du.new_rs_target(d, [old, new], new) == 1          # 4 + 1 total at most
    new = rs("new", 1)
    assert du.new_rs_target(d, [old, new], new) == 1          # already at 5 pods: wait
    old = rs("old", 2, 2)
    assert du.new_rs_target(d, [old, new], new) == 3          # room for 2 more


def test_old_sets_shrink_only_while_enough_pods_stay_available():
    d = deployment(4, surge=1, unavailable=1)
    old, new = rs("old", 4, 4), rs("new", 1, 0)
    budget = du.old_scale_down_budget(d, [old, new], new)
    assert budget == 5 - 3 - 1 == 1
    assert du.scale_down_available(d, [old, new], [old]) == {"old": 3}
    new = rs("new", 1, 1)
    old = rs("old", 3, 3)
    assert du.scale_down_available(d, [old, new], [old]) == {"old": 2}


def test_unhealthy_old_pods_go_first_oldest_set_first():
    older = rs("a", 2, 0, created="2024-01-01T00:00:00Z")
    newer = rs("b", 3, 1, created="2024-01-02T00:00:00Z")
    assert du.cleanup_unhealthy([newer, older], 3) == {"a": 0, "b": 2}


def test_proportional_scaling_keeps_the_mix_of_a_half_done_rollout():
    # 10 replicas, surge 3: a paused rollout with old=8 and new=5 (13 = 10 + 3), scaled to 20.
    d = deployment(20, surge=3, unavailable=2)
    old = rs("old", 8, annotations={du.MAX_REPLICAS: "13"}, created="2024-01-01T00:00:00Z")
    new = rs("new", 5, annotations={du.MAX_REPLICAS: "13"}, created="2024-01-02T00:00:00Z")
    targets = du.proportional_targets(d, [old, new])
    assert sum(targets.values()) == 20 + 3          # replicas + maxSurge
    assert targets == {"old": 14, "new": 9}         # 8/13 and 5/13 of 23, rounded


def test_proportional_scale_down_takes_the_leftover_from_the_biggest():
    d = deployment(3, surge=0, unavailable=1)
    old = rs("old", 4, annotations={du.MAX_REPLICAS: "6"})
    new = rs("new", 2, annotations={du.MAX_REPLICAS: "6"}, created="2024-01-02T00:00:00Z")
    targets = du.proportional_targets(d, [old, new])
    assert sum(targets.values()) == 3 and targets == {"old": 2, "new": 1}


def test_scaling_event_is_a_changed_desired_replicas_annotation():
    d = deployment(5)
    assert du.is_scaling_event(d, [rs("a", 3, annotations={du.DESIRED_REPLICAS: "3"})])
    assert not du.is_scaling_event(d, [rs("a", 3, annotations={du.DESIRED_REPLICAS: "5"})])


def test_template_hash_ignores_its_own_label_and_changes_with_the_template():
    template = {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "c", "image": "a"}]}}
    labelled = {"metadata": {"labels": {"app": "web", du.HASH_LABEL: "xyz"}}, "spec": template["spec"]}
    assert du.template_hash(template) == du.template_hash(labelled)
    assert du.templates_equal(template, labelled)
    changed = {"metadata": template["metadata"], "spec": {"containers": [{"name": "c", "image": "b"}]}}
    assert du.template_hash(changed) != du.template_hash(template)
    assert du.template_hash(template, 1) != du.template_hash(template)
    assert set(du.template_hash(template)) <= set(du.SAFE_ALPHABET)


def test_fnv32a_matches_the_reference_vectors():
    assert du.fnv32a(b"") == 0x811C9DC5
    assert du.fnv32a(b"a") == 0xE40C292C


def test_reused_replica_set_takes_the_next_revision_and_remembers_its_old_one():
    old = rs("web-1", 0, annotations={du.REVISION: "1"})
    annotations = du.revision_annotations(old, 3)
    assert annotations[du.REVISION] == "3" and annotations[du.REVISION_HISTORY] == "1"
    again = du.revision_annotations({"metadata": {"annotations": annotations}}, 5)
    assert again[du.REVISION_HISTORY] == "1,3"
    assert du.revision_annotations(old, 1)[du.REVISION] == "1"      # already current
