"""Scheduler benchmark in the style of kube-scheduler's scheduler_perf (SchedulingBasic).

Starts a private etcd and API server (the same classes the tests use), creates
N fake Node objects through the API (4 CPU, 32 GiB, 110 pods, Ready), starts
`python -m scheduler` as its own process, then creates M plain pods (100m CPU,
128 MiB) with C concurrent clients, and measures:

  end to end   pods bound per second, from the first create sent to the last
               binding seen on a watch, and the create -> bound latency
  algorithm    the time inside scheduling cycles alone, as the scheduler
               process reports it in its `metrics:` line when stopped
  CPU per pod  user + system CPU of the scheduler, API server, etcd and this
               client during the pod phase, per bound pod (/proc/<pid>/stat):
               with 2 cores, 2000 ms / their sum bounds the end-to-end rate

kube-scheduler's CI threshold for 5,000 nodes / 10,000 pods is 680 pods/s.
With --profile PREFIX, py-spy samples the scheduler and the API server during the
pod phase of the last case (non-blocking, into PREFIX.scheduler.txt and
PREFIX.apiserver.txt) and the functions with the most samples (own time) are
printed. py-spy is not a dependency: `.venv/bin/pip install py-spy` first.

Usage: .venv/bin/python bench/scheduler_bench.py [--nodes 100,1000,5000] [--pods 1000]
       [--concurrency 50] [--timeout 300] [--profile /tmp/sched]
Default: a quick run (--nodes 100 --pods 500). Every phase is bounded in count
and time; all traffic goes to 127.0.0.1.
"""
from __future__ import annotations

import argparse
import ast
import asyncio
import collections
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import orjson

from minikube_py.testing import ROOT, ApiServer, Etcd, eventually_sync, stop_process  # as the tests use them

NAMESPACE = "bench"


def fake_node(name: str) -> dict[str, Any]:
    resources = {"cpu": "4", "memory": "32Gi", "pods": "110"}
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
            "status": {"allocatable": resources, "capacity": resources,
                       "conditions": [{"type": "Ready", "status": "True"}]}}


