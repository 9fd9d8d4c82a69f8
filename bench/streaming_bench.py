"""Streaming: port-forward throughput and exec round-trip latency, through the API server and the agent.

One etcd, one API server and one agent on real Docker; one pod whose httpd
serves a file of random bytes. In the same run:

- port-forward throughput, MB/s of one HTTP download of the file:
  * direct: a socket created in the pod's network namespace (what the agent
    itself does), no API server, no agent: the ceiling;
  * through the API server and the agent, with kubectl 1.20 (SPDY), the current
    kubectl (SPDY inside WebSocket) and mkctl (WebSocket channels);
- exec round trip: one line written to `cat`'s stdin until it comes back on
  stdout, in one long session, through the API server and the agent (our
  WebSocket v5 client) vs on Docker's exec stream directly;
- `kubectl exec POD -- true` wall time (process start included) for both kubectls.

    .venv/bin/python bench/streaming_bench.py [--mb 64] [--rounds 3] [--round-trips 300]

Everything it starts is stopped and removed at the end, even on failure.
"""
from __future__ import annotations

import argparse
import asyncio
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import docker
from kubernetes import client as k8s

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from agent.kubelet.streaming.docker_streams import open_docker_stream  # noqa: E402
from minikube_py.client.config import ClientConfig  # noqa: E402
from minikube_py.client.rest import ApiClient  # noqa: E402
from minikube_py.client.stream import run_command  # noqa: E402
from minikube_py.images import BUSYBOX_IMAGE, build_images  # noqa: E402
from minikube_py.netns import tcp_socket_in  # noqa: E402
from minikube_py.testing import ApiServer, Etcd, eventually_sync, free_port, stop_process  # noqa: E402

PORT = 8080
NS = "bench"
FOREVER = "trap 'exit 0' TERM; while :; do sleep 1; done"     # busybox sleep as PID 1 ignores SIGTERM
KUBECTLS = {"1.20": ROOT / ".run/tools/usr/bin/kubectl", "1.33": ROOT / ".run/tools/kubectl-1.33/kubectl"}


class Cluster:
    """etcd, the API server and one agent on Docker; everything it started is removed by stop()."""

    def __init__(self, docker_client: docker.DockerClient) -> None:
        self.docker = docker_client
        self.etcd = Etcd()
        self.apiserver = ApiServer(self.etcd)
        self.root = Path(tempfile.mkdtemp(prefix="mk-stream-bench-"))
        self.node = f"stream-bench-{uuid.uuid4().hex[:5]}"
        self.agent: subprocess.Popen | None = None
        self.core: k8s.CoreV1Api | None = None

    def start(self) -> None:
        self.etcd.start()
        self.apiserver.start()
        self.agent = subprocess.Popen(
            [sys.executable, "-m", "agent", "--server", self.apiserver.url, "--node-name", self.node,
             "--node-ip", "127.0.0.1", "--port", str(free_port()), "--bind-address", "127.0.0.1",
             "--root-dir", str(self.root)], stdout=open(self.root / "agent.log", "ab"), stderr=subprocess.STDOUT,
            cwd=ROOT)
        self.core = k8s.CoreV1Api(k8s.ApiClient(k8s.Configuration(host=self.apiserver.url)))
        self.core.create_namespace(k8s.V1Namespace(metadata=k8s.V1ObjectMeta(name=NS)))

    def run_pod(self, name: str, script: str) -> None:
        core = self.core
        assert core is not None
        pod: Any = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
                                             "spec": {"nodeName": self.node, "terminationGracePeriodSeconds": 2,
                                                      "containers": [{"name": "main", "image": BUSYBOX_IMAGE,
                                                                      "command": ["sh", "-c", script]}]}}
        core.create_namespaced_pod(NS, pod)
        eventually_sync(lambda: getattr(core.read_namespaced_pod(name, NS).status, "phase", None) == "Running",
                        f"pod {name} Running", 120)

    def kubectl(self, version: str, *args: str) -> list[str]:
        return [str(KUBECTLS[version]), "--server", self.apiserver.url, "-n", NS,
                "--cache-dir", str(self.root / f"cache-{version}"), *args]

    def container(self, pod: str, kind: str) -> Any:
        return next(c for c in self.docker.containers.list(filters={"label": f"io.minikube-py.node={self.node}"})
                    if c.labels.get("io.minikube-py.kind") == kind and c.labels.get("io.minikube-py.pod-name") == pod)

    def stop(self) -> None:
        stop_process(self.agent, timeout=15)
        for container in self.docker.containers.list(all=True,
                                                     filters={"label": f"io.minikube-py.node={self.node}"}):
            container.remove(force=True)
        self.apiserver.stop()
        self.etcd.remove()
        shutil.rmtree(self.root, ignore_errors=True)


def download(connect: Callable[[], socket.socket], size: int) -> float:
    """MB/s of GET /big over a socket from `connect`."""
    with connect() as sock:
        start = time.perf_counter()
        sock.sendall(b"GET /big HTTP/1.0\r\n\r\n")
        received = 0
        while chunk := sock.recv(1 << 20):
            received += len(chunk)
        elapsed = time.perf_counter() - start
    assert received > size, f"short download: {received} bytes"
    return size / elapsed / 1e6


def pod_socket(cluster: Cluster) -> Callable[[], socket.socket]:
    netns = f"/proc/{cluster.container('web', 'sandbox').attrs['State']['Pid']}/ns/net"

    def connect() -> socket.socket:
        sock = tcp_socket_in(netns)
        sock.setblocking(True)
        sock.connect(("127.0.0.1", PORT))
        return sock
    return connect


