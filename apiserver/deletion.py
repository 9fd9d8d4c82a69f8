"""DELETE: graceful deletion, finalizers and propagation policy.

Kubernetes deletes in up to two steps:

1. If something must happen first, the object is only *marked*: it gets a
   `deletionTimestamp` (plus `deletionGracePeriodSeconds`) and the reply is
   202 Accepted. "Something" is a grace period (a running pod's containers
   must be stopped by its node agent) or a finalizer (`foregroundDeletion`
   and `orphan` come from the propagationPolicy; controllers add their own).
2. When the grace period is confirmed (a delete with grace 0) and the last
   finalizer is removed, the object leaves etcd: 200 OK.

`propagationPolicy` tells the garbage collector what to do with dependents:
Background (default) deletes them after the owner, Foreground before it
(the owner waits with the `foregroundDeletion` finalizer), Orphan leaves them
(the owner waits with the `orphan` finalizer while the GC unlinks them).
"""
from __future__ import annotations

from typing import Any

from aiohttp import web

from minikube_py.api import errors, times

from . import objectmeta
from .http import is_dry_run, json_response, query_int, success_status
from .listing import Lister, ListQuery
from .routing import RequestInfo
from .storage import Object, Store
from .strategies import Strategy

MAX_GRACE_SECONDS = 2**31 - 1    # a deletionTimestamp must stay a representable time
POLICY_FINALIZERS = {"Foreground": "foregroundDeletion", "Orphan": "orphan"}


class DeleteOptions:
    """DeleteOptions from the body (kubectl) or the query string (curl)."""

    def __init__(self, request: web.Request, body: Any) -> None:
        if body is not None and not isinstance(body, dict):
            raise errors.bad_request("DeleteOptions must be a JSON object")
        body = body or {}
        grace = body.get("gracePeriodSeconds", query_int(request, "gracePeriodSeconds", minimum=-1,
                                                         maximum=MAX_GRACE_SECONDS))
        if grace is not None and (type(grace) is not int or not -1 <= grace <= MAX_GRACE_SECONDS):
            raise errors.bad_request(f"gracePeriodSeconds must be an integer from -1 to {MAX_GRACE_SECONDS}")
        self.grace_seconds: int | None = grace
        policy = body.get("propagationPolicy", request.query.get("propagationPolicy"))
        if body.get("orphanDependents") is True or request.query.get("orphanDependents") == "true":
            policy = policy or "Orphan"
        if policy not in (None, "Background", "Foreground", "Orphan"):
            raise errors.bad_request(f'propagationPolicy: unsupported value "{policy}", supported values: '
                                     '"Background", "Foreground", "Orphan"')
        self.policy: str | None = policy
        preconditions = body.get("preconditions") or {}
        self.uid: str | None = preconditions.get("uid") if isinstance(preconditions, dict) else None
        self.resource_version: str | None = (preconditions.get("resourceVersion")
                                             if isinstance(preconditions, dict) else None)
        self.dry_run = is_dry_run(request, body.get("dryRun"))

    def check_preconditions(self, rt_plural: str, obj: Object) -> None:
        meta = obj["metadata"]
        if self.uid and self.uid != meta.get("uid"):
            raise errors.conflict(rt_plural, meta["name"], f"Precondition failed: UID in precondition: "
                                  f"{self.uid}, UID in object meta: {meta.get('uid')}")
        if self.resource_version and self.resource_version != meta.get("resourceVersion"):
            raise errors.conflict(rt_plural, meta["name"], "Precondition failed: ResourceVersion in "
                                  f"precondition: {self.resource_version}, ResourceVersion in object meta: "
                                  f"{meta.get('resourceVersion')}")


class Deleter:
    def __init__(self, store: Store, strategies: dict[str, Strategy], lister: Lister) -> None:
        self.store = store
        self.strategies = strategies
        self.lister = lister

    async def delete(self, request: web.Request, info: RequestInfo, body: Any) -> web.Response:
        options = DeleteOptions(request, body)
        obj, removed = await self.delete_object(info, info.name or "", options)
        strategy = self.strategies[info.rt.plural]
        status = 200 if removed else 202
        if strategy.returns_deleted_object or not removed:
            return json_response(obj, status)
        return json_response(success_status(info.rt.plural, info.rt.group, obj), status)

    async def delete_collection(self, request: web.Request, info: RequestInfo, body: Any) -> web.Response:
        options = DeleteOptions(request, body)
        query = ListQuery.parse(request, info.rt)
        items, revision = await self.lister.list_all(info.rt, info.namespace, query.matcher(info.rt, info.namespace))
        deleted = []
        for item in items:
            try:
                obj, _ = await self.delete_object(info, item["metadata"]["name"], options,
                                                  item["metadata"].get("namespace"))
                deleted.append(obj)
            except errors.ApiError as e:
                if e.reason != "NotFound":
                    raise
        return json_response({"kind": info.rt.kind_list, "apiVersion": info.rt.api_version,
                              "metadata": {"resourceVersion": str(revision)}, "items": deleted})

    async def delete_object(self, info: RequestInfo, name: str, options: DeleteOptions,
                            namespace: str | None = None) -> tuple[Object, bool]:
        """Delete or mark one object. Returns (object, whether it left storage)."""
        rt, strategy = info.rt, self.strategies[info.rt.plural]
        namespace = namespace or info.namespace
        while True:
            obj = await self.store.get(rt, namespace, name)
            options.check_preconditions(rt.plural, obj)
            strategy.check_deletable(obj)
            marked = self.mark_for_deletion(strategy, objectmeta.deep_copy(obj), options)
            try:
                if marked is None:
                    return await strategy.delete(self.store, obj, dry_run=options.dry_run), True
                if marked == obj:
                    return marked, False
                return await self.store.update(rt, marked, int(obj["metadata"]["resourceVersion"]),
                                               dry_run=options.dry_run), False
            except errors.ApiError as e:
                if e.reason != "Conflict":
                    raise

    def mark_for_deletion(self, strategy: Strategy, obj: Object, options: DeleteOptions) -> Object | None:
        """The object with deletion recorded, or None when it can be removed right away."""
        meta = obj["metadata"]
        finalizer = POLICY_FINALIZERS.get(options.policy or "")
        if finalizer and finalizer not in (meta.get("finalizers") or []) and not meta.get("deletionTimestamp"):
            meta["finalizers"] = [*(meta.get("finalizers") or []), finalizer]
        grace = strategy.graceful_deletion_seconds(obj, options.grace_seconds)
        pending = strategy.pending_finalizers(obj)
        if grace == 0 and not pending:
            return None
        if meta.get("deletionTimestamp"):
            # Already terminating: a shorter grace period may bring the deadline forward.
            current = meta.get("deletionGracePeriodSeconds") or 0
            if grace < current:
                meta["deletionTimestamp"] = times.timestamp(grace)
                meta["deletionGracePeriodSeconds"] = grace
            if meta.get("deletionGracePeriodSeconds") == 0 and not pending:
                return None
            return obj
        meta["deletionTimestamp"] = times.timestamp(grace)
        meta["deletionGracePeriodSeconds"] = grace
        strategy.mark_terminating(obj)
        return obj
