"""Server-side apply over HTTP, and the field manager of every write.

`PATCH` with `Content-Type: application/apply-patch+yaml` (YAML or JSON text)
sends an apply configuration: the fields its manager wants, nothing else.
The query names the manager (`fieldManager`, required for apply) and may
`force` conflicts. Kubernetes also accepts `application/apply-patch+cbor`,
which we do not decode: 415 Unsupported Media Type.

Other writes name their manager with `fieldManager` too; without it
Kubernetes takes the User-Agent up to its first "/" (kubectl 1.20 sends
`kubectl/v1.20...`), which is what we do. The ownership bookkeeping itself is
minikube_py/api/managedfields (structured-merge-diff).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from minikube_py.api import errors
from minikube_py.api.managedfields import FieldManager
from minikube_py.api.resources import ResourceType

from .storage import Object

APPLY_PATCH = "application/apply-patch+yaml"
APPLY_PATCH_CBOR = "application/apply-patch+cbor"
FIELD_MANAGER_MAX_LENGTH = 128
SERVER_MANAGER = "kube-apiserver"       # writes the server makes on its own behalf
_OPTIONS_KIND = {"POST": "CreateOptions", "PUT": "UpdateOptions", "PATCH": "PatchOptions"}


def _invalid_options(request: web.Request, field_name: str, message: str, reason: str) -> errors.ApiError:
    """422 on the request's *Options, as Kubernetes' ValidatePatchOptions / ValidateFieldManager."""
    kind = _OPTIONS_KIND.get(request.method, "PatchOptions")
    return errors.ApiError(422, "Invalid", f'{kind}.meta.k8s.io "" is invalid: {field_name}: {message}',
                           {"group": "meta.k8s.io", "kind": kind,
                            "causes": [errors.cause(field_name, message, reason)]})


def field_manager(request: web.Request, *, apply: bool = False) -> str:
    """The manager of this write: `fieldManager`, else the User-Agent's product name."""
    name = request.query.get("fieldManager", "")
    if not name and apply:
        raise _invalid_options(request, "fieldManager", "Required value: is required for apply patch",
                               "FieldValueRequired")
    if len(name) > FIELD_MANAGER_MAX_LENGTH:
        raise _invalid_options(request, "fieldManager", f"Too long: may not be more than "
                               f"{FIELD_MANAGER_MAX_LENGTH} bytes", "FieldValueTooLong")
    if any(not ch.isprintable() for ch in name):
        raise _invalid_options(request, "fieldManager", f"Invalid value: {name!r}: must only contain "
                               "printable characters", "FieldValueInvalid")
    if name:
        return name
    return request.headers.get("User-Agent", "").split("/")[0][:FIELD_MANAGER_MAX_LENGTH] or "unknown"


def force(request: web.Request) -> bool:
    return request.query.get("force", "").lower() in ("true", "1")


@dataclass
class Recorder:
    """The managedFields step of a write: `record(old, new)` sets new's managedFields.

    For create/update/patch it records an Update by `manager`; an apply has
    computed them already while merging (see Apply) and only restores them,
    since the pipeline's metadata step drops whatever the body carried.
    """
    fields: FieldManager
    manager: str
    subresource: str = ""
    applied: list[Any] | None = field(default=None)

    def record(self, old: Object | None, new: Object) -> None:
        if self.applied is not None:
            new["metadata"]["managedFields"] = self.applied
            return
        had_managed_fields = old is None or "managedFields" in old["metadata"]
        self.fields.update(old, new, self.manager, self.subresource)
        if not new["metadata"]["managedFields"] and not had_managed_fields:
            del new["metadata"]["managedFields"]


def recorder(rt: ResourceType, manager: str = SERVER_MANAGER, subresource: str = "") -> Recorder:
    return Recorder(FieldManager(rt), manager, subresource)


@dataclass
class Apply:
    """One apply request: the configuration, its manager and whether it forces conflicts."""
    rt: ResourceType
    config: Object
    manager: str
    force: bool
    subresource: str = ""

    @classmethod
    def from_request(cls, rt: ResourceType, name: str, config: Any, request: web.Request,
                     subresource: str = "") -> Apply:
        manager = field_manager(request, apply=True)
        if not isinstance(config, dict):
            raise errors.bad_request("an apply configuration must be an object")
        if not config.get("apiVersion") or not config.get("kind"):
            raise errors.bad_request("apiVersion and kind must be set in an apply configuration")
        meta = config.get("metadata")
        if meta is not None and not isinstance(meta, dict):
            raise errors.bad_request("metadata must be an object")
        if isinstance(meta, dict) and meta.get("managedFields") is not None:
            raise errors.bad_request("metadata.managedFields must be nil")
        body_name = (meta or {}).get("name")
        if body_name and body_name != name:
            raise errors.bad_request(f"the name of the object ({body_name}) does not match the name on the "
                                     f"URL ({name})")
        return cls(rt, config, manager, force(request), subresource)

    def recorder(self) -> Recorder:
        return Recorder(FieldManager(self.rt), self.manager, self.subresource, applied=[])

    def merged(self, live: Object | None, step: Recorder) -> Object:
        """The configuration applied to `live` (None: create); keeps the managedFields for `step`."""
        result = step.fields.apply(live, self.config, self.manager, self.force, self.subresource)
        step.applied = result["metadata"]["managedFields"]
        return result
