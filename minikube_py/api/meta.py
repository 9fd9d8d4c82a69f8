"""Object metadata and owner references: apimachinery's pkg/apis/meta/v1 helpers
(ObjectMeta accessors, metav1.GetControllerOf, metav1.NewControllerRef).

Objects travel as the plain JSON dicts the API serves (`Obj`); these read their
metadata without assuming it is complete.

An object may name several owners in metadata.ownerReferences; at most one has
`controller: true` — the controller that manages it (a ReplicaSet for its pods).
The garbage collector deletes a dependent whose owners are all gone, and a
foreground deletion of an owner waits for the dependents whose reference has
`blockOwnerDeletion: true`.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

Obj = dict[str, Any]          # an API object (or a part of one) as decoded JSON


def meta(obj: Mapping[str, Any]) -> Obj:
    """obj.metadata, or an empty dict when it has none."""
    value = obj.get("metadata")
    return value if isinstance(value, dict) else {}


def is_being_deleted(obj: Mapping[str, Any]) -> bool:
    """The API server has set deletionTimestamp: the object is on its way out (graceful
    deletion, or finalizers still to run)."""
    return bool(meta(obj).get("deletionTimestamp"))


def controller_ref(obj: Mapping[str, Any]) -> Obj | None:
    """metav1.GetControllerOf: the ownerReference marked controller: true, if any."""
    for ref in meta(obj).get("ownerReferences") or []:
        if isinstance(ref, dict) and ref.get("controller"):
            return ref
    return None


def new_controller_ref(owner: Mapping[str, Any]) -> Obj:
    """metav1.NewControllerRef: the ownerReference a controller puts on what it creates or
    adopts. blockOwnerDeletion makes a foreground deletion of the owner wait for it."""
    owner_meta = meta(owner)
    return {"apiVersion": owner["apiVersion"], "kind": owner["kind"], "name": owner_meta["name"],
            "uid": owner_meta["uid"], "controller": True, "blockOwnerDeletion": True}


def is_controlled_by(obj: Mapping[str, Any], owner: Mapping[str, Any]) -> bool:
    """metav1.IsControlledBy: obj's controller reference names owner's uid."""
    ref = controller_ref(obj)
    return ref is not None and ref.get("uid") == meta(owner).get("uid")
