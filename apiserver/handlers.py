"""The REST verbs, generic over every served type (Kubernetes' generic registry).

    POST   collection            create          PUT    object   update (replace)
    GET    object                get             PATCH  object   patch (3 formats)
    GET    collection            list / watch    DELETE object   delete (graceful, finalizers)
                                                 DELETE collection  deletecollection

Each write runs the same pipeline as Kubernetes' apiserver: decode, mutating
admission (admission/), fill the server-owned metadata, let the type's strategy
adjust, default, validate, validating admission, and store in one etcd
transaction. Subresources live in subresources.py, the
update/patch pipeline in updates.py, deletion in deletion.py, watch in watch.py.
"""
from __future__ import annotations

import functools
import logging
from typing import Any

from aiohttp import web

from minikube_py.api import errors
from minikube_py.api.defaults import apply_defaults
from minikube_py.api.resources import RESOURCES, ResourceType
from minikube_py.api.validation import validate

from . import objectmeta, routing, tables
from .admission import CREATE, AdmissionChain, Attributes
from .apply import APPLY_PATCH, Apply, Recorder, field_manager, recorder
from .decoding import media_type, read_body
from .deletion import Deleter
from .fieldvalidation import decode_object
from .http import is_dry_run, json_response
from .listing import Lister, ListQuery
from .options import RegistryConfig
from .protobuf import check_acceptable
from .routing import RequestInfo
from .storage import Store
from .strategies import Strategy, strategy_for
from .subresources import Subresources
from .updates import Updater
from .watch import serve_watch
from .watchcache import WatchCache

log = logging.getLogger("apiserver.handlers")
# HTTP method -> Kubernetes verb (the verb names are also this class's method names)
COLLECTION_VERBS = {"GET": "list", "POST": "create", "DELETE": "deletecollection"}
OBJECT_VERBS = {"GET": "get", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}


