"""Label and field selectors behave as k8s.io/apimachinery's labels and fields packages."""
from __future__ import annotations

import math

import pytest

from minikube_py.api.selectors import (
    EVERYTHING,
    NOTHING,
    FieldSelector,
    SelectorError,
    check_supported,
    label_selector_from_dict,
    label_selector_from_set,
    object_fields,
    parse_field_selector,
    parse_label_selector,
    supported_fields,
)
from tests.helpers import resource_type

PODS, NODES, NAMESPACES = resource_type("pods"), resource_type("nodes"), resource_type("namespaces")


# ----- label selector strings ------------------------------------------------

@pytest.mark.parametrize("text, canonical", [
    ("", ""),
    ("   ", ""),
    ("app=web", "app=web"),
    ("app==web", "app==web"),
    ("app != web", "app!=web"),
    ("tier", "tier"),
    ("!tier", "!tier"),
    ("env in (prod, staging)", "env in (prod,staging)"),
    ("env in (staging,prod,prod)", "env in (prod,staging)"),     # a set, printed sorted
    ("env notin(dev)", "env notin (dev)"),
    ("z=1, a=2 ,m", "a=2,m,z=1"),                                 # requirements sorted by key
    ("app.kubernetes.io/name=web", "app.kubernetes.io/name=web"),
    ("tier=", "tier="),                                           # equals the empty string
    ("a=in", "a=in"),                                             # keywords are fine as values
    ("replicas>2,replicas<10", "replicas>2,replicas<10"),
])
def test_parse_prints_the_canonical_kubernetes_form(text, canonical):
    selector = parse_label_selector(text)
    assert str(selector) == canonical
    assert parse_label_selector(str(selector)) == selector


@pytest.mark.parametrize("text, labels, expected", [
    ("app=web", {"app": "web", "x": "y"}, True),
    ("app=web", {"app": "db"}, False),
    ("app=web", {}, False),
    ("app!=web", {}, True),                       # a missing label is "not equal"
    ("app!=web", {"app": "web"}, False),
    ("env in (prod,staging)", {"env": "staging"}, True),
    ("env in (prod,staging)", {}, False),
    ("env notin (prod)", {}, True),
    ("env notin (prod)", {"env": "prod"}, False),
    ("gpu", {"gpu": ""}, True),
    ("gpu", {}, False),
    ("!gpu", {}, True),
    ("!gpu", {"gpu": "yes"}, False),
    ("app=web,tier=front", {"app": "web", "tier": "back"}, False),
    ("app=web,tier=front", {"app": "web", "tier": "front"}, True),
    ("tier=", {"tier": ""}, True),
    ("tier=", {}, False),
    ("n>2", {"n": "3"}, True),
    ("n>2", {"n": "2"}, False),
    ("n<2", {"n": "-1"}, True),
    ("n>2", {"n": "three"}, False),               # not an integer: never matches
    ("n>2", {"n": "1_000"}, False),               # Go's ParseInt would refuse it too
    ("", {}, True),
    ("", {"anything": "x"}, True),
])
def test_matching(text, labels, expected):
    assert parse_label_selector(text).matches(labels) is expected


def test_matches_treats_missing_labels_as_no_labels():
    assert parse_label_selector("!app").matches(None)
    assert not parse_label_selector("app").matches(None)


@pytest.mark.parametrize("text, bad_part", [
    ("app in (web", "end of string"),
    ("app=web=db", "'='"),
    ("app web", "'web'"),
    ("app=web,", "end of string"),
    (",app", "','"),
    ("!app=web", "'='"),
    ("in=web", "'in'"),
    ("app in web", "'web'"),
    ("app in (a b)", "'b'"),
    ("a=(b)", "'('"),
    ("Bad Key=1", "'Key'"),
    ("-app=web", "'-app'"),
    ("app=-web", "'-web'"),
    ("a" * 64 + "=x", "a" * 64),
    ("app=" + "v" * 64, "v" * 64),
    ("Example.com/app=x", "Example.com/app"),    # the prefix must be a lowercase DNS subdomain
    ("/app=x", "'/app'"),
    ("a/b/c=x", "'a/b/c'"),
    ("n>two", "two"),
])
def test_invalid_label_selectors_name_the_bad_part(text, bad_part):
    with pytest.raises(SelectorError) as caught:
        parse_label_selector(text)
    assert bad_part in str(caught.value)
    assert isinstance(caught.value, ValueError)    # the server maps ValueError to 400


