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
from pathlib import Path
from typing import Callable

import docker

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from minikube_py.netns import tcp_socket_in  # noqa: E402
from agent.kubelet.streaming.docker_streams import _hijack  # noqa: E402
from minikube_py.client.config import ClientConfig  # noqa: E402
from minikube_py.client.rest import ApiClient  # noqa: E402
from minikube_py.client.stream import run_command  # noqa: E402
from minikube_py.images import build_images  # noqa: E402
from tests.agent_harness import FOREVER, IMAGE, Agent, remove_node_containers  # noqa: E402
from tests.conftest import ApiServer, Etcd, free_port  # noqa: E402
from tests.integration.streaming_lab import KUBECTLS, Lab, sh  # noqa: E402

PORT = 8080


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


def pod_socket(docker_client: docker.DockerClient, node: str) -> Callable[[], socket.socket]:
    sandbox = next(c for c in docker_client.containers.list(filters={"label": f"io.minikube-py.node={node}"})
                   if c.labels.get("io.minikube-py.kind") == "sandbox" and c.labels.get("io.minikube-py.pod-name")
                   == "web")
    netns = f"/proc/{sandbox.attrs['State']['Pid']}/ns/net"

    def connect() -> socket.socket:
        sock = tcp_socket_in(netns)
        sock.setblocking(True)
        sock.connect(("127.0.0.1", PORT))
        return sock
    return connect


def forwarded(argv: list[str], local: int) -> tuple[subprocess.Popen, Callable[[], socket.socket]]:
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=ROOT)
    assert process.stdout.readline().startswith(b"Forwarding from")
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
    reader, writer = await _hijack(f"/exec/{exec_id}/start", {"Detach": False, "Tty": False})
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
    etcd = Etcd()
    etcd.start()
    apiserver = ApiServer(etcd)
    root = Path(tempfile.mkdtemp(prefix="mk-stream-bench-"))
    node = f"stream-bench-{uuid.uuid4().hex[:5]}"
    agent = Agent("", node, str(root))
    processes: list[subprocess.Popen] = []
    try:
        apiserver.start()
        agent.server = apiserver.url
        agent.start()
        lab = Lab(apiserver, agent, "bench", root)
        lab.core.create_namespace({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "bench"}})
        lab.create_pod("web", [sh("web", f"mkdir -p /www && dd if=/dev/urandom of=/www/big bs=1048576 "
                                         f"count={args.mb} 2>/dev/null && httpd -p {PORT} -h /www && " + FOREVER)])
        lab.create_pod("shell", [{"name": "main", "image": IMAGE, "command": ["sh", "-c", FOREVER]}])
        lab.wait_phase("web")
        lab.wait_phase("shell")
        time.sleep(2)                              # dd has written the file before httpd starts; let it settle
        size = args.mb * 1024 * 1024
        ways: dict[str, Callable[[], socket.socket]] = {"direct (pod netns socket)": pod_socket(docker_client, node)}
        for version, path in KUBECTLS.items():
            if path.exists():
                local = free_port()
                process, connect = forwarded(lab.kubectl_argv(version, "port-forward", "pod/web", f"{local}:{PORT}"),
                                             local)
                processes.append(process)
                ways[f"kubectl {version} port-forward"] = connect
        local = free_port()
        process, connect = forwarded([sys.executable, "-m", "minikube_py.cli.mkctl", "-s", apiserver.url, "-n",
                                      "bench", "port-forward", "pod/web", f"{local}:{PORT}"], local)
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
            print(f"  {name:32s} {median:8.1f}   ({min(values):.1f}-{max(values):.1f})   {median / direct:5.1%} of direct")

        container = next(c for c in docker_client.containers.list(filters={"label": f"io.minikube-py.node={node}"})
                         if c.labels.get("io.minikube-py.pod-name") == "shell"
                         and c.labels.get("io.minikube-py.kind") == "app")
        through_api = asyncio.run(round_trips_through_api(apiserver.url, "bench", args.round_trips))
        on_docker = asyncio.run(round_trips_on_docker(docker_client, container.id, args.round_trips))
        print(f"exec round trip, one line through cat, {args.round_trips} times (ms: p50 / p99)")
        print(f"  API server + agent (WebSocket v5) {ms(through_api, 0.5):>8} / {ms(through_api, 0.99)}")
        print(f"  Docker exec stream directly       {ms(on_docker, 0.5):>8} / {ms(on_docker, 0.99)}")
        for version, path in KUBECTLS.items():
            if path.exists():
                walls = []
                for _ in range(10):
                    start = time.perf_counter()
                    assert lab.kubectl(version, "exec", "shell", "--", "true").returncode == 0
                    walls.append(time.perf_counter() - start)
                print(f"  kubectl {version} exec -- true (whole process) {ms(walls, 0.5):>8} / max "
                      f"{max(walls) * 1000:.0f}")
    finally:
        for process in processes:
            process.kill()
            process.wait()
        agent.stop()
        remove_node_containers(docker_client, node)
        apiserver.stop()
        etcd.remove()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
