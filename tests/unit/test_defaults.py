"""Defaulting: the values Kubernetes fills in, and never raising on malformed input."""
from __future__ import annotations

import base64
import copy
import random
from typing import Any

import pytest

from minikube_py.api.defaults import apply_defaults, image_tag
from minikube_py.api.resources import RESOURCES
from tests.helpers import resource_type


def defaulted(kind: str, obj: dict[str, Any]) -> dict[str, Any]:
    apply_defaults(resource_type(kind), obj)
    return obj


def pod(**spec: Any) -> dict[str, Any]:
    return {"metadata": {"name": "web", "namespace": "default"},
            "spec": {"containers": [{"name": "app", "image": "nginx:1.25"}], **spec}}


def test_pod_spec_defaults() -> None:
    spec = defaulted("Pod", pod())["spec"]
    assert {k: spec[k] for k in ("restartPolicy", "dnsPolicy", "schedulerName", "terminationGracePeriodSeconds",
                                 "securityContext", "enableServiceLinks", "priority")} == {
        "restartPolicy": "Always", "dnsPolicy": "ClusterFirst", "schedulerName": "default-scheduler",
        "terminationGracePeriodSeconds": 30, "securityContext": {}, "enableServiceLinks": True, "priority": 0}


def test_explicit_values_are_kept() -> None:
    spec = defaulted("Pod", pod(restartPolicy="Never", terminationGracePeriodSeconds=0,
                                enableServiceLinks=False))["spec"]
    assert (spec["restartPolicy"], spec["terminationGracePeriodSeconds"], spec["enableServiceLinks"]) == \
        ("Never", 0, False)


