"""Pod start-up latency: N pods through the API to Running (seen by a watch) vs raw `docker run`.

Kubernetes' pod start-up SLO: p99 <= 5 s from creation to Running as seen by a
watch (pods with images already on the node). We measure the same thing on one
agent node — API server, etcd, agent, pod sandbox + app container per pod — and,
in the same run, two baselines without any of our code, each also N at once
(one thread per container, the clock started once for all, as for the pods):

- raw `docker run -d` of the same image and command (no sandbox): the issue's
  baseline; the ratio to it is the target;
- the Docker work a pod needs: a pause container (the agent's sandbox options)
  started, then the app container joined to it (network_mode/ipc_mode
  container:<pause>). Pod minus this = what the agent, the API server and the
  watch add; this minus raw = what the sandbox costs Docker.

    .venv/bin/python bench/pod_startup_bench.py [--pods 30] [--rounds 3]

Each round runs the three phases one after the other, in an order rotated
from round to round (a daemon that just removed 60 containers is slower than a
fresh one); percentiles are over all rounds' samples.

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
from collections.abc import Callable

import aiohttp
import docker

from minikube_py.images import BUSYBOX_IMAGE, PAUSE_IMAGE, build_images
from minikube_py.testing import ROOT, ApiServer, Etcd, eventually, free_port

NODE_LABEL = "io.minikube-py.node"
COMMAND = ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1; done"]
SETTLE_SECONDS = 2.0        # between phases: dockerd finishes removing the last phase's containers


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def pod(name: str, node: str) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"nodeName": node, "terminationGracePeriodSeconds": 2,
                     "containers": [{"name": "app", "image": BUSYBOX_IMAGE, "command": COMMAND}]}}


async def wait_node(session: aiohttp.ClientSession, url: str, node: str) -> None:
    async def registered() -> bool:
        async with session.get(f"{url}/api/v1/nodes/{node}") as response:
            return response.status == 200
    await eventually(registered, "the agent to register its node")


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

        async def no_pods_left() -> bool:
            async with session.get(f"{url}/api/v1/namespaces/{ns}/pods") as response:
                return not (await response.json())["items"]
        await eventually(no_pods_left, "the pods to be deleted", timeout=60, interval=0.2)
        await session.delete(f"{url}/api/v1/namespaces/{ns}")
    return [running[name] - created[name] for name in created]


def all_at_once(count: int, run: Callable[[int], None]) -> list[float]:
    """Seconds from one common start until each of `count` runs, all started together, returned."""
    with concurrent.futures.ThreadPoolExecutor(count) as pool:
        start = time.monotonic()

        def timed(i: int) -> float:
            run(i)
            return time.monotonic() - start
        return list(pool.map(timed, range(count)))


def raw_docker_runs(client: docker.DockerClient, node: str, count: int) -> list[float]:
    """`docker run -d` (create, start, inspect) of the app alone."""
    def run(i: int) -> None:
        client.containers.run(BUSYBOX_IMAGE, COMMAND, detach=True, network_mode="none",
                              name=f"bench-raw-{node}-{i}", labels={NODE_LABEL: node})
    return all_at_once(count, run)


def pod_shaped_docker_runs(client: docker.DockerClient, node: str, count: int) -> list[float]:
    """The same Docker calls as a pod: pause container first, then the app joined to its namespaces."""
    api = client.api

    def run(i: int) -> None:
        pause = api.create_container(PAUSE_IMAGE, name=f"bench-pause-{node}-{i}", labels={NODE_LABEL: node},
                                     network_disabled=True,
                                     host_config=api.create_host_config(network_mode="none", ipc_mode="shareable"))
        api.start(pause["Id"])
        api.inspect_container(pause["Id"])
        joined = f"container:{pause['Id']}"
        app = api.create_container(BUSYBOX_IMAGE, COMMAND, name=f"bench-app-{node}-{i}", labels={NODE_LABEL: node},
                                   host_config=api.create_host_config(network_mode=joined, ipc_mode=joined))
        api.start(app["Id"])
        api.inspect_container(app["Id"])
    return all_at_once(count, run)


def clean(client: docker.DockerClient, node: str) -> None:
    for container in client.containers.list(all=True, filters={"label": f"{NODE_LABEL}={node}"}):
        container.remove(force=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pods", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=3, help="each round runs the three phases, order rotated")
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
        phases: dict[str, Callable[[], list[float]]] = {
            "pods": lambda: asyncio.run(pods_to_running(server.url, node, args.pods)),
            "raw": lambda: raw_docker_runs(client, f"{node}-raw", args.pods),
            "pod-shaped": lambda: pod_shaped_docker_runs(client, f"{node}-pod-shaped", args.pods)}
        samples: dict[str, list[float]] = {name: [] for name in phases}
        order = list(phases)
        for round_ in range(args.rounds):        # rotate the order: no phase always meets a fresh daemon
            for name in order[round_ % 3:] + order[:round_ % 3]:
                samples[name] += phases[name]()
                clean(client, f"{node}-{name}")
                time.sleep(SETTLE_SECONDS)
        pods, raw, pod_shaped = samples["pods"], samples["raw"], samples["pod-shaped"]
        print(f"{args.pods} at once on one node, {args.rounds} round(s); seconds from the request to Running "
              f"(pods: POST to Running seen by a watch)")
        print(f"  {'':40} {'p50':>6} {'p99':>6} {'mean':>6}")
        for label, values in (("pods through the API", pods), ("raw docker run (the issue's baseline)", raw),
                              ("raw pause + app joined (Docker's share)", pod_shaped)):
            print(f"  {label:40} {percentile(values, 0.5):6.2f} {percentile(values, 0.99):6.2f} "
                  f"{statistics.mean(values):6.2f}")
        p50, p99 = percentile(pods, 0.5), percentile(pods, 0.99)
        for label, values, note in (("raw docker run", raw, "target <= 1.25"),
                                    ("pause + app", pod_shaped, "what the agent and API add")):
            print(f"  pods / {label}: p50 {p50 / percentile(values, 0.5):.2f}, "
                  f"p99 {p99 / percentile(values, 0.99):.2f} ({note})")
        print(f"  pods p99 <= 5 s: {p99 <= 5}")
    finally:
        if agent is not None:
            agent.terminate()
            agent.wait(timeout=20)
        for owner in (node, f"{node}-raw", f"{node}-pod-shaped"):
            clean(client, owner)
        if 'server' in locals():
            server.stop()
        etcd.remove()
        shutil.rmtree(root_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
