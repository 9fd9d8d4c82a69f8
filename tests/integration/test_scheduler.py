"""The scheduler against a real API server (its own etcd prefix, so node counts are exact) with
Node objects and no agents. Most tests run the scheduler in-process as an asyncio task; the restart
test runs it as a real process and kills it mid-batch. Waits are bounded polls, never timings."""
from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from minikube_py.client.config import ClientConfig
from minikube_py.client.rest import ApiClient
from minikube_py.testing import ROOT, eventually
from scheduler.config import SchedulerConfig
from scheduler.explain import DECISION_ANNOTATION
from scheduler.scheduler import Scheduler
from tests.controller_harness import InProcessManager, replica_set
from tests.helpers import Http, namespace, pod

TAINT = {"key": "key", "value": "value", "effect": "NoSchedule"}


@pytest.fixture
async def cluster(private_apiserver, unique):
    async with aiohttp.ClientSession() as session:
        yield Cluster(Http(private_apiserver.url, session), f"s-{unique}", private_apiserver.url)


class Cluster:
    """Nodes and pods of one test, removed afterwards by the fixture's caller."""

    def __init__(self, http: Http, ns: str, url: str) -> None:
        self.http, self.ns, self.url = http, ns, url
        self.nodes: list[str] = []

    async def setup(self) -> None:
        await self.http.ok("POST", "/api/v1/namespaces", namespace(self.ns))

    async def teardown(self) -> None:
        for name in self.nodes:
            await self.http.delete(f"/api/v1/nodes/{name}")
        await self.http.delete(f"/api/v1/namespaces/{self.ns}")

    async def node(self, name: str, cpu: str = "4", memory: str = "8Gi", labels: dict | None = None,
                   taints: list | None = None, unschedulable: bool = False) -> None:
        body = {"apiVersion": "v1", "kind": "Node",
                "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, **(labels or {})}},
                "spec": {"taints": taints or [], "unschedulable": unschedulable},
                "status": {"allocatable": {"cpu": cpu, "memory": memory, "pods": "110"},
                           "capacity": {"cpu": cpu, "memory": memory, "pods": "110"},
                           "conditions": [{"type": "Ready", "status": "True"}]}}
        created = await self.http.ok("POST", "/api/v1/nodes", body)
        self.nodes.append(name)
        if not (created.get("status") or {}).get("allocatable"):       # status ignored on create: set it
            created["status"] = body["status"]
            await self.http.ok("PUT", f"/api/v1/nodes/{name}/status", created)

    async def pod(self, name: str, scheduler: str, cpu: str | None = None, **spec: Any) -> None:
        body = pod(name, labels=spec.pop("labels", None), schedulerName=scheduler, **spec)
        if cpu:
            body["spec"]["containers"][0]["resources"] = {"requests": {"cpu": cpu}}
        await self.http.ok("POST", f"/api/v1/namespaces/{self.ns}/pods", body)

    async def get_pod(self, name: str) -> dict:
        return await self.http.ok("GET", f"/api/v1/namespaces/{self.ns}/pods/{name}")

    async def node_of(self, name: str) -> str | None:
        return (await self.get_pod(name))["spec"].get("nodeName")

    async def wait_bound(self, name: str) -> str:
        return await eventually(lambda: self.node_of(name), f"pod {name} bound", interval=0.05)

    async def wait_all_bound(self, selector: str, count: int) -> dict[str, str]:
        """Pod name -> node, once `count` pods match `selector` and all are bound."""
        async def all_bound() -> dict[str, str] | None:
            items = (await self.http.ok("GET", f"/api/v1/namespaces/{self.ns}/pods?labelSelector={selector}"))["items"]
            placed = {p["metadata"]["name"]: p["spec"].get("nodeName") for p in items}
            return placed if len(placed) == count and all(placed.values()) else None
        return await eventually(all_bound, f"{count} pods {selector} all bound", interval=0.05)

    async def wait_condition(self, name: str) -> dict:
        async def unschedulable() -> dict | None:
            for condition in (await self.get_pod(name)).get("status", {}).get("conditions") or []:
                if condition["type"] == "PodScheduled" and condition["status"] == "False":
                    return condition
            return None
        return await eventually(unschedulable, f"pod {name} PodScheduled=False", interval=0.05)

    async def events(self, reason: str) -> list[dict]:
        async def found() -> list[dict]:
            events = (await self.http.ok("GET", f"/api/v1/namespaces/{self.ns}/events"))["items"]
            return [e for e in events if e["reason"] == reason]
        return await eventually(found, f"a {reason} event", interval=0.05)