class ResourceApi:
    """Routes every resource request to the verb that serves it."""

    def __init__(self, store: Store, cache: WatchCache, config: RegistryConfig, admission: AdmissionChain) -> None:
        self.store = store
        self.cache = cache
        self.config = config
        self.strategies: dict[str, Strategy] = {rt.plural: strategy_for(rt, config) for rt in RESOURCES}
        self.lister = Lister(store)
        self.admission = admission
        self.updater = Updater(store, self.strategies, self.admission)
        self.deleter = Deleter(store, self.strategies, self.lister)
        self.subresources = Subresources(store, self.updater, cache)

    # -- entry points from the router ------------------------------------
    async def core(self, request: web.Request) -> web.StreamResponse:
        return await self.dispatch(request, "", "v1", request.match_info["tail"])

    async def grouped(self, request: web.Request) -> web.StreamResponse:
        info = request.match_info
        return await self.dispatch(request, info["group"], info["version"], info["tail"])

    async def dispatch(self, request: web.Request, group: str, version: str, path: str) -> web.StreamResponse:
        info = routing.parse(group, version, path)
        check_acceptable(request.headers.get("Accept", ""))
        method = request.method
        if info.subresource:
            return await self.subresources.serve(request, info)
        if info.legacy_watch or (method == "GET" and info.is_collection and request.query.get("watch") in
                                 ("1", "true", "True")):
            return await serve_watch(request, self.store, self.cache, info, ListQuery.parse(request, info.rt),
                                     self.config.bookmark_interval)
        verbs = COLLECTION_VERBS if info.is_collection else OBJECT_VERBS
        verb = verbs.get(method)
        handler = getattr(self, verb) if verb and verb in info.rt.verbs else None
        if handler is None:
            raise errors.method_not_allowed(f"{method} is not supported on {info.rt.plural}"
                                            f"{'' if info.is_collection else ' objects'}")
        return await handler(request, info)

    # -- verbs ------------------------------------------------------------
    async def get(self, request: web.Request, info: RequestInfo) -> web.Response:
        obj = await self.store.get(info.rt, info.namespace, info.object_name)
        table = tables.table_request(request.headers.get("Accept", ""))
        if table:
            return json_response(tables.to_table(info.rt, [obj], table_version=table,
                                                 include_object=request.query.get("includeObject", "Metadata")))
        return json_response(obj)

    async def list(self, request: web.Request, info: RequestInfo) -> web.Response:
        query = ListQuery.parse(request, info.rt)
        items, metadata = await self.lister.list(info.rt, info.namespace, query)
        table = tables.table_request(request.headers.get("Accept", ""))
        if table:
            return json_response(tables.to_table(info.rt, items, table_version=table, list_metadata=metadata,
                                                 include_object=request.query.get("includeObject", "Metadata")))
        return json_response({"kind": info.rt.kind_list, "apiVersion": info.rt.api_version,
                              "metadata": metadata, "items": items})

    async def create(self, request: web.Request, info: RequestInfo) -> web.Response:
        obj = await read_body(request, then=functools.partial(decode_object, info.rt))
        created = await self.create_object(info.rt, info.namespace, obj, dry_run=is_dry_run(request),
                                           record=recorder(info.rt, field_manager(request)))
        return json_response(created, 201)

    async def create_object(self, rt: ResourceType, namespace: str | None, obj: dict[str, Any],
                            dry_run: bool = False, record: Recorder | None = None) -> dict[str, Any]:
        """`record`: the managedFields step (default: an Update by the server itself)."""
        namespace = (namespace or obj["metadata"].get("namespace")) if rt.namespaced else None
        if rt.namespaced and not namespace:
            raise errors.bad_request("a namespace is required for namespaced resources")
        attributes = Attributes(CREATE, rt.plural, rt.group, namespace, str(obj["metadata"].get("name") or ""),
                                obj, dry_run=dry_run)
        await self.admission.admit(attributes)
        objectmeta.prepare_create(rt, obj, namespace)
        strategy = self.strategies[rt.plural]
        strategy.prepare_for_create(obj)
        apply_defaults(rt, obj)
        causes = validate(rt, obj)
        if causes:
            raise errors.invalid(rt.kind, str(obj["metadata"].get("name", "")), causes, rt.group)
        (record or recorder(rt)).record(None, obj)
        await self.admission.validate(attributes)
        created = await strategy.create(self.store, obj, dry_run=dry_run)
        log.debug("created %s %s/%s%s", rt.kind, obj["metadata"].get("namespace", ""), obj["metadata"]["name"],
                  " (dry run)" if dry_run else "")
        return created

    async def update(self, request: web.Request, info: RequestInfo) -> web.Response:
        body = await read_body(request, then=functools.partial(decode_object, info.rt))
        body_name = body["metadata"].get("name")
        if body_name and body_name != info.name:
            raise errors.bad_request(f"the name of the object ({body_name}) does not match the name on "
                                     f"the URL ({info.name})")
        body["metadata"]["name"] = info.name
        dry_run = is_dry_run(request)
        record = recorder(info.rt, field_manager(request))
        if info.rt.allow_create_on_update and not await self.store.exists(
                self.store.key(info.rt, info.namespace, info.object_name)):
            return json_response(await self.create_object(info.rt, info.namespace, body, dry_run, record), 201)
        updated = await self.updater.replace(info, body, dry_run=dry_run, record=record)
        return json_response(updated)

    async def patch(self, request: web.Request, info: RequestInfo) -> web.Response:
        dry_run = is_dry_run(request)
        if media_type(request) == APPLY_PATCH:
            return await self.apply(request, info, dry_run)
        patch = await read_body(request, patch=True)
        updated = await self.updater.patch(info, media_type(request), patch, dry_run=dry_run,
                                           record=recorder(info.rt, field_manager(request)))
        return json_response(updated)

    async def apply(self, request: web.Request, info: RequestInfo, dry_run: bool) -> web.Response:
        """Server-side apply: update the object, or create it when it does not exist (201)."""
        apply = Apply.from_request(info.rt, info.name or "", await read_body(request, patch=True), request)
        try:
            return json_response(await self.updater.apply(info, apply, dry_run=dry_run))
        except errors.ApiError as e:
            if e.reason != "NotFound":
                raise
        step = apply.recorder()
        obj = decode_object(info.rt, apply.merged(None, step))
        obj["metadata"]["name"] = info.name
        return json_response(await self.create_object(info.rt, info.namespace, obj, dry_run, step), 201)

    async def delete(self, request: web.Request, info: RequestInfo) -> web.Response:
        options = await read_body(request, required=False)
        return await self.deleter.delete(request, info, options)

    async def deletecollection(self, request: web.Request, info: RequestInfo) -> web.Response:
        options = await read_body(request, required=False)
        return await self.deleter.delete_collection(request, info, options)
