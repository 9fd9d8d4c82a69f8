"""Service ClusterIP / NodePort allocation, persisted in etcd and shared by API servers."""
from __future__ import annotations

import ipaddress

import aiohttp

from minikube_py.testing import ApiServer
from tests.helpers import Http


def service(name: str, **spec) -> dict:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
            "spec": {"selector": {"app": name}, "ports": [{"port": 80, "targetPort": 8080}], **spec}}


async def test_cluster_ip_allocated_from_range(http, ns):
    svc = await http.ok("POST", f"/api/v1/namespaces/{ns}/services", service("web"))
    ip = svc["spec"]["clusterIP"]
    assert ipaddress.ip_address(ip) in ipaddress.ip_network("10.96.0.0/12")
    assert svc["spec"]["clusterIPs"] == [ip] and svc["spec"]["type"] == "ClusterIP"
    assert svc["spec"]["ports"][0]["protocol"] == "TCP"


async def test_explicit_cluster_ip_honoured_then_refused(http, ns, unique):
    ip = f"10.96.{int(unique[:2], 16)}.{int(unique[2:4], 16) % 250 + 2}"
    svc = await http.ok("POST", f"/api/v1/namespaces/{ns}/services", service("a", clusterIP=ip))
    assert svc["spec"]["clusterIP"] == ip
    status, body = await http.post(f"/api/v1/namespaces/{ns}/services", service("b", clusterIP=ip))
    assert status == 422 and body["details"]["causes"][0]["field"] == "spec.clusterIP"
    assert "already allocated" in body["message"]
    status, body = await http.post(f"/api/v1/namespaces/{ns}/services", service("c", clusterIP="192.168.1.1"))
    assert status == 422 and "not in the valid range" in body["message"]
    # deleting the service frees its address
    await http.ok("DELETE", f"/api/v1/namespaces/{ns}/services/a")
    again = await http.ok("POST", f"/api/v1/namespaces/{ns}/services", service("b", clusterIP=ip))
    assert again["spec"]["clusterIP"] == ip


async def test_node_ports(http, ns):
    svc = await http.ok("POST", f"/api/v1/namespaces/{ns}/services", service("np", type="NodePort"))
    port = svc["spec"]["ports"][0]["nodePort"]
    assert 30000 <= port <= 32767
    status, body = await http.post(f"/api/v1/namespaces/{ns}/services", service(
        "np2", type="NodePort", ports=[{"port": 80, "nodePort": port}]))
    assert status == 422 and body["details"]["causes"][0]["field"] == "spec.ports[0].nodePort"
    # an update that does not mention the nodePort keeps it (kubectl apply does this)
    svc["spec"]["ports"][0].pop("nodePort")
    svc["metadata"]["labels"] = {"changed": "yes"}
    updated = await http.ok("PUT", f"/api/v1/namespaces/{ns}/services/np", svc)
    assert updated["spec"]["ports"][0]["nodePort"] == port
    # switching to ClusterIP releases the port
    updated["spec"]["type"] = "ClusterIP"
    updated["spec"]["ports"][0].pop("nodePort")
    await http.ok("PUT", f"/api/v1/namespaces/{ns}/services/np", updated)
    reuse = await http.ok("POST", f"/api/v1/namespaces/{ns}/services", service(
        "np3", type="NodePort", ports=[{"port": 80, "nodePort": port}]))
    assert reuse["spec"]["ports"][0]["nodePort"] == port


async def test_kubernetes_service_points_at_the_api_server(http, apiserver):
    svc = await http.ok("GET", "/api/v1/namespaces/default/services/kubernetes")
    assert svc["spec"]["clusterIP"] == "10.96.0.1"
    ep = await http.ok("GET", "/api/v1/namespaces/default/endpoints/kubernetes")
    assert ep["subsets"][0]["ports"][0]["port"] == apiserver.port


async def test_two_api_servers_never_hand_out_the_same_address(etcd, apiserver, ns):
    """Allocations live in etcd, so a second API server on the same etcd sees them."""
    second = ApiServer(etcd, prefix=apiserver.prefix)
    second.start()
    try:
        async with aiohttp.ClientSession() as session:
            one, two = Http(apiserver.url, session), Http(second.url, session)
            ips = []
            for i in range(10):
                server = one if i % 2 else two
                svc = await server.ok("POST", f"/api/v1/namespaces/{ns}/services", service(f"s{i}"))
                ips.append(svc["spec"]["clusterIP"])
            assert len(set(ips)) == 10
            taken = ips[0]
            status, body = await one.post(f"/api/v1/namespaces/{ns}/services", service("dup", clusterIP=taken))
            assert status == 422 and "already allocated" in body["message"]
    finally:
        second.stop()
