"""Strategic merge patch behaves as k8s.io/apimachinery/pkg/util/strategicpatch applies it."""
from __future__ import annotations

import copy
import json
import random
from typing import Any

import pytest

from minikube_py.api.resources import RESOURCES
from minikube_py.api.strategic_merge import (
    PatchError,
    PatchMeta,
    apply_strategic_merge_patch,
    patch_strategies,
)


def deployment() -> dict:
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web"},
                     "annotations": {"note": "keep"}},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web"}},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [
                        {"name": "app", "image": "web:1", "args": ["--port", "80"],
                         "ports": [{"containerPort": 80, "protocol": "TCP"}],
                         "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]},
                        {"name": "sidecar", "image": "proxy:1"},
                    ],
                    "volumes": [{"name": "data", "emptyDir": {}}],
                    "tolerations": [{"key": "gpu", "operator": "Exists"}],
                },
            },
        },
    }


def containers(obj: dict) -> list[dict]:
    return obj["spec"]["template"]["spec"]["containers"]


def patch_deployment(patch: dict, original: dict | None = None) -> dict:
    return apply_strategic_merge_patch(original or deployment(), patch, "apps/v1", "Deployment")


# ----- the exact patches kubectl sends ---------------------------------------

def test_kubectl_label_adds_one_label():
    result = patch_deployment({"metadata": {"labels": {"a": "b"}}})
    assert result["metadata"]["labels"] == {"app": "web", "a": "b"}
    assert result["spec"] == deployment()["spec"]


def test_kubectl_label_minus_removes_one_label():
    result = patch_deployment({"metadata": {"labels": {"app": None}}})
    assert result["metadata"]["labels"] == {}
    assert result["metadata"]["annotations"] == {"note": "keep"}


def test_kubectl_annotate():
    result = patch_deployment({"metadata": {"annotations": {"kubernetes.io/change-cause": "v2"}}})
    assert result["metadata"]["annotations"] == {"note": "keep", "kubernetes.io/change-cause": "v2"}


def test_kubectl_set_image_changes_only_that_containers_image():
    result = patch_deployment({"spec": {"template": {"spec": {"containers": [{"image": "img:2", "name": "app"}]}}}})
    expected = deployment()
    containers(expected)[0]["image"] = "img:2"
    assert result == expected


def test_kubectl_cordon_and_uncordon():
    node: dict = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"},
                  "spec": {"podCIDR": "10.244.1.0/24", "taints": [{"key": "k", "effect": "NoSchedule"}]}}
    cordoned = apply_strategic_merge_patch(node, {"spec": {"unschedulable": True}}, "v1", "Node")
    assert cordoned["spec"] == {**node["spec"], "unschedulable": True}
    uncordoned = apply_strategic_merge_patch(cordoned, {"spec": {"unschedulable": None}}, "v1", "Node")
    assert uncordoned == node


def test_scale_by_patch():
    assert patch_deployment({"spec": {"replicas": 5}})["spec"]["replicas"] == 5


def test_kubectl_apply_removes_a_container_and_sets_the_order():
    # `kubectl apply` after the manifest dropped "sidecar" and added "cache" after "app".
    patch = {"spec": {"template": {"spec": {
        "$setElementOrder/containers": [{"name": "app"}, {"name": "cache"}],
        "containers": [{"name": "cache", "image": "redis:7"}, {"$patch": "delete", "name": "sidecar"}],
    }}}}
    result = containers(patch_deployment(patch))
    assert [c["name"] for c in result] == ["app", "cache"]
    assert result[0] == containers(deployment())[0]          # untouched, env and ports kept
    assert result[1] == {"name": "cache", "image": "redis:7"}


def test_kubectl_apply_orders_a_new_env_var_in_the_middle():
    patch = {"spec": {"template": {"spec": {
        "$setElementOrder/containers": [{"name": "app"}, {"name": "sidecar"}],
        "containers": [{"name": "app",
                        "$setElementOrder/env": [{"name": "A"}, {"name": "NEW"}, {"name": "B"}],
                        "env": [{"name": "NEW", "value": "x"}]}],
    }}}}
    env = containers(patch_deployment(patch))[0]["env"]
    assert env == [{"name": "A", "value": "1"}, {"name": "NEW", "value": "x"}, {"name": "B", "value": "2"}]


