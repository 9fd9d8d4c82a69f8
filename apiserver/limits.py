"""Limits before work: how much one request may make the server read, hold and compute.

Kubernetes bounds every request before it does anything expensive with it:

- the request body of a write is read through a limit of 3 MiB
  (genericapiserver's MaxRequestBodyBytes): more is 413 RequestEntityTooLarge;
- an object is at most what etcd accepts in one value (etcd's
  `--max-request-bytes`, 1.5 MiB by default), checked before the
  transaction, answered 413 as Kubernetes does ("etcdserver: request is too large");
- decoders refuse documents nested deeper than a bound, and the YAML decoder
  refuses documents whose aliases expand beyond a bound ("billion laughs");
- a JSON patch has at most 10,000 operations, and what its `copy`
  operations add up to is bounded while it is applied;
- a client that sends its body too slowly is cut off; a watcher that does not
  read is closed once it falls a bound behind (the cacher's slow-watcher rule).

`measure` is the one walk that enforces depth and expanded size on a decoded
value. It is iterative (no recursion to exhaust) and stops as soon as a bound
is passed, so its cost is bounded by the limit and not by the input: a YAML
alias bomb of 552 bytes that would expand to gigabytes is refused after
reading a few MiB worth of its expansion.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from minikube_py.api import errors

MiB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    max_request_body_bytes: int = 3 * MiB        # kube-apiserver's fixed MaxRequestBodyBytes
    max_object_bytes: int = 3 * MiB // 2         # etcd's default --max-request-bytes (1.5 MiB)
    max_depth: int = 100                         # Kubernetes: 10,000 (Go); ours recurses in Python
    max_json_patch_operations: int = 10_000      # kube-apiserver's maxJSONPatchOperations
    request_body_timeout: float = 30.0           # seconds to receive a whole body
    watch_buffer_bytes: int = MiB                # a watcher this far behind is closed (one event always fits)
    watch_send_timeout: float = 30.0             # ... and so is one whose socket takes no data this long

    @property
    def max_expanded_bytes(self) -> int:
        """What a decoded body may expand to (aliases, copies): the body limit itself."""
        return self.max_request_body_bytes


DEFAULT = Limits()

# Rough encoded size of the JSON punctuation around one value or one key.
_OVERHEAD = 2


class TooLarge(Exception):
    """A value passed a bound while being measured."""

    def __init__(self, what: str, limit: int) -> None:
        super().__init__(f"{what} exceeds the limit of {limit}")
        self.what, self.limit = what, limit


def measure(value: Any, *, max_depth: int, max_bytes: int) -> int:
    """An upper estimate of the JSON size of `value`, raising TooLarge past `max_depth` or `max_bytes`.

    Shared references (YAML aliases) count once per use, as they would be
    encoded; a value that contains itself is "too large" (it never ends).
    """
    total = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth > max_depth:
                raise TooLarge("nesting depth", max_depth)
            # charge the container's own size before looking inside (a shared list of
            # 10^7 entries is refused without pushing them)
            total += _OVERHEAD + len(item) * _OVERHEAD
            if total > max_bytes:
                raise TooLarge("expanded size in bytes", max_bytes)
            if isinstance(item, dict):
                for key, child in item.items():
                    total += len(key) if isinstance(key, str) else 8
                    stack.append((child, depth + 1))
            else:
                stack.extend((child, depth + 1) for child in item)
        else:
            total += len(item) + _OVERHEAD if isinstance(item, str) else 8
        if total > max_bytes:
            raise TooLarge("expanded size in bytes", max_bytes)
    return total


def request_too_large(message: str) -> errors.ApiError:
    """413 RequestEntityTooLarge, as apimachinery's NewRequestEntityTooLargeError."""
    return errors.ApiError(413, "RequestEntityTooLarge", f"Request entity too large: {message}")


def check_decoded(value: Any, limits: Limits, what: str = "the request body") -> None:
    """Depth and expanded size of a decoded body: 400 if too deep, 413 if it expands too far."""
    try:
        measure(value, max_depth=limits.max_depth, max_bytes=limits.max_expanded_bytes)
    except TooLarge as e:
        if e.what == "nesting depth":
            raise errors.bad_request(f"{what} is nested deeper than the limit of {limits.max_depth} "
                                     "levels") from None
        raise request_too_large(f"{what} expands to more than {limits.max_expanded_bytes} bytes "
                                "(YAML aliases or copies)") from None
