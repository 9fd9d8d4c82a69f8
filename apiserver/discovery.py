"""API discovery: how clients learn what this server serves.

Mirrors Kubernetes' discovery endpoints (k8s.io/apiserver/pkg/endpoints/discovery
and the health checks of k8s.io/apiserver/pkg/server/healthz):

    GET /version                  version.Info             (`kubectl version`)
    GET /api                      APIVersions              the legacy core group, served at /api/v1
    GET /apis                     APIGroupList             every named group and its versions
    GET /apis/{group}             APIGroup
    GET /api/v1, /apis/{g}/{v}    APIResourceList          resources, kinds, verbs, short names
    GET /healthz /livez /readyz   "ok"                     probes for load balancers and kubelets
    GET /openapi/v2               the OpenAPI schema       (see apiserver/openapi.py)

`kubectl api-resources`, `kubectl get po` (short names), `kubectl scale` (which
kind the scale subresource speaks) and the RESTMapper in every client are all
built from these answers. Everything here is derived from the registry in
minikube_py/api/resources.py, so a new resource type appears in discovery by
being added there.

The app mounts this module with one line: `app.add_routes(discovery.routes)`.
"""
from __future__ import annotations

import base64
import hashlib
import platform
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from apiserver import openapi
from apiserver.http import error_response
from minikube_py.api.errors import ApiError
from minikube_py.api.resources import GROUP_VERSIONS, RESOURCES, ResourceType, by_group_version
from minikube_py.version import GIT_VERSION, KUBERNETES_MAJOR, KUBERNETES_MINOR

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

routes = web.RouteTableDef()


# --------------------------------------------------------------------------
# Subresources: what each one is called, which verbs it allows and, when it
# speaks a different kind than its parent, which kind (`deployments/scale`
# reads and writes an autoscaling/v1 Scale, not a Deployment).
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Subresource:
    verbs: tuple[str, ...]
    kind: str = ""          # "" = the parent's kind
    group: str | None = None    # set only when the kind lives in another group/version
    version: str | None = None


SUBRESOURCES: dict[str, Subresource] = {
    "status": Subresource(("get", "patch", "update")),
    "scale": Subresource(("get", "patch", "update"), kind="Scale", group="autoscaling", version="v1"),
    "binding": Subresource(("create",), kind="Binding"),
    "log": Subresource(("get",)),
    "exec": Subresource(("create", "get"), kind="PodExecOptions"),
    "attach": Subresource(("create", "get"), kind="PodAttachOptions"),
    "portforward": Subresource(("create", "get"), kind="PodPortForwardOptions"),
    "finalize": Subresource(("update",)),
    "eviction": Subresource(("create",), kind="Eviction", group="policy", version="v1"),
}


def storage_version_hash(rt: ResourceType) -> str:
    """Kubernetes' StorageVersionHash: base64 of the first 8 bytes of sha256("group/version/kind")."""
    digest = hashlib.sha256(f"{rt.group}/{rt.version}/{rt.kind}".encode()).digest()
    return base64.b64encode(digest[:8]).decode()


def api_resource(rt: ResourceType) -> dict[str, Any]:
    """One APIResource entry for a top-level resource (pods, deployments, ...)."""
    entry: dict[str, Any] = {
        "name": rt.plural,
        "singularName": rt.singular,
        "namespaced": rt.namespaced,
        "kind": rt.kind,
        "verbs": list(rt.verbs),
    }
    if rt.short_names:
        entry["shortNames"] = list(rt.short_names)
    if rt.categories:
        entry["categories"] = list(rt.categories)
    entry["storageVersionHash"] = storage_version_hash(rt)
    return entry


def api_subresource(rt: ResourceType, name: str) -> dict[str, Any]:
    """One APIResource entry for a subresource, e.g. `pods/status` or `deployments/scale`."""
    sub = SUBRESOURCES.get(name, Subresource(("get",)))
    entry: dict[str, Any] = {
        "name": f"{rt.plural}/{name}",
        "singularName": "",
        "namespaced": rt.namespaced,
        "kind": sub.kind or rt.kind,
        "verbs": list(sub.verbs),
    }
    if sub.group is not None:
        entry["group"], entry["version"] = sub.group, sub.version
    return entry


def api_resource_list(group: str, version: str) -> dict[str, Any] | None:
    """The APIResourceList for one group/version, or None when we do not serve it."""
    types = by_group_version(group, version)
    if not types:
        return None
    resources: list[dict[str, Any]] = []
    for rt in types.values():
        resources.append(api_resource(rt))
        resources.extend(api_subresource(rt, sub) for sub in rt.subresources)
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": f"{group}/{version}" if group else version,
        "resources": resources,
    }


def group_entry(name: str) -> dict[str, Any] | None:
    """A named group's versions and the preferred one (the first listed in GROUP_VERSIONS)."""
    versions = [{"groupVersion": f"{g}/{v}", "version": v} for g, v in GROUP_VERSIONS if g == name]
    return {"name": name, "versions": versions, "preferredVersion": versions[0]} if versions else None


def api_group(name: str) -> dict[str, Any] | None:
    """GET /apis/{group}: an APIGroup document."""
    entry = group_entry(name)
    return {"kind": "APIGroup", "apiVersion": "v1", **entry} if entry else None


def api_group_list() -> dict[str, Any]:
    """GET /apis: every named group, in registry order."""
    names = dict.fromkeys(g for g, _ in GROUP_VERSIONS)     # ordered, without duplicates
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": [group_entry(name) for name in names]}


def core_versions() -> list[str]:
    return list(dict.fromkeys(r.version for r in RESOURCES if not r.group))


