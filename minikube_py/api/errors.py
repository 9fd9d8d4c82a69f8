"""Kubernetes `Status` errors (metav1.Status), shared by the server and clients.

Every failed API call answers with a Status object: `reason` is a machine
readable word (NotFound, AlreadyExists, Conflict, Invalid, ...), `code` the HTTP
status, and `details.causes` names the offending fields for Invalid objects.
"""
from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An API failure that travels as a Status object."""

    def __init__(self, code: int, reason: str, message: str,
                 details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details

    def status(self) -> dict[str, Any]:
        """The Status object, its keys in metav1.Status' field order (kind, apiVersion, metadata,
        status, message, reason, details, code), as kube-apiserver writes it."""
        body: dict[str, Any] = {
            "kind": "Status", "apiVersion": "v1", "metadata": {},
            "status": "Failure", "message": self.message, "reason": self.reason,
        }
        if self.details:
            body["details"] = self.details
        body["code"] = self.code
        return body

    @classmethod
    def from_status(cls, status: dict[str, Any], code: int = 0) -> ApiError:
        return cls(status.get("code") or code, status.get("reason", "Unknown"),
                   status.get("message", ""), status.get("details"))


def _qualified(resource: str, group: str) -> str:
    return f"{resource}.{group}" if group else resource


def _details(name: str, resource: str, group: str, **extra: Any) -> dict[str, Any]:
    details: dict[str, Any] = {"name": name, "kind": resource}
    if group:
        details["group"] = group
    details.update(extra)
    return details


def not_found(resource: str, name: str, group: str = "") -> ApiError:
    return ApiError(404, "NotFound", f'{_qualified(resource, group)} "{name}" not found',
                    _details(name, resource, group))


def already_exists(resource: str, name: str, group: str = "") -> ApiError:
    return ApiError(409, "AlreadyExists", f'{_qualified(resource, group)} "{name}" already exists',
                    _details(name, resource, group))


def conflict(resource: str, name: str, why: str, group: str = "") -> ApiError:
    return ApiError(409, "Conflict",
                    f'Operation cannot be fulfilled on {_qualified(resource, group)} "{name}": {why}',
                    _details(name, resource, group))


def stale_conflict(resource: str, name: str, group: str = "") -> ApiError:
    return conflict(resource, name, "the object has been modified; please apply your changes "
                    "to the latest version and try again", group)


def invalid(kind: str, name: str, causes: list[dict[str, str]], group: str = "") -> ApiError:
    """422 Invalid. Each cause: {"reason": "FieldValueInvalid", "message": ..., "field": "spec.x"}."""
    summary = ", ".join(f'{c["field"]}: {c["message"]}' if c.get("field") else c["message"] for c in causes)
    return ApiError(422, "Invalid", f'{kind} "{name}" is invalid: {summary}',
                    {"name": name, "kind": kind, **({"group": group} if group else {}), "causes": causes})


def bad_request(message: str) -> ApiError:
    return ApiError(400, "BadRequest", message)


def method_not_allowed(message: str) -> ApiError:
    return ApiError(405, "MethodNotAllowed", message)


def unsupported_media_type(content_type: str) -> ApiError:
    return ApiError(415, "UnsupportedMediaType", f"the body of the request was in an unknown format - "
                    f"accepted media types include: application/json-patch+json, "
                    f"application/merge-patch+json, application/strategic-merge-patch+json "
                    f"(got {content_type!r})")


def gone(message: str) -> ApiError:
    return ApiError(410, "Expired", message)


def forbidden(resource: str, name: str, why: str, group: str = "") -> ApiError:
    return ApiError(403, "Forbidden", f'{_qualified(resource, group)} "{name}" is forbidden: {why}',
                    _details(name, resource, group))


def internal(message: str) -> ApiError:
    return ApiError(500, "InternalError", message)


def cause(field: str, message: str, reason: str = "FieldValueInvalid") -> dict[str, str]:
    """One entry of details.causes, in Kubernetes' shape."""
    return {"reason": reason, "message": message, "field": field}
