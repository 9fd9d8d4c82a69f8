"""End to end: a real 3-node one-machine lab, the hello example on it, and `lab down`.

The lab gets a random name and its own /24, so it never meets a lab somebody
already runs (the default one on 192.168.56.0/24 included); `lab down` runs in
a finalizer, so nothing is left behind even when a test fails. All waits are
bounded polls; the whole module takes about a minute.
"""
from __future__ import annotations

import functools
import json
import os
import random
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from minikube_py.lab import netsetup, state
from minikube_py.lab.config import LabConfig
from minikube_py.testing import eventually_sync

ROOT = Path(__file__).resolve().parents[2]
IMAGES = ("minikube-py/pause:latest", "minikube-py/hello:latest")


def _docker_ready() -> bool:
    return shutil.which("docker") is not None and subprocess.run(
        ["docker", "image", "inspect", *IMAGES], capture_output=True).returncode == 0


pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="the lab needs root"),
    pytest.mark.skipif(not _docker_ready(), reason="needs dockerd and the lab images (minikube-py images build)"),
    pytest.mark.timeout(240),
]


def lab_cli(config: LabConfig, *args: str, timeout: float = 150) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "minikube_py.lab", *args, "--name", config.name],
                          capture_output=True, text=True, timeout=timeout)


def free_subnet() -> str:
    """A 192.168.x.0/24 that no route on this host mentions yet."""
    routes = subprocess.run(["ip", "-4", "route", "show", "table", "all"], capture_output=True, text=True).stdout
    for _ in range(50):
        prefix = f"192.168.{random.randint(100, 250)}."
        if prefix not in routes:
            return prefix + "0/24"
    pytest.skip("no free 192.168.x.0/24 for the lab")


def api(config: LabConfig, path: str) -> dict:
    with urllib.request.urlopen(config.api_url + path, timeout=5) as answer:
        return json.loads(answer.read())


# The lab converges in tens of seconds, and its checks fail while it does (connection refused,
# a field not there yet): the one polling helper, configured for that.
eventually = functools.partial(eventually_sync, timeout=90.0, interval=1.0, retry_on=(Exception,))


@pytest.fixture(scope="module")
def lab():
    config = LabConfig(name="e" + uuid.uuid4().hex[:7], nodes=3, subnet=free_subnet())
    try:
        up = lab_cli(config, "up", "--nodes", "3", "--subnet", config.subnet, "--timeout", "120")
        assert up.returncode == 0, up.stdout + up.stderr
        yield config
    finally:
        lab_cli(config, "down", timeout=120)