@contextlib.asynccontextmanager
async def running(cluster: Cluster, name: str, config: SchedulerConfig | None = None,
                  **options: Any) -> AsyncIterator[Scheduler]:
    """The cluster's setup, an in-process scheduler serving `name`, and both cleaned up even on failure."""
    await cluster.setup()
    api = ApiClient(ClientConfig(server=cluster.url))
    config = config or SchedulerConfig()
    config.scheduler_name = name
    sched = Scheduler(api, config, **options)
    task = asyncio.create_task(sched.run())
    try:
        yield sched
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await api.close()
        await cluster.teardown()


async def test_binds_records_event_and_explains(cluster: Cluster, unique: str):
    name = f"sch-{unique}"
    async with running(cluster, name, explain=True):
        await cluster.node(f"a-{unique}")
        await cluster.pod("web", name)
        node = await cluster.wait_bound("web")
        assert node == f"a-{unique}"
        events = await cluster.events("Scheduled")
        assert events[0]["message"] == f"Successfully assigned {cluster.ns}/web to {node}"
        # written with the binding itself (the API server copies the Binding's annotations)
        annotations = (await cluster.get_pod("web"))["metadata"].get("annotations") or {}
        assert json.loads(annotations[DECISION_ANNOTATION])["node"] == node


async def test_cordon_taints_and_tolerations(cluster: Cluster, unique: str):
    name = f"sch-{unique}"
    async with running(cluster, name):
        await cluster.node(f"cordoned-{unique}", unschedulable=True)
        await cluster.node(f"tainted-{unique}", taints=[TAINT])
        await cluster.pod("plain", name)
        condition = await cluster.wait_condition("plain")
        assert condition["reason"] == "Unschedulable"
        assert condition["message"] == ("0/2 nodes are available: 1 node(s) had untolerated taint {key: value}, "
                                        "1 node(s) were unschedulable.")
        toleration = {"key": "key", "operator": "Equal", "value": "value", "effect": "NoSchedule"}
        await cluster.pod("tolerant", name, tolerations=[toleration])
        assert await cluster.wait_bound("tolerant") == f"tainted-{unique}"


async def test_node_selector_and_node_affinity(cluster: Cluster, unique: str):
    name = f"sch-{unique}"
    async with running(cluster, name):
        for disk, zone in (("ssd", "a"), ("hdd", "b"), ("hdd", "c")):
            await cluster.node(f"{disk}-{zone}-{unique}", labels={"disk": disk, "zone": zone})
        await cluster.pod("wants-ssd", name, nodeSelector={"disk": "ssd"})
        affinity = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
            {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["c"]}]}]}}}
        await cluster.pod("wants-zone-c", name, affinity=affinity)
        assert await cluster.wait_bound("wants-ssd") == f"ssd-a-{unique}"
        assert await cluster.wait_bound("wants-zone-c") == f"hdd-c-{unique}"


async def test_pod_anti_affinity_spreads_replicas(cluster: Cluster, unique: str):
    name = f"sch-{unique}"
    web = {"app": "web"}
    anti = {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
        {"labelSelector": {"matchLabels": web}, "topologyKey": "kubernetes.io/hostname"}]}}
    async with running(cluster, name):
        for i in range(3):
            await cluster.node(f"n{i}-{unique}")
        for i in range(4):
            await cluster.pod(f"web-{i}", name, labels=web, affinity=anti)
        nodes = [await cluster.wait_bound(f"web-{i}") for i in range(3)]
        assert len(set(nodes)) == 3
        condition = await cluster.wait_condition("web-3")
        assert condition["message"] == "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules."