def server_address(request: web.Request) -> str:
    """The host:port this server is reached at (serverAddressByClientCIDRs)."""
    sockname = request.transport.get_extra_info("sockname") if request.transport else None
    if isinstance(sockname, tuple) and len(sockname) >= 2:
        host, port = sockname[0], sockname[1]
        return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return request.host


def version_info() -> dict[str, str]:
    machine = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())
    return {
        "major": KUBERNETES_MAJOR,
        "minor": KUBERNETES_MINOR,
        "gitVersion": GIT_VERSION,
        "gitCommit": "",
        "gitTreeState": "",
        "buildDate": "",
        "goVersion": f"python{platform.python_version()}",   # we are not built with Go
        "compiler": platform.python_implementation().lower(),
        "platform": f"{sys.platform}/{machine}",
    }


def not_served() -> web.Response:
    return error_response(ApiError(404, "NotFound", "the server could not find the requested resource"))


# --------------------------------------------------------------------------
# Routes
# --------------------------------------------------------------------------


def discovery_get(path: str) -> Callable[[Handler], Handler]:
    """Register a GET handler at `path` and `path/`: clients use both (the Python client asks
    for /version/ and /apis/), and Kubernetes serves both."""
    def register(handler: Handler) -> Handler:
        routes.get(path)(handler)
        routes.get(path + "/")(handler)
        return handler
    return register


@discovery_get("/version")
async def get_version(request: web.Request) -> web.Response:
    return web.json_response(version_info())


@discovery_get("/api")
async def get_core_api_versions(request: web.Request) -> web.Response:
    return web.json_response({
        "kind": "APIVersions",
        "versions": core_versions(),
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address(request)}],
    })


async def get_core_resources(request: web.Request) -> web.Response:
    version = request.match_info.get("version") or request.path.strip("/").split("/")[1]
    body = api_resource_list("", version)
    return web.json_response(body) if body else not_served()


# Each served core version by its plain path too: the resource routes' `/api/v1/{tail}` would
# otherwise take `/api/v1/` (aiohttp looks routes up by their longest literal prefix first).
for _version in core_versions():
    discovery_get(f"/api/{_version}")(get_core_resources)
discovery_get("/api/{version}")(get_core_resources)


@discovery_get("/apis")
async def get_api_groups(request: web.Request) -> web.Response:
    return web.json_response(api_group_list())


@discovery_get("/apis/{group}")
async def get_api_group(request: web.Request) -> web.Response:
    body = api_group(request.match_info["group"])
    return web.json_response(body) if body else not_served()


@discovery_get("/apis/{group}/{version}")
async def get_group_resources(request: web.Request) -> web.Response:
    group, version = request.match_info["group"], request.match_info["version"]
    body = api_resource_list(group, version) if (group, version) in GROUP_VERSIONS else None
    return web.json_response(body) if body else not_served()


# --------------------------------------------------------------------------
# Health: /livez says "the process is alive", /readyz "send me traffic"
# (the app sets app["ready"], e.g. etcd reachable), /healthz is the old name.
# `?verbose` lists each check like Kubernetes: "[+]ping ok".
# --------------------------------------------------------------------------

HealthCheck = Callable[[web.Application], bool]


def _ping(app: web.Application) -> bool:
    return True


def _ready(app: web.Application) -> bool:
    ready = app.get("ready")
    return True if ready is None else bool(ready())


HEALTH_CHECKS: dict[str, dict[str, HealthCheck]] = {
    "livez": {"ping": _ping},
    "healthz": {"ping": _ping},
    "readyz": {"ping": _ping, "ready": _ready},
}


def health_response(request: web.Request, endpoint: str) -> web.Response:
    results = {name: _run_check(check, request.app) for name, check in HEALTH_CHECKS[endpoint].items()}
    healthy = all(results.values())
    if "verbose" not in request.query:
        text = "ok" if healthy else "\n".join(f"[-]{n} failed: reason withheld" for n, ok in results.items() if not ok)
        if not healthy:
            text += f"\n{endpoint} check failed"
        return web.Response(text=text, status=200 if healthy else 500)
    lines = [f"[+]{name} ok" if ok else f"[-]{name} failed: reason withheld" for name, ok in results.items()]
    lines.append(f"{endpoint} check passed" if healthy else f"{endpoint} check failed")
    return web.Response(text="\n".join(lines) + "\n", status=200 if healthy else 500)


def _run_check(check: HealthCheck, app: web.Application) -> bool:
    try:
        return check(app)
    except Exception:   # a crashing check means "not healthy", never a 500 traceback
        return False


@routes.get("/healthz")
async def get_healthz(request: web.Request) -> web.Response:
    return health_response(request, "healthz")


@routes.get("/livez")
async def get_livez(request: web.Request) -> web.Response:
    return health_response(request, "livez")


@routes.get("/readyz")
async def get_readyz(request: web.Request) -> web.Response:
    return health_response(request, "readyz")


# --------------------------------------------------------------------------
# OpenAPI: protobuf for kubectl, JSON for everyone else, with an ETag so that
# caching clients (kubectl's HTTP cache) can revalidate cheaply.
# --------------------------------------------------------------------------


@routes.get("/openapi/v2")
async def get_openapi_v2(request: web.Request) -> web.Response:
    as_protobuf = openapi.wants_protobuf(request.headers.get("Accept", ""))
    body, content_type, etag = openapi.encoded(GIT_VERSION, as_protobuf)
    headers = {"ETag": etag, "Vary": "Accept", "Cache-Control": "no-cache, private"}
    if request.headers.get("If-None-Match") == etag:
        return web.Response(status=304, headers=headers)
    return web.Response(body=body, content_type=content_type, headers=headers)
