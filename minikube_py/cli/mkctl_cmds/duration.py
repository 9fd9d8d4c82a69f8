"""Durations on the command line, as kubectl takes them: `30s`, `1m30s`, `2h`, or plain seconds."""
from __future__ import annotations

import re
from typing import Any

import click

_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}


def parse_duration(text: str) -> float:
    """Seconds in a Go-style duration ("1m30s"); a bare number means seconds."""
    text = text.strip()
    try:
        return float(text)
    except ValueError:
        pass
    parts = _PART.findall(text)
    if not parts or "".join(number + unit for number, unit in parts) != text:
        raise ValueError(f'invalid duration "{text}" (use e.g. 30s, 1m30s, 2h)')
    return sum(float(number) * _SECONDS[unit] for number, unit in parts)


class Duration(click.ParamType):
    """A click parameter type for kubectl-style durations."""
    name = "duration"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float:
        if isinstance(value, (int, float)):
            return float(value)
        try:
            return parse_duration(value)
        except ValueError as e:
            self.fail(str(e), param, ctx)


DURATION = Duration()
