"""What an admission plugin sees and what it is: k8s.io/apiserver/pkg/admission's
Attributes, MutationInterface and ValidationInterface.

A plugin is a class with a `name` (as in --enable-admission-plugins), the
operations it handles, and one or both of:

    async admit(attributes)      mutating: may change attributes.object, or refuse
    async validate(attributes)   validating: may only refuse

A refusal raises an ApiError; `forbidden()` makes the one Kubernetes uses for
admission, 403 `pods "p" is forbidden: <why>`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from minikube_py.api import errors

Object = dict[str, Any]

CREATE, UPDATE, DELETE, CONNECT = "CREATE", "UPDATE", "DELETE", "CONNECT"


@dataclass(frozen=True)
class UserInfo:
    """Who makes the request (k8s.io/apiserver's user.Info). There is no authentication
    yet, so the server passes none; ServiceAccount and RBAC will fill it in."""
    name: str
    uid: str = ""
    groups: tuple[str, ...] = ()


@dataclass
class Attributes:
    """One write request, as the admission chain sees it."""
    operation: str                   # CREATE, UPDATE, DELETE, CONNECT
    resource: str                    # the plural: "pods"
    group: str                       # "" for the core group
    namespace: str | None            # None for cluster-scoped resources
    name: str                        # "" on a create with generateName
    object: Object | None            # the object to be stored (None on delete)
    old_object: Object | None = None     # the stored object (update, delete)
    subresource: str = ""            # "status", "scale", ... ("" for the object itself)
    user_info: UserInfo | None = None
    dry_run: bool = False            # plugins with side effects must not make them


class Plugin:
    name: ClassVar[str]                                   # as in --enable-admission-plugins
    operations: ClassVar[frozenset[str]] = frozenset({CREATE, UPDATE})

    def handles(self, operation: str) -> bool:
        return operation in self.operations


class MutatingPlugin(Plugin):
    async def admit(self, attributes: Attributes) -> None:
        raise NotImplementedError


class ValidatingPlugin(Plugin):
    async def validate(self, attributes: Attributes) -> None:
        raise NotImplementedError


def forbidden(attributes: Attributes, why: str, field: str | None = None,
              cause_reason: str = "FieldValueForbidden") -> errors.ApiError:
    """admission.NewForbidden: 403 naming the request's resource and the object's name (its
    generateName before a name is generated, "Unknown" without either), with an optional cause."""
    meta = (attributes.object or {}).get("metadata") or {}
    name = meta.get("name") or meta.get("generateName") or attributes.name or "Unknown"
    error = errors.forbidden(attributes.resource, str(name), why, attributes.group)
    if field is not None and error.details is not None:
        error.details["causes"] = [errors.cause(field, why, cause_reason)]
    return error