def mkctl(config: LabConfig, *args: str) -> str:
    env = {**os.environ, "KUBECONFIG": str(config.state_dir / "kubeconfig")}
    done = subprocess.run([str(Path(sys.executable).parent / "mkctl"), *args], capture_output=True, text=True,
                          env=env, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_every_node_is_ready_with_its_pod_cidr(lab: LabConfig) -> None:
    nodes = {n["metadata"]["name"]: n for n in api(lab, "/api/v1/nodes")["items"]}
    assert sorted(nodes) == [lab.node_name(i) for i in lab.node_indexes()]
    for i in lab.node_indexes():
        node = nodes[lab.node_name(i)]
        assert any(c["type"] == "Ready" and c["status"] == "True" for c in node["status"]["conditions"])
        assert {"type": "InternalIP", "address": lab.node_ip(i)} in node["status"]["addresses"]
    eventually(lambda: all(n["spec"].get("podCIDR") for n in api(lab, "/api/v1/nodes")["items"]), "podCIDRs")


def running_hello_pods(lab: LabConfig) -> list[dict]:
    pods = api(lab, "/api/v1/namespaces/default/pods?labelSelector=app%3Dhello")["items"]
    ready = [p for p in pods if p["status"].get("phase") == "Running" and p["status"].get("podIP")
             and all(c.get("ready") for c in p["status"].get("containerStatuses") or [{}])]
    return ready if len(ready) == 3 else []


def test_hello_runs_on_the_nodes(lab: LabConfig) -> None:
    mkctl(lab, "apply", "-f", str(ROOT / "examples" / "hello.yaml"))
    pods = eventually(lambda: running_hello_pods(lab), "3 hello pods Running and Ready", timeout=120)
    nodes = {p["spec"]["nodeName"] for p in pods}
    assert len(nodes) >= 2, f"3 replicas on one node: {nodes}"
    for pod in pods:       # each pod IP comes from its node's podCIDR
        i = lab.node_index(pod["spec"]["nodeName"])
        assert pod["status"]["podIP"].startswith(f"10.244.{i}."), pod["status"]
    assert pod["metadata"]["name"] in mkctl(lab, "get", "pods", "-o", "wide")


def in_pod(lab: LabConfig, *argv: str) -> str:
    client = subprocess.run(["docker", "ps", "-q", "--filter", "label=io.minikube-py.container=hello",
                             "--filter", f"label=io.minikube-py.node={lab.node_name(1)}"],
                            capture_output=True, text=True).stdout.split()
    if not client:          # no hello pod on node 1: any of this lab's
        client = [line for i in lab.node_indexes() for line in subprocess.run(
            ["docker", "ps", "-q", "--filter", "label=io.minikube-py.container=hello", "--filter",
             f"label=io.minikube-py.node={lab.node_name(i)}"], capture_output=True, text=True).stdout.split()]
    done = subprocess.run(["docker", "exec", client[0], *argv], capture_output=True, text=True, timeout=10)
    return done.stdout if done.returncode == 0 else ""


def test_the_service_answers_by_cluster_ip_dns_name_and_node_port(lab: LabConfig) -> None:
    eventually(lambda: running_hello_pods(lab), "the hello pods", timeout=60)
    service = api(lab, "/api/v1/namespaces/default/services/hello")
    cluster_ip, node_port = service["spec"]["clusterIP"], service["spec"]["ports"][0]["nodePort"]
    pods = {p["metadata"]["name"] for p in running_hello_pods(lab)}
    answered: set[str] = set()
    def every_pod_answers() -> bool:
        answer = in_pod(lab, "wget", "-q", "-O", "-", f"http://{cluster_ip}/")
        answered.update(name for name in pods if name in answer)
        return answered == pods
    eventually(every_pod_answers, f"every pod behind ClusterIP {cluster_ip}", timeout=60, interval=0.2)
    assert eventually(lambda: "hello from" in in_pod(lab, "wget", "-q", "-O", "-", "http://hello/"),
                      "the Service by its DNS name", timeout=30)
    assert eventually(lambda: "APIVersions" in in_pod(lab, "wget", "-q", "-O", "-", "http://kubernetes.default:443/api"),
                      "the API server through the kubernetes Service", timeout=30)
    for i in lab.node_indexes():
        url = f"http://{lab.node_ip(i)}:{node_port}/"
        eventually(functools.partial(_serves_hello, url), f"NodePort {url}", timeout=30)


def _serves_hello(url: str) -> bool:
    return b"hello from" in urllib.request.urlopen(url, timeout=3).read()


def rollout_finished(lab: LabConfig) -> bool:
    """Every replica updated and available, and no old pod still terminating."""
    deployment = api(lab, "/apis/apps/v1/namespaces/default/deployments/hello")
    status = deployment["status"]
    pods = api(lab, "/api/v1/namespaces/default/pods?labelSelector=app%3Dhello")["items"]
    return (status.get("observedGeneration") == deployment["metadata"]["generation"]
            and status.get("updatedReplicas") == status.get("availableReplicas") == status.get("replicas") == 3
            and len(pods) == 3)


HELLO_ONLY_FROM_FRIENDS = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: hello-from-friends, namespace: default}
spec:
  podSelector: {matchLabels: {app: hello}}
  ingress: [{from: [{podSelector: {matchLabels: {role: friend}}}], ports: [{port: http}]}]