def test_container_defaults() -> None:
    obj = pod()
    obj["spec"]["containers"][0].update(ports=[{"containerPort": 80}, {"containerPort": 53, "protocol": "UDP"}],
                                        livenessProbe={"httpGet": {"port": 80}},
                                        readinessProbe={"exec": {"command": ["true"]}, "periodSeconds": 5})
    container = defaulted("Pod", obj)["spec"]["containers"][0]
    assert container["imagePullPolicy"] == "IfNotPresent"
    assert container["terminationMessagePath"] == "/dev/termination-log"
    assert container["terminationMessagePolicy"] == "File"
    assert [p["protocol"] for p in container["ports"]] == ["TCP", "UDP"]
    assert container["livenessProbe"] == {"httpGet": {"port": 80, "path": "/", "scheme": "HTTP"}, "timeoutSeconds": 1,
                                          "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3}
    assert container["readinessProbe"]["periodSeconds"] == 5


@pytest.mark.parametrize("image, policy", [
    ("nginx", "Always"), ("nginx:latest", "Always"), ("nginx:1.25", "IfNotPresent"),
    ("localhost:5000/busybox", "Always"), ("localhost:5000/busybox:1.36", "IfNotPresent"),
    ("busybox@sha256:" + "a" * 64, "IfNotPresent"),
])
def test_image_pull_policy_follows_the_tag(image: str, policy: str) -> None:
    obj = pod()
    obj["spec"]["containers"][0]["image"] = image
    assert defaulted("Pod", obj)["spec"]["containers"][0]["imagePullPolicy"] == policy


def test_image_tag() -> None:
    assert image_tag("registry:5000/team/app:v2") == "v2"
    assert image_tag("registry:5000/team/app") == "latest"


def test_pod_only_defaults_are_not_applied_to_templates() -> None:
    deployment = defaulted("Deployment", {"metadata": {"name": "web"}, "spec": {"template": {"spec": {
        "containers": [{"name": "app", "image": "nginx", "resources": {"limits": {"cpu": "1"}}}]}}}})
    template_spec = deployment["spec"]["template"]["spec"]
    assert template_spec["restartPolicy"] == "Always"
    assert template_spec["containers"][0]["imagePullPolicy"] == "Always"
    assert "tolerations" not in template_spec and "priority" not in template_spec
    assert "enableServiceLinks" not in template_spec
    assert "requests" not in template_spec["containers"][0]["resources"]


def test_pod_requests_default_to_limits() -> None:
    obj = pod()
    obj["spec"]["containers"][0]["resources"] = {"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "500m"}}
    resources = defaulted("Pod", obj)["spec"]["containers"][0]["resources"]
    assert resources["requests"] == {"cpu": "500m", "memory": "1Gi"}


def test_volume_defaults() -> None:
    obj = pod(volumes=[{"name": "scratch"}, {"name": "cfg", "configMap": {"name": "c"}},
                       {"name": "s", "secret": {"secretName": "s", "defaultMode": 0o400}},
                       {"name": "h", "hostPath": {"path": "/tmp"}}])
    volumes = defaulted("Pod", obj)["spec"]["volumes"]
    assert volumes[0] == {"name": "scratch", "emptyDir": {}}
    assert volumes[1]["configMap"]["defaultMode"] == 0o644
    assert volumes[2]["secret"]["defaultMode"] == 0o400
    assert volumes[3]["hostPath"] == {"path": "/tmp", "type": ""}


def test_host_network_ports() -> None:
    obj = pod(hostNetwork=True)
    obj["spec"]["containers"][0]["ports"] = [{"containerPort": 8080}]
    assert defaulted("Pod", obj)["spec"]["containers"][0]["ports"][0]["hostPort"] == 8080


def test_service_defaults() -> None:
    service = defaulted("Service", {"metadata": {"name": "web"}, "spec": {
        "type": "NodePort", "sessionAffinity": "ClientIP",
        "ports": [{"port": 80}, {"port": 443, "targetPort": "https", "protocol": "TCP"}]}})
    spec = service["spec"]
    assert spec["ports"] == [{"port": 80, "protocol": "TCP", "targetPort": 80},
                             {"port": 443, "targetPort": "https", "protocol": "TCP"}]
    assert spec["sessionAffinityConfig"] == {"clientIP": {"timeoutSeconds": 10800}}
    assert (spec["externalTrafficPolicy"], spec["internalTrafficPolicy"]) == ("Cluster", "Cluster")
    plain = defaulted("Service", {"metadata": {"name": "web"}, "spec": {"ports": [{"port": 80}]}})["spec"]
    assert (plain["type"], plain["sessionAffinity"]) == ("ClusterIP", "None")
    assert "externalTrafficPolicy" not in plain


def test_deployment_defaults() -> None:
    spec = defaulted("Deployment", {"metadata": {"name": "web"}, "spec": {}})["spec"]
    assert spec == {"replicas": 1, "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600,
                    "strategy": {"type": "RollingUpdate",
                                 "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}}}
    recreate = defaulted("Deployment", {"spec": {"replicas": 0, "strategy": {"type": "Recreate"}}})["spec"]
    assert recreate["replicas"] == 0 and recreate["strategy"] == {"type": "Recreate"}


def test_replica_set_and_daemon_set_defaults() -> None:
    assert defaulted("ReplicaSet", {"spec": {}})["spec"] == {"replicas": 1}
    assert defaulted("DaemonSet", {"spec": {}})["spec"] == {
        "revisionHistoryLimit": 10, "updateStrategy": {"type": "RollingUpdate",
                                                       "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}}}


def test_job_defaults_and_generated_selector() -> None:
    job = defaulted("Job", {"metadata": {"name": "pi", "uid": "u-1"}, "spec": {"template": {"spec": {
        "containers": [{"name": "pi", "image": "perl"}], "restartPolicy": "Never"}}}})
    spec = job["spec"]
    assert (spec["completions"], spec["parallelism"], spec["backoffLimit"], spec["completionMode"],
            spec["suspend"]) == (1, 1, 6, "NonIndexed", False)
    assert spec["selector"] == {"matchLabels": {"batch.kubernetes.io/controller-uid": "u-1"}}
    assert spec["template"]["metadata"]["labels"] == {
        "batch.kubernetes.io/controller-uid": "u-1", "controller-uid": "u-1",
        "batch.kubernetes.io/job-name": "pi", "job-name": "pi"}
    parallel = defaulted("Job", {"spec": {"parallelism": 3}})["spec"]
    assert "completions" not in parallel and parallel["parallelism"] == 3


def test_job_with_manual_selector_is_left_alone() -> None:
    job = defaulted("Job", {"metadata": {"name": "pi", "uid": "u-1"}, "spec": {
        "manualSelector": True, "template": {"metadata": {"labels": {"a": "b"}}}}})
    assert "selector" not in job["spec"] and job["spec"]["template"]["metadata"]["labels"] == {"a": "b"}


def test_namespace_defaults() -> None:
    namespace = defaulted("Namespace", {"metadata": {"name": "team-a"}})
    assert namespace["spec"] == {"finalizers": ["kubernetes"]}
    assert namespace["status"] == {"phase": "Active"}
    assert namespace["metadata"]["labels"] == {"kubernetes.io/metadata.name": "team-a"}


def test_secret_defaults_and_string_data() -> None:
    secret = defaulted("Secret", {"metadata": {"name": "s"}, "data": {"a": "YQ=="}, "stringData": {"b": "héllo"}})
    assert secret["type"] == "Opaque"
    assert "stringData" not in secret
    assert secret["data"] == {"a": "YQ==", "b": base64.b64encode("héllo".encode()).decode()}
    bad = defaulted("Secret", {"stringData": {"n": 5}, "type": "kubernetes.io/tls"})
    assert bad["stringData"] == {"n": 5} and bad["type"] == "kubernetes.io/tls" and "data" not in bad


def test_endpoints_and_node_defaults() -> None:
    endpoints = defaulted("Endpoints", {"subsets": [{"ports": [{"port": 80}]}]})
    assert endpoints["subsets"][0]["ports"][0]["protocol"] == "TCP"
    node = {"metadata": {"name": "n"}, "spec": {"podCIDR": "10.244.1.0/24"},
            "status": {"nodeInfo": {"kubeletVersion": "v1.33.0"}}}
    defaulted_node = defaulted("Node", copy.deepcopy(node))
    assert defaulted_node["spec"] == node["spec"]
    assert defaulted_node["status"]["daemonEndpoints"] == {"kubeletEndpoint": {"Port": 0}}
    assert defaulted_node["status"]["nodeInfo"]["kubeletVersion"] == "v1.33.0"      # kept
    assert defaulted_node["status"]["nodeInfo"]["machineID"] == ""                  # as Go writes it


def test_replication_controller_defaults_from_its_template() -> None:
    rc = defaulted("ReplicationController", {"metadata": {"name": "rc"}, "spec": {"template": {
        "metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "c", "image": "i"}]}}}})
    assert rc["spec"]["selector"] == {"app": "web"} and rc["metadata"]["labels"] == {"app": "web"}
    assert rc["spec"]["replicas"] == 1 and rc["status"] == {"replicas": 0}
    assert rc["spec"]["template"]["spec"]["restartPolicy"] == "Always"       # the pod template's defaults
    kept = defaulted("ReplicationController", {"metadata": {"labels": {"x": "y"}}, "spec": {
        "replicas": 0, "selector": {"app": "a"}, "template": {"metadata": {"labels": {"app": "a", "v": "2"}}}}})
    assert kept["spec"]["selector"] == {"app": "a"} and kept["metadata"]["labels"] == {"x": "y"}
    assert kept["spec"]["replicas"] == 0


def test_status_fields_go_always_writes() -> None:
    assert defaulted("DaemonSet", {"spec": {}})["status"] == {
        "currentNumberScheduled": 0, "numberMisscheduled": 0, "desiredNumberScheduled": 0, "numberReady": 0}
    assert defaulted("DaemonSet", {"status": {"numberReady": 2}})["status"]["numberReady"] == 2
    assert defaulted("ReplicaSet", {"spec": {}})["status"] == {"replicas": 0}
    assert defaulted("Service", {"spec": {}})["status"] == {"loadBalancer": {}}


@pytest.mark.parametrize("garbage", [
    {"spec": "x"}, {"spec": []}, {"spec": {"containers": "x", "volumes": [1, None, {"secret": 5}]}},
    {"spec": {"containers": [{"image": 5, "ports": {"a": 1}, "livenessProbe": [], "resources": {"limits": 3}}],
              "tolerations": "all", "template": 5, "strategy": [], "ports": [None]}},
    {"metadata": "x", "spec": {"template": {"metadata": [], "spec": {"containers": [None]}}, "selector": None}},
    {"metadata": {"name": 5, "uid": 7, "labels": []}, "stringData": [], "data": "x", "spec": {"ports": "80"}},
])
@pytest.mark.parametrize("kind", sorted(r.kind for r in RESOURCES))
def test_malformed_input_never_raises(kind: str, garbage: dict[str, Any]) -> None:
    obj = copy.deepcopy(garbage)
    apply_defaults(resource_type(kind), obj)
    assert isinstance(obj, dict)


def test_random_structures_never_raise() -> None:
    rng = random.Random("defaults")
    keys = ["spec", "metadata", "containers", "template", "ports", "strategy", "rollingUpdate", "tolerations",
            "volumes", "resources", "limits", "requests", "selector", "stringData", "data", "labels", "uid", "name",
            "type", "sessionAffinity", "livenessProbe", "httpGet", "hostNetwork", "valueFrom", "fieldRef", "env"]

    def value(depth: int) -> Any:
        roll = rng.random()
        if depth > 4 or roll < 0.3:
            return rng.choice([None, 0, 1, -1, "", "x", "ClientIP", "RollingUpdate", True, 1.5, "latest"])
        if roll < 0.6:
            return [value(depth + 1) for _ in range(rng.randint(0, 3))]
        return {rng.choice(keys): value(depth + 1) for _ in range(rng.randint(0, 4))}

    for _ in range(2000):
        for rt in RESOURCES:
            obj = value(1)
            if isinstance(obj, dict):
                apply_defaults(rt, obj)
            apply_defaults(rt, obj)   # not even an object: ignored