def test_set_element_order_alone_reorders():
    patch = {"spec": {"template": {"spec": {"$setElementOrder/containers": [{"name": "sidecar"}, {"name": "app"}]}}}}
    assert [c["name"] for c in containers(patch_deployment(patch))] == ["sidecar", "app"]


def test_kubectl_apply_switching_strategy_uses_retain_keys():
    patch = {"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate", "rollingUpdate": None}}}
    assert patch_deployment(patch)["spec"]["strategy"] == {"type": "Recreate"}
    # Even without the explicit null, $retainKeys clears what it does not list.
    patch = {"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"}}}
    assert patch_deployment(patch)["spec"]["strategy"] == {"type": "Recreate"}


def test_kubectl_apply_switching_volume_source_uses_retain_keys():
    patch = {"spec": {"template": {"spec": {"volumes": [
        {"$retainKeys": ["hostPath", "name"], "hostPath": {"path": "/data"}, "name": "data"}]}}}}
    volumes = patch_deployment(patch)["spec"]["template"]["spec"]["volumes"]
    assert volumes == [{"name": "data", "hostPath": {"path": "/data"}}]


# ----- maps and nulls --------------------------------------------------------

def test_inputs_are_never_modified_and_the_result_shares_nothing():
    new_env = [{"name": "A", "value": "9"}]
    original = deployment()
    patch = {"metadata": {"labels": {"app": None}},
             "spec": {"template": {"spec": {"containers": [{"name": "app", "env": new_env}]}}}}
    original_copy, patch_copy = copy.deepcopy(original), copy.deepcopy(patch)
    result = patch_deployment(patch, original)
    assert original == original_copy and patch == patch_copy
    containers(result)[1]["image"] = "changed"
    result["metadata"]["annotations"]["x"] = "y"
    assert original == original_copy


def test_null_for_a_missing_key_is_dropped_not_stored():
    result = patch_deployment({"metadata": {"labels": {"nope": None}, "newmap": {"a": None, "b": "1"}}})
    assert result["metadata"]["labels"] == {"app": "web"}
    assert result["metadata"]["newmap"] == {"b": "1"}


def test_a_scalar_replaces_a_map_and_a_map_replaces_a_scalar():
    result = patch_deployment({"spec": {"strategy": "Recreate", "replicas": {"n": 1}}})
    assert result["spec"]["strategy"] == "Recreate" and result["spec"]["replicas"] == {"n": 1}


def test_patch_replace_directive_in_a_map_replaces_the_whole_map():
    result = patch_deployment({"metadata": {"labels": {"$patch": "replace", "only": "this"}}})
    assert result["metadata"]["labels"] == {"only": "this"}


def test_patch_delete_directive_in_a_map_deletes_it():
    result = patch_deployment({"spec": {"strategy": {"$patch": "delete"}}})
    assert "strategy" not in result["spec"]
    assert apply_strategic_merge_patch({"a": 1}, {"$patch": "delete"}, "v1", "ConfigMap") == {}


def test_patch_merge_directive_is_the_default():
    result = patch_deployment({"metadata": {"labels": {"$patch": "merge", "b": "2"}}})
    assert result["metadata"]["labels"] == {"app": "web", "b": "2"}


def test_directives_inside_new_values_are_processed_not_stored():
    result = patch_deployment({"spec": {"template": {"spec": {"securityContext": {
        "$patch": "replace", "runAsUser": 1000, "sysctls": None}}}}})
    assert result["spec"]["template"]["spec"]["securityContext"] == {"runAsUser": 1000}


# ----- lists -----------------------------------------------------------------