"""


def test_a_network_policy_blocks_hello_for_a_client_pod_and_an_allow_restores_it(lab: LabConfig,
                                                                                 tmp_path: Path) -> None:
    """Every node's netpol agent (agent/netpol) enforces it: a hello pod as the client, the
    others as servers (on other nodes too)."""
    eventually(lambda: running_hello_pods(lab), "the hello pods", timeout=60)
    client_ip = eventually(lambda: in_pod(lab, "hostname", "-i").strip(), "the client pod's IP", timeout=30)
    targets = [p["status"]["podIP"] for p in running_hello_pods(lab) if p["status"]["podIP"] != client_ip]
    assert targets, running_hello_pods(lab)

    def answered() -> list[bool]:
        return ["hello from" in in_pod(lab, "wget", "-q", "-O", "-", f"http://{ip}:8080/") for ip in targets]
    policy = tmp_path / "policy.yaml"
    policy.write_text(HELLO_ONLY_FROM_FRIENDS)
    mkctl(lab, "apply", "-f", str(policy))
    try:
        eventually(lambda: not any(answered()), f"hello pods {targets} to refuse a pod that is no friend")
        policy.write_text(HELLO_ONLY_FROM_FRIENDS.replace("{role: friend}", "{app: hello}"))
        mkctl(lab, "apply", "-f", str(policy))
        eventually(lambda: all(answered()), "the allow to let the hello pods reach each other again")
    finally:
        mkctl(lab, "delete", "-f", str(policy))
    assert eventually(lambda: "hello from" in in_pod(lab, "wget", "-q", "-O", "-", "http://hello/"),
                      "the Service once the policy is gone", timeout=30)


def test_a_rolling_update_keeps_the_service_answering(lab: LabConfig) -> None:
    """No request fails while every pod is replaced, as in Kubernetes: a new pod gets traffic
    only once its readiness probe passes; a terminating pod leaves the Endpoints at once (here
    within 0.5 s of its deletionTimestamp under a load average of 20) and keeps serving for its
    preStop `sleep 2` while every node's proxy drops it (examples/hello.yaml). Like Kubernetes,
    nothing guarantees the proxies are done within the preStop delay: on a machine loaded far
    beyond that, a request can still reach a pod that has exited; each failure says when and how
    it failed (refused/reset: a pod gone from behind a rule; timed out: maybe only the load)."""
    eventually(lambda: running_hello_pods(lab), "the hello pods", timeout=60)
    node_port = api(lab, "/api/v1/namespaces/default/services/hello")["spec"]["ports"][0]["nodePort"]
    before = {p["metadata"]["name"] for p in running_hello_pods(lab)}
    mkctl(lab, "rollout", "restart", "deployment/hello")
    started = time.monotonic()
    failures, answered, deadline = [], 0, started + 150     # a bound for a loaded machine, not a target
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://{lab.node_ip(2)}:{node_port}/", timeout=2).read()
            answered += 1
        except OSError as e:      # when, and how: refused/reset (no pod behind the rule) or timed out
            failures.append(f"{time.monotonic() - started:.1f}s {e!r}")
        if answered % 25 == 0 and rollout_finished(lab) and not before & {p["metadata"]["name"] for p in
                                                                           running_hello_pods(lab)}:
            break
    else:
        raise AssertionError(f"the rollout did not finish in 150 s: {describe_hello_pods(lab)}")
    assert failures == [], (f"{len(failures)} of {answered + len(failures)} requests failed: {failures[:10]}; "
                            f"pods now: {describe_hello_pods(lab)}")


def describe_hello_pods(lab: LabConfig) -> list[str]:
    pods = api(lab, "/api/v1/namespaces/default/pods?labelSelector=app%3Dhello")["items"]
    return [f"{p['metadata']['name']} {p['status'].get('phase')} {p['status'].get('podIP')} "
            f"{'terminating' if p['metadata'].get('deletionTimestamp') else ''}" for p in pods]


def post(lab: LabConfig, path: str, body: dict, method: str = "POST") -> dict:
    request = urllib.request.Request(lab.api_url + path, data=json.dumps(body).encode(), method=method,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as answer:
        return json.loads(answer.read())


def node_rules(lab: LabConfig) -> str:
    return "".join(subprocess.run(["nsenter", f"--net=/var/run/netns/{lab.netns(i)}", "iptables-save", "-t", "nat"],
                                  capture_output=True, text=True).stdout for i in lab.node_indexes())


def namespace_containers(lab: LabConfig, namespace: str, form: str = "{{.ID}}") -> list[str]:
    return subprocess.run(["docker", "ps", "-a", "--format", form, "--filter",
                           f"label=io.minikube-py.pod-namespace={namespace}"],
                          capture_output=True, text=True).stdout.splitlines()


def leftover_evidence(lab: LabConfig, namespace: str) -> str:
    """What a failure needs to be explained: each leftover container with its pod and node,
    and what that node's agent logged about the pod."""
    lines = namespace_containers(lab, namespace, '{{.Names}} {{.Status}} {{.Label "io.minikube-py.pod-uid"}} '
                                                 '{{.Label "io.minikube-py.node"}}')
    pods = {line.split()[0].split("_")[2]: line.split()[-1] for line in lines}
    logs = []
    for pod, node in pods.items():
        if node not in {lab.node_name(i) for i in lab.node_indexes()}:
            continue
        log = state.log_file(lab, f"agent-node{lab.node_index(node)}")
        logs += [line for line in log.read_text().splitlines() if pod in line] if log.exists() else []
    return "\n".join(["", *lines, f"agent log lines about {sorted(pods)}:", *logs[-40:]])