def test_longest_valid_key_and_value_are_accepted():
    key = "example.com/" + "k" * 63
    selector = parse_label_selector(f"{key}={'v' * 63}")
    assert selector.matches({key: "v" * 63})


# ----- metav1.LabelSelector objects -----------------------------------------

def test_missing_selector_matches_nothing_and_empty_selector_matches_everything():
    missing, empty = label_selector_from_dict(None), label_selector_from_dict({})
    assert missing is NOTHING and not missing.matches({}) and not missing.matches({"a": "b"})
    assert not missing.empty
    assert empty is EVERYTHING and empty.empty and empty.matches({"a": "b"})
    assert label_selector_from_dict({"matchLabels": {}, "matchExpressions": []}).empty
    assert label_selector_from_dict({"matchLabels": None}).empty


def test_match_labels_and_expressions_are_anded_and_printed_sorted_by_key():
    selector = label_selector_from_dict({
        "matchLabels": {"app": "web"},
        "matchExpressions": [
            {"key": "gone", "operator": "DoesNotExist"},
            {"key": "env", "operator": "In", "values": ["prod", "canary"]},
            {"key": "team", "operator": "Exists", "values": None},
        ],
    })
    # What `kubectl describe` prints and the scale subresource's status.selector holds.
    assert str(selector) == "app=web,env in (canary,prod),!gone,team"
    assert selector.matches({"app": "web", "env": "prod", "team": "a"})
    assert not selector.matches({"app": "web", "env": "prod", "team": "a", "gone": "x"})
    assert not selector.matches({"app": "web", "env": "dev", "team": "a"})
    assert parse_label_selector(str(selector)) == selector


def test_deployment_style_selector_prints_like_the_scale_subresource():
    assert str(label_selector_from_dict({"matchLabels": {"app": "nginx", "tier": "front"}})) \
        == "app=nginx,tier=front"


