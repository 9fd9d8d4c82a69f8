"""RFC 7386 merge patch and the patch-type dispatch."""
from __future__ import annotations

import pytest

from apiserver.updates import apply_patch, merge_patch
from minikube_py.api.errors import ApiError


def test_merge_patch_rfc7386_examples():
    assert merge_patch({"a": "b"}, {"a": "c"}) == {"a": "c"}
    assert merge_patch({"a": "b"}, {"b": "c"}) == {"a": "b", "b": "c"}
    assert merge_patch({"a": "b"}, {"a": None}) == {}
    assert merge_patch({"a": [{"b": "c"}]}, {"a": [1]}) == {"a": [1]}
    assert merge_patch({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}) == {"a": {"b": "d"}}
    assert merge_patch([1, 2], {"a": "b", "c": None}) == {"a": "b"}


def test_unknown_patch_type_is_415_and_bad_json_patch_is_422():
    obj = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}}
    with pytest.raises(ApiError) as error:
        apply_patch("text/plain", obj, {})
    assert error.value.code == 415
    with pytest.raises(ApiError) as error:
        apply_patch("application/json-patch+json", obj, [{"op": "remove", "path": "/spec/missing"}])
    assert error.value.code == 422
    with pytest.raises(ApiError) as error:
        apply_patch("application/json-patch+json", obj, {"not": "a list"})
    assert error.value.code == 400