async def test_replica_set_pods_are_spread_by_the_system_default_constraints(cluster: Cluster, unique: str):
    """A ReplicaSet's pods carry no topologySpreadConstraints: the system default (hostname maxSkew 3,
    ScheduleAnyway) with the ReplicaSet's selector spreads them. PodTopologySpread is the only score
    plugin here, so without the defaults every node would tie and the placement would be random."""
    name = f"sch-{unique}"
    config = SchedulerConfig(score_weights={"PodTopologySpread": 2})
    async with running(cluster, name, config):
        for letter in "abc":
            await cluster.node(f"{letter}-{unique}")
        replicas = replica_set("web", 6, {"app": "web"})
        replicas["spec"]["template"]["spec"]["schedulerName"] = name
        manager = InProcessManager(cluster.url, ["replicaset"])
        manager.start()
        try:
            await cluster.http.ok("POST", f"/apis/apps/v1/namespaces/{cluster.ns}/replicasets", replicas)
            placed = await cluster.wait_all_bound("app=web", 6)
        finally:
            await manager.stop()
        assert sorted(Counter(placed.values()).values()) == [2, 2, 2]


PRIORITY_CLASSES = "/apis/scheduling.k8s.io/v1/priorityclasses"


@contextlib.asynccontextmanager
async def priority_class(cluster: Cluster, name: str, value: int) -> AsyncIterator[str]:
    await cluster.http.ok("POST", PRIORITY_CLASSES, {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
                                                     "metadata": {"name": name}, "value": value})
    try:
        yield name
    finally:
        await cluster.http.delete(f"{PRIORITY_CLASSES}/{name}")


async def _fill_node_then_preempt(cluster: Cluster, unique: str, name: str, **victim_spec: Any) -> tuple[str, dict]:
    """A 1-CPU node full of two priority-0 pods (500m each), then a priority-1000 pod of 500m: one victim.
    Returns the node and the preemptor as the API shows it once nominated."""
    node = f"a-{unique}"
    await cluster.node(node, cpu="1")
    for low in ("low-1", "low-2"):
        await cluster.pod(low, name, cpu="500m", **victim_spec)
        assert await cluster.wait_bound(low) == node
    await cluster.pod("high", name, cpu="500m", priorityClassName=f"high-{unique}")

    async def nominated() -> dict | None:
        preemptor = await cluster.get_pod("high")
        return preemptor if preemptor["status"].get("nominatedNodeName") else None
    return node, await eventually(nominated, "the preemptor nominated", interval=0.05)


async def test_preemption_evicts_a_lower_priority_pod_and_binds_the_preemptor(cluster: Cluster, unique: str):
    """The victims' own grace period is used (kube-scheduler deletes with default options): 0 here, so
    the API server removes the victim at once; with no agent, a longer grace would keep it terminating."""
    name = f"sch-{unique}"
    async with running(cluster, name), priority_class(cluster, f"high-{unique}", 1000):
        node, preemptor = await _fill_node_then_preempt(cluster, unique, name, terminationGracePeriodSeconds=0)
        assert preemptor["spec"]["priority"] == 1000 and preemptor["status"]["nominatedNodeName"] == node
        assert await cluster.wait_bound("high") == node
        left = {p["metadata"]["name"] for p in
                (await cluster.http.ok("GET", f"/api/v1/namespaces/{cluster.ns}/pods"))["items"]}
        assert len(left & {"low-1", "low-2"}) == 1                  # one victim was enough
        (victim,) = {"low-1", "low-2"} - left
        events = [e for e in await cluster.events("Preempted") if e["involvedObject"]["name"] == victim]
        assert events[0]["type"] == "Normal"
        assert events[0]["message"] == f"Preempted by pod {preemptor['metadata']['uid']} on node {node}"


async def test_preemptor_waits_for_terminating_victims(cluster: Cluster, unique: str):
    """Victims with the default grace period stay terminating until their node's agent confirms; the
    preemptor stays nominated meanwhile and is bound once the test, playing the agent, confirms."""
    name = f"sch-{unique}"
    async with running(cluster, name), priority_class(cluster, f"high-{unique}", 1000):
        node, _ = await _fill_node_then_preempt(cluster, unique, name)

        async def victims() -> list[dict]:
            pods = [await cluster.get_pod(low) for low in ("low-1", "low-2")]
            return [p for p in pods if p["metadata"].get("deletionTimestamp")]
        terminating = await eventually(victims, "a victim terminating", interval=0.05)
        assert len(terminating) == 1
        assert await cluster.node_of("high") is None
        victim = terminating[0]["metadata"]["name"]
        await cluster.http.ok("DELETE", f"/api/v1/namespaces/{cluster.ns}/pods/{victim}",
                              {"kind": "DeleteOptions", "apiVersion": "v1", "gracePeriodSeconds": 0})
        assert await cluster.wait_bound("high") == node


