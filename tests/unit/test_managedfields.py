"""Structured-merge-diff rules of minikube_py/api/managedfields, without a server."""
from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from minikube_py.api.errors import ApiError
from minikube_py.api.managedfields import FieldManager, fieldpath, typed
from minikube_py.api.managedfields.manager import LAST_APPLIED
from minikube_py.api.managedfields.schema import schema_for
from minikube_py.api.resources import known

DEPLOYMENTS = known("deployments")
assert DEPLOYMENTS is not None
POD_SCHEMA = schema_for("v1", "Pod")


def config(replicas: int | None = 2, image: str = "web:1", **labels: str) -> dict:
    spec: dict = {"selector": {"matchLabels": {"app": "d"}},
                  "template": {"metadata": {"labels": {"app": "d"}},
                               "spec": {"containers": [{"name": "web", "image": image,
                                                        "ports": [{"containerPort": 80}]}]}}}
    if replicas is not None:
        spec["replicas"] = replicas
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "d", "namespace": "ns", **({"labels": labels} if labels else {})}, "spec": spec}


def stored(obj: dict) -> dict:
    """What the server keeps: server-owned metadata on top."""
    obj = copy.deepcopy(obj)
    obj["metadata"].update(uid="u", resourceVersion="7", creationTimestamp="2026-01-01T00:00:00Z")
    return obj


def entry(obj: dict, manager: str) -> dict:
    return next(e for e in obj["metadata"]["managedFields"] if e["manager"] == manager)


# -- the FieldsV1 encoding ----------------------------------------------------

def test_field_set_uses_kubernetes_key_encoding() -> None:
    pod = {"metadata": {"finalizers": ["a/b"]},
           "spec": {"containers": [{"name": "web", "image": "x", "ports": [{"containerPort": 80}]}],
                    "tolerations": [{"key": "k"}], "securityContext": {}}}
    fs = typed.field_set(pod, POD_SCHEMA)
    assert fs == {
        "f:metadata": {"f:finalizers": {'v:"a/b"': {}}},
        "f:spec": {
            "f:containers": {'k:{"name":"web"}': {
                ".": {}, "f:name": {}, "f:image": {},
                "f:ports": {'k:{"containerPort":80,"protocol":"TCP"}': {".": {}, "f:containerPort": {}}}}},
            "f:tolerations": {},             # atomic list: a leaf
            "f:securityContext": {},         # empty object: a leaf
        }}


def test_path_strings_are_smds() -> None:
    assert fieldpath.path_string(("f:spec", "f:replicas")) == ".spec.replicas"
    assert fieldpath.path_string(("f:spec", "f:containers", 'k:{"name":"web"}', "f:image")) == \
        '.spec.containers[name="web"].image'
    assert fieldpath.path_string(("f:metadata", "f:finalizers", 'v:"x"')) == '.metadata.finalizers[="x"]'
    assert fieldpath.path_string(("f:ports", 'k:{"containerPort":80,"protocol":"TCP"}')) == \
        '.ports[containerPort=80,protocol="TCP"]'


def test_set_operations_keep_the_self_marker() -> None:
    a = {"f:spec": {"f:x": {}, "f:y": {}}, "f:list": {'k:{"n":1}': {".": {}, "f:n": {}}}}
    b: fieldpath.FieldSet = {"f:spec": {"f:y": {}}, "f:list": {'k:{"n":1}': {}}}
    assert fieldpath.difference(a, b) == {"f:spec": {"f:x": {}}, "f:list": {'k:{"n":1}': {"f:n": {}}}}
    assert fieldpath.intersection(a, b) == {"f:spec": {"f:y": {}}, "f:list": {'k:{"n":1}': {}}}
    assert fieldpath.union(b, {"f:spec": {"f:z": {}}}) == {"f:spec": {"f:y": {}, "f:z": {}},
                                                            "f:list": {'k:{"n":1}': {}}}
    assert list(fieldpath.members(a)) == [("f:list", 'k:{"n":1}'), ("f:list", 'k:{"n":1}', "f:n"),
                                          ("f:spec", "f:x"), ("f:spec", "f:y")]
    assert fieldpath.sorted_set({"f:b": {}, ".": {}, 'k:{"a":1}': {}, "f:a": {}}) == \
        {".": {}, "f:a": {}, "f:b": {}, 'k:{"a":1}': {}}