def test_atomic_lists_are_replaced_whole():
    result = patch_deployment({"spec": {"template": {"spec": {
        "tolerations": [{"key": "other", "operator": "Exists"}],
        "containers": [{"name": "app", "args": ["--port", "8080"]}]}}}})
    assert result["spec"]["template"]["spec"]["tolerations"] == [{"key": "other", "operator": "Exists"}]
    assert containers(result)[0]["args"] == ["--port", "8080"]
    node = {"metadata": {"name": "n"}, "spec": {"taints": [{"key": "a", "effect": "NoSchedule"}]}}
    patched = apply_strategic_merge_patch(node, {"spec": {"taints": [{"key": "b", "effect": "NoExecute"}]}},
                                          "v1", "Node")
    assert patched["spec"]["taints"] == [{"key": "b", "effect": "NoExecute"}]


def test_nested_merge_lists_merge_by_their_keys():
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "app",
             "ports": [{"containerPort": 80, "name": "http"}],
             "env": [{"name": "B", "value": "two"}]}]}}}}
    app = containers(patch_deployment(patch))[0]
    assert app["ports"] == [{"containerPort": 80, "protocol": "TCP", "name": "http"}]
    assert app["env"] == [{"name": "A", "value": "1"}, {"name": "B", "value": "two"}]


def test_new_elements_go_before_existing_ones_without_set_element_order():
    # Kubernetes' mergeSlice puts elements the patch adds first; kubectl apply avoids
    # this by sending $setElementOrder. (`kubectl patch` users see it.)
    result = patch_deployment({"spec": {"template": {"spec": {"containers": [{"name": "debug", "image": "busybox"}]}}}})
    assert [c["name"] for c in containers(result)] == ["debug", "app", "sidecar"]


def test_list_element_delete_directive():
    result = patch_deployment({"spec": {"template": {"spec": {"containers": [{"$patch": "delete", "name": "app"}]}}}})
    assert containers(result) == [{"name": "sidecar", "image": "proxy:1"}]


def test_list_element_replace_directive_replaces_the_list():
    result = patch_deployment({"spec": {"template": {"spec": {"containers": [
        {"name": "only", "image": "x"}, {"$patch": "replace"}]}}}})
    assert containers(result) == [{"name": "only", "image": "x"}]


def test_service_ports_merge_by_port():
    service = {"metadata": {"name": "s"}, "spec": {"selector": {"app": "web"}, "ports": [
        {"name": "http", "port": 80, "targetPort": 8080}, {"name": "https", "port": 443}]}}
    patched = apply_strategic_merge_patch(service, {"spec": {"ports": [{"port": 80, "nodePort": 30080}]}},
                                          "v1", "Service")
    assert patched["spec"]["ports"] == [{"name": "http", "port": 80, "targetPort": 8080, "nodePort": 30080},
                                        {"name": "https", "port": 443}]


def test_merge_keys_compare_like_json_numbers():
    service = {"spec": {"ports": [{"port": 80, "name": "a"}]}}
    patched = apply_strategic_merge_patch(service, {"spec": {"ports": [{"port": 80.0, "name": "b"}]}}, "v1", "Service")
    assert patched["spec"]["ports"] == [{"port": 80.0, "name": "b"}]
    patched = apply_strategic_merge_patch(service, {"spec": {"ports": [{"port": "80", "name": "b"}]}}, "v1", "Service")
    assert len(patched["spec"]["ports"]) == 2                # the string "80" is another port


def test_node_status_heartbeat_merges_conditions_by_type():
    node: dict = {"metadata": {"name": "n"}, "status": {
        "conditions": [{"type": "Ready", "status": "True", "lastHeartbeatTime": "t1"},
                       {"type": "MemoryPressure", "status": "False"}],
        "addresses": [{"type": "InternalIP", "address": "192.168.56.11"}],
        "images": [{"names": ["a"]}]}}
    patch = {"status": {"conditions": [{"type": "Ready", "lastHeartbeatTime": "t2"}],
                        "images": [{"names": ["b"]}]}}
    status = apply_strategic_merge_patch(node, patch, "v1", "Node")["status"]
    assert status["conditions"] == [{"type": "Ready", "status": "True", "lastHeartbeatTime": "t2"},
                                    {"type": "MemoryPressure", "status": "False"}]
    assert status["addresses"] == node["status"]["addresses"]
    assert status["images"] == [{"names": ["b"]}]             # atomic