def forwarded(argv: list[str], local: int) -> tuple[subprocess.Popen, Callable[[], socket.socket]]:
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=ROOT)
    assert process.stdout is not None and process.stdout.readline().startswith(b"Forwarding from")
    return process, lambda: socket.create_connection(("127.0.0.1", local), timeout=60)


async def round_trips_through_api(server: str, ns: str, count: int) -> list[float]:
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    samples: list[float] = []

    async def lines():
        for _ in range(count):
            start = time.perf_counter()
            yield b"x\n"
            await queue.get()
            samples.append(time.perf_counter() - start)

    async def out(data: bytes) -> None:
        for _ in range(data.count(b"\n")):
            queue.put_nowait(data)

    async def err(data: bytes) -> None:
        pass
    async with ApiClient(ClientConfig(server)) as api:
        await run_command(api, f"/api/v1/namespaces/{ns}/pods/shell/exec",
                          [("command", "cat"), ("stdin", "true"), ("stdout", "true"), ("stderr", "true"),
                           ("container", "main")], stdin=lines(), stdout=out, stderr=err)
    return samples


async def round_trips_on_docker(docker_client: docker.DockerClient, container_id: str, count: int) -> list[float]:
    exec_id = docker_client.api.exec_create(container_id, ["cat"], stdin=True, stdout=True, stderr=True)["Id"]
    reader, writer = await open_docker_stream(f"/exec/{exec_id}/start", {"Detach": False, "Tty": False})
    samples = []
    for _ in range(count):
        start = time.perf_counter()
        writer.write(b"x\n")
        await writer.drain()
        await reader.readexactly(8 + 2)           # multiplexed frame head + "x\n"
        samples.append(time.perf_counter() - start)
    writer.write_eof()
    writer.close()
    return samples


def ms(values: list[float], q: float) -> str:
    ordered = sorted(values)
    return f"{ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--round-trips", type=int, default=300)
    args = parser.parse_args()
    docker_client = docker.from_env()
    build_images(client=docker_client)
    cluster = Cluster(docker_client)
    processes: list[subprocess.Popen] = []
    try:
        cluster.start()
        cluster.run_pod("web", f"mkdir -p /www && dd if=/dev/urandom of=/www/big bs=1048576 count={args.mb} "
                               f"2>/dev/null && httpd -p {PORT} -h /www && " + FOREVER)
        cluster.run_pod("shell", FOREVER)
        size = args.mb * 1024 * 1024
        direct_socket = pod_socket(cluster)
        # Running means the container started; httpd listens once dd has written the file.
        def httpd_listens() -> bool:
            direct_socket().close()
            return True
        eventually_sync(httpd_listens, "httpd in the web pod", 120, retry_on=(OSError,))
        ways: dict[str, Callable[[], socket.socket]] = {"direct (pod netns socket)": direct_socket}
        for version, path in KUBECTLS.items():
            if path.exists():
                local = free_port()
                process, connect = forwarded(cluster.kubectl(version, "port-forward", "pod/web", f"{local}:{PORT}"),
                                             local)
                processes.append(process)
                ways[f"kubectl {version} port-forward"] = connect
        local = free_port()
        process, connect = forwarded([sys.executable, "-m", "minikube_py.cli.mkctl", "-s", cluster.apiserver.url,
                                      "-n", NS, "port-forward", "pod/web", f"{local}:{PORT}"], local)
        processes.append(process)
        ways["mkctl port-forward"] = connect
        results: dict[str, list[float]] = {name: [] for name in ways}
        for round_number in range(args.rounds):
            names = list(ways)
            names = names[round_number % len(names):] + names[:round_number % len(names)]
            for name in names:
                try:
                    results[name].append(download(ways[name], size))
                except OSError as e:
                    raise SystemExit(f"{name}: download failed: {e}") from e
        print(f"port-forward: GET of {args.mb} MiB, {args.rounds} rounds (MB/s: median, min-max)")
        direct = statistics.median(results["direct (pod netns socket)"])
        for name, values in results.items():
            median = statistics.median(values)
            print(f"  {name:32s} {median:8.1f}   ({min(values):.1f}-{max(values):.1f})   {median / direct:5.1%} "
                  f"of direct")

        shell = cluster.container("shell", "app")
        through_api = asyncio.run(round_trips_through_api(cluster.apiserver.url, NS, args.round_trips))
        on_docker = asyncio.run(round_trips_on_docker(docker_client, shell.id, args.round_trips))
        print(f"exec round trip, one line through cat, {args.round_trips} times (ms: p50 / p99)")
        print(f"  API server + agent (WebSocket v5) {ms(through_api, 0.5):>8} / {ms(through_api, 0.99)}")
        print(f"  Docker exec stream directly       {ms(on_docker, 0.5):>8} / {ms(on_docker, 0.99)}")
        for version, path in KUBECTLS.items():
            if path.exists():
                walls = []
                for _ in range(10):
                    start = time.perf_counter()
                    subprocess.run(cluster.kubectl(version, "exec", "shell", "--", "true"), check=True,
                                   capture_output=True)
                    walls.append(time.perf_counter() - start)
                print(f"  kubectl {version} exec -- true (whole process) {ms(walls, 0.5):>8} / max "
                      f"{max(walls) * 1000:.0f}")
    finally:
        for process in processes:
            process.kill()
            process.wait()
        cluster.stop()


if __name__ == "__main__":
    main()