def plain_pod(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": NAMESPACE},
            "spec": {"containers": [{"name": "c", "image": "minikube-py/pause",
                                     "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}}}]}}


async def post_all(session: aiohttp.ClientSession, url: str, bodies: list[dict], concurrency: int,
                   sent: dict[str, float] | None = None) -> None:
    queue = collections.deque(bodies)

    async def worker() -> None:
        while queue:
            body = queue.popleft()
            if sent is not None:
                sent[body["metadata"]["name"]] = time.perf_counter()
            async with session.post(url, data=orjson.dumps(body),
                                    headers={"Content-Type": "application/json"}) as response:
                if response.status >= 300:
                    raise RuntimeError(f"POST {url}: {response.status} {await response.text()}")
    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def watch_bound(session: aiohttp.ClientSession, base: str, rv: str, bound: dict[str, float], want: int) -> None:
    """Record when each pod is first seen with a nodeName."""
    url = f"{base}/api/v1/namespaces/{NAMESPACE}/pods?watch=1&resourceVersion={rv}"
    async with session.get(url, timeout=aiohttp.ClientTimeout(total=None)) as response:
        async for line in response.content:
            event = orjson.loads(line)
            obj = event.get("object") or {}
            if (obj.get("spec") or {}).get("nodeName"):
                bound.setdefault(obj["metadata"]["name"], time.perf_counter())
                if len(bound) >= want:
                    return


def start_scheduler(url: str, log_path: Path) -> subprocess.Popen:
    log = open(log_path, "ab")
    return subprocess.Popen([sys.executable, "-m", "scheduler", "--server", url, "-v", "2", "--no-leader-elect"],
                            stdout=log, stderr=log, cwd=ROOT)


def wait_for_log(log_path: Path, pattern: str, timeout: float) -> str:
    def logged() -> str | None:
        match = re.search(pattern, log_path.read_text(errors="replace"))
        return match.group(0) if match else None
    return eventually_sync(logged, f"the scheduler log to show {pattern!r}", timeout,
                           explain=lambda: log_path.read_text()[-2000:])


def top_functions(raw_profile: Path, count: int = 12) -> list[tuple[str, float]]:
    """From py-spy's raw (collapsed) output: the leaf frames with the largest share of samples."""
    own: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw_profile.read_text().splitlines():
        stack, _, samples = line.rpartition(" ")
        if not stack or not samples.isdigit():
            continue
        leaf = re.sub(r":\d+\)$", ")", stack.split(";")[-1])          # per function, not per line
        leaf = leaf.replace(f"({ROOT}/", "(")
        own[re.sub(r" \(.*/(site-packages|lib/python3\.\d+)/", " (", leaf)] += int(samples)
        total += int(samples)
    return [(frame, 100 * n / max(total, 1)) for frame, n in own.most_common(count)]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (/proc/<pid>/stat fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_snapshot(pids: dict[str, int]) -> dict[str, float]:
    return {name: cpu_seconds(pid) for name, pid in pids.items()}


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))] if ordered else float("nan")


async def run_case(api: ApiServer, etcd: Etcd, nodes: int, pods: int, concurrency: int, timeout: float,
                   profile: str | None, workdir: Path) -> dict[str, Any]:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        await session.post(f"{api.url}/api/v1/namespaces", json={"metadata": {"name": NAMESPACE}})
        started = time.perf_counter()
        await post_all(session, f"{api.url}/api/v1/nodes", [fake_node(f"node-{i}") for i in range(nodes)], concurrency)
        print(f"  {nodes} nodes created in {time.perf_counter() - started:.1f}s", flush=True)
        log_path = workdir / f"scheduler-{nodes}.log"
        scheduler = start_scheduler(api.url, log_path)
        profilers: list[subprocess.Popen] = []
        try:
            wait_for_log(log_path, r"caches synced: \d+ nodes", 60)
            async with session.get(f"{api.url}/api/v1/namespaces/{NAMESPACE}/pods?limit=1") as response:
                rv = (await response.json())["metadata"]["resourceVersion"]
            if profile:
                profilers = [subprocess.Popen([str(ROOT / ".venv/bin/py-spy"), "record", "--nonblocking",
                                               "-o", f"{profile}.{name}.txt", "-f", "raw", "-r", "100", "-p", str(pid)],
                                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                             for name, pid in (("scheduler", scheduler.pid), ("apiserver", api.pid))]
            sent: dict[str, float] = {}
            bound: dict[str, float] = {}
            pids = {"scheduler": scheduler.pid, "apiserver": api.pid, "etcd": etcd.pid,
                    "bench client": os.getpid()}
            cpu_before = cpu_snapshot(pids)
            watcher = asyncio.create_task(watch_bound(session, api.url, rv, bound, pods))
            first_sent = time.perf_counter()
            await post_all(session, f"{api.url}/api/v1/namespaces/{NAMESPACE}/pods",
                           [plain_pod(f"pod-{i}") for i in range(pods)], concurrency, sent)
            created = time.perf_counter()
            try:
                await asyncio.wait_for(watcher, timeout)
            except TimeoutError:
                print(f"  timed out: {len(bound)}/{pods} bound after {timeout}s")
            last_bound = max(bound.values(), default=created)
            cpu_after = cpu_snapshot(pids)
        finally:
            for profiler in profilers:
                profiler.send_signal(signal.SIGINT)
                profiler.wait(timeout=30)
            stop_process(scheduler, timeout=20)
        metrics = ast.literal_eval(wait_for_log(log_path, r"metrics: \{.*\}", 20).removeprefix("metrics: "))
        latencies = [bound[name] - sent[name] for name in bound if name in sent]
        cpu_ms_per_pod = {name: 1000 * (cpu_after[name] - cpu_before[name]) / max(len(bound), 1) for name in pids}
        return {"nodes": nodes, "pods": pods, "bound": len(bound),
                "create_per_s": pods / (created - first_sent),
                "e2e_per_s": len(bound) / (last_bound - first_sent),
                "p50": percentile(latencies, .5), "p99": percentile(latencies, .99),
                "algorithm_ms": metrics["algorithm_ms_per_attempt"],
                "algorithm_per_s": 1000 / max(metrics["algorithm_ms_per_attempt"], 1e-9),
                "attempts": metrics["attempts"], "scheduled": metrics["scheduled"],
                "cpu_ms_per_pod": cpu_ms_per_pod, "cores_busy": sum(cpu_after[n] - cpu_before[n] for n in pids)
                / max(last_bound - first_sent, 1e-9)}


def report(result: dict[str, Any]) -> None:
    print(f"  nodes {result['nodes']:>5}  pods {result['pods']:>6}  bound {result['bound']:>6}   "
          f"end-to-end {result['e2e_per_s']:7.0f} pods/s   (creates alone {result['create_per_s']:.0f}/s)   "
          f"create->bound p50 {result['p50'] * 1000:.0f} ms p99 {result['p99'] * 1000:.0f} ms")
    print(f"  algorithm {result['algorithm_ms']:.3f} ms/pod = {result['algorithm_per_s']:.0f} pods/s if it were "
          f"alone   ({result['attempts']} attempts, {result['scheduled']} bindings)")
    cpu = result["cpu_ms_per_pod"]
    total = sum(cpu.values())
    print(f"  CPU per pod: {', '.join(f'{name} {ms:.2f} ms' for name, ms in cpu.items())} = {total:.2f} ms "
          f"-> at most {2000 / max(total, 1e-9):.0f} pods/s on 2 cores; busiest process alone: "
          f"{1000 / max(max(cpu.values()), 1e-9):.0f} pods/s; {result['cores_busy']:.2f} cores busy", flush=True)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nodes", default="100", help="comma-separated node counts, e.g. 100,1000,5000")
    parser.add_argument("--pods", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for all bindings per case")
    parser.add_argument("--profile", default=None, help="py-spy output prefix (scheduler and API server, last case)")
    args = parser.parse_args()
    etcd = Etcd()
    workdir = Path(tempfile.mkdtemp(prefix="sched-bench-"))
    try:
        etcd.start()
        for index, nodes in enumerate(int(n) for n in args.nodes.split(",")):
            # a fresh key prefix per case (no leftovers from the previous one); -v 0: no per-request debug log
            api = ApiServer(etcd, extra=["-v", "0"])
            api.start()
            try:
                is_last = index == len(args.nodes.split(",")) - 1
                print(f"case: {nodes} nodes, {args.pods} pods", flush=True)
                report(await run_case(api, etcd, nodes, args.pods, args.concurrency, args.timeout,
                                      args.profile if is_last else None, workdir))
            finally:
                api.stop()
        for process in ("scheduler", "apiserver"):
            path = Path(f"{args.profile}.{process}.txt") if args.profile else None
            if path is not None and path.exists():
                print(f"where the {process}'s time goes (own samples, last case):")
                for frame, share in top_functions(path):
                    print(f"  {share:5.1f}%  {frame}")
    finally:
        etcd.remove()
        shutil.rmtree(workdir, ignore_errors=True)      # the scheduler logs of each case


if __name__ == "__main__":
    asyncio.run(main())