def test_pod_status_patch_from_the_agent():
    pod = {"metadata": {"name": "p"}, "status": {"phase": "Pending", "conditions": [
        {"type": "PodScheduled", "status": "True"}]}}
    patch = {"status": {"phase": "Running", "podIP": "10.244.1.2", "podIPs": [{"ip": "10.244.1.2"}],
                        "conditions": [{"type": "Ready", "status": "True"}],
                        "containerStatuses": [{"name": "c", "ready": True}]}}
    status = apply_strategic_merge_patch(pod, patch, "v1", "Pod")["status"]
    assert status["phase"] == "Running" and status["podIPs"] == [{"ip": "10.244.1.2"}]
    assert {c["type"] for c in status["conditions"]} == {"PodScheduled", "Ready"}


def test_owner_references_merge_by_uid():
    pod = {"metadata": {"name": "p", "ownerReferences": [{"uid": "1", "kind": "ReplicaSet", "name": "rs"}]}}
    patch = {"metadata": {"ownerReferences": [{"uid": "1", "controller": True},
                                              {"uid": "2", "kind": "X", "name": "x"}]}}
    refs = apply_strategic_merge_patch(pod, patch, "v1", "Pod")["metadata"]["ownerReferences"]
    assert sorted(r["uid"] for r in refs) == ["1", "2"]
    assert next(r for r in refs if r["uid"] == "1") == {"uid": "1", "kind": "ReplicaSet", "name": "rs",
                                                         "controller": True}


def test_finalizers_are_a_set_union_and_a_deletion_list():
    obj = {"metadata": {"name": "x", "finalizers": ["a", "b"]}}
    added = apply_strategic_merge_patch(obj, {"metadata": {"finalizers": ["b", "c"]}}, "v1", "ConfigMap")
    assert added["metadata"]["finalizers"] == ["a", "b", "c"]
    removed = apply_strategic_merge_patch(
        obj, {"metadata": {"$deleteFromPrimitiveList/finalizers": ["a"]}}, "v1", "ConfigMap")
    assert removed["metadata"]["finalizers"] == ["b"]
    nothing_to_remove = apply_strategic_merge_patch(
        {"metadata": {}}, {"metadata": {"$deleteFromPrimitiveList/finalizers": ["a"]}}, "v1", "ConfigMap")
    assert nothing_to_remove == {"metadata": {}}


def test_node_pod_cidrs_merge_as_a_set():
    node = {"spec": {"podCIDRs": ["10.244.1.0/24"]}}
    patched = apply_strategic_merge_patch(node, {"spec": {"podCIDRs": ["fd00:1::/64"]}}, "v1", "Node")
    assert sorted(patched["spec"]["podCIDRs"]) == ["10.244.1.0/24", "fd00:1::/64"]


def test_endpoints_subsets_are_atomic():
    endpoints = {"subsets": [{"addresses": [{"ip": "10.244.1.2"}], "ports": [{"port": 80}]}]}
    patched = apply_strategic_merge_patch(endpoints, {"subsets": []}, "v1", "Endpoints")
    assert patched["subsets"] == []


def test_set_element_order_infers_the_merge_key_of_an_undeclared_list():
    # A type we have no table entry for: kubectl's $setElementOrder names the key.
    widget = {"spec": {"items": [{"id": "a", "v": 1}, {"id": "b", "v": 2}]}}
    patch = {"spec": {"$setElementOrder/items": [{"id": "b"}, {"id": "a"}], "items": [{"id": "a", "v": 9}]}}
    patched = apply_strategic_merge_patch(widget, patch, "example.com/v1", "Widget")
    assert patched["spec"]["items"] == [{"id": "b", "v": 2}, {"id": "a", "v": 9}]


# ----- the merge-key table matches Kubernetes' struct tags --------------------