def test_merge_follows_list_types() -> None:
    live: dict[str, Any] = {"spec": {"containers": [{"name": "a", "image": "1"}, {"name": "b", "image": "2"}],
                                     "tolerations": [{"key": "x"}]}, "metadata": {"finalizers": ["f1"]}}
    applied = {"spec": {"containers": [{"name": "b", "image": "3"}, {"name": "c", "image": "4"}],
                        "tolerations": [{"key": "y"}]}, "metadata": {"finalizers": ["f2"]}}
    merged = typed.merge(live, applied, POD_SCHEMA)
    assert merged["spec"]["containers"] == [{"name": "a", "image": "1"}, {"name": "b", "image": "3"},
                                            {"name": "c", "image": "4"}]      # a map-list merges by key
    assert merged["spec"]["tolerations"] == [{"key": "y"}]                   # an atomic list is replaced
    assert merged["metadata"]["finalizers"] == ["f1", "f2"]                   # a set is a union
    assert live["spec"]["containers"][1]["image"] == "2"                      # inputs untouched


def test_changed_reports_added_and_modified_members_only() -> None:
    old = {"spec": {"containers": [{"name": "a", "image": "1"}], "restartPolicy": "Always"}}
    new = {"spec": {"containers": [{"name": "a", "image": "2"}, {"name": "b", "image": "1"}]}}
    assert typed.changed(old, new, POD_SCHEMA) == {"f:spec": {"f:containers": {
        'k:{"name":"a"}': {"f:image": {}}, 'k:{"name":"b"}': {".": {}, "f:name": {}, "f:image": {}}}}}
    assert typed.changed(old, old, POD_SCHEMA) is None


# -- the field manager ---------------------------------------------------------

def test_create_records_an_update_entry_with_every_field() -> None:
    obj = stored(config())
    FieldManager(DEPLOYMENTS).update(None, obj, "kubectl-create")
    [managed] = obj["metadata"]["managedFields"]
    assert {k: managed[k] for k in ("manager", "operation", "apiVersion", "fieldsType")} == \
        {"manager": "kubectl-create", "operation": "Update", "apiVersion": "apps/v1", "fieldsType": "FieldsV1"}
    assert managed["time"].endswith("Z")
    assert "f:name" not in managed["fieldsV1"].get("f:metadata", {})       # server-owned metadata untracked
    assert managed["fieldsV1"]["f:spec"]["f:replicas"] == {}


def test_apply_conflicts_with_another_owner_and_force_takes_the_field() -> None:
    fm = FieldManager(DEPLOYMENTS)
    obj = stored(fm.apply(None, config(replicas=2), "alice", False))
    with pytest.raises(ApiError) as raised:
        fm.apply(obj, config(replicas=5), "bob", False)
    assert raised.value.code == 409 and raised.value.reason == "Conflict"
    assert raised.value.message == 'Apply failed with 1 conflict: conflict with "alice": .spec.replicas'
    assert raised.value.details == {"causes": [{"reason": "FieldManagerConflict", "message": 'conflict with "alice"',
                                                "field": ".spec.replicas"}]}
    forced = fm.apply(obj, config(replicas=5), "bob", True)
    assert forced["spec"]["replicas"] == 5
    assert "f:replicas" not in entry(forced, "alice")["fieldsV1"]["f:spec"]
    assert "f:replicas" in entry(forced, "bob")["fieldsV1"]["f:spec"]


def test_applying_the_same_value_shares_ownership_without_conflict() -> None:
    fm = FieldManager(DEPLOYMENTS)
    obj = stored(fm.apply(None, config(replicas=2), "alice", False))
    shared = fm.apply(obj, config(replicas=2), "bob", False)
    assert "f:replicas" in entry(shared, "alice")["fieldsV1"]["f:spec"]
    assert "f:replicas" in entry(shared, "bob")["fieldsV1"]["f:spec"]


def test_update_takes_fields_from_appliers_and_conflicts_name_the_update_manager() -> None:
    fm = FieldManager(DEPLOYMENTS)
    obj = stored(fm.apply(None, config(replicas=2), "alice", False))
    scaled = copy.deepcopy(obj)
    scaled["spec"]["replicas"] = 3
    fm.update(obj, scaled, "kubectl-scale")
    assert "f:replicas" not in entry(scaled, "alice")["fieldsV1"]["f:spec"]
    with pytest.raises(ApiError, match=r'conflict with "kubectl-scale" using apps/v1: \.spec\.replicas'):
        fm.apply(scaled, config(replicas=2), "alice", False)


