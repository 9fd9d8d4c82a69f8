"""POST pods/{name}/eviction: a delete that honours PodDisruptionBudgets.

Kubernetes' EvictionREST (pkg/registry/core/pod/storage/eviction.go).
`kubectl drain` does not delete pods: it *evicts* them, and the API server
deletes a pod only if that keeps every budget covering it satisfied:

1. A pod that is not running yet or any more (Pending, Succeeded, Failed) or
   already being deleted disrupts nothing: it is deleted at once.
2. Otherwise the budgets of the pod's namespace whose selector picks the pod
   are found. None: delete. More than one: refused (500, as Kubernetes).
3. A pod that is not Ready does not count as healthy: if the budget is met
   without it, it is deleted, guarded by its resourceVersion so it cannot have
   become Ready meanwhile.
4. Else one disruption is spent: `status.disruptionsAllowed` is decremented and
   the pod is recorded in `status.disruptedPods`, in one write with a compare
   on the budget's resourceVersion, so two evictions racing for the last
   allowed disruption cannot both win (the loser re-reads and finds 0). The
   disruption controller no longer counts a pod in disruptedPods as healthy,
   so it does not hand the allowance out again before the pod is gone.
5. When the budget allows nothing: 429 TooManyRequests, "Cannot evict pod as
   it would violate the pod's disruption budget.", with a DisruptionBudget
   cause; kubectl waits and tries again.

The body is a policy/v1 Eviction (kubectl 1.20 sends the group's preferred
version in its v1beta1-shaped object; policy/v1beta1 is accepted as Kubernetes
does) with optional DeleteOptions, used for the delete. `dryRun=All` (query or
deleteOptions.dryRun) runs every check and writes nothing.
"""
from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from typing import Any

from aiohttp import web

from minikube_py.api import disruption, errors, times
from minikube_py.api.pods import is_ready
from minikube_py.api.resources import known

from . import objectmeta
from .admission import CREATE, Attributes
from .decoding import read_body
from .deletion import DeleteOptions, Deleter
from .fieldvalidation import decode_typed
from .http import json_response
from .routing import RequestInfo
from .storage import Object, Store
from .updates import Updater

BUDGETS = known("poddisruptionbudgets")          # policy/v1 PodDisruptionBudget
EVICTION_VERSIONS = ("policy/v1", "policy/v1beta1")
MAX_DISRUPTED_PODS = 2000    # Kubernetes' MaxDisruptedPodSize: evictions the controller has not confirmed yet
RETRIES = 20                 # Kubernetes' EvictionsRetry steps
VIOLATION = "Cannot evict pod as it would violate the pod's disruption budget."


def too_many_requests(cause: str, retry_after: int = 0) -> errors.ApiError:
    details: dict[str, Any] = {"causes": [{"reason": "DisruptionBudget", "message": cause}]}
    if retry_after:
        details["retryAfterSeconds"] = retry_after
    return errors.ApiError(429, "TooManyRequests", VIOLATION, details)


def can_ignore_budget(pod: Object) -> bool:
    """canIgnorePDB: a pod that is not running (yet or any more), or already going, disrupts nothing."""
    return (pod.get("status") or {}).get("phase") in ("Pending", "Succeeded", "Failed") \
        or bool(pod["metadata"].get("deletionTimestamp"))


def must_guard_revision(pod: Object) -> bool:
    """shouldEnforceResourceVersion: a pod that could still become Ready is deleted only as we saw it."""
    return (pod.get("status") or {}).get("phase") not in ("Succeeded", "Failed") \
        and not pod["metadata"].get("deletionTimestamp")


