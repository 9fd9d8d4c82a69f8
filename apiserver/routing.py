"""From a URL to "which resource, which object, which verb" (Kubernetes' RequestInfo).

Kubernetes resource paths have a fixed grammar:

    /api/v1[/watch]/<plural>                          cluster-scoped collection, or all namespaces
    /api/v1[/watch]/<plural>/<name>[/<subresource>]   cluster-scoped object
    /api/v1[/watch]/namespaces/<ns>/<plural>[/<name>[/<subresource>]]
    /apis/<group>/<version>/...                       the same below a named group

`namespaces/<name>/status` is the Namespace's own subresource, while
`namespaces/<ns>/pods` is a collection inside it: the third segment decides.
"""
from __future__ import annotations

from dataclasses import dataclass

from minikube_py.api import errors
from minikube_py.api.resources import ResourceType, by_group_version


@dataclass(frozen=True)
class RequestInfo:
    rt: ResourceType
    namespace: str | None       # None: cluster-scoped, or a list across all namespaces
    name: str | None
    subresource: str | None
    legacy_watch: bool          # the old /watch/ path prefix

    @property
    def is_collection(self) -> bool:
        return self.name is None

    @property
    def object_name(self) -> str:
        """The name of a request on one object (routing sends collection requests elsewhere)."""
        if self.name is None:
            raise ValueError(f"a request on the {self.rt.plural} collection has no object name")
        return self.name


def parse(group: str, version: str, path: str) -> RequestInfo:
    """Parse the part of the path after /api/v1 or /apis/<group>/<version>."""
    segments = [s for s in path.split("/") if s]
    resources = by_group_version(group, version)
    if not resources:
        raise errors.not_found("groupversion", f"{group}/{version}".lstrip("/"))
    legacy_watch = bool(segments) and segments[0] == "watch"
    if legacy_watch:
        segments = segments[1:]
    if not segments:
        raise errors.not_found("resource", "")

    namespace = None
    if segments[0] == "namespaces" and len(segments) >= 3 and segments[2] in resources:
        namespace, segments = segments[1], segments[2:]
    plural, rest = segments[0], segments[1:]
    rt = resources.get(plural)
    if rt is None or len(rest) > 2:
        raise errors.ApiError(404, "NotFound", f"the server could not find the requested resource ({path})")
    if namespace is not None and not rt.namespaced:
        raise errors.ApiError(404, "NotFound", f"{plural} is not a namespaced resource")
    if rt.namespaced and rest and namespace is None:
        raise errors.ApiError(404, "NotFound",
                              f"{plural} is namespaced: use /namespaces/<namespace>/{plural}/{rest[0]}")
    name = rest[0] if rest else None
    subresource = rest[1] if len(rest) > 1 else None
    if subresource is not None and subresource not in rt.subresources:
        raise errors.ApiError(404, "NotFound", f"{plural} has no subresource {subresource!r}")
    return RequestInfo(rt, namespace, name, subresource, legacy_watch)