@pytest.mark.parametrize("selector, words", [
    ("app=web", "must be an object"),
    ({"matchLabels": ["app"]}, "matchLabels"),
    ({"matchLabels": {"app": 1}}, "matchLabels['app']"),
    ({"matchLabels": {"app": "bad value"}}, "bad value"),
    ({"matchLabels": {"bad key": "x"}}, "bad key"),
    ({"matchExpressions": {"key": "a"}}, "matchExpressions must be a list"),
    ({"matchExpressions": ["a"]}, "matchExpressions[0] must be an object"),
    ({"matchExpressions": [{"operator": "Exists"}]}, "matchExpressions[0].key"),
    ({"matchExpressions": [{"key": "a", "operator": "Equals", "values": ["x"]}]}, "'Equals'"),
    ({"matchExpressions": [{"key": "a", "operator": "In", "values": []}]}, "can't be empty"),
    ({"matchExpressions": [{"key": "a", "operator": "In"}]}, "can't be empty"),
    ({"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]}, "must be empty"),
    ({"matchExpressions": [{"key": "a", "operator": "In", "values": "x"}]}, "values must be a list"),
    ({"matchExpressions": [{"key": "a", "operator": "In", "values": [1]}]}, "values must be a list"),
    ({"matchLabel": {"app": "web"}}, "unknown field(s): matchLabel"),
])
def test_bad_label_selector_objects_are_rejected(selector, words):
    with pytest.raises(SelectorError) as caught:
        label_selector_from_dict(selector)
    assert words in str(caught.value)


def test_selector_from_a_service_style_set():
    selector = label_selector_from_set({"app": "web", "tier": "front"})
    assert str(selector) == "app=web,tier=front"
    assert selector.matches({"app": "web", "tier": "front", "pod-template-hash": "abc"})
    assert not selector.matches({"app": "web"})
    with pytest.raises(SelectorError):
        label_selector_from_set({"app": "no spaces"})


# ----- field selectors -------------------------------------------------------

def test_parse_field_selector_terms_escapes_and_canonical_form():
    selector = parse_field_selector(r"status.phase!=Failed,spec.nodeName==node-1,metadata.name=a\,b\=c\\")
    assert selector.requirements == [
        ("metadata.name", "=", "a,b=c\\"),
        ("spec.nodeName", "=", "node-1"),
        ("status.phase", "!=", "Failed"),
    ]
    assert str(selector) == r"metadata.name=a\,b\=c\\,spec.nodeName=node-1,status.phase!=Failed"
    assert parse_field_selector(str(selector)) == selector
    assert selector.value_for("spec.nodeName") == "node-1"
    assert selector.value_for("status.phase") is None        # only exact `=` terms count
    assert selector.value_for("spec.schedulerName") is None


def test_empty_field_selector_matches_everything():
    assert parse_field_selector("").empty
    assert parse_field_selector("").matches({"metadata.name": "x"})
    assert FieldSelector().matches({})


def test_field_selector_matching_reads_missing_fields_as_empty():
    unscheduled = parse_field_selector("spec.nodeName=")
    assert unscheduled.matches({"spec.nodeName": ""})
    assert unscheduled.matches({})
    assert not unscheduled.matches({"spec.nodeName": "node-1"})
    not_failed = parse_field_selector("status.phase!=Failed,spec.nodeName=node-1")
    assert not_failed.matches({"status.phase": "Running", "spec.nodeName": "node-1"})
    assert not not_failed.matches({"status.phase": "Failed", "spec.nodeName": "node-1"})
    assert not not_failed.matches({"status.phase": "Running", "spec.nodeName": "node-2"})


@pytest.mark.parametrize("text, words", [
    ("spec.nodeName", "expected field=value"),
    ("spec.nodeName=a=b", "unescaped '='"),
    (r"spec.nodeName=a\n", "invalid escape sequence"),
    ("spec.nodeName=a\\", "unterminated escape sequence"),
    ("=x", "missing field name"),
])
def test_invalid_field_selectors(text, words):
    with pytest.raises(SelectorError) as caught:
        parse_field_selector(text)
    assert words in str(caught.value)


# ----- the field set of each type -------------------------------------------

def test_pod_fields():
    pod = {
        "metadata": {"name": "web-1", "namespace": "default"},
        "spec": {"nodeName": "node-1", "restartPolicy": "Always", "schedulerName": "default-scheduler",
                 "serviceAccountName": "default", "hostNetwork": True},
        "status": {"phase": "Running", "podIP": "10.244.1.5",
                   "podIPs": [{"ip": "10.244.1.5"}, {"ip": "fd00::5"}]},
    }
    assert object_fields(PODS, pod) == {
        "metadata.name": "web-1", "metadata.namespace": "default",
        "spec.nodeName": "node-1", "spec.restartPolicy": "Always",
        "spec.schedulerName": "default-scheduler", "spec.serviceAccountName": "default",
        "spec.hostNetwork": "true", "status.phase": "Running", "status.podIP": "10.244.1.5",
        "status.nominatedNodeName": "",
    }


def test_a_new_pod_is_selected_by_the_schedulers_selector():
    new_pod = {"metadata": {"name": "p", "namespace": "default"}, "spec": {"containers": []}}
    fields = object_fields(PODS, new_pod)
    assert fields["spec.nodeName"] == "" and fields["spec.hostNetwork"] == "false"
    assert parse_field_selector("spec.nodeName=").matches(fields)
    assert not parse_field_selector("spec.nodeName=node-1").matches(fields)


def test_pod_ip_falls_back_to_status_pod_ip():
    pod = {"status": {"podIP": "10.244.2.7"}}
    assert object_fields(PODS, pod)["status.podIP"] == "10.244.2.7"


@pytest.mark.parametrize("resource, obj, expected", [
    ("nodes", {"metadata": {"name": "n1"}, "spec": {"unschedulable": True}},
     {"metadata.name": "n1", "spec.unschedulable": "true"}),
    ("nodes", {"metadata": {"name": "n1"}}, {"metadata.name": "n1", "spec.unschedulable": "false"}),
    ("namespaces", {"metadata": {"name": "dev"}, "status": {"phase": "Terminating"}},
     {"metadata.name": "dev", "status.phase": "Terminating"}),
    ("secrets", {"metadata": {"name": "s", "namespace": "d"}, "type": "Opaque"},
     {"metadata.name": "s", "metadata.namespace": "d", "type": "Opaque"}),
    ("configmaps", {"metadata": {"name": "c", "namespace": "d"}, "data": {"a": "b"}},
     {"metadata.name": "c", "metadata.namespace": "d"}),
    ("replicasets", {"metadata": {"name": "r", "namespace": "d"}, "status": {"replicas": 3}},
     {"metadata.name": "r", "metadata.namespace": "d", "status.replicas": "3"}),
    ("replicasets", {"metadata": {"name": "r", "namespace": "d"}},
     {"metadata.name": "r", "metadata.namespace": "d", "status.replicas": "0"}),
    ("jobs", {"metadata": {"name": "j", "namespace": "d"}, "status": {"succeeded": 1}},
     {"metadata.name": "j", "metadata.namespace": "d", "status.successful": "1"}),
    ("services", {"metadata": {"name": "s", "namespace": "d"},
                  "spec": {"clusterIP": "None", "type": "ClusterIP"}},
     {"metadata.name": "s", "metadata.namespace": "d", "spec.clusterIP": "None", "spec.type": "ClusterIP"}),
])
def test_fields_of_other_types(resource, obj, expected):
    assert object_fields(resource_type(resource), obj) == expected


def test_event_fields():
    event = {
        "metadata": {"name": "web.17", "namespace": "default"},
        "involvedObject": {"kind": "Pod", "namespace": "default", "name": "web", "uid": "u-1",
                           "apiVersion": "v1", "resourceVersion": "42", "fieldPath": "spec.containers{c}"},
        "reason": "Scheduled", "reportingComponent": "default-scheduler",
        "source": {"component": "default-scheduler"}, "type": "Normal",
    }
    fields = object_fields(resource_type("events"), event)
    assert fields["involvedObject.kind"] == "Pod"
    assert fields["involvedObject.uid"] == "u-1"
    assert fields["involvedObject.fieldPath"] == "spec.containers{c}"
    assert fields["source"] == "default-scheduler"
    assert fields["reason"] == "Scheduled" and fields["type"] == "Normal"
    assert parse_field_selector("involvedObject.name=web,involvedObject.kind=Pod").matches(fields)


@pytest.mark.parametrize("obj", [
    None, [], "pod", 7, {}, {"metadata": "x"}, {"metadata": {"name": 5, "namespace": None}},
    {"spec": [], "status": {"podIPs": "10.0.0.1"}}, {"status": {"podIPs": [None, 3]}},
    {"status": {"podIPs": [{"ip": ["x"]}]}}, {"spec": {"nodeName": {"a": 1}, "hostNetwork": "yes"}},
    {"status": {"replicas": math.inf, "succeeded": math.nan, "phase": 10 ** 400}},
])
def test_object_fields_never_raise_on_malformed_objects(obj):
    for resource in ("pods", "nodes", "events", "replicasets", "jobs", "services", "secrets"):
        fields = object_fields(resource_type(resource), obj)
        assert all(isinstance(value, str) for value in fields.values())


def test_malformed_values_read_as_zero_values():
    fields = object_fields(PODS, {"metadata": {"name": 5}, "spec": {"hostNetwork": "yes"}})
    assert fields["metadata.name"] == "5" and fields["spec.hostNetwork"] == "false"
    assert object_fields(resource_type("replicasets"), {"status": {"replicas": math.inf}})["status.replicas"] == "0"


# ----- which field labels a type supports ------------------------------------

def test_supported_fields_per_type():
    assert "spec.nodeName" in supported_fields(PODS)
    assert "metadata.namespace" in supported_fields(PODS)
    assert "metadata.namespace" not in supported_fields(NODES)      # cluster-scoped
    assert supported_fields(NAMESPACES) == {"metadata.name", "status.phase"}


def test_check_supported_accepts_registered_fields():
    check_supported(PODS, parse_field_selector("spec.nodeName=n1,status.phase!=Failed,metadata.name=x"))
    check_supported(NODES, parse_field_selector("spec.unschedulable=false"))
    check_supported(PODS, parse_field_selector(""))


@pytest.mark.parametrize("resource, text, field", [
    ("pods", "spec.foo=bar", "spec.foo"),
    ("pods", "spec.nodeName=n1,status.hostIP=1.2.3.4", "status.hostIP"),
    ("nodes", "metadata.namespace=default", "metadata.namespace"),
    ("configmaps", "data.a=b", "data.a"),
])
def test_check_supported_rejects_like_kubernetes(resource, text, field):
    with pytest.raises(SelectorError) as caught:
        check_supported(resource_type(resource), parse_field_selector(text))
    assert str(caught.value) == f"field label not supported: {field}"