def spend_disruption(pdb: Object, pod_name: str, now: str) -> Object:
    """checkAndDecrement: the budget with one disruption spent on `pod_name`, or a 429/403."""
    meta, status = pdb["metadata"], pdb.setdefault("status", {})
    name = meta["name"]
    if (status.get("observedGeneration") or 0) < (meta.get("generation") or 0):
        raise too_many_requests(f"The disruption budget {name} is still being processed by the server.", 10)
    allowed = status.get("disruptionsAllowed") or 0
    if allowed < 0:
        raise errors.forbidden("poddisruptionbudget", name, "pdb disruptions allowed is negative", "policy")
    if len(status.get("disruptedPods") or {}) > MAX_DISRUPTED_PODS:
        raise errors.forbidden("poddisruptionbudget", name, "DisruptedPods map too big - too many evictions "
                               "not confirmed by PDB controller", "policy")
    if allowed == 0:
        raise too_many_requests(f"The disruption budget {name} needs {status.get('desiredHealthy') or 0} healthy "
                                f"pods and has {status.get('currentHealthy') or 0} currently")
    status["disruptionsAllowed"] = allowed - 1
    if allowed - 1 == 0:
        disruption.update_disruption_allowed_condition(status, now)
    status["disruptedPods"] = {**(status.get("disruptedPods") or {}), pod_name: now}
    return pdb


def parse_eviction(body: Any, info: RequestInfo) -> Any:
    """The Eviction's deleteOptions (or None), after checking that it names the pod of the URL."""
    if not isinstance(body, dict):
        raise errors.bad_request("not a Eviction object: the body must be a JSON object")
    api_version, kind = body.get("apiVersion"), body.get("kind")
    if (api_version is not None and api_version not in EVICTION_VERSIONS) or kind not in (None, "Eviction"):
        raise errors.bad_request(f"not a Eviction object: {api_version}, Kind={kind}; "
                                 f"accepted: Eviction in {', '.join(EVICTION_VERSIONS)}")
    metadata = body.get("metadata")
    meta = metadata if isinstance(metadata, dict) else {}
    if meta.get("name") != info.name:
        raise errors.bad_request("name in URL does not match name in Eviction object")
    if meta.get("namespace") not in (None, "", info.namespace):
        raise errors.bad_request("the namespace of the provided object does not match the namespace sent on "
                                 "the request")
    options = body.get("deleteOptions")
    if options is not None and not isinstance(options, dict):
        raise errors.bad_request("deleteOptions must be a JSON object")
    return options


def delete_options(request: web.Request, options: Any) -> DeleteOptions:
    """The DeleteOptions, with the request's dryRun pushed into them (propagateDryRun)."""
    body_dry_run = (options or {}).get("dryRun")
    if body_dry_run is not None and (not isinstance(body_dry_run, list) or any(v != "All" for v in body_dry_run)):
        raise errors.bad_request(f'deleteOptions.dryRun: unsupported value {body_dry_run!r}, supported values: "All"')
    query_dry_run = ["All"] if request.query.get("dryRun") else []
    if body_dry_run and query_dry_run and body_dry_run != query_dry_run:
        raise errors.bad_request(f"Non-matching dry-run options in request and content: {query_dry_run} and "
                                 f"{body_dry_run}")
    return DeleteOptions(request, options)


