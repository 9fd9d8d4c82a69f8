"""Subresources: status, scale, binding, finalize and log.

- `status`: the same object, but PUT/PATCH may change only `.status`
  (controllers and the node agent own status; users own spec).
- `scale` (deployments, replicasets, replicationcontrollers): an autoscaling/v1 Scale view of
  `spec.replicas`, used by `kubectl scale`.
- `binding` (pods): how the scheduler assigns a pod to a node. It sets
  `spec.nodeName` once; a second binding is a 409 Conflict. It starts from
  the pod as the watch cache has it and writes with a compare on its revision.
- `finalize` (namespaces): how the namespace controller removes
  `spec.finalizers` once the namespace is empty.
- `log` (pods): proxied to the node agent that runs the pod, with the
  PodLogOptions (since, tail, limitBytes, ...) validated here and honoured there.
- `eviction` (pods): a delete that honours PodDisruptionBudgets (eviction.py).
- `exec`, `attach`, `portforward` (pods): upgraded connections proxied to the
  node agent (streaming.py).
"""
from __future__ import annotations

import functools
from typing import Any

import aiohttp
from aiohttp import web

from minikube_py.api import errors, times
from minikube_py.api.pod_log_options import PodLogOptions
from minikube_py.api.resources import known
from minikube_py.api.selectors import SelectorError, label_selector_from_dict

from . import streaming
from .apply import field_manager, recorder
from .decoding import MERGE_PATCH, STRATEGIC_PATCH, media_type, read_body
from .deletion import Deleter
from .eviction import Evictions
from .fieldvalidation import decode_object, decode_typed
from .http import is_dry_run, json_response
from .listing import Lister
from .routing import RequestInfo
from .storage import Object, Store
from .updates import Updater, apply_patch, requested_revision
from .watchcache import WatchCache

NODES = known("nodes")


def to_scale(obj: Object) -> Object:
    meta = obj["metadata"]
    selector = (obj.get("spec") or {}).get("selector")
    if obj.get("kind") == "ReplicationController" and isinstance(selector, dict):
        selector = {"matchLabels": selector}       # core/v1's selector is a plain label map
    try:
        selector = str(label_selector_from_dict(selector))
    except SelectorError:
        selector = ""
    return {
        "kind": "Scale", "apiVersion": "autoscaling/v1",
        "metadata": {k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
                     if k in meta},
        "spec": {"replicas": (obj.get("spec") or {}).get("replicas", 0)},
        "status": {"replicas": (obj.get("status") or {}).get("replicas", 0), "selector": selector},
    }


def _replicas_from_scale(scale: Any) -> int:
    replicas = (scale.get("spec") or {}).get("replicas") if isinstance(scale, dict) else None
    if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
        raise errors.invalid("Scale", "", [errors.cause("spec.replicas", "must be a non-negative integer")],
                             "autoscaling")
    return replicas


def _decode_scale(body: Any) -> Object:
    if not isinstance(body, dict):
        raise errors.bad_request(f"the request body must be a Scale object, not {type(body).__name__}")
    return decode_typed("autoscaling", "v1", "Scale", body)