def test_table_matches_kubernetes_struct_tags():
    pod = patch_strategies("v1", "Pod")
    assert pod["spec.containers"] == PatchMeta("merge", "name")
    assert pod["spec.containers.ports"] == PatchMeta("merge", "containerPort")
    assert pod["spec.initContainers.volumeMounts"] == PatchMeta("merge", "mountPath")
    assert pod["spec.volumes"] == PatchMeta("merge,retainKeys", "name")
    assert pod["spec.topologySpreadConstraints"] == PatchMeta("merge", "topologyKey")
    assert pod["spec.hostAliases"] == PatchMeta("merge", "ip")
    assert pod["status.podIPs"] == PatchMeta("merge", "ip")
    assert pod["metadata.finalizers"] == PatchMeta("merge", None)
    for atomic in ("spec.tolerations", "spec.containers.args", "spec.containers.envFrom",
                   "status.containerStatuses", "spec.readinessGates"):
        assert atomic not in pod
    assert "spec.taints" not in patch_strategies("v1", "Node")
    assert "subsets" not in patch_strategies("v1", "Endpoints")
    for api_version, kind in (("apps/v1", "Deployment"), ("apps/v1", "ReplicaSet"),
                              ("apps/v1", "DaemonSet"), ("batch/v1", "Job")):
        table = patch_strategies(api_version, kind)
        assert table["spec.template.spec.containers.env"] == PatchMeta("merge", "name")
        assert table["spec.template.metadata.ownerReferences"] == PatchMeta("merge", "uid")
        assert table["status.conditions"] == PatchMeta("merge", "type")


def test_every_served_kind_has_a_table_entry():
    for rt in RESOURCES:
        assert "metadata.ownerReferences" in patch_strategies(rt.api_version, rt.kind)


# ----- invalid patches -------------------------------------------------------

@pytest.mark.parametrize("patch, words", [
    ([{"op": "add"}], "must be a JSON object"),
    ("labels", "must be a JSON object"),
    ({"metadata": {"labels": {"$patch": "shred"}}}, "unknown $patch directive 'shred'"),
    ({"metadata": {"labels": {"$patch": 1}}}, "unknown $patch directive 1"),
    ({"spec": {"template": {"spec": {"containers": [{"image": "x"}]}}}}, "merge key 'name'"),
    ({"spec": {"template": {"spec": {"containers": [{"$patch": "delete"}]}}}}, "merge key 'name'"),
    ({"spec": {"template": {"spec": {"containers": [{"name": "app", "$patch": "mangle"}]}}}}, "'mangle'"),
    ({"spec": {"template": {"spec": {"containers": [{"name": {"x": 1}}]}}}}, "must be a string, number or boolean"),
    ({"spec": {"template": {"spec": {"containers": ["app"]}}}}, "must be objects merged by 'name'"),
    ({"metadata": {"finalizers": [{"name": "x"}]}}, "holds strings, numbers or booleans"),
    ({"metadata": {"finalizers": ["a", 1]}}, "not identical"),
    ({"metadata": {"$deleteFromPrimitiveList/finalizers": "a"}}, "must be a list"),
    ({"metadata": {"$deleteFromPrimitiveList/finalizers": [["a"]]}}, "strings, numbers or booleans"),
    ({"metadata": {"$deleteFromPrimitiveList/": ["a"]}}, "names no field"),
    ({"spec": {"$setElementOrder/x": {"a": 1}}}, "must be a list"),
    ({"spec": {"template": {"spec": {"$setElementOrder/containers": ["app"]}}}}, "merge key 'name'"),
    ({"spec": {"template": {"spec": {"$setElementOrder/containers": [{"name": "app"}],
                                     "containers": [{"name": "other"}]}}}}, "does not match"),
    ({"spec": {"template": {"spec": {"$setElementOrder/containers": [{"name": "b"}, {"name": "a"}],
                                     "containers": [{"name": "a"}, {"name": "b"}]}}}}, "does not match"),
    ({"spec": {"$retainKeys": "type"}}, "list of field names"),
    ({"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate", "rollingUpdate": {}}}},
     "'rollingUpdate' is set by the patch"),
    ({"spec": {"$setElementOrders/x": []}}, "unknown patch directive"),
    ({"$foo": 1}, "unknown patch directive '$foo'"),
])
def test_invalid_patches_raise_patch_error(patch, words):
    with pytest.raises(PatchError) as caught:
        patch_deployment(patch)
    assert words in str(caught.value)


def test_patch_error_is_a_value_error():
    assert issubclass(PatchError, ValueError)