class Evictions:
    def __init__(self, store: Store, updater: Updater, deleter: Deleter) -> None:
        self.store = store
        self.updater = updater
        self.deleter = deleter

    async def evict(self, request: web.Request, info: RequestInfo) -> web.Response:
        body = await read_body(request)
        if isinstance(body, dict):
            body = decode_typed("policy", "v1", "Eviction", body)
        options = delete_options(request, parse_eviction(body, info))
        # An eviction is a create of pods/eviction for admission: NamespaceLifecycle refuses it in a
        # Terminating namespace (403 with the NamespaceTerminating cause that kubectl drain knows).
        attributes = Attributes(CREATE, info.rt.plural, info.rt.group, info.namespace, info.name or "", body,
                                subresource="eviction", dry_run=options.dry_run)
        await self.updater.admission.admit(attributes)
        await self.updater.admission.validate(attributes)
        pods = dataclasses.replace(info, subresource=None)
        pod = await self.delete_if_disrupting_nothing(pods, options)
        if pod is None:
            return self.success()
        guard = await self.check_budget(pod, options.dry_run)
        try:
            await self.deleter.delete_object(pods, info.name or "", self.guarded(options, pod) if guard else options)
        except errors.ApiError as e:
            if e.reason == "Conflict" and guard and options.resource_version is None:
                # the unready pod changed (became Ready?) since we looked: the client should ask again
                raise too_many_requests(f"The disruption budget {guard} is still being processed by the server.",
                                        10) from e
            raise
        return self.success()

    async def delete_if_disrupting_nothing(self, pods: RequestInfo, options: DeleteOptions) -> Object | None:
        """Delete a pod that is not running (yet or any more) and return None; return a running
        pod untouched. A lost race with another writer of the pod is retried."""
        name = pods.name or ""
        for _ in range(RETRIES):
            pod = await self.store.get(pods.rt, pods.namespace, name)
            if not can_ignore_budget(pod):
                return pod
            try:
                await self.deleter.delete_object(pods, name, self.guarded(options, pod))
                return None
            except errors.ApiError as e:
                if e.reason != "Conflict" or options.resource_version is not None:
                    raise
        raise errors.ApiError(504, "Timeout", f"couldn't delete pod {name} due to conflicts")

    async def check_budget(self, pod: Object, dry_run: bool) -> str | None:
        """Spend a disruption of the pod's budget, if it has one. Returns the budget's name when
        the delete must be guarded by the pod's resourceVersion (an unready pod), else None."""
        namespace = pod["metadata"]["namespace"]
        budgets, _, _ = await self.store.list(BUDGETS, namespace)
        covering = [pdb for pdb in budgets if disruption.covers(pdb, pod)]
        if len(covering) > 1:
            raise errors.internal("This pod has more than one PodDisruptionBudget, which the eviction "
                                  "subresource does not support.")
        if not covering:
            return None
        pdb = covering[0]
        status = pdb.get("status") or {}
        unhealthy_may_go = (pdb.get("spec") or {}).get("unhealthyPodEvictionPolicy") == "AlwaysAllow" or (
            (status.get("currentHealthy") or 0) >= (status.get("desiredHealthy") or 0) > 0)
        if not is_ready(pod) and unhealthy_may_go:
            return pdb["metadata"]["name"]
        await self.spend(pdb, pod["metadata"]["name"], dry_run)
        return None

    async def spend(self, pdb: Object, pod_name: str, dry_run: bool) -> None:
        """Decrement the budget with a compare on the revision it was read at; re-read on a lost race."""
        name = pdb["metadata"]["name"]
        budget_info = RequestInfo(BUDGETS, pdb["metadata"]["namespace"], name, "status", False)
        for attempt in range(RETRIES):
            if attempt:
                pdb = await self.store.get(BUDGETS, budget_info.namespace, name)
            spent = spend_disruption(objectmeta.deep_copy(pdb), pod_name, times.timestamp())
            if dry_run:
                return
            try:
                await self.updater.update(budget_info, _replace_with(spent), int(pdb["metadata"]["resourceVersion"]),
                                          subresource="status")
                return
            except errors.ApiError as e:
                if e.reason != "Conflict":
                    raise
        raise errors.ApiError(504, "Timeout", f'couldn\'t update PodDisruptionBudget "{name}" due to conflicts',
                              {"retryAfterSeconds": 10})

    @staticmethod
    def guarded(options: DeleteOptions, pod: Object) -> DeleteOptions:
        """The options with the pod's resourceVersion as precondition, unless the caller set one."""
        if options.resource_version is not None or not must_guard_revision(pod):
            return options
        guarded = copy.copy(options)
        guarded.resource_version = pod["metadata"]["resourceVersion"]
        return guarded

    @staticmethod
    def success() -> web.Response:
        return json_response({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                              "code": 201}, 201)


def _replace_with(new: Object) -> Callable[[Object], Object]:
    """An update's compute step that answers `new` whatever the stored object is."""
    return lambda _stored: new
