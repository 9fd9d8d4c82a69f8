"""A tiny async HTTP client for tests: plain requests, JSON in and out, like curl."""
from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp

from minikube_py.api.resources import ResourceType, by_kind, lookup


class Http:
    def __init__(self, base_url: str, session: aiohttp.ClientSession) -> None:
        self.base = base_url
        self.session = session

    async def call(self, method: str, path: str, body: Any = None, *,
                   content_type: str = "application/json", raw: bytes | None = None,
                   headers: dict[str, str] | None = None) -> tuple[int, Any]:
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        hdrs = {"Content-Type": content_type, **(headers or {})}
        async with self.session.request(method, self.base + path, data=data, headers=hdrs) as response:
            text = await response.text()
            try:
                return response.status, json.loads(text)
            except ValueError:
                return response.status, text

    async def get(self, path: str, **kw: Any) -> tuple[int, Any]:
        return await self.call("GET", path, **kw)

    async def post(self, path: str, body: Any, **kw: Any) -> tuple[int, Any]:
        return await self.call("POST", path, body, **kw)

    async def put(self, path: str, body: Any, **kw: Any) -> tuple[int, Any]:
        return await self.call("PUT", path, body, **kw)

    async def patch(self, path: str, body: Any, patch_type: str = "merge", **kw: Any) -> tuple[int, Any]:
        content_type = {"merge": "application/merge-patch+json", "json": "application/json-patch+json",
                        "strategic": "application/strategic-merge-patch+json"}.get(patch_type, patch_type)
        return await self.call("PATCH", path, body, content_type=content_type, **kw)

    async def delete(self, path: str, body: Any = None, **kw: Any) -> tuple[int, Any]:
        return await self.call("DELETE", path, body, **kw)

    async def ok(self, method: str, path: str, body: Any = None, **kw: Any) -> Any:
        """Call and insist on a 2xx answer; return the body."""
        status, answer = await self.call(method, path, body, **kw)
        assert 200 <= status < 300, f"{method} {path} -> {status}: {answer}"
        return answer

    async def watch(self, path: str) -> WatchStream:
        response = await self.session.get(self.base + path, timeout=aiohttp.ClientTimeout(total=None))
        assert response.status == 200, await response.text()
        return WatchStream(response)


class WatchStream:
    """Reads newline-delimited watch events from an open response."""

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self.response = response

    async def next(self, timeout: float = 10.0) -> dict[str, Any]:
        line = await asyncio.wait_for(self.response.content.readline(), timeout)
        assert line, "the watch stream ended"
        return json.loads(line)

    async def next_of(self, types: set[str], timeout: float = 10.0) -> dict[str, Any]:
        """The next event of one of `types`, skipping others (e.g. bookmarks)."""
        while True:
            event = await self.next(timeout)
            if event["type"] in types:
                return event

    async def events(self) -> AsyncIterator[dict[str, Any]]:
        while line := await self.response.content.readline():
            yield json.loads(line)

    def close(self) -> None:
        self.response.close()


def pod(name: str, labels: dict[str, str] | None = None, node: str | None = None, **spec: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"apiVersion": "v1", "kind": "Pod",
                            "metadata": {"name": name, "labels": labels or {}},
                            "spec": {"containers": [{"name": "app", "image": "minikube-py/busybox:latest"}], **spec}}
    if node:
        body["spec"]["nodeName"] = node
    return body


def namespace(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


def deployment(name: str, replicas: int = 1, labels: dict[str, str] | None = None) -> dict[str, Any]:
    labels = labels or {"app": name}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "labels": labels},
            "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels},
                                  "spec": {"containers": [{"name": "web", "image": "minikube-py/hello:latest"}]}}}}


def resource_type(name: str) -> ResourceType:
    """The resource type of a plural, singular or short name; the test fails if there is none."""
    found = lookup(name)
    assert found is not None, f"no resource type {name!r}"
    return found


def resource_type_of_kind(api_version: str, kind: str) -> ResourceType:
    found = by_kind(api_version, kind)
    assert found is not None, f"no resource type for {api_version} {kind}"
    return found
