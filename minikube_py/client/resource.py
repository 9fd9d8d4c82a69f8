"""One resource type's verbs: client-go's dynamic client (`dynamic.NamespaceableResourceInterface`).

A `ResourceClient` is bound to a resource type and, for namespaced types, to a
namespace (None = all namespaces, which only list/watch/delete_collection can
use; single-object calls then take the namespace from the object or fail).
Objects are plain dicts in the Kubernetes JSON shape.
"""
from __future__ import annotations

import builtins
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator
from typing import TYPE_CHECKING, Any

import orjson

from minikube_py.api.resources import ResourceType

if TYPE_CHECKING:
    from minikube_py.client.rest import ApiClient

PATCH_CONTENT_TYPES = {
    "merge": "application/merge-patch+json",
    "strategic": "application/strategic-merge-patch+json",
    "json": "application/json-patch+json",
}
# What kubectl sends for `kubectl get`: a server-side Table, else a plain object.
TABLE_ACCEPT = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"


class ResourceClient:
    def __init__(self, api: ApiClient, rt: ResourceType, namespace: str | None = None) -> None:
        self.api = api
        self.rt = rt
        self.namespace = namespace

    def __repr__(self) -> str:
        return f"ResourceClient({self.rt.plural}, namespace={self.namespace!r})"

    # ---- paths ------------------------------------------------------------------------

    def collection_path(self, namespace: str | None = None) -> str:
        ns = namespace or self.namespace
        base = f"/apis/{self.rt.group}/{self.rt.version}" if self.rt.group else f"/api/{self.rt.version}"
        if self.rt.namespaced and ns:
            base += f"/namespaces/{ns}"
        return f"{base}/{self.rt.plural}"

    def object_path(self, name: str, namespace: str | None = None, subresource: str | None = None) -> str:
        if not name:
            raise ValueError(f"a {self.rt.kind} needs a name")
        ns = namespace or self.namespace
        if self.rt.namespaced and not ns:
            raise ValueError(f"{self.rt.plural} are namespaced: give a namespace for {name!r}")
        path = f"{self.collection_path(ns)}/{name}"
        return f"{path}/{subresource}" if subresource else path

    @staticmethod
    def _meta(obj: dict[str, Any]) -> tuple[str, str | None]:
        meta = obj.get("metadata") or {}
        return meta.get("name", ""), meta.get("namespace")

    async def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """One request whose answer is a JSON object: the object, a List, a Table or a Status."""
        answer: dict[str, Any] = await self.api.request(method, path, **kwargs)
        return answer

    # ---- reads ------------------------------------------------------------------------

    async def get(self, name: str) -> dict[str, Any]:
        return await self._call("GET", self.object_path(name))

    async def list(self, *, label_selector: str | None = None, field_selector: str | None = None,
                   limit: int | None = None, continue_token: str | None = None,
                   resource_version: str | None = None) -> dict[str, Any]:
        """One page: the List object (items, metadata.resourceVersion, metadata.continue)."""
        return await self._call("GET", self.collection_path(), params=_list_params(
            label_selector, field_selector, limit, continue_token, resource_version))

    async def list_all(self, *, label_selector: str | None = None, field_selector: str | None = None,
                       limit: int | None = None, resource_version: str | None = None
                       ) -> tuple[builtins.list[dict[str, Any]], str]:
        """Every item, following `continue` (all pages come from one snapshot); the list's resourceVersion."""
        items: builtins.list[dict[str, Any]] = []
        token: str | None = None
        while True:
            page = await self.list(label_selector=label_selector, field_selector=field_selector, limit=limit,
                                   continue_token=token, resource_version=None if token else resource_version)
            items.extend(page.get("items") or [])
            token = (page.get("metadata") or {}).get("continue")
            if not token:
                return items, (page.get("metadata") or {}).get("resourceVersion", "")

    async def get_table(self, name: str | None = None, **list_kwargs: Any) -> dict[str, Any]:
        """A server-side meta.k8s.io/v1 Table (what `kubectl get` prints)."""
        headers = {"Accept": TABLE_ACCEPT}
        if name:
            return await self._call("GET", self.object_path(name), headers=headers)
        params = _list_params(list_kwargs.get("label_selector"), list_kwargs.get("field_selector"),
                              list_kwargs.get("limit"), list_kwargs.get("continue_token"),
                              list_kwargs.get("resource_version"))
        return await self._call("GET", self.collection_path(), params=params, headers=headers)

    # ---- writes -----------------------------------------------------------------------

    async def create(self, obj: dict[str, Any]) -> dict[str, Any]:
        _, ns = self._meta(obj)
        return await self._call("POST", self.collection_path(ns), body=obj)

    async def update(self, obj: dict[str, Any]) -> dict[str, Any]:
        """PUT: replaces the object; a stale metadata.resourceVersion gets 409 Conflict."""
        name, ns = self._meta(obj)
        return await self._call("PUT", self.object_path(name, ns), body=obj)

    async def update_status(self, obj: dict[str, Any]) -> dict[str, Any]:
        name, ns = self._meta(obj)
        return await self._call("PUT", self.object_path(name, ns, "status"), body=obj)

    async def patch(self, name: str, patch: Any, patch_type: str = "merge") -> dict[str, Any]:
        return await self.patch_subresource(name, None, patch, patch_type)

    async def patch_status(self, name: str, patch: Any, patch_type: str = "merge") -> dict[str, Any]:
        return await self.patch_subresource(name, "status", patch, patch_type)

    async def delete(self, name: str, *, grace_period_seconds: int | None = None,
                     propagation_policy: str | None = None,
                     preconditions: dict[str, Any] | None = None) -> dict[str, Any]:
        options = {"kind": "DeleteOptions", "apiVersion": "v1", "gracePeriodSeconds": grace_period_seconds,
                   "propagationPolicy": propagation_policy, "preconditions": preconditions}
        body = {k: v for k, v in options.items() if v is not None}
        return await self._call("DELETE", self.object_path(name), body=body)

    async def delete_collection(self, *, label_selector: str | None = None,
                                field_selector: str | None = None) -> dict[str, Any]:
        return await self._call("DELETE", self.collection_path(), params=_list_params(
            label_selector, field_selector, None, None, None))

    # ---- subresources -----------------------------------------------------------------

    async def get_subresource(self, name: str, sub: str) -> dict[str, Any]:
        return await self._call("GET", self.object_path(name, subresource=sub))

    async def put_subresource(self, name: str, sub: str, body: Any) -> dict[str, Any]:
        return await self._call("PUT", self.object_path(name, subresource=sub), body=body)

    async def post_subresource(self, name: str, sub: str, body: Any) -> dict[str, Any]:
        return await self._call("POST", self.object_path(name, subresource=sub), body=body)

    async def patch_subresource(self, name: str, sub: str | None, patch: Any,
                                patch_type: str = "merge") -> dict[str, Any]:
        if patch_type not in PATCH_CONTENT_TYPES:
            raise ValueError(f"patch_type must be one of {sorted(PATCH_CONTENT_TYPES)}, not {patch_type!r}")
        return await self._call("PATCH", self.object_path(name, subresource=sub), body=patch,
                                      content_type=PATCH_CONTENT_TYPES[patch_type])

    # ---- streams ----------------------------------------------------------------------

    async def watch(self, *, resource_version: str | None = None, label_selector: str | None = None,
                    field_selector: str | None = None, timeout_seconds: int | None = None,
                    allow_bookmarks: bool = False) -> AsyncIterator[dict[str, Any]]:
        """Decoded watch events {"type", "object"}; ERROR events are yielded as they are.
        Ends when the server ends the stream (e.g. after timeout_seconds)."""
        params = {"watch": True, "resourceVersion": resource_version, "labelSelector": label_selector,
                  "fieldSelector": field_selector, "timeoutSeconds": timeout_seconds,
                  "allowWatchBookmarks": True if allow_bookmarks else None}
        async with contextlib.aclosing(self.api.stream_lines(self.collection_path(), params)) as lines:
            async for line in lines:
                if line.strip():
                    yield orjson.loads(line)

    async def log(self, name: str, *, container: str | None = None, follow: bool = False,
                  tail_lines: int | None = None, timestamps: bool = False,
                  previous: bool = False) -> AsyncGenerator[bytes, None]:
        """A pod's log, line by line (bytes with their newline); with follow=True it runs until the
        container stops or the caller closes the iterator."""
        params = {"container": container, "follow": follow or None, "tailLines": tail_lines,
                  "timestamps": timestamps or None, "previous": previous or None}
        path = self.object_path(name, subresource="log")
        async with contextlib.aclosing(self.api.stream_lines(path, params)) as lines:
            async for line in lines:
                yield line


def _list_params(label_selector: str | None, field_selector: str | None, limit: int | None,
                 continue_token: str | None, resource_version: str | None) -> dict[str, Any]:
    return {"labelSelector": label_selector, "fieldSelector": field_selector, "limit": limit,
            "continue": continue_token, "resourceVersion": resource_version}
