"""Update (PUT) and patch (PATCH): one read-modify-write pipeline.

Both verbs compute a new object from the stored one and go through the same
steps: keep server-owned metadata, let the strategy protect what this path
may not change (status for the main resource, everything but status for
`/status`), default, validate against the old object, and write with an etcd
compare on the revision that was read. If the client named a
resourceVersion, a mismatch is a 409 Conflict; otherwise a lost race is
simply retried on the fresh object, like Kubernetes' GuaranteedUpdate.

An update that changes nothing is not written, so watchers see no event.
An update that removes the last finalizer of an object being deleted lets
the object go.

A patch's result is decoded like a body (fieldvalidation.py: unknown fields and
directives dropped, types checked). A JSON patch is bounded while it is
applied, as kube-apiserver bounds it: at most 10,000 operations (413), and its
`copy` operations may add at most the object size limit between them (422),
so 41 operations that copy a subtree into itself cannot double it 40 times.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import jsonpatch
import orjson

from minikube_py.api import errors
from minikube_py.api.defaults import apply_defaults
from minikube_py.api.strategic_merge import PatchError, apply_strategic_merge_patch
from minikube_py.api.validation import validate

from . import objectmeta
from .admission import UPDATE, AdmissionChain, Attributes
from .apply import Apply, Recorder, recorder
from .decoding import JSON_PATCH, MERGE_PATCH, STRATEGIC_PATCH
from .fieldvalidation import decode_resource
from .limits import DEFAULT, Limits, TooLarge, measure, request_too_large
from .routing import RequestInfo
from .storage import Object, Store
from .strategies import Strategy

MAX_RETRIES = 16


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch: objects merge recursively, null deletes, the rest replaces."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def apply_json_patch(document: Any, operations: Any, limits: Limits = DEFAULT) -> Any:
    """RFC 6902, one operation at a time (in place), with kube-apiserver's bounds."""
    if not isinstance(operations, list):
        raise errors.bad_request("a JSON patch must be a list of operations")
    if len(operations) > limits.max_json_patch_operations:
        raise request_too_large(f"The allowed maximum operations in a JSON patch is "
                                f"{limits.max_json_patch_operations}, got {len(operations)}")
    copied, budget = 0, limits.max_object_bytes
    for operation in operations:
        if isinstance(operation, dict) and operation.get("op") == "copy":
            source = jsonpatch.JsonPointer(operation.get("from", "")).resolve(document)
            try:
                copied += measure(source, max_depth=limits.max_depth, max_bytes=budget - copied)
            except TooLarge:
                raise errors.ApiError(422, "Invalid", "the patch could not be applied: Unable to complete "
                                      "the copy, the accumulated size increase of copy exceeds the limit "
                                      f"{budget}") from None
        document = jsonpatch.apply_patch(document, [operation], in_place=True)
    return document


def apply_patch(content_type: str, original: Object, patch: Any) -> Object:
    """Apply a patch of any of the three Kubernetes patch types; bad patches are 4xx."""
    try:
        if content_type == MERGE_PATCH:
            patched = merge_patch(original, patch)
        elif content_type == JSON_PATCH:
            patched = apply_json_patch(original, patch)
        elif content_type == STRATEGIC_PATCH:
            if not isinstance(patch, dict):
                raise errors.bad_request("a strategic merge patch must be a JSON object")
            patched = apply_strategic_merge_patch(original, patch, original["apiVersion"], original["kind"])
        else:
            raise errors.unsupported_media_type(content_type)
    except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException, PatchError) as e:
        raise errors.ApiError(422, "Invalid", f"the patch could not be applied: {e}") from e
    except (TypeError, ValueError, KeyError, AttributeError) as e:
        raise errors.bad_request(f"the patch could not be applied: {e}") from e
    if not isinstance(patched, dict):
        raise errors.bad_request("the patch must produce an object")
    return patched


def requested_revision(obj: Object) -> int | None:
    rv = (obj.get("metadata") or {}).get("resourceVersion") if isinstance(obj, dict) else None
    if rv in (None, ""):
        return None
    try:
        return int(rv)
    except (TypeError, ValueError):
        raise errors.bad_request(f"metadata.resourceVersion: invalid value {rv!r}") from None


def _same(a: Object, b: Object) -> bool:
    return orjson.dumps(a, option=orjson.OPT_SORT_KEYS) == orjson.dumps(b, option=orjson.OPT_SORT_KEYS)


Compute = Callable[[Object], Object]