class Subresources:
    def __init__(self, store: Store, updater: Updater, cache: WatchCache | None = None) -> None:
        self.store = store
        self.updater = updater
        self.cache = cache
        self.evictions = Evictions(store, updater, Deleter(store, updater.strategies, Lister(store)))

    async def serve(self, request: web.Request, info: RequestInfo) -> web.StreamResponse:
        handler = {
            ("status", "GET"): self.get, ("status", "PUT"): self.update_status,
            ("status", "PATCH"): self.patch_status, ("scale", "GET"): self.get_scale,
            ("scale", "PUT"): self.update_scale, ("scale", "PATCH"): self.patch_scale,
            ("binding", "POST"): self.bind, ("finalize", "PUT"): self.finalize, ("log", "GET"): self.log,
            ("eviction", "POST"): self.evictions.evict,
            **{(stream, method): self.stream for stream in streaming.AGENT_PATHS for method in ("GET", "POST")},
        }.get((info.subresource or "", request.method))
        if handler is None:
            raise errors.method_not_allowed(f"{request.method} is not supported on "
                                            f"{info.rt.plural}/{info.subresource}")
        return await handler(request, info)

    # -- status -------------------------------------------------------------
    async def get(self, request: web.Request, info: RequestInfo) -> web.Response:
        return json_response(await self.store.get(info.rt, info.namespace, info.object_name))

    async def update_status(self, request: web.Request, info: RequestInfo) -> web.Response:
        body = await read_body(request, then=functools.partial(decode_object, info.rt))
        return json_response(await self.updater.replace(info, body, dry_run=is_dry_run(request),
                                                        subresource="status",
                                                        record=recorder(info.rt, field_manager(request), "status")))

    async def patch_status(self, request: web.Request, info: RequestInfo) -> web.Response:
        patch = await read_body(request, patch=True)
        return json_response(await self.updater.patch(info, media_type(request), patch,
                                                      dry_run=is_dry_run(request), subresource="status",
                                                      record=recorder(info.rt, field_manager(request), "status")))

    async def finalize(self, request: web.Request, info: RequestInfo) -> web.Response:
        body = await read_body(request, then=functools.partial(decode_object, info.rt))
        return json_response(await self.updater.replace(info, body, subresource="finalize"))

    # -- scale ----------------------------------------------------------------
    async def get_scale(self, request: web.Request, info: RequestInfo) -> web.Response:
        return json_response(to_scale(await self.store.get(info.rt, info.namespace, info.object_name)))

    async def update_scale(self, request: web.Request, info: RequestInfo) -> web.Response:
        scale = _decode_scale(await read_body(request))
        return await self._set_replicas(request, info, _replicas_from_scale(scale), requested_revision(scale))

    async def patch_scale(self, request: web.Request, info: RequestInfo) -> web.Response:
        patch = await read_body(request, patch=True)
        current = to_scale(await self.store.get(info.rt, info.namespace, info.object_name))
        content_type = media_type(request)     # Scale has no merge keys: a strategic patch merges plainly
        patched = _decode_scale(apply_patch(MERGE_PATCH if content_type == STRATEGIC_PATCH else content_type,
                                            current, patch))
        return await self._set_replicas(request, info, _replicas_from_scale(patched), None)

    async def _set_replicas(self, request: web.Request, info: RequestInfo, replicas: int,
                            precondition: int | None) -> web.Response:
        def compute(obj: Object) -> Object:
            obj.setdefault("spec", {})["replicas"] = replicas
            return obj
        updated = await self.updater.update(info, compute, precondition, dry_run=is_dry_run(request),
                                            record=recorder(info.rt, field_manager(request), "scale"))
        return json_response(to_scale(updated))

    # -- binding -----------------------------------------------------------------
    async def bind(self, request: web.Request, info: RequestInfo) -> web.Response:
        binding = await read_body(request)
        if isinstance(binding, dict):
            binding = decode_typed("", "v1", "Binding", binding)
        target = binding.get("target") if isinstance(binding, dict) else None
        node = target.get("name") if isinstance(target, dict) else None
        if not isinstance(node, str) or not node:
            raise errors.invalid("Binding", info.name or "", [errors.cause("target.name", "Required value",
                                                                          "FieldValueRequired")])

        async def assign(pod: Object) -> Object:
            meta, spec = pod["metadata"], pod.setdefault("spec", {})
            if meta.get("deletionTimestamp"):
                raise errors.conflict("pods", info.name or "", "pod is being deleted, cannot be assigned to a host")
            if spec.get("nodeName"):
                raise errors.conflict("pods", info.name or "",
                                      f"pod {info.name} is already assigned to node \"{spec['nodeName']}\"")
            spec["nodeName"] = node
            # Annotations on the Binding are copied onto the pod, as Kubernetes does:
            # the scheduler records its decision this way without a second write.
            annotations = (binding.get("metadata") or {}).get("annotations")
            if isinstance(annotations, dict) and all(isinstance(v, str) for v in annotations.values()):
                meta["annotations"] = {**(meta.get("annotations") or {}), **annotations}
            conditions = [c for c in (pod.setdefault("status", {}).get("conditions") or [])
                          if c.get("type") != "PodScheduled"]
            conditions.append({"type": "PodScheduled", "status": "True", "lastProbeTime": None,
                               "lastTransitionTime": times.timestamp()})
            pod["status"]["conditions"] = conditions
            return pod

        # The scheduler binds a pod it has just seen through a watch, so the watch cache almost
        # always has it: one etcd transaction instead of a read and a transaction.
        cached = self.cache.cached(self.store.key(info.rt, info.namespace, info.name or "")) if self.cache else None
        pod = await self.updater.mutate(info, assign, cached)
        return json_response({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                              "details": {"name": pod["metadata"]["name"], "kind": "pods"}}, 201)

    # -- log -----------------------------------------------------------------------
    async def log(self, request: web.Request, info: RequestInfo) -> web.StreamResponse:
        """Stream the container log from the node agent's /containerLogs endpoint, as kubelet serves it."""
        pod = await self.store.get(info.rt, info.namespace, info.object_name)
        spec = pod.get("spec") or {}
        containers = [c.get("name") for c in spec.get("containers") or [] if isinstance(c, dict)]
        init_containers = [c.get("name") for c in spec.get("initContainers") or [] if isinstance(c, dict)]
        options = PodLogOptions.from_query(request.query, info.object_name)
        container = options.container or (containers[0] if len(containers) == 1 else None)
        if container is None:
            raise errors.bad_request(f"a container name must be specified for pod {info.name}, "
                                     f"choose one of: {containers}")
        if container not in containers + init_containers:
            raise errors.bad_request(f"container {container} is not valid for pod {info.name}")
        if not spec.get("nodeName"):
            raise errors.bad_request(f"pod {info.name} does not have a host assigned")
        url = await self._agent_url(spec["nodeName"], f"/containerLogs/{info.namespace}/{info.name}/{container}")
        return await self._proxy(request, url, options.to_query())

    async def stream(self, request: web.Request, info: RequestInfo) -> web.StreamResponse:
        return await streaming.serve(request, info, self.store, self._agent_url)

    async def _agent_url(self, node_name: str, path: str) -> str:
        node = await self.store.get(NODES, None, node_name)
        status = node.get("status") or {}
        addresses = {a.get("type"): a.get("address") for a in status.get("addresses") or [] if isinstance(a, dict)}
        address = addresses.get("InternalIP") or addresses.get("Hostname")
        port = ((status.get("daemonEndpoints") or {}).get("kubeletEndpoint") or {}).get("Port")
        if not address or not port:
            raise errors.ApiError(503, "ServiceUnavailable", f"node {node_name} publishes no agent endpoint")
        return f"http://{address}:{port}{path}"

    async def _proxy(self, request: web.Request, url: str, params: dict[str, str]) -> web.StreamResponse:
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=5)
        try:
            async with aiohttp.ClientSession(timeout=timeout) as session, \
                    session.get(url, params=params) as upstream:
                if upstream.status != 200:
                    text = await upstream.text()
                    raise errors.ApiError(upstream.status if upstream.status < 500 else 502,
                                          "NotFound" if upstream.status == 404 else "InternalError", text.strip())
                response = web.StreamResponse(headers={"Content-Type": "text/plain"})
                await response.prepare(request)
                async for chunk in upstream.content.iter_any():
                    await response.write(chunk)
                await response.write_eof()
                return response
        except aiohttp.ClientError as e:
            raise errors.ApiError(502, "InternalError", f"the node agent did not answer: {e}") from e
