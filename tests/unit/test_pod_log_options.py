"""PodLogOptions parsing/validation and the agent's log shaping (since, timestamps, limitBytes)."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from agent.kubelet.log_filter import LogFilter
from minikube_py.api.errors import ApiError
from minikube_py.api.pod_log_options import PodLogOptions

LOG = (b"2026-01-02T03:04:05.5Z first\n2026-01-02T03:04:06.000000001Z second\n"
       b"2026-01-02T03:04:07Z third\n2026-01-02T03:04:08.25Z last, no newline")


async def _shape(chunks: list[bytes], **options) -> bytes:
    async def source():
        for chunk in chunks:
            yield chunk
    return b"".join([piece async for piece in LogFilter(**options).apply(source())])


@pytest.mark.parametrize("size", [1, 3, 7, 1000])
async def test_lines_split_across_chunks(size: int):
    chunks = [LOG[i:i + size] for i in range(0, len(LOG), size)]
    since = datetime(2026, 1, 2, 3, 4, 6, tzinfo=UTC)
    assert await _shape(chunks, since=since, timestamps=False, limit_bytes=None) == \
        b"second\nthird\nlast, no newline"
    assert await _shape(chunks, since=None, timestamps=True, limit_bytes=30) == LOG[:30]
    assert await _shape(chunks, since=None, timestamps=False, limit_bytes=8) == b"first\nse"


async def test_a_line_without_a_time_is_kept_as_it_is():
    assert await _shape([b"no time here\n"], since=datetime.now(UTC), timestamps=False,
                        limit_bytes=None) == b"no time here\n"


def test_round_trip_through_the_query():
    query = {"container": "c", "follow": "true", "sinceTime": "2026-01-02T03:04:05Z", "tailLines": "3",
             "limitBytes": "100", "timestamps": "1", "previous": "false", "insecureSkipTLSVerifyBackend": "true"}
    options = PodLogOptions.from_query(query)
    assert options.since_time == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert PodLogOptions.from_query(options.to_query()) == PodLogOptions(**{**options.__dict__, "container": None})
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert PodLogOptions.from_query({"sinceSeconds": "5"}).since(now) == datetime(2026, 1, 2, 3, 4, 0,
                                                                                  tzinfo=UTC)


def test_since_seconds_beyond_the_epoch_means_everything():
    options = PodLogOptions.from_query({"sinceSeconds": "9" * 20})
    assert options.since(datetime.now(UTC)) == datetime(1970, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize("query, code, text", [
    ({"tailLines": "-1"}, 422, "tailLines: Invalid value: -1: must be greater than or equal to 0"),
    ({"limitBytes": "0"}, 422, "limitBytes: Invalid value: 0: must be greater than 0"),
    ({"sinceSeconds": "0"}, 422, "sinceSeconds: Invalid value: 0: must be greater than 0"),
    ({"sinceSeconds": "1", "sinceTime": "2026-01-02T03:04:05Z"}, 422, "at most one of `sinceTime` or `sinceSeconds`"),
    ({"tailLines": "ten"}, 400, 'tailLines: invalid integer "ten"'),
    ({"limitBytes": "--5"}, 400, 'limitBytes: invalid integer "--5"'),
    ({"sinceSeconds": "١٢"}, 400, "sinceSeconds: invalid integer"),          # digits, but not ASCII ones
    ({"follow": "yes please"}, 400, "follow: invalid boolean"),
    ({"sinceTime": "yesterday"}, 400, "sinceTime: invalid RFC 3339 time"),
])
def test_bad_options(query: dict, code: int, text: str):
    with pytest.raises(ApiError) as caught:
        PodLogOptions.from_query(query, "p")
    assert caught.value.code == code and text in caught.value.message