def test_deeply_nested_input_is_a_patch_error():
    deep: dict = {}
    cursor = deep
    for _ in range(20000):
        cursor["a"] = {}
        cursor = cursor["a"]
    with pytest.raises(PatchError):
        apply_strategic_merge_patch({}, deep, "v1", "ConfigMap")


# ----- fuzz: any JSON patch either applies or raises PatchError --------------

FIELD_NAMES = ["metadata", "spec", "status", "template", "containers", "name", "image", "env",
               "ports", "containerPort", "labels", "finalizers", "ownerReferences", "uid",
               "conditions", "type", "volumes", "strategy", "subsets", "x"]
ELEMENT_NAMES = ["app", "sidecar", "new", 80, True, None]
SCALARS = [None, True, False, 0, 1, 80, 2.5, -1, "", "a", "app", "delete", "replace", "merge", "name"]


def random_scalar(rng: random.Random) -> object:
    return rng.choice(SCALARS)


def random_element_order(rng: random.Random) -> list:
    if rng.random() < 0.6:
        return [{"name": rng.choice(ELEMENT_NAMES)} for _ in range(rng.randint(0, 3))]
    return [random_scalar(rng) for _ in range(rng.randint(0, 3))]


def random_directive(rng: random.Random, depth: int) -> tuple[str, object]:
    """A directive key with a value that is usually, not always, well formed."""
    key = rng.choice(["$patch", "$retainKeys", "$setElementOrder/containers", "$setElementOrder/env",
                      "$setElementOrder/finalizers", "$deleteFromPrimitiveList/finalizers",
                      "$setElementOrder/", "$bogus"])
    if rng.random() < 0.15:
        return key, random_json(rng, depth - 1)          # anything at all
    if key == "$patch":
        return key, rng.choice(["replace", "delete", "merge", "other"])
    if key == "$retainKeys":
        return key, rng.sample(FIELD_NAMES, rng.randint(0, 4))
    if key.startswith("$setElementOrder"):
        return key, random_element_order(rng)
    return key, [random_scalar(rng) for _ in range(rng.randint(0, 3))]


def random_object(rng: random.Random, depth: int, directives: bool = True, in_list: bool = False) -> dict:
    obj: dict = {}
    if in_list and rng.random() < 0.7:
        obj["name"] = rng.choice(ELEMENT_NAMES)           # usually carries a merge key
    for _ in range(rng.randint(0, 4)):
        if directives and rng.random() < 0.15:
            key, value = random_directive(rng, depth)
            obj[key] = value
        else:
            obj[rng.choice(FIELD_NAMES)] = random_json(rng, depth - 1, directives)
    return obj


def random_json(rng: random.Random, depth: int, directives: bool = True) -> Any:
    roll = rng.random()
    if depth <= 0 or roll < 0.25:
        return random_scalar(rng)
    if roll < 0.5:
        objects = rng.random() < 0.7
        return [random_object(rng, depth - 1, directives, in_list=True) if objects
                else random_json(rng, depth - 1, directives) for _ in range(rng.randint(0, 4))]
    return random_object(rng, depth, directives)


def test_fuzz_any_json_patch_applies_or_raises_patch_error():
    rng = random.Random(20240607)
    kinds = [(rt.api_version, rt.kind) for rt in RESOURCES] + [("example.com/v1", "Widget")]
    outcomes = {"applied": 0, "rejected": 0}
    for _ in range(4000):
        original = rng.choice([deployment, lambda: random_object(rng, 5, directives=False),
                               lambda: random_json(rng, 3)])()
        patch = random_object(rng, 6) if rng.random() < 0.95 else random_json(rng, 2)
        original_copy, patch_copy = copy.deepcopy(original), copy.deepcopy(patch)
        try:
            result = apply_strategic_merge_patch(original, patch, *rng.choice(kinds))
        except PatchError:
            outcomes["rejected"] += 1
        else:
            outcomes["applied"] += 1
            assert isinstance(result, dict)
            json.dumps(result)
        assert original == original_copy and patch == patch_copy
    # Both paths were really exercised.
    assert outcomes["applied"] > 1000 and outcomes["rejected"] > 500, outcomes
