"""mkctl's pure logic: apply's three-way patch, manifests, layout, and the
decisions behind label, taint, drain and rollout (no server needed)."""
from __future__ import annotations

import io
import json

import pytest

from minikube_py.api.errors import ApiError
from minikube_py.api.strategic_merge import apply_strategic_merge_patch
from minikube_py.cli.mkctl_cmds.errors import CliError, connection_refused, server_error
from minikube_py.cli.mkctl_cmds.manifests import read_manifests
from minikube_py.cli.mkctl_cmds.meta import metadata_patch, split_changes
from minikube_py.cli.mkctl_cmds.nodes import apply_taints, parse_taint, plan_drain
from minikube_py.cli.mkctl_cmds.output import tabwrite, to_yaml
from minikube_py.cli.mkctl_cmds.rollout import pick_revision, rollout_status
from minikube_py.cli.mkctl_cmds.three_way import (
    LAST_APPLIED,
    last_applied,
    strategies_for,
    three_way_patch,
    with_last_applied,
)

DEPLOY = strategies_for("apps/v1", "Deployment")


def manifest(env: list[dict], labels: dict | None = None) -> dict:
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "default", "labels": labels or {"app": "web"}},
            "spec": {"replicas": 2, "template": {"spec": {"containers": [
                {"name": "web", "image": "hello:1", "env": env}]}}}}


