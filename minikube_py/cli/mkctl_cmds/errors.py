"""How mkctl reports failure: one line on stderr and a non-zero exit, like kubectl.

kubectl never shows a stack trace. API failures arrive as Status objects and
are printed as `Error from server (<reason>): <message>`; problems found on
the client (a bad manifest, an unknown type) start with `error: `.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from minikube_py.api.errors import ApiError


class CliError(Exception):
    """A failure to report as-is (the message already has kubectl's wording)."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


def server_error(err: ApiError, doing: str = "") -> str:
    """`Error from server (NotFound): pods "x" not found`; `doing` is kubectl's context,
    e.g. 'error when creating "web.yaml"'."""
    reason = err.reason if err.reason and err.reason != "Unknown" else _reason_for(err.code)
    prefix = f"{doing}: " if doing else ""
    return f"Error from server ({reason}): {prefix}{err.message}"


def connection_refused(server: str) -> str:
    parts = urlsplit(server)
    host = parts.netloc or server
    if parts.port is None and parts.hostname:
        host = f"{parts.hostname}:{443 if parts.scheme == 'https' else 80}"
    return f"The connection to the server {host} was refused - did you specify the right host or port?"


def _reason_for(code: int) -> str:
    return {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound",
            405: "MethodNotAllowed", 409: "Conflict", 410: "Gone", 422: "Invalid",
            500: "InternalError", 503: "ServiceUnavailable"}.get(code, f"{code}")
