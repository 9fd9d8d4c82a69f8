"""Probes and lifecycle hooks, as Kubernetes' validateProbe / validateLifecycle do it.

A probe (liveness, readiness, startup) or a lifecycle hook (postStart,
preStop) runs exactly one handler: a command (`exec`), an HTTP GET, a TCP
connect, a gRPC health check (probes only) or a sleep (hooks only).
"""
from __future__ import annotations

from typing import Any

from .field import Cause, at_least, child, forbidden, invalid, one_of, required
from .names import check, http_header_name_problems
from .network import port_number_errors, port_number_or_name_errors
from .shapes import get_int, get_list, get_object, get_required_list, get_required_str, get_str, objects_in, strings_in

PROBE_HANDLERS = ("exec", "httpGet", "tcpSocket", "grpc")
LIFECYCLE_HANDLERS = ("exec", "httpGet", "tcpSocket", "sleep")
PROBE_COUNTERS = ("initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold", "failureThreshold")
URI_SCHEMES = ("HTTP", "HTTPS")


def validate_probe(probe: dict[str, Any], path: str, *, success_must_be_one: bool) -> list[Cause]:
    """Liveness and startup probes must succeed once (successThreshold 1); readiness may ask for more."""
    errs = validate_handler(probe, path, PROBE_HANDLERS)
    for counter in PROBE_COUNTERS:
        errs += at_least(child(path, counter), get_int(probe, counter, path, errs), 0)
    success = probe.get("successThreshold")
    if success_must_be_one and isinstance(success, int) and success != 1:
        errs.append(invalid(child(path, "successThreshold"), success, "must be 1"))
    grace = get_int(probe, "terminationGracePeriodSeconds", path, errs, bits=64)
    if grace is not None and grace <= 0:
        errs.append(invalid(child(path, "terminationGracePeriodSeconds"), grace, "must be greater than 0"))
    return errs


def validate_lifecycle(container: dict[str, Any], path: str) -> list[Cause]:
    errs: list[Cause] = []
    lifecycle_path = child(path, "lifecycle")
    lifecycle = get_object(container, "lifecycle", path, errs)
    for hook in ("postStart", "preStop"):
        if lifecycle.get(hook) is not None:
            errs += validate_handler(get_object(lifecycle, hook, lifecycle_path, errs),
                                     child(lifecycle_path, hook), LIFECYCLE_HANDLERS)
    return errs


def validate_handler(handler: dict[str, Any], path: str, kinds: tuple[str, ...]) -> list[Cause]:
    """Exactly one handler; the second and later ones are reported as Forbidden, like Kubernetes."""
    errs: list[Cause] = []
    chosen = None
    for kind in kinds:
        if handler.get(kind) is None:
            continue
        if chosen is not None:
            errs.append(forbidden(child(path, kind), "may not specify more than 1 handler type"))
            continue
        chosen = kind
        errs += _HANDLER_VALIDATORS[kind](get_object(handler, kind, path, errs), child(path, kind))
    if chosen is None:
        errs.append(required(path, "must specify a handler type"))
    return errs


def _validate_exec(action: dict[str, Any], path: str) -> list[Cause]:
    errs: list[Cause] = []
    command = get_required_list(action, "command", path, errs)
    list(strings_in(command, child(path, "command"), errs))
    return errs


def _validate_http_get(action: dict[str, Any], path: str) -> list[Cause]:
    errs: list[Cause] = []
    get_required_str(action, "path", path, errs)
    get_str(action, "host", path, errs)
    errs += port_number_or_name_errors(child(path, "port"), action.get("port"))
    errs += one_of(child(path, "scheme"), get_str(action, "scheme", path, errs), URI_SCHEMES)
    headers_path = child(path, "httpHeaders")
    for header_path, header in objects_in(get_list(action, "httpHeaders", path, errs), headers_path, errs):
        errs += check(child(header_path, "name"), header.get("name"), http_header_name_problems,
                      required_value=True)
        get_str(header, "value", header_path, errs)
    return errs


def _validate_tcp_socket(action: dict[str, Any], path: str) -> list[Cause]:
    errs: list[Cause] = []
    get_str(action, "host", path, errs)
    return errs + port_number_or_name_errors(child(path, "port"), action.get("port"))


def _validate_grpc(action: dict[str, Any], path: str) -> list[Cause]:
    errs: list[Cause] = []
    get_str(action, "service", path, errs)
    return errs + port_number_errors(child(path, "port"), action.get("port"))


def _validate_sleep(action: dict[str, Any], path: str) -> list[Cause]:
    if action.get("seconds") is None:
        return [required(child(path, "seconds"))]
    errs: list[Cause] = []
    seconds = get_int(action, "seconds", path, errs, bits=64)
    return errs + at_least(child(path, "seconds"), seconds, 0)


_HANDLER_VALIDATORS = {
    "exec": _validate_exec,
    "httpGet": _validate_http_get,
    "tcpSocket": _validate_tcp_socket,
    "grpc": _validate_grpc,
    "sleep": _validate_sleep,
}
