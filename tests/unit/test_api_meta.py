"""Object metadata and owner references (minikube_py/api/meta.py)."""
from __future__ import annotations

from minikube_py.api.meta import controller_ref, is_being_deleted, is_controlled_by, meta, new_controller_ref

OWNER = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "web-1", "uid": "u-rs"}}


def test_new_controller_ref_names_the_owner_and_blocks_its_foreground_deletion() -> None:
    assert new_controller_ref(OWNER) == {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-1",
                                         "uid": "u-rs", "controller": True, "blockOwnerDeletion": True}


def test_controller_ref_is_the_one_marked_controller() -> None:
    plain = {"kind": "ConfigMap", "name": "c", "uid": "u-c"}
    pod = {"metadata": {"ownerReferences": ["junk", plain, new_controller_ref(OWNER)]}}
    assert controller_ref(pod) == new_controller_ref(OWNER)
    assert is_controlled_by(pod, OWNER)
    assert not is_controlled_by(pod, {"metadata": {"uid": "someone-else"}})
    assert controller_ref({"metadata": {"ownerReferences": [plain]}}) is None
    assert controller_ref({}) is None and controller_ref({"metadata": None}) is None


def test_meta_and_deletion() -> None:
    assert meta({"metadata": "not an object"}) == {}
    assert is_being_deleted({"metadata": {"deletionTimestamp": "2021-01-02T15:04:05Z"}})
    assert not is_being_deleted({"metadata": {}})
