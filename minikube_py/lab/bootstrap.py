"""What a new lab cluster needs from the API, and how `lab up` knows it is ready.

- The cluster DNS Service: kube-system/kube-dns with clusterIP 10.96.0.10
  (ports 53/UDP "dns" and 53/TCP "dns-tcp", as kubeadm makes it). It has no
  selector — the DNS server is a lab process, not a pod — so the lab writes
  its Endpoints itself: node 1's address, where the server listens.
- Readiness: a node is Ready when its agent posts the Ready condition.

Plain urllib, because these are a handful of blocking calls from the CLI.
"""
from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any

from minikube_py.api.conditions import find_condition, is_true
from minikube_py.lab.config import CLUSTER_DNS_IP, LabConfig

DNS_PORTS = [{"name": "dns", "port": 53, "protocol": "UDP"}, {"name": "dns-tcp", "port": 53, "protocol": "TCP"}]


def request(config: LabConfig, method: str, path: str, body: dict | None = None,
            timeout: float = 5.0) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(config.api_url + path, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as answer:
            return answer.status, json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def api_ready(config: LabConfig) -> bool:
    try:
        with urllib.request.urlopen(config.api_url + "/readyz", timeout=1.0) as answer:
            return answer.status == 200
    except OSError:
        return False


def _create(config: LabConfig, path: str, body: dict) -> None:
    code, answer = request(config, "POST", path, body)
    if code not in (200, 201, 409):
        raise RuntimeError(f"POST {path}: {code} {answer}")


def ensure_dns_service(config: LabConfig, addresses: list[str] | None = None) -> None:
    """The Service and its Endpoints: node 1's address, or `addresses` (the Vagrant lab's DNS servers)."""
    base = "/api/v1/namespaces/kube-system"
    meta = {"name": "kube-dns", "namespace": "kube-system",
            "labels": {"k8s-app": "kube-dns", "kubernetes.io/name": "CoreDNS"}}
    _create(config, f"{base}/services", {
        "apiVersion": "v1", "kind": "Service", "metadata": meta,
        "spec": {"clusterIP": CLUSTER_DNS_IP,
                 "ports": [{**p, "targetPort": 53} for p in DNS_PORTS]}})
    _create(config, f"{base}/endpoints", {
        "apiVersion": "v1", "kind": "Endpoints", "metadata": meta,
        "subsets": [{"addresses": [{"ip": ip} for ip in addresses or [config.node_ip(1)]],
                     "ports": DNS_PORTS}]})


def node_ready(node: dict[str, Any]) -> bool:
    return is_true(find_condition((node.get("status") or {}).get("conditions"), "Ready"))


def ready_nodes(config: LabConfig) -> set[str]:
    try:
        code, answer = request(config, "GET", "/api/v1/nodes")
    except OSError:
        return set()
    if code != 200:
        return set()
    return {n["metadata"]["name"] for n in answer.get("items") or [] if node_ready(n)}


def pod_cidr(config: LabConfig, node: str) -> str | None:
    try:
        code, answer = request(config, "GET", f"/api/v1/nodes/{node}", timeout=2.0)
    except OSError:
        return None
    return (answer.get("spec") or {}).get("podCIDR") if code == 200 else None


def wait_for(check, timeout: float, pause: float = 0.5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(pause)
    return False
