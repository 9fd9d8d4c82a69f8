"""Waiting for a condition: call a check until it reports success, within a bound.

This is Kubernetes' `wait.PollUntilContextTimeout` (k8s.io/apimachinery/pkg/util/wait)
and Gomega's `Eventually` as its e2e tests use it. The bound only keeps a broken test
from hanging; it asserts nothing about speed. A check returns something truthy when
the condition holds (that value is returned to the caller) and something falsy when
it does not hold yet. Exceptions listed in `retry_on` count as "not yet" too (e.g. a
server still starting refuses connections); any other exception fails at once.

`eventually` is for async checks (tests and benchmarks run on asyncio);
`eventually_sync` for the few places without an event loop: starting a server
process before any loop exists, and the lab tests that drive a CLI.
"""
from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")
Explain = Callable[[], str]
DEFAULT_TIMEOUT = 30.0
DEFAULT_INTERVAL = 0.1


def _gave_up(what: str, last: object, explain: Explain | None) -> AssertionError:
    """The failure: what was awaited, the last answer of the check, and any context the caller adds."""
    last_seen = repr(last)
    if len(last_seen) > 500:
        last_seen = last_seen[:500] + "..."
    message = f"gave up waiting for {what} (last check: {last_seen})"
    if explain is not None:
        message += "\n" + explain()
    return AssertionError(message)


async def eventually(check: Callable[[], Awaitable[T | None]], what: str, timeout: float = DEFAULT_TIMEOUT, *,
                     interval: float = DEFAULT_INTERVAL, retry_on: tuple[type[Exception], ...] = (),
                     explain: Explain | None = None) -> T:
    """Await `check()` every `interval` seconds until it returns something truthy, and return that;
    raise AssertionError naming `what` once `timeout` seconds have passed."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        try:
            last = await check()
        except retry_on as error:
            last = error
        else:
            if last:
                return last
        if time.monotonic() >= deadline:
            raise _gave_up(what, last, explain)
        await asyncio.sleep(interval)


def eventually_sync(check: Callable[[], T | None], what: str, timeout: float = DEFAULT_TIMEOUT, *,
                    interval: float = DEFAULT_INTERVAL, retry_on: tuple[type[Exception], ...] = (),
                    explain: Explain | None = None) -> T:
    """`eventually` for a plain function, where no event loop runs."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        try:
            last = check()
        except retry_on as error:
            last = error
        else:
            if last:
                return last
        if time.monotonic() >= deadline:
            raise _gave_up(what, last, explain)
        time.sleep(interval)