def test_three_way_patch_removes_what_the_manifest_dropped_and_keeps_the_rest():
    before = with_last_applied(manifest([{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]))
    live = json.loads(json.dumps(before))
    live["metadata"]["annotations"]["owner"] = "ops"                # set by someone else
    live["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] = "Always"   # a server default
    after = with_last_applied(manifest([{"name": "A", "value": "1"}]))
    patch = three_way_patch(last_applied(live), after, live, DEPLOY)
    container_patch = patch["spec"]["template"]["spec"]["containers"][0]
    assert container_patch["env"] == [{"name": "B", "$patch": "delete"}]
    assert container_patch["$setElementOrder/env"] == [{"name": "A"}]
    result = apply_strategic_merge_patch(live, patch, "apps/v1", "Deployment")
    container = result["spec"]["template"]["spec"]["containers"][0]
    assert container["env"] == [{"name": "A", "value": "1"}] and container["imagePullPolicy"] == "Always"
    assert result["metadata"]["annotations"]["owner"] == "ops"
    assert json.loads(result["metadata"]["annotations"][LAST_APPLIED]) == last_applied(after)


def test_three_way_patch_is_empty_when_nothing_changed_and_nulls_removed_map_keys():
    applied = with_last_applied(manifest([], {"app": "web", "tier": "front"}))
    assert three_way_patch(last_applied(applied), applied, applied, DEPLOY) == {}
    dropped = with_last_applied(manifest([]))
    assert three_way_patch(last_applied(applied), dropped, applied, DEPLOY)["metadata"]["labels"] == {"tier": None}


def test_last_applied_is_kubectls_sorted_json_with_empty_annotations():
    text = with_last_applied({"kind": "ConfigMap", "apiVersion": "v1", "metadata": {"name": "c"}})
    assert text["metadata"]["annotations"][LAST_APPLIED] == \
        '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"annotations":{},"name":"c"}}\n'


def test_manifests_multi_document_lists_and_errors(tmp_path):
    (tmp_path / "a.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n---\n"
                                     "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Secret, "
                                     "metadata: {name: s}}\n")
    (tmp_path / "b.json").write_text('{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}}')
    (tmp_path / "notes.txt").write_text("ignored")
    found = read_manifests([str(tmp_path)])
    assert [(m.rt.kind, m.name) for m in found] == [("ConfigMap", "a"), ("Secret", "s"), ("Deployment", "d")]
    piped = io.StringIO("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n")
    assert read_manifests(["-"], stdin=piped)[0].source == "STDIN"
    (tmp_path / "bad.yaml").write_text("a: [\n")
    with pytest.raises(CliError, match=r"^error: error parsing .*bad.yaml: .* yaml: line 2"):
        read_manifests([str(tmp_path / "bad.yaml")])
    (tmp_path / "w.yaml").write_text("apiVersion: v1\nkind: Widget\n")
    with pytest.raises(CliError, match='no matches for kind "Widget" in version "v1"'):
        read_manifests([str(tmp_path / "w.yaml")])


def test_tabwrite_aligns_blocks_like_gos_tabwriter():
    lines = tabwrite(["Name:\tweb", "Namespace:\tdefault", "Pod Template:", "  Labels:\tapp=web",
                      "Events:\t<none>"], 2)
    assert lines == ["Name:       web", "Namespace:  default", "Pod Template:", "  Labels:  app=web",
                     "Events:    <none>"]


def test_yaml_quotes_like_kubectl():
    assert to_yaml({"rv": "22", "when": "2024-01-01T00:00:00Z", "text": "a\nb\n", "plain": "web"}) == \
        'plain: web\nrv: "22"\ntext: |\n  a\n  b\nwhen: "2024-01-01T00:00:00Z"\n'


def test_error_lines():
    assert server_error(ApiError(404, "NotFound", 'pods "x" not found')) == \
        'Error from server (NotFound): pods "x" not found'
    assert connection_refused("http://127.0.0.1:6443") == \
        "The connection to the server 127.0.0.1:6443 was refused - did you specify the right host or port?"


def test_label_changes_and_overwrite():
    assert split_changes(("pods", "p", "a=1", "b-")) == (("pods", "p"), {"a": "1"}, ["b"])
    patch, missing = metadata_patch("labels", {"a": "1", "b": "2"}, {"a": "1", "c": "3"}, ["b", "z"], False)
    assert patch == {"metadata": {"labels": {"c": "3", "b": None}}} and missing == ["z"]
    with pytest.raises(CliError, match="'a' already has a value \\(1\\), and --overwrite is false"):
        metadata_patch("labels", {"a": "1"}, {"a": "2"}, [], False)


def test_taints():
    assert parse_taint("k=v:NoSchedule") == ({"key": "k", "value": "v", "effect": "NoSchedule"}, False)
    assert parse_taint("k-") == ({"key": "k"}, True)
    current = [{"key": "k", "effect": "NoSchedule"}, {"key": "k", "effect": "NoExecute"}]
    assert apply_taints(current, ["k:NoExecute-"], False, "n") == [{"key": "k", "effect": "NoSchedule"}]
    assert apply_taints(current, ["k-"], False, "n") == []
    assert apply_taints(current, ["k=2:NoSchedule"], True, "n")[0] == {"key": "k", "value": "2", "effect": "NoSchedule"}
    with pytest.raises(CliError, match="invalid taint effect"):
        parse_taint("k:Sometimes")


def test_drain_plan():
    def a_pod(name, kind=None, emptydir=False):
        meta = {"name": name, "namespace": "ns"}
        if kind:
            meta["ownerReferences"] = [{"kind": kind, "name": "o", "controller": True}]
        return {"metadata": meta, "spec": {"volumes": [{"name": "v", "emptyDir": {}}] if emptydir else []}}
    pods = [a_pod("ds", "DaemonSet"), a_pod("rs", "ReplicaSet"), a_pod("bare"), a_pod("tmp", "ReplicaSet", True)]
    strict = plan_drain(pods, force=False, ignore_daemonsets=False, delete_emptydir_data=False)
    assert len(strict.errors) == 3
    relaxed = plan_drain(pods, force=True, ignore_daemonsets=True, delete_emptydir_data=True)
    assert relaxed.errors == [] and [p["metadata"]["name"] for p in relaxed.to_delete] == ["rs", "bare", "tmp"]


def test_rollout_status_messages_and_revisions():
    def deploy(generation=1, observed=1, **status):
        return {"metadata": {"name": "web", "generation": generation}, "spec": {"replicas": 3},
                "status": {"observedGeneration": observed, **status}}
    assert rollout_status(deploy(2, 1))[0] == "Waiting for deployment spec update to be observed..."
    assert rollout_status(deploy(replicas=4, updatedReplicas=3))[0] == \
        'Waiting for deployment "web" rollout to finish: 1 old replicas are pending termination...'
    assert rollout_status(deploy(replicas=3, updatedReplicas=3, availableReplicas=3)) == \
        ('deployment "web" successfully rolled out', True)
    sets = [{"metadata": {"annotations": {"deployment.kubernetes.io/revision": str(r)}}} for r in (1, 3, 2)]
    assert pick_revision(sets, 0, "web") is sets[2]
    with pytest.raises(CliError, match='no rollout history found for deployment "web"'):
        pick_revision(sets[:1], 0, "web")


def test_durations_like_kubectl():
    from minikube_py.cli.mkctl_cmds.duration import parse_duration
    assert parse_duration("60s") == 60 and parse_duration("1m30s") == 90 and parse_duration("2h") == 7200
    assert parse_duration("15") == 15 and parse_duration("500ms") == 0.5
    for bad in ("", "1x", "s", "1m 2s"):
        with pytest.raises(ValueError):
            parse_duration(bad)
