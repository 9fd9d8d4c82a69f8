"""A private etcd and a real `minikube-py apiserver` as child processes, on free loopback ports.

Nothing is faked: the etcd binary from Debian's etcd-server package and our API server
run as separate processes, exactly as in a lab, and are stopped by pid. Kubernetes'
integration tests do the same with test/integration/framework (etcd) and
cmd/kube-apiserver/app/testing (a TestServer on a free port).
"""
from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import urllib.request
import uuid
from pathlib import Path
from typing import IO

from minikube_py.testing.polling import eventually_sync

ROOT = Path(__file__).resolve().parents[2]     # the source checkout: the child processes run there


def stop_process(process: subprocess.Popen[bytes] | None, timeout: float = 10) -> None:
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
        port: int = s.getsockname()[1]
        return port


def _pid(process: subprocess.Popen[bytes] | None, what: str) -> int:
    if process is None:
        raise RuntimeError(f"{what} has not been started")
    return process.pid


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return bool(response.status == 200)
    except OSError:
        return False


class Etcd:
    """A private etcd: its own data directory and ports."""

    def __init__(self) -> None:
        self.data_dir = tempfile.mkdtemp(prefix="mk-etcd-")
        self.client_port, self.peer_port = free_port(), free_port()
        self.endpoint = f"http://127.0.0.1:{self.client_port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.log: IO[bytes] | None = None

    def start(self) -> None:
        etcd = shutil.which("etcd") or "/usr/bin/etcd"
        self.log = open(Path(self.data_dir) / "etcd.log", "ab")          # open while etcd runs
        self.process = subprocess.Popen(
            [etcd, "--data-dir", f"{self.data_dir}/data", "--logger", "zap", "--log-outputs", "stderr",
             "--listen-client-urls", self.endpoint, "--advertise-client-urls", self.endpoint,
             "--listen-peer-urls", f"http://127.0.0.1:{self.peer_port}",
             "--initial-advertise-peer-urls", f"http://127.0.0.1:{self.peer_port}",
             "--initial-cluster", f"default=http://127.0.0.1:{self.peer_port}"],
            stdout=self.log, stderr=self.log)
        eventually_sync(lambda: _http_ok(f"{self.endpoint}/health"), "etcd to become healthy",
                        timeout=10, interval=0.05)

    @property
    def pid(self) -> int:
        return _pid(self.process, "etcd")

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
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = Path(etcd.data_dir) / f"apiserver-{self.port}.log"

    def start(self) -> None:
        log = open(self.log_path, "ab")                 # the child keeps writing to it
        process = self.process = subprocess.Popen(
            [sys.executable, "-m", "minikube_py.cli.daemons", "apiserver", "--port", str(self.port),
             "--etcd-servers", self.etcd.endpoint, "--etcd-prefix", self.prefix, "-v", "4",
             # only published in the kubernetes Endpoints; no traffic goes there
             "--advertise-address", "192.168.56.10", *self.extra],
            stdout=log, stderr=log, cwd=ROOT)
        try:
            eventually_sync(lambda: process.poll() is None and _http_ok(f"{self.url}/readyz"),
                            f"the API server on port {self.port}", timeout=15, interval=0.05)
        except AssertionError:
            self.stop()
            raise AssertionError(
                f"the API server did not start; its log:\n{self.log_path.read_text()[-3000:]}") from None

    @property
    def pid(self) -> int:
        return _pid(self.process, "the API server")

    def stop(self) -> None:
        stop_process(self.process)

    def restart(self) -> None:
        self.stop()
        self.start()