class Updater:
    def __init__(self, store: Store, strategies: dict[str, Strategy], admission: AdmissionChain) -> None:
        self.store = store
        self.strategies = strategies
        self.admission = admission

    async def replace(self, info: RequestInfo, body: Object, *, dry_run: bool = False,
                      subresource: str | None = None, record: Recorder | None = None) -> Object:
        return await self.update(info, lambda old: body, requested_revision(body), subresource, dry_run, record)

    async def patch(self, info: RequestInfo, content_type: str, patch: Any, *, dry_run: bool = False,
                    subresource: str | None = None, record: Recorder | None = None) -> Object:
        def compute(old: Object) -> Object:
            # managedFields are the server's bookkeeping (recorded after this step): patching
            # them would be overwritten anyway, and strategic merge would pay to walk them.
            old["metadata"].pop("managedFields", None)
            return decode_resource(info.rt, objectmeta.check_type(info.rt, apply_patch(content_type, old, patch)))
        precondition = requested_revision(patch) if isinstance(patch, dict) else None
        return await self.update(info, compute, precondition, subresource, dry_run, record)

    async def apply(self, info: RequestInfo, apply: Apply, *, dry_run: bool = False) -> Object:
        """Server-side apply to an existing object (NotFound: the caller creates it instead)."""
        step = apply.recorder()
        return await self.update(info, lambda old: decode_resource(info.rt, apply.merged(old, step)),
                                 requested_revision(apply.config),
                                 apply.subresource or None, dry_run, step)

    async def update(self, info: RequestInfo, compute: Compute, precondition: int | None,
                     subresource: str | None = None, dry_run: bool = False,
                     record: Recorder | None = None) -> Object:
        """`record`: the managedFields step (default: an Update by the server itself)."""
        rt, strategy = info.rt, self.strategies[info.rt.plural]
        record = record or recorder(rt, subresource=subresource or "")
        for _ in range(MAX_RETRIES):
            old = await self.store.get(rt, info.namespace, info.object_name)
            old_rv = int(old["metadata"]["resourceVersion"])
            if precondition is not None and precondition != old_rv:
                raise errors.stale_conflict(rt.plural, info.object_name, rt.group)
            new = objectmeta.check_type(rt, compute(objectmeta.deep_copy(old)))
            attributes = Attributes(UPDATE, rt.plural, rt.group, info.namespace, info.name or "", new, old,
                                    subresource or "", dry_run=dry_run)
            await self.admission.admit(attributes)
            new = self.prepare(strategy, new, old, subresource)
            record.record(old, new)
            attributes.object = new           # validating plugins see the object as it would be stored
            await self.admission.validate(attributes)
            if _same(new, old):
                return old
            try:
                updated = await strategy.update(self.store, new, old, dry_run=dry_run)
            except errors.ApiError as e:
                if e.reason == "Conflict" and precondition is None:
                    continue
                raise
            return updated if dry_run else await self.finish_deletion_if_done(strategy, updated)
        raise errors.stale_conflict(rt.plural, info.object_name, rt.group)

    def prepare(self, strategy: Strategy, new: Object, old: Object, subresource: str | None) -> Object:
        rt = strategy.rt
        new["metadata"]["resourceVersion"] = old["metadata"]["resourceVersion"]
        objectmeta.check_uid_unchanged(rt, new, old)     # every subresource too: kubelet relies on it
        if subresource == "status":
            new = strategy.prepare_for_status_update(new, old)
            apply_defaults(rt, new)      # as Kubernetes defaults every object it decodes
        elif subresource == "finalize":
            new = strategy.prepare_for_finalize(new, old)  # type: ignore[attr-defined]
        else:
            objectmeta.prepare_update(rt, new, old)
            strategy.prepare_for_update(new, old)
            apply_defaults(rt, new)
        causes = validate(rt, new, old)
        if causes:
            raise errors.invalid(rt.kind, str(old["metadata"]["name"]), causes, rt.group)
        return new

    async def finish_deletion_if_done(self, strategy: Strategy, obj: Object) -> Object:
        """An object marked for deletion goes once nothing is pending and no grace period runs."""
        meta = obj["metadata"]
        if meta.get("deletionTimestamp") and not strategy.pending_finalizers(obj) \
                and not meta.get("deletionGracePeriodSeconds"):
            try:
                return await strategy.delete(self.store, obj)
            except errors.ApiError as e:
                if e.reason not in ("Conflict", "NotFound"):
                    raise
        return obj

    async def mutate(self, info: RequestInfo, mutate: Callable[[Object], Awaitable[Object | None]],
                     cached: Object | None = None) -> Object:
        """A server-internal read-modify-write that bypasses the user-facing checks (binding);
        `cached`: the object as the watch cache has it, to start from (see Store.guaranteed_update)."""
        return await self.store.guaranteed_update(info.rt, info.namespace, info.object_name, mutate, cached=cached)
