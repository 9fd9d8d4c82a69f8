"""Calling user callbacks that may be plain functions or coroutine functions."""
from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any


async def call(fn: Callable[..., Any] | None, *args: Any) -> Any:
    """Call `fn(*args)` and await the result when it is awaitable; None does nothing."""
    if fn is None:
        return None
    result = fn(*args)
    if inspect.isawaitable(result):
        result = await result
    return result
