"""API server benchmark: creates, gets, lists and watch fan-out, against raw etcd.

Starts a private etcd and one `minikube-py apiserver` process (random ports,
temporary data), then measures in the same run:

  raw etcd   create transactions (compare create_revision == 0, put) through
             aetcd with C concurrent tasks: the baseline
  API        POST of pods with C concurrent clients -> throughput, p50/p99,
             and the ratio API/raw
  API        GET of single pods, LIST of the whole namespace
  API        PATCH of each pod (a strategic merge patch of one label: the
             update path, with its managedFields bookkeeping) and, with
             --apply, a server-side apply of the same label
  encodings  POST of pods with a JSON body and with a protobuf body (what
             kubectl >= 1.32 sends), alternating in rounds; the ratio of the two
  watch      W HTTP watchers on one collection; for each of E creates, the
             delay from the POST being sent to each watcher receiving it

Usage: .venv/bin/python bench/api_bench.py [--objects 2000] [--concurrency 50]
       [--watchers 1000 (0: no watch phase)] [--watch-events 20] [--apply]
Every loop is bounded in count; all traffic goes to 127.0.0.1.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aetcd
import aiohttp

from apiserver.protobuf import PROTOBUF, encode_protobuf
from minikube_py.testing import ApiServer, Etcd  # the same real processes the tests use


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


def cpu_seconds(pid: int | None = None) -> float:
    """User+system CPU time of a process (this one when pid is None)."""
    if pid is None:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """CPU seconds per op spent by the bench client, the API server and etcd during one phase."""

    def __init__(self, pids: dict[str, int | None]) -> None:
        self.pids = pids
        self.start = {name: cpu_seconds(pid) for name, pid in pids.items()}

    def summary(self, count: int) -> str:
        parts = [f"{name} {(cpu_seconds(pid) - self.start[name]) / count * 1e6:.0f}"
                 for name, pid in self.pids.items()]
        return "cpu us/op: " + ", ".join(parts)


METER_PIDS: dict[str, int | None] = {"client": None}


def report(name: str, count: int, seconds: float, latencies: list[float], meter: CpuMeter | None = None) -> float:
    rate = count / seconds
    print(f"{name:<28} {rate:9.0f} ops/s   p50 {percentile(latencies, .5) * 1000:7.2f} ms"
          f"   p99 {percentile(latencies, .99) * 1000:7.2f} ms   ({count} ops)"
          + (f"   {meter.summary(count)}" if meter else ""))
    return rate


async def run_concurrently(count: int, concurrency: int,
                           op: Callable[[int], Awaitable[Any]]) -> tuple[float, list[float]]:
    """Run op(0..count-1) with `concurrency` workers; (elapsed seconds, per-op latencies)."""
    latencies: list[float] = []
    next_index = iter(range(count))
    global LAST_METER
    LAST_METER = CpuMeter(METER_PIDS)

    async def worker() -> None:
        for i in next_index:
            start = time.perf_counter()
            await op(i)
            latencies.append(time.perf_counter() - start)

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - start, latencies


LAST_METER: CpuMeter | None = None


def pod_body(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"app": "bench"}},
            "spec": {"containers": [{"name": "app", "image": "minikube-py/busybox:latest",
                                     "command": ["sleep", "3600"]}]}}


async def bench_raw_etcd(etcd: Etcd, count: int, concurrency: int) -> float:
    host, port = etcd.endpoint.removeprefix("http://").split(":")
    async with aetcd.Client(host=host, port=int(port)) as client:
        value = json.dumps(pod_body("x")).encode()

        async def create(i: int) -> None:
            key = f"/raw-bench/pods/default/p{i}".encode()
            ok, _ = await client.transaction(compare=[client.transactions.create(key) == 0],
                                             success=[client.transactions.put(key, value)], failure=[])
            assert ok

        seconds, latencies = await run_concurrently(count, concurrency, create)
    return report("raw etcd create txn", count, seconds, latencies, LAST_METER)


async def bench_api(server: ApiServer, session: aiohttp.ClientSession, count: int, concurrency: int,
                    apply: bool = False) -> float:
    base = f"{server.url}/api/v1/namespaces/bench/pods"

    async def create(i: int) -> None:
        async with session.post(base, json=pod_body(f"p{i}")) as response:
            assert response.status == 201, await response.text()
            await response.read()

    seconds, latencies = await run_concurrently(count, concurrency, create)
    rate = report("API create (POST pod)", count, seconds, latencies, LAST_METER)

    async def get(i: int) -> None:
        async with session.get(f"{base}/p{i}") as response:
            assert response.status == 200
            await response.read()

    seconds, latencies = await run_concurrently(count, concurrency, get)
    report("API get", count, seconds, latencies, LAST_METER)

    lists = 20

    async def list_all(_: int) -> None:
        async with session.get(base) as response:
            assert len((await response.json())["items"]) == count

    seconds, latencies = await run_concurrently(lists, 4, list_all)
    report(f"API list ({count} pods)", lists, seconds, latencies)

    async def patch(i: int) -> None:
        async with session.patch(f"{base}/p{i}", data=json.dumps({"metadata": {"labels": {"rev": "2"}}}),
                                 headers={"Content-Type": "application/strategic-merge-patch+json"}) as response:
            assert response.status == 200, await response.text()
            await response.read()

    seconds, latencies = await run_concurrently(count, concurrency, patch)
    report("API update (PATCH pod)", count, seconds, latencies, LAST_METER)
    if apply:
        async def server_side_apply(i: int) -> None:
            config = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"p{i}", "labels": {"rev": "3"}}}
            async with session.patch(f"{base}/p{i}?fieldManager=bench&force=true", data=json.dumps(config),
                                     headers={"Content-Type": "application/apply-patch+yaml"}) as response:
                assert response.status == 200, await response.text()
                await response.read()

        seconds, latencies = await run_concurrently(count, concurrency, server_side_apply)
        report("API server-side apply", count, seconds, latencies, LAST_METER)
    return rate


async def bench_create_encodings(server: ApiServer, session: aiohttp.ClientSession, count: int,
                                 concurrency: int, rounds: int = 8) -> None:
    """POST pods with JSON and with protobuf bodies, alternating in rounds so that drift hits both alike."""
    base = f"{server.url}/api/v1/namespaces/bench/pods"
    encoders: dict[str, tuple[str, Callable[[dict[str, Any]], bytes]]] = {
        "JSON": ("application/json", lambda obj: json.dumps(obj).encode()),
        "protobuf": (PROTOBUF, encode_protobuf)}
    per_round = max(1, count // rounds)
    results: dict[str, dict[str, Any]] = {name: {"seconds": 0.0, "latencies": [], "server_cpu": 0.0}
                                          for name in encoders}
    for round_number in range(rounds):
        for name, (content_type, encode) in encoders.items():
            headers = {"Content-Type": content_type, "Accept": f"{PROTOBUF},application/json"}
            # encoded before the clock starts: the client's encoder (Python here, Go in kubectl) is not
            # the server's create path, and it shares the two cores with the server
            bodies = [encode(pod_body(f"{name.lower()}-{round_number}-{i}")) for i in range(per_round)]

            async def create(i: int, bodies: list[bytes] = bodies, headers: dict[str, str] = headers) -> None:
                async with session.post(base, data=bodies[i], headers=headers) as response:
                    assert response.status == 201, await response.text()
                    await response.read()

            seconds, latencies = await run_concurrently(per_round, concurrency, create)
            result = results[name]
            result["seconds"] += seconds
            result["latencies"] += latencies
            assert LAST_METER is not None            # measure() set it before any phase
            result["server_cpu"] += cpu_seconds(METER_PIDS["apiserver"]) - LAST_METER.start["apiserver"]
    rates = {}
    for name, result in results.items():
        total = per_round * rounds
        rates[name] = report(f"API create, {name} body", total, result["seconds"], result["latencies"])
        print(f"{'':<28} apiserver cpu {result['server_cpu'] / total * 1e6:.0f} us/op")
    print(f"{'ratio protobuf/JSON create':<28} {rates['protobuf'] / rates['JSON']:9.2f}   (target >= 0.9)")


async def bench_watch(server: ApiServer, watchers: int, events: int) -> list[float]:
    """Open `watchers` watches, create `events` objects; delivery delay per (event, watcher)."""
    base = f"{server.url}/api/v1/namespaces/bench/configmaps"
    sent: dict[str, float] = {}
    delays: list[float] = []
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=None)) as session:
        async with session.get(base) as response:
            rv = (await response.json())["metadata"]["resourceVersion"]
        streams = []
        for start in range(0, watchers, 100):
            batch = [session.get(f"{base}?watch=1&resourceVersion={rv}")
                     for _ in range(start, min(start + 100, watchers))]
            streams += await asyncio.gather(*batch)

        async def consume(response: aiohttp.ClientResponse) -> None:
            for _ in range(events):
                line = await response.content.readline()
                name = json.loads(line)["object"]["metadata"]["name"]
                delays.append(time.perf_counter() - sent[name])

        consumers = [asyncio.create_task(consume(r)) for r in streams]
        for i in range(events):
            name = f"w{i}"
            sent[name] = time.perf_counter()
            async with session.post(base, json={"apiVersion": "v1", "kind": "ConfigMap",
                                                "metadata": {"name": name}}) as response:
                assert response.status == 201
            await asyncio.sleep(0.2)
        await asyncio.wait_for(asyncio.gather(*consumers), timeout=120)
        for response in streams:
            response.close()
    return delays


async def main(args: argparse.Namespace) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 4 * args.watchers + 1024)), hard))
    etcd = Etcd()
    etcd.start()
    server = ApiServer(etcd, extra=["-v", "0"])
    try:
        server.start()
        METER_PIDS.update({"apiserver": server.pid, "etcd": etcd.pid})
        raw = await bench_raw_etcd(etcd, args.objects, args.concurrency)
        connector = aiohttp.TCPConnector(limit=args.concurrency)
        async with aiohttp.ClientSession(connector=connector) as session:
            async with session.post(f"{server.url}/api/v1/namespaces", json={
                    "apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "bench"}}) as response:
                assert response.status == 201
            api = await bench_api(server, session, args.objects, args.concurrency, args.apply)
            await bench_create_encodings(server, session, args.objects, args.concurrency)
        print(f"{'ratio API/raw create':<28} {api / raw:9.2f}   (target >= 0.6 at {args.concurrency} clients)")
        if not args.watchers:
            return
        delays = await bench_watch(server, args.watchers, args.watch_events)
        print(f"{'watch delivery':<28} {len(delays)} deliveries to {args.watchers} watchers:"
              f" p50 {statistics.median(delays) * 1000:.1f} ms, p99 {percentile(delays, .99) * 1000:.1f} ms"
              f"   (target p99 < 100 ms)")
    finally:
        server.stop()
        etcd.remove()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--watchers", type=int, default=1000)
    parser.add_argument("--watch-events", type=int, default=20)
    parser.add_argument("--apply", action="store_true", help="also time server-side apply")
    asyncio.run(main(parser.parse_args()))
