"""A private API server for hostile-input tests: memory-limited, watched while it is attacked.

The server runs with an address-space limit (RLIMIT_AS, what `prlimit --as`
sets) so that a regression kills the server and not the machine, and every
test wraps its hostile request in `guard.watching()`, which meanwhile polls
/readyz and samples the server's resident memory from /proc/<pid>/status:
the test fails if /readyz stops answering 200 or if the RSS grows by more
than the bound. Everything goes to 127.0.0.1 and is bounded in count.
"""
from __future__ import annotations

import asyncio
import contextlib
import resource
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest

from minikube_py.testing import ApiServer, Etcd
from tests.helpers import Http

GiB = 1024**3
ADDRESS_SPACE_HEADROOM = 3 * GiB       # on top of what the started server has mapped
RSS_GROWTH_BOUND = 300 * 1024**2       # "no input can raise the RSS by more than a few hundred MB"
FLAGS = ["--request-body-timeout", "2", "--watch-send-timeout", "3", "--watch-buffer-bytes", str(1024**2)]


def proc_status(pid: int, field: str) -> int:
    """A size field of /proc/<pid>/status (VmRSS, VmSize, ...), in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no {field} in /proc/{pid}/status")


class Guard:
    """Samples /readyz and the RSS of the server while a hostile request runs."""

    def __init__(self, server: ApiServer, session: aiohttp.ClientSession) -> None:
        self.server = server
        self.session = session
        self.pid = server.pid

    def rss(self) -> int:
        return proc_status(self.pid, "VmRSS")

    async def _poll(self, stop: asyncio.Event, answers: list[int], peaks: list[int]) -> None:
        timeout = aiohttp.ClientTimeout(total=10)
        while not stop.is_set():
            async with self.session.get(self.server.url + "/readyz", timeout=timeout) as response:
                answers.append(response.status)
            peaks.append(self.rss())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.2)

    @contextlib.asynccontextmanager
    async def watching(self, rss_bound: int = RSS_GROWTH_BOUND) -> AsyncIterator[None]:
        before = self.rss()
        stop, answers, peaks = asyncio.Event(), list[int](), list[int]()
        poller = asyncio.create_task(self._poll(stop, answers, peaks))
        try:
            await asyncio.sleep(0)
            yield
        finally:
            stop.set()
            await poller
        assert self.server.process is not None and self.server.process.poll() is None, "the API server died"
        assert answers and all(code == 200 for code in answers), f"/readyz answered {answers}"
        growth = max(peaks + [self.rss()]) - before
        assert growth < rss_bound, f"RSS grew by {growth / 1024**2:.0f} MiB (bound {rss_bound / 1024**2:.0f} MiB)"

    def log_text(self) -> str:
        return self.server.log_path.read_text(errors="replace")


def _limit_address_space(pid: int) -> None:
    limit = proc_status(pid, "VmSize") + ADDRESS_SPACE_HEADROOM
    resource.prlimit(pid, resource.RLIMIT_AS, (limit, limit))


@pytest.fixture(scope="module")
def hostile_server(etcd: Etcd) -> Iterator[ApiServer]:
    server = ApiServer(etcd, extra=FLAGS)
    try:
        server.start()
        _limit_address_space(server.pid)
        yield server
    finally:
        server.stop()


@pytest.fixture
async def hostile(hostile_server: ApiServer) -> AsyncIterator[tuple[Http, Guard]]:
    async with aiohttp.ClientSession() as session:
        yield Http(hostile_server.url, session), Guard(hostile_server, session)


@pytest.fixture
async def hns(hostile, unique: str) -> AsyncIterator[str]:
    """A namespace of one test on the hostile server."""
    http, _ = hostile
    name = f"h-{unique}"
    await http.ok("POST", "/api/v1/namespaces", {"metadata": {"name": name}})
    yield name
    await http.delete(f"/api/v1/namespaces/{name}")