def test_deleting_a_namespace_removes_its_containers_and_rules_on_every_node(lab: LabConfig) -> None:
    ns = "gone-" + uuid.uuid4().hex[:6]
    post(lab, "/api/v1/namespaces", {"metadata": {"name": ns}})
    post(lab, f"/api/v1/namespaces/{ns}/configmaps", {"metadata": {"name": "settings"}, "data": {"a": "b"}})
    post(lab, f"/api/v1/namespaces/{ns}/services", {"metadata": {"name": "web"}, "spec": {
        "selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]}})
    template = {"metadata": {"labels": {"app": "web"}}, "spec": {"terminationGracePeriodSeconds": 2, "containers": [
        {"name": "web", "image": "minikube-py/hello:latest", "imagePullPolicy": "IfNotPresent"}]}}
    post(lab, f"/apis/apps/v1/namespaces/{ns}/deployments", {"metadata": {"name": "web"}, "spec": {
        "replicas": 2, "selector": {"matchLabels": {"app": "web"}}, "template": template}})
    eventually(lambda: len(namespace_containers(lab, ns)) >= 4, "2 pods' containers", timeout=60)
    eventually(lambda: node_rules(lab).count(f"{ns}/web") >= lab.nodes, "the service's rules on every node",
               timeout=30)
    request = urllib.request.Request(f"{lab.api_url}/api/v1/namespaces/{ns}", method="DELETE")
    urllib.request.urlopen(request, timeout=5).read()
    def namespace_gone() -> bool:
        try:
            api(lab, f"/api/v1/namespaces/{ns}")
        except urllib.error.HTTPError as e:
            return e.code == 404
        return False
    eventually(namespace_gone, f"namespace {ns} to be deleted", timeout=90)
    eventually(lambda: not namespace_containers(lab, ns), "its containers to be removed", timeout=60,
               explain=lambda: leftover_evidence(lab, ns))
    eventually(lambda: f"{ns}/" not in node_rules(lab), "its iptables rules to go on every node", timeout=30)


def pods_by_node(lab: LabConfig, namespace: str, app: str) -> dict[str, str]:
    pods = api(lab, f"/api/v1/namespaces/{namespace}/pods?labelSelector=app%3D{app}")["items"]
    return {p["metadata"]["name"]: p["spec"].get("nodeName") for p in pods
            if p["status"].get("phase") == "Running" and not p["metadata"].get("deletionTimestamp")}


def node_condition(lab: LabConfig, node: str) -> str:
    conditions = api(lab, f"/api/v1/nodes/{node}")["status"]["conditions"]
    return next(c["status"] for c in conditions if c["type"] == "Ready")


def test_a_stopped_node_goes_not_ready_its_pods_move_and_it_comes_back(lab: LabConfig) -> None:
    """Node lifecycle: no heartbeat for 40 s -> Ready Unknown + unreachable taint -> pods that
    tolerate it for 2 s are evicted and their ReplicaSet recreates them on the other nodes."""
    ns = "default"
    tolerations = [{"key": f"node.kubernetes.io/{taint}", "operator": "Exists", "effect": "NoExecute",
                    "tolerationSeconds": 2} for taint in ("unreachable", "not-ready")]
    template = {"metadata": {"labels": {"app": "movers"}}, "spec": {
        "terminationGracePeriodSeconds": 1, "tolerations": tolerations, "containers": [
            {"name": "web", "image": "minikube-py/hello:latest", "imagePullPolicy": "IfNotPresent"}]}}
    post(lab, f"/apis/apps/v1/namespaces/{ns}/deployments", {"metadata": {"name": "movers"}, "spec": {
        "replicas": 3, "selector": {"matchLabels": {"app": "movers"}}, "template": template}})
    def three_running() -> dict[str, str] | None:
        placed = pods_by_node(lab, ns, "movers")
        return placed if len(placed) == 3 else None
    placed = eventually(three_running, "3 movers Running", timeout=60)
    node = sorted(placed.values())[-1]               # a node that runs at least one mover
    short = f"node{lab.node_index(node)}"
    assert lab_cli(lab, "stop", short).returncode == 0
    assert "stopped" in lab_cli(lab, "status").stdout
    try:
        eventually(lambda: node_condition(lab, node) != "True", f"{node} to go NotReady", timeout=70)
        eventually(lambda: len(now := pods_by_node(lab, ns, "movers")) == 3 and node not in now.values(),
                   "the movers to be recreated on the other nodes", timeout=60)
    finally:
        started = lab_cli(lab, "start", short)
    assert started.returncode == 0, started.stdout + started.stderr
    eventually(lambda: node_condition(lab, node) == "True", f"{node} to be Ready again", timeout=60)


def test_a_crashed_component_is_restarted_and_the_restart_logged(lab: LabConfig) -> None:
    old = state.live_pid(lab, "scheduler")
    assert old is not None, "the lab's scheduler is not running"
    os.kill(old, 9)
    eventually(lambda: state.live_pid(lab, "scheduler") not in (None, old), "a new scheduler", timeout=30)
    assert "scheduler exited (code -9): restart #1" in state.log_file(lab, "supervisor").read_text()
    assert "scheduler" in lab_cli(lab, "status").stdout


def _lab_processes(name: str) -> list[int]:
    return [int(p.name) for p in Path("/proc").iterdir()
            if p.name.isdigit() and state.belongs_to_lab(int(p.name), name)]


def test_lab_down_leaves_nothing_behind(lab: LabConfig) -> None:
    down = lab_cli(lab, "down", timeout=120)
    assert down.returncode == 0, down.stdout + down.stderr
    assert not [i for i in lab.node_indexes() if netsetup.netns_exists(lab.netns(i))]
    assert not netsetup.bridge_exists(lab)
    assert not netsetup.forward_rule_present(lab)
    for i in lab.node_indexes():
        assert not subprocess.run(["docker", "ps", "-aq", "--filter", f"label=io.minikube-py.node={lab.node_name(i)}"],
                                  capture_output=True, text=True).stdout.strip()
    assert _lab_processes(lab.name) == []
    assert not lab.state_dir.exists()
    assert lab.subnet.split("/")[0].rsplit(".", 1)[0] not in subprocess.run(
        ["ip", "route"], capture_output=True, text=True).stdout
    if not state.other_labs(lab):
        assert netsetup.blackholes() == []
