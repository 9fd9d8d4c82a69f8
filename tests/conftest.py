"""Shared fixtures: a real etcd and a real API server process, on random ports.

Nothing here is faked: the etcd binary from Debian's etcd-server package and
our `minikube-py apiserver` run as separate processes, exactly as in a lab,
and are stopped (by pid) when the session ends, even after failures.
"""
from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Iterator

import pytest

ROOT = Path(__file__).resolve().parent.parent
KUBECTL_CANDIDATES = (ROOT / ".run/tools/usr/bin/kubectl",)


def stop_process(process: subprocess.Popen | None, timeout: float = 10) -> None:
    """SIGTERM, and SIGKILL if it is still there after `timeout` seconds (no-op if it has ended)."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(check, what: str, attempts: int = 200, pause: float = 0.05) -> None:
    """Poll `check` until it returns truthy; fail the test with `what` otherwise."""
    for _ in range(attempts):
        if check():
            return
        time.sleep(pause)
    raise AssertionError(f"gave up waiting for {what}")


def _http_ok(url: str) -> bool:
    import urllib.request
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


class Etcd:
    """A private etcd: its own data directory and ports."""

    def __init__(self) -> None:
        self.data_dir = tempfile.mkdtemp(prefix="mk-etcd-")
        self.client_port, self.peer_port = free_port(), free_port()
        self.endpoint = f"http://127.0.0.1:{self.client_port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        etcd = shutil.which("etcd") or "/usr/bin/etcd"
        self.log = open(Path(self.data_dir) / "etcd.log", "ab")
        self.process = subprocess.Popen(
            [etcd, "--data-dir", f"{self.data_dir}/data", "--logger", "zap", "--log-outputs", "stderr",
             "--listen-client-urls", self.endpoint, "--advertise-client-urls", self.endpoint,
             "--listen-peer-urls", f"http://127.0.0.1:{self.peer_port}",
             "--initial-advertise-peer-urls", f"http://127.0.0.1:{self.peer_port}",
             "--initial-cluster", f"default=http://127.0.0.1:{self.peer_port}"],
            stdout=self.log, stderr=self.log)
        wait_until(lambda: _http_ok(f"{self.endpoint}/health"), "etcd to become healthy")

    def stop(self) -> None:
        stop_process(self.process)

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.data_dir, ignore_errors=True)


class ApiServer:
    """`minikube-py apiserver` as a child process against a given etcd and key prefix."""

    def __init__(self, etcd: Etcd, prefix: str | None = None, extra: list[str] | None = None) -> None:
        self.etcd = etcd
        self.prefix = prefix or f"/registry-{uuid.uuid4().hex[:8]}"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.extra = extra or []
        self.process: subprocess.Popen | None = None
        self.log_path = Path(etcd.data_dir) / f"apiserver-{self.port}.log"

    def start(self) -> None:
        self.log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "minikube_py.cli.daemons", "apiserver", "--port", str(self.port),
             "--etcd-servers", self.etcd.endpoint, "--etcd-prefix", self.prefix, "-v", "4",
             # only published in the kubernetes Endpoints; no traffic goes there
             "--advertise-address", "192.168.56.10", *self.extra],
            stdout=self.log, stderr=self.log, cwd=ROOT)
        try:
            wait_until(lambda: self.process.poll() is None and _http_ok(f"{self.url}/readyz"),
                       f"the API server on port {self.port}", attempts=300)
        except AssertionError:
            self.stop()
            raise AssertionError(f"the API server did not start; its log:\n{self.log_path.read_text()[-3000:]}")

    def stop(self) -> None:
        stop_process(self.process)

    def restart(self) -> None:
        self.stop()
        self.start()


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
def unique() -> str:
    """A short random suffix for names that must not collide with other tests or a running lab."""
    return uuid.uuid4().hex[:6]


@pytest.fixture
async def http(apiserver: ApiServer):
    import aiohttp

    from tests.helpers import Http
    async with aiohttp.ClientSession() as session:
        yield Http(apiserver.url, session)


@pytest.fixture
async def ns(http, unique: str):
    """A fresh namespace for one test, deleted afterwards."""
    from tests.helpers import namespace
    name = f"t-{unique}"
    await http.ok("POST", "/api/v1/namespaces", namespace(name))
    yield name
    await http.delete(f"/api/v1/namespaces/{name}")
