"""Who owns what: client-go's ControllerRefManager (pkg/controller/controller_ref_manager.go).

A controller owns an object through an ownerReference with `controller: true`
(at most one per object). Labels only say which objects a controller *may*
own; the ownerReference says which it *does*. On every sync a controller
"claims" the candidates in its namespace:

- already ours and still matching the selector      -> keep
- already ours but the labels no longer match        -> release (drop our ownerReference)
- an orphan (no controller) that matches             -> adopt (add our ownerReference)
- owned by another controller                         -> not ours, never touched

Adoption and release are JSON patches guarded by a `test` of the object's uid
(Kubernetes sends the uid as a precondition) so we never patch a replacement
that happens to have the same name. A controller being deleted adopts nothing.
"""
from __future__ import annotations

import logging
from typing import Any

from minikube_py.api.errors import ApiError
from minikube_py.api.meta import Obj, controller_ref, meta, new_controller_ref
from minikube_py.api.selectors import LabelSelector
from minikube_py.client.resource import ResourceClient

log = logging.getLogger("controllers.ownership")

def resolve_controller_ref(obj: Obj, kind: str, lookup: Any) -> Obj | None:
    """The owner of `obj` if its controller is a `kind` found through lookup(name, namespace)
    with the same uid (a same-named replacement is not the owner)."""
    ref = controller_ref(obj)
    if ref is None or ref.get("kind") != kind:
        return None
    owner = lookup(ref.get("name"), meta(obj).get("namespace"))
    return owner if owner is not None and meta(owner).get("uid") == ref.get("uid") else None


async def claim(owner: Obj, selector: LabelSelector, candidates: list[Obj], client: ResourceClient) -> list[Obj]:
    """The candidates `owner` owns after adopting matching orphans and releasing non-matching
    dependents. Objects that vanish or change under us are simply left for the next sync."""
    owned: list[Obj] = []
    owner_deleting = bool(meta(owner).get("deletionTimestamp"))
    for obj in candidates:
        ref = controller_ref(obj)
        matches = selector.matches(meta(obj).get("labels"))
        if ref is not None:
            if ref.get("uid") != meta(owner).get("uid"):
                continue
            if matches or owner_deleting:
                owned.append(obj)
            else:
                await _patch_quietly(client, obj, release_patch(obj, owner), "release")
        elif matches and not owner_deleting and not meta(obj).get("deletionTimestamp"):
            adopted = await _patch_quietly(client, obj, adopt_patch(obj, owner), "adopt")
            if adopted is not None:
                owned.append(adopted)
    return owned


def adopt_patch(obj: Obj, owner: Obj) -> list[Obj]:
    refs = [*(meta(obj).get("ownerReferences") or []), new_controller_ref(owner)]
    return [{"op": "test", "path": "/metadata/uid", "value": meta(obj)["uid"]},
            {"op": "add", "path": "/metadata/ownerReferences", "value": refs}]


def release_patch(obj: Obj, owner: Obj) -> list[Obj]:
    refs = meta(obj).get("ownerReferences") or []
    index = next(i for i, ref in enumerate(refs) if ref.get("uid") == meta(owner)["uid"])
    return [{"op": "test", "path": "/metadata/uid", "value": meta(obj)["uid"]},
            {"op": "test", "path": f"/metadata/ownerReferences/{index}/uid", "value": meta(owner)["uid"]},
            {"op": "remove", "path": f"/metadata/ownerReferences/{index}"}]


async def _patch_quietly(client: ResourceClient, obj: Obj, patch: list[Obj], what: str) -> Obj | None:
    name = meta(obj)["name"]
    try:
        result = await client.patch(name, patch, patch_type="json")
    except ApiError as e:
        if e.reason == "NotFound":
            return None
        log.info("could not %s %s/%s (%s); next sync will retry", what, meta(obj).get("namespace"), name, e.message)
        return None
    log.info("%sed %s %s/%s", what.rstrip("e"), obj.get("kind", "object"), meta(obj).get("namespace"), name)
    return result
