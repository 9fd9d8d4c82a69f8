"""Times on the wire and for people: apimachinery's metav1.Time / metav1.MicroTime and
kubectl's duration.HumanDuration (k8s.io/apimachinery/pkg/util/duration).

- `metav1.Time` is RFC 3339 in UTC with whole seconds ("2021-01-02T15:04:05Z"):
  creationTimestamp, deletionTimestamp, a condition's lastTransitionTime.
- `metav1.MicroTime` keeps microseconds ("2021-01-02T15:04:05.123456Z"): a Lease's
  renewTime, an events.k8s.io Event's eventTime.
- Reading accepts any RFC 3339 time (fractions of any length, "Z" or an offset); in
  stored objects a missing or unreadable value reads as None, so a malformed stored object never
  breaks a controller or a printer.
- Ages print as kubectl prints them: "5s", "3m20s", "15m", "4h30m", "2d", "3y".
  Negative ages come from clocks that disagree: up to one second is "0s" (almost
  now), more is "<invalid>" — HumanDuration's one rule, for every printer.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"              # metav1.Time:      2006-01-02T15:04:05Z
MICROTIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"      # metav1.MicroTime: 2006-01-02T15:04:05.000000Z
INVALID_DURATION = "<invalid>"


def now() -> datetime:
    return datetime.now(UTC)


def format_time(moment: datetime) -> str:
    """A moment as metav1.Time (UTC, whole seconds)."""
    return moment.astimezone(UTC).strftime(TIME_FORMAT)


def format_microtime(moment: datetime) -> str:
    """A moment as metav1.MicroTime (UTC, microseconds)."""
    return moment.astimezone(UTC).strftime(MICROTIME_FORMAT)


def timestamp(offset_seconds: float = 0) -> str:
    """Now (plus an offset) as metav1.Time: what servers and agents write into objects."""
    return format_time(now() + timedelta(seconds=offset_seconds))


def microtimestamp() -> str:
    """Now as metav1.MicroTime."""
    return format_microtime(now())


def parse_rfc3339(text: str) -> datetime:
    """An RFC 3339 time ("2021-01-02T15:04:05Z", "...05.123456789+02:00") as an aware datetime
    (fractions beyond microseconds are cut). ValueError for anything else, a time without
    an offset included: validation uses this to name the field."""
    if "T" not in text.upper():
        raise ValueError(f"{text!r} is not an RFC 3339 time")
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError(f"{text!r} has no time zone offset")
    return parsed


def parse_time(value: Any) -> datetime | None:
    """An RFC 3339 time read from a stored object; None when missing or unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return parse_rfc3339(value)
    except ValueError:
        return None


def human_duration(seconds: float) -> str:
    """duration.HumanDuration: the age `seconds` in kubectl's short form (see the module docstring)."""
    whole = int(seconds)          # truncates toward zero, as Go's int(d.Seconds())
    if whole < -1:
        return INVALID_DURATION
    if whole < 0:
        return "0s"
    if whole < 120:
        return f"{whole}s"
    minutes, hours = whole // 60, whole // 3600
    if minutes < 10:
        return f"{minutes}m{whole % 60}s" if whole % 60 else f"{minutes}m"
    if minutes < 3 * 60:
        return f"{minutes}m"
    if hours < 8:
        return f"{hours}h{minutes % 60}m" if minutes % 60 else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    days = hours // 24
    if hours < 24 * 8:
        return f"{days}d{hours % 24}h" if hours % 24 else f"{days}d"
    if days < 365 * 2:
        return f"{days}d"
    if days < 365 * 8:
        return f"{days // 365}y{days % 365}d" if days % 365 else f"{days // 365}y"
    return f"{days // 365}y"


def since(value: Any, at: datetime | None = None) -> str:
    """How long ago an RFC 3339 time was (translateTimestampSince); "<unknown>" when missing."""
    when = parse_time(value)
    if when is None:
        return "<unknown>"
    return human_duration(((at or now()) - when).total_seconds())
