"""Namespaces: Active on create, Terminating on delete until emptied.

A deleted namespace keeps existing with `status.phase: Terminating` while its
`spec.finalizers` (the "kubernetes" finalizer) is present. The namespace
controller deletes everything inside, then removes the finalizer through the
`finalize` subresource, and only then does the namespace disappear.
"""
from __future__ import annotations

from typing import Any

from minikube_py.api import errors

from ..objectmeta import Object
from .base import Strategy

UNDELETABLE = ("default", "kube-system", "kube-public")


class NamespaceStrategy(Strategy):
    returns_deleted_object = True

    def initial_status(self, obj: Object) -> dict[str, Any]:
        return {"phase": "Active"}

    def prepare_for_update(self, new: Object, old: Object) -> None:
        super().prepare_for_update(new, old)
        # spec.finalizers changes only through the finalize subresource
        new["spec"] = old.get("spec", {})

    def prepare_for_finalize(self, new: Object, old: Object) -> Object:
        result = dict(old)
        finalizers = (new.get("spec") or {}).get("finalizers") or []
        result["spec"] = {**old.get("spec", {}), "finalizers": finalizers}
        result["metadata"] = dict(old["metadata"])
        return result

    def pending_finalizers(self, obj: Object) -> list[str]:
        spec_finalizers = (obj.get("spec") or {}).get("finalizers") or []
        return super().pending_finalizers(obj) + [f for f in spec_finalizers if isinstance(f, str)]

    def check_deletable(self, obj: Object) -> None:
        name = obj["metadata"]["name"]
        if name in UNDELETABLE:
            raise errors.forbidden("namespaces", name, "this namespace may not be deleted")

    def mark_terminating(self, obj: Object) -> None:
        obj.setdefault("status", {})["phase"] = "Terminating"
