"""Warnings for the client, sent as `Warning: 299 - "..."` headers (Kubernetes' warning.AddWarning).

Code anywhere in a request's path calls `add("...")`; the middleware collects
the messages of that request (a context variable: one list per request task)
and sends each distinct one once, as kube-apiserver's warning recorder does.
kubectl prints them as `Warning: ...`, the Python client logs them.
"""
from __future__ import annotations

import contextvars

from aiohttp import web

_CURRENT: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("request_warnings", default=None)
MAX_WARNINGS = 50                  # kube-apiserver also bounds what one request may add


def start() -> contextvars.Token:
    return _CURRENT.set([])


def add(message: str) -> None:
    collected = _CURRENT.get()
    if collected is not None and message not in collected and len(collected) < MAX_WARNINGS:
        collected.append(message)


def reset(token: contextvars.Token) -> None:
    _CURRENT.reset(token)


def send(response: web.StreamResponse) -> None:
    """Put the request's warnings on its response (unless the headers were sent already: watches)."""
    collected = _CURRENT.get() or []
    if collected and not response.prepared:
        for message in collected:
            response.headers.add("Warning", f'299 - "{_header_text(message)}"')


def _header_text(message: str) -> str:
    """Quoted-string content of printable ASCII only (a header cannot carry NUL or new lines)."""
    out = []
    for char in message:
        if char in '"\\':
            out.append("\\" + char)
        elif " " <= char <= "~":
            out.append(char)
        else:
            out.append(f"\\u{ord(char):04x}")
    return "".join(out)
