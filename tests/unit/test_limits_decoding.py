"""Limits before work, without a server: measuring, YAML decoding, typed decoding, JSON patch bounds."""
from __future__ import annotations

import pytest

from apiserver import fieldvalidation
from apiserver.decoding import decode_json, decode_yaml
from apiserver.limits import DEFAULT, Limits, TooLarge, measure
from apiserver.updates import apply_json_patch
from minikube_py.api import errors
from minikube_py.api.quantity import QuantityError, check_quantity


def test_measure_counts_shared_references_once_per_use_and_stops_early():
    shared = ["x" * 100] * 100
    assert measure({"a": shared, "b": shared}, max_depth=10, max_bytes=10**6) > 20_000
    huge = [shared] * 10**6                            # would be 10 GB encoded
    with pytest.raises(TooLarge):
        measure(huge, max_depth=10, max_bytes=10**6)


def test_measure_refuses_depth_and_cycles():
    deep: list = []
    for _ in range(200):
        deep = [deep]
    with pytest.raises(TooLarge, match="depth"):
        measure(deep, max_depth=100, max_bytes=10**9)
    cycle: list = []
    cycle.append(cycle)
    with pytest.raises(TooLarge):
        measure(cycle, max_depth=100, max_bytes=10**9)


def test_yaml_keeps_dates_as_strings_and_keys_as_strings():
    value = decode_yaml(b"a: 2021-01-02\n2: x\ntrue: y\n", DEFAULT)
    assert value == {"a": "2021-01-02", "2": "x", "true": "y"}


@pytest.mark.parametrize("raw", [b"[" * 5000, b"a: .nan\n", b"a: !!binary aGVsbG8=\n", b"--- 1\n--- 2\n"])
def test_bad_yaml_is_400(raw):
    with pytest.raises(errors.ApiError) as e:
        decode_yaml(raw, DEFAULT)
    assert e.value.code == 400


def test_yaml_alias_expansion_is_413():
    doc = b"a: &a ['" + b"x" * 1000 + b"']\nb: &b [" + b"*a," * 999 + b"*a]\nc: [" + b"*b," * 999 + b"*b]\n"
    with pytest.raises(errors.ApiError) as e:
        decode_yaml(doc, DEFAULT)
    assert e.value.code == 413


def test_json_depth_is_400():
    with pytest.raises(errors.ApiError) as e:
        decode_json(b"[" * 200 + b"]" * 200, DEFAULT)
    assert e.value.code == 400


def test_typed_decoding_drops_unknown_fields_and_checks_types():
    pod = {"metadata": {"name": "p", "bogus": 1}, "spec": {"containers": [{"name": "c", "image": "i", "x": 2}],
                                                           "nodeName": None}}
    token = fieldvalidation._MODE.set("Ignore")
    try:
        decoded = fieldvalidation.decode_typed("", "v1", "Pod", pod)
        assert decoded == {"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "i"}]}}
        with pytest.raises(errors.ApiError, match="cannot unmarshal array into Go struct field Pod.spec"):
            fieldvalidation.decode_typed("", "v1", "Pod", {"spec": []})
        with pytest.raises(errors.ApiError, match="of type int32"):
            fieldvalidation.decode_typed("apps", "v1", "Deployment", {"spec": {"replicas": 2**40}})
        fieldvalidation._MODE.set("Strict")
        with pytest.raises(errors.ApiError, match='strict decoding error: unknown field "spec.foo"'):
            fieldvalidation.decode_typed("", "v1", "Pod", {"spec": {"foo": 1}})
    finally:
        fieldvalidation._MODE.reset(token)


def test_free_form_fields_lose_patch_directives():
    pod = {"spec": {"affinity": {"$patch": "replace", "nodeAffinity": {"$retainKeys": ["a"]}}}}
    assert fieldvalidation.decode_typed("", "v1", "Pod", pod) == {"spec": {"affinity": {"nodeAffinity": {}}}}


@pytest.mark.parametrize("quantity", ["1e1000", "99999999999999999999Ei", "9" * 5000, "NaN", float("inf"),
                                      "1" * 65])
def test_stored_quantities_are_bounded(quantity):
    with pytest.raises(QuantityError):
        check_quantity(quantity)


def test_stored_quantities_accept_the_usual():
    assert check_quantity("500m") and check_quantity("7Ei") and check_quantity(2) and check_quantity("1e3")


def test_json_patch_bounds():
    limits = Limits(max_object_bytes=10_000, max_json_patch_operations=5)
    with pytest.raises(errors.ApiError) as e:
        apply_json_patch({}, [{"op": "test", "path": "", "value": {}}] * 6, limits)
    assert e.value.code == 413
    doc = {"a": {"b": "x" * 1000}}
    bomb = [{"op": "copy", "from": "/a", "path": f"/a/c{i}"} for i in range(4)]
    with pytest.raises(errors.ApiError) as e:
        apply_json_patch(doc, bomb, limits)
    assert e.value.code == 422 and "accumulated size increase of copy" in e.value.message


def test_the_error_path_survives_lone_surrogates():
    import json

    from apiserver.http import error_response
    response = error_response(errors.bad_request('configmaps "\udc80" is invalid'))
    assert response.status == 400
    assert isinstance(response.body, bytes)
    assert json.loads(response.body)["message"] == 'configmaps "\udc80" is invalid'
