"""The cluster.local zone: A for services (headless too), SRV for named ports, pod names, NXDOMAIN."""
from __future__ import annotations

from dnslib import QTYPE, RCODE, DNSRecord

from agent.dns.records import ClusterZone
from agent.dns.server import handle

SERVICES = {
    ("shop", "web"): {"spec": {"clusterIP": "10.96.0.50", "ports": [{"name": "http", "port": 80}]}},
    ("shop", "db"): {"spec": {"clusterIP": "None", "ports": [{"name": "pg", "port": 5432}]}},
}
ENDPOINTS = {("shop", "db"): {"subsets": [{"addresses": [{"ip": "10.244.1.7", "hostname": "db-0"},
                                                         {"ip": "10.244.2.8"}],
                                           "notReadyAddresses": [{"ip": "10.244.3.9"}]}]}}
ZONE = ClusterZone(lambda ns, n: SERVICES.get((ns, n)), lambda ns, n: ENDPOINTS.get((ns, n)))


def ask(name: str, qtype: str = "A") -> DNSRecord:
    return DNSRecord.parse(handle(ZONE, DNSRecord.question(name, qtype).pack()))


def test_service_a_record() -> None:
    reply = ask("web.shop.svc.cluster.local")
    assert [str(r.rdata) for r in reply.rr] == ["10.96.0.50"] and reply.header.aa


def test_headless_service_answers_ready_endpoints_only() -> None:
    assert sorted(str(r.rdata) for r in ask("db.shop.svc.cluster.local").rr) == ["10.244.1.7", "10.244.2.8"]
    assert [str(r.rdata) for r in ask("db-0.db.shop.svc.cluster.local").rr] == ["10.244.1.7"]


def test_srv_for_named_port() -> None:
    (rr,) = ask("_http._tcp.web.shop.svc.cluster.local", "SRV").rr
    assert rr.rdata.port == 80 and str(rr.rdata.target) == "web.shop.svc.cluster.local."
    assert ask("_nope._tcp.web.shop.svc.cluster.local", "SRV").header.rcode == RCODE.NXDOMAIN


def test_pod_name() -> None:
    assert [str(r.rdata) for r in ask("10-244-1-7.shop.pod.cluster.local").rr] == ["10.244.1.7"]


def test_nodata_for_other_types_and_nxdomain_otherwise() -> None:
    aaaa = ask("web.shop.svc.cluster.local", "AAAA")
    assert aaaa.header.rcode == RCODE.NOERROR and not aaaa.rr
    for name in ("nope.shop.svc.cluster.local", "web.shop.svc.cluster.local.shop.svc.cluster.local",
                 "example.com", "bad-ip.shop.pod.cluster.local"):
        assert ask(name).header.rcode == RCODE.NXDOMAIN, name
    assert QTYPE.A == 1
