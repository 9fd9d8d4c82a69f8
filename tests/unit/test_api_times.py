"""metav1.Time / MicroTime on the wire and kubectl's HumanDuration (minikube_py/api/times.py)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from minikube_py.api.times import (
    format_microtime,
    format_time,
    human_duration,
    microtimestamp,
    parse_rfc3339,
    parse_time,
    since,
    timestamp,
)

MOMENT = datetime(2021, 1, 2, 15, 4, 5, 123456, tzinfo=UTC)


@pytest.mark.parametrize("text, expected", [
    ("2021-01-02T15:04:05Z", MOMENT.replace(microsecond=0)),
    ("2021-01-02T15:04:05.123456Z", MOMENT),
    ("2021-01-02T15:04:05.123456789Z", MOMENT),                      # Go's nanoseconds, cut to microseconds
    ("2021-01-02T17:04:05.123456+02:00", MOMENT),
])
def test_parse_time_reads_rfc3339(text: str, expected: datetime) -> None:
    assert parse_time(text) == expected
    assert parse_rfc3339(text) == expected


@pytest.mark.parametrize("value", [None, "", "yesterday", "2021-13-02T15:04:05Z", "2021-01-02T15:04:05",
                                   "2021-01-02 15:04:05Z", 1609599845, {"time": 1}])
def test_parse_time_missing_or_unreadable_is_none(value: object) -> None:
    assert parse_time(value) is None


def test_parse_rfc3339_refuses_what_is_not_rfc3339() -> None:
    for text in ("yesterday", "2021-01-02T15:04:05", "2021-01-02 15:04:05Z", "2021-02-30T00:00:00Z"):
        with pytest.raises(ValueError):
            parse_rfc3339(text)


def test_format_time_and_microtime_are_utc() -> None:
    plus_two = MOMENT.astimezone(timezone(timedelta(hours=2)))
    assert format_time(plus_two) == "2021-01-02T15:04:05Z"
    assert format_microtime(plus_two) == "2021-01-02T15:04:05.123456Z"
    assert parse_time(format_microtime(MOMENT)) == MOMENT


def test_timestamps_are_now() -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    written, micro, later = parse_time(timestamp()), parse_time(microtimestamp()), parse_time(timestamp(30))
    assert written is not None and micro is not None and later is not None
    assert before <= written <= micro + timedelta(seconds=1)
    assert timedelta(seconds=29) <= later - written <= timedelta(seconds=31)


@pytest.mark.parametrize("seconds, shown", [
    # negative ages (clock skew): up to one second is "almost now", more is invalid
    (-5, "<invalid>"), (-2, "<invalid>"), (-1.5, "0s"), (-1, "0s"), (-0.5, "0s"),
    (0, "0s"), (5, "5s"), (119, "119s"), (119.9, "119s"), (120, "2m"), (150, "2m30s"), (200, "3m20s"),
    (600, "10m"), (700, "11m"), (179 * 60, "179m"), (3 * 3600, "3h"), (4000, "66m"),
    (4 * 3600 + 30 * 60, "4h30m"), (8 * 3600, "8h"), (30000, "8h"), (47 * 3600, "47h"), (48 * 3600, "2d"),
    (200000, "2d7h"), (3 * 86400 + 5 * 3600, "3d5h"), (8 * 86400, "8d"), (400 * 86400, "400d"),
    (40000000, "462d"), (2 * 365 * 86400, "2y"), (3 * 365 * 86400 + 10 * 86400, "3y10d"), (9 * 365 * 86400, "9y"),
])
def test_human_duration(seconds: float, shown: str) -> None:
    assert human_duration(seconds) == shown


def test_since() -> None:
    assert since("2021-01-02T15:00:00Z", MOMENT) == "4m5s"
    assert since("2021-01-02T15:10:00Z", MOMENT) == "<invalid>"       # in the future, e.g. a deletionTimestamp
    assert since(None, MOMENT) == since("garbage", MOMENT) == "<unknown>"