def test_several_conflicts_are_listed_per_manager() -> None:
    fm = FieldManager(DEPLOYMENTS)
    obj = stored(fm.apply(None, config(replicas=2, image="web:1"), "alice", False))
    with pytest.raises(ApiError) as raised:
        fm.apply(obj, config(replicas=3, image="web:2"), "bob", False)
    assert raised.value.message == ('Apply failed with 2 conflicts: conflicts with "alice":\n'
                                    '- .spec.replicas\n- .spec.template.spec.containers[name="web"].image')


def test_a_field_no_longer_applied_is_removed_unless_someone_else_owns_it() -> None:
    fm = FieldManager(DEPLOYMENTS)
    obj = stored(fm.apply(None, config(replicas=2, tier="web"), "alice", False))
    dropped = fm.apply(obj, config(replicas=None), "alice", False)
    assert "replicas" not in dropped["spec"] and "labels" not in dropped["metadata"]
    shared = stored(fm.apply(obj, config(replicas=2), "bob", False))       # bob owns replicas too
    kept = fm.apply(shared, config(replicas=None), "alice", False)
    assert kept["spec"]["replicas"] == 2


def test_first_apply_to_an_untracked_object_conflicts_with_before_first_apply() -> None:
    obj = stored(config(replicas=1))
    with pytest.raises(ApiError, match=r'conflict with "before-first-apply" using apps/v1: \.spec\.replicas'):
        FieldManager(DEPLOYMENTS).apply(obj, config(replicas=4), "alice", False)


def test_migration_from_client_side_apply() -> None:
    """Fields client-side apply owns and that still hold its last-applied value move to the applier."""
    fm = FieldManager(DEPLOYMENTS)
    obj = stored(config(replicas=2))
    obj["metadata"]["annotations"] = {LAST_APPLIED: json.dumps(config(replicas=2))}
    fm.update(None, obj, "kubectl-client-side-apply")
    migrated = fm.apply(obj, config(replicas=3), "kubectl", False)
    assert migrated["spec"]["replicas"] == 3
    assert "f:replicas" in entry(migrated, "kubectl")["fieldsV1"]["f:spec"]
    assert "f:replicas" not in entry(migrated, "kubectl-client-side-apply")["fieldsV1"]["f:spec"]
    # kubectl's server-side apply keeps the annotation in sync, so a later client-side apply agrees
    assert json.loads(migrated["metadata"]["annotations"][LAST_APPLIED])["spec"]["replicas"] == 3
    # a value that is not the last-applied one is somebody's change: a real conflict
    obj["spec"]["replicas"] = 4
    with pytest.raises(ApiError, match='conflict with "kubectl-client-side-apply" using apps/v1'):
        fm.apply(obj, config(replicas=9), "kubectl", False)


def test_status_is_managed_only_through_its_subresource() -> None:
    fm = FieldManager(DEPLOYMENTS)
    obj = stored(config())
    obj["status"] = {"replicas": 0}
    fm.update(None, obj, "creator")
    assert "f:status" not in entry(obj, "creator")["fieldsV1"]
    new = copy.deepcopy(obj)
    new["status"] = {"replicas": 1}
    fm.update(obj, new, "controller", "status")
    status_entry = entry(new, "controller")
    assert status_entry["subresource"] == "status" and status_entry["fieldsV1"] == {"f:status": {"f:replicas": {}}}


def test_an_update_that_removes_a_field_takes_its_ownership_from_everyone() -> None:
    fm = FieldManager(DEPLOYMENTS)
    obj = stored(config(tier="web", team="a"))
    fm.update(None, obj, "creator")
    new = copy.deepcopy(obj)
    del new["metadata"]["labels"]["tier"]
    fm.update(obj, new, "editor")
    labels = entry(new, "creator")["fieldsV1"]["f:metadata"]["f:labels"]
    assert labels == {"f:team": {}}
    assert [e["manager"] for e in new["metadata"]["managedFields"]] == ["creator"]   # editor gained nothing


def test_without_is_difference_sharing_what_it_does_not_touch() -> None:
    owned: fieldpath.FieldSet = {"f:spec": {"f:replicas": {}, "f:template": {"f:x": {}}},
                                 "f:metadata": {"f:labels": {"f:a": {}}}}
    result = fieldpath.without(owned, {"f:spec": {"f:replicas": {}}})
    assert result == fieldpath.difference(owned, {"f:spec": {"f:replicas": {}}})
    assert result["f:metadata"] is owned["f:metadata"]
    assert fieldpath.without(owned, {"f:status": {}}) is owned
