"""Shaping a container's log stream to PodLogOptions, as kubelet's log reader does
(pkg/kubelet/kuberuntime/logs: sinceTime, timestamps and limitBytes over timestamped lines).

The runtime is asked for the log with each line prefixed by its RFC 3339 nanosecond time
("2026-12-07T23:50:01.123456789Z hello"). Lines older than `since` are skipped, the
prefix is kept only when the client asked for timestamps, and output stops after
`limit_bytes` (even mid-line, as kubelet's LimitWriter does). Tail and follow are the
runtime's own (`docker logs --tail --follow`), applied before this filter, so a tail
counts lines before the since filter as kubelet's does.
"""
from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from datetime import datetime

from minikube_py.api.times import parse_time


def line_time(line: bytes) -> float | None:
    """Seconds since the epoch of a timestamped line's RFC 3339 prefix; None without a prefix."""
    moment = parse_time(line.split(b" ", 1)[0].decode("ascii", "replace"))
    return moment.timestamp() if moment else None


class LogFilter:
    def __init__(self, since: datetime | None, timestamps: bool, limit_bytes: int | None) -> None:
        self.since = since.timestamp() if since else None
        self.timestamps = timestamps
        self.remaining = limit_bytes

    def _shape(self, line: bytes) -> bytes:
        moment = line_time(line)
        if moment is None:            # a line without a time prefix (a runtime that gives none)
            return line
        if self.since is not None and moment < self.since:
            return b""
        return line if self.timestamps else line.split(b" ", 1)[-1]

    def _limited(self, data: bytes) -> bytes:
        if self.remaining is None:
            return data
        data = data[:self.remaining]
        self.remaining -= len(data)
        return data

    async def apply(self, chunks: AsyncIterator[bytes]) -> AsyncGenerator[bytes, None]:
        """The shaped stream; it ends early once limit_bytes have been given."""
        pending = b""
        try:
            async for chunk in chunks:
                pending += chunk
                *lines, pending = pending.split(b"\n")
                out = self._limited(b"".join(self._shape(line + b"\n") for line in lines))
                if out:
                    yield out
                if self.remaining == 0:
                    return
        finally:                    # the runtime's stream is closed when we stop early, too
            close = getattr(chunks, "aclose", None)
            if close is not None:
                await close()
        if pending:               # the last line, without its newline
            out = self._limited(self._shape(pending))
            if out:
                yield out