async def test_insufficient_resources_then_a_node_appears(cluster: Cluster, unique: str):
    name = f"sch-{unique}"
    async with running(cluster, name):
        await cluster.node(f"small-{unique}", cpu="1")
        await cluster.node(f"t1-{unique}", taints=[TAINT])
        await cluster.node(f"t2-{unique}", taints=[TAINT])
        await cluster.pod("big", name, cpu="2")
        expected = "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had untolerated taint {key: value}."
        condition = await cluster.wait_condition("big")
        assert (condition["reason"], condition["message"]) == ("Unschedulable", expected)
        failed = await cluster.events("FailedScheduling")
        assert failed[0]["type"] == "Warning" and failed[0]["message"] == expected
        decision = json.loads((await cluster.get_pod("big"))["metadata"]["annotations"][DECISION_ANNOTATION])
        assert decision["filtered"] == {"Insufficient cpu": 1, "node(s) had untolerated taint {key: value}": 2}
        await cluster.node(f"large-{unique}", cpu="8")          # a NodeAdd event moves the pod back
        assert await cluster.wait_bound("big") == f"large-{unique}"


async def test_pods_for_another_scheduler_are_left_alone(cluster: Cluster, unique: str):
    name = f"sch-{unique}"
    async with running(cluster, name):
        await cluster.node(f"a-{unique}")
        await cluster.pod("theirs", "some-other-scheduler")
        await cluster.pod("ours", name)
        await cluster.wait_bound("ours")
        assert await cluster.node_of("theirs") is None


async def _watch_bindings(url: str, ns: str, seen: dict[str, list[str]]) -> None:
    """Record every nodeName each pod ever shows, from the first event on."""
    api = ApiClient(ClientConfig(server=url))
    try:
        async for event in api.resource("pods", ns).watch(resource_version="0"):
            obj = event.get("object") or {}
            node = (obj.get("spec") or {}).get("nodeName")
            name = (obj.get("metadata") or {}).get("name")
            if node and name and (not seen.get(name) or seen[name][-1] != node):
                seen.setdefault(name, []).append(node)
    finally:
        await api.close()


def _start_process(url: str, name: str, log_path) -> subprocess.Popen:
    log = open(log_path, "ab")
    return subprocess.Popen([sys.executable, "-m", "scheduler", "--server", url, "--scheduler-name", name, "-v", "2",
                             "--no-leader-elect"],
                            stdout=log, stderr=log, cwd=ROOT)


def _stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def test_restart_in_the_middle_of_a_batch(cluster: Cluster, unique: str, tmp_path):
    name = f"sch-{unique}"
    await cluster.setup()
    seen: dict[str, list[str]] = {}
    watcher = asyncio.create_task(_watch_bindings(cluster.url, cluster.ns, seen))
    processes: list[subprocess.Popen] = []
    try:
        for i in range(3):
            await cluster.node(f"n{i}-{unique}")
        processes.append(_start_process(cluster.url, name, tmp_path / "first.log"))
        count = 60
        await asyncio.gather(*(cluster.pod(f"p{i}", name) for i in range(count)))

        async def bound_at_least(wanted: int) -> bool:
            return len(seen) >= wanted
        await eventually(lambda: bound_at_least(5), "the first scheduler binding pods", interval=0.025)
        _stop(processes[0], signal.SIGKILL)           # no goodbye: bindings may be in flight
        processes.append(_start_process(cluster.url, name, tmp_path / "second.log"))
        await eventually(lambda: bound_at_least(count), f"all {count} pods bound", interval=0.05,
                         explain=lambda: f"{len(seen)} bound; log:\n" + (tmp_path / "second.log").read_text()[-2000:])
        assert len(seen) == count
        assert all(len(nodes) == 1 for nodes in seen.values()), {k: v for k, v in seen.items() if len(v) > 1}
    finally:
        for process in processes:
            _stop(process)
        watcher.cancel()
        await asyncio.gather(watcher, return_exceptions=True)
        await cluster.teardown()
