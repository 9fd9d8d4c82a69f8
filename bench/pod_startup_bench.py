"""Pod start-up latency: N pods through the API to Running (seen by a watch) vs raw `docker run`.

Kubernetes' pod start-up SLO: p99 <= 5 s from creation to Running as seen by a
watch (pods with images already on the node). We measure the same thing on one
agent node — API server, etcd, agent, pod sandbox + app container per pod — and,
in the same run, the same number of raw `docker run -d` of the same image and
command (no sandbox), started at once from 16 threads like the agent's Docker
pool. The ratio says what the kubelet machinery costs on top of Docker.

    .venv/bin/python bench/pod_startup_bench.py [--pods 30]

Everything it starts is stopped and removed at the end (containers by the
bench's node label), even on failure.
"""
from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp
import docker

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from minikube_py.images import BUSYBOX_IMAGE, build_images  # noqa: E402
from tests.conftest import ApiServer, Etcd, free_port  # noqa: E402

NODE_LABEL = "io.minikube-py.node"
COMMAND = ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1; done"]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def pod(name: str, node: str) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"nodeName": node, "terminationGracePeriodSeconds": 2,
                     "containers": [{"name": "app", "image": BUSYBOX_IMAGE, "command": COMMAND}]}}


async def wait_node(session: aiohttp.ClientSession, url: str, node: str) -> None:
    for _ in range(300):
        async with session.get(f"{url}/api/v1/nodes/{node}") as response:
            if response.status == 200:
                return
        await asyncio.sleep(0.1)
    raise RuntimeError("the agent never registered its node")


async def pods_to_running(url: str, node: str, count: int) -> list[float]:
    ns = f"bench-{uuid.uuid4().hex[:6]}"
    async with aiohttp.ClientSession() as session:
        await wait_node(session, url, node)
        await session.post(f"{url}/api/v1/namespaces", json={"apiVersion": "v1", "kind": "Namespace",
                                                              "metadata": {"name": ns}})
        async with session.get(f"{url}/api/v1/namespaces/{ns}/pods") as response:
            rv = (await response.json())["metadata"]["resourceVersion"]
        watch = await session.get(f"{url}/api/v1/namespaces/{ns}/pods?watch=1&resourceVersion={rv}",
                                  timeout=aiohttp.ClientTimeout(total=None))
        created: dict[str, float] = {}
        running: dict[str, float] = {}

        async def create(i: int) -> None:
            created[f"p{i}"] = time.monotonic()
            async with session.post(f"{url}/api/v1/namespaces/{ns}/pods", json=pod(f"p{i}", node)) as response:
                assert response.status == 201, await response.text()

        async def watch_running() -> None:
            import json
            while len(running) < count:
                event = json.loads(await watch.content.readline())
                obj = event["object"]
                if (obj.get("status") or {}).get("phase") == "Running":
                    running.setdefault(obj["metadata"]["name"], time.monotonic())
        watcher = asyncio.create_task(watch_running())
        await asyncio.gather(*(create(i) for i in range(count)))
        await asyncio.wait_for(watcher, timeout=120)
        watch.close()
        await session.delete(f"{url}/api/v1/namespaces/{ns}/pods")
        for _ in range(300):
            async with session.get(f"{url}/api/v1/namespaces/{ns}/pods") as response:
                if not (await response.json())["items"]:
                    break
            await asyncio.sleep(0.2)
        await session.delete(f"{url}/api/v1/namespaces/{ns}")
    return [running[name] - created[name] for name in created]


def raw_docker_runs(client: docker.DockerClient, node: str, count: int) -> list[float]:
    def run(i: int) -> float:
        start = time.monotonic()
        client.containers.run(BUSYBOX_IMAGE, COMMAND, detach=True, network_mode="none",
                              name=f"bench-raw-{node}-{i}", labels={NODE_LABEL: node})
        return time.monotonic() - start
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        return list(pool.map(run, range(count)))


def clean(client: docker.DockerClient, node: str) -> None:
    for container in client.containers.list(all=True, filters={"label": f"{NODE_LABEL}={node}"}):
        container.remove(force=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pods", type=int, default=30)
    args = parser.parse_args()
    client = docker.from_env(max_pool_size=32)
    build_images(client=client)
    node = f"bench-{uuid.uuid4().hex[:6]}"
    root_dir = tempfile.mkdtemp(prefix="mk-bench-")
    etcd = Etcd()
    agent = None
    try:
        etcd.start()
        server = ApiServer(etcd)
        server.start()
        agent = subprocess.Popen(
            [sys.executable, "-m", "agent", "--server", server.url, "--node-name", node, "--port", str(free_port()),
             "--bind-address", "127.0.0.1", "--root-dir", root_dir],
            stdout=open(f"{root_dir}/agent.log", "ab"), stderr=subprocess.STDOUT, cwd=ROOT)
        pod_latencies = asyncio.run(pods_to_running(server.url, node, args.pods))
        raw = raw_docker_runs(client, f"{node}-raw", args.pods)
        p50, p99 = percentile(pod_latencies, 0.5), percentile(pod_latencies, 0.99)
        r50, r99 = percentile(raw, 0.5), percentile(raw, 0.99)
        print(f"{args.pods} pods, one node, created at once; seconds from POST to Running seen by a watch")
        print(f"  {'':24} {'p50':>7} {'p99':>7} {'mean':>7}")
        print(f"  {'pods through the API':24} {p50:7.2f} {p99:7.2f} {statistics.mean(pod_latencies):7.2f}")
        print(f"  {'raw docker run':24} {r50:7.2f} {r99:7.2f} {statistics.mean(raw):7.2f}")
        print(f"  ratio p50 {p50 / r50:.2f}, p99 {p99 / r99:.2f} (target <= 1.25); p99 <= 5 s: {p99 <= 5}")
    finally:
        if agent is not None:
            agent.terminate()
            agent.wait(timeout=20)
        clean(client, node)
        clean(client, f"{node}-raw")
        if 'server' in locals():
            server.stop()
        etcd.remove()
        shutil.rmtree(root_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
