"""kube-proxy's iptables rules as a pure function: names, balancing, REJECT, partial payloads."""
from __future__ import annotations

from agent.proxy.conntrack import stale_udp_filters
from agent.proxy.model import Endpoint, service_ports
from agent.proxy.rules import build_ruleset, render


def _svc(name="svc1", ns="ns1", ip="10.20.30.41", ports=None, **spec) -> dict:
    ports = ports or [{"name": "p80", "port": 80, "targetPort": "http", "protocol": "TCP"}]
    return {"metadata": {"name": name, "namespace": ns}, "spec": {"clusterIP": ip, "ports": ports, **spec}}


def _eps(*ips, port=8080, name="p80", not_ready=(), protocol="TCP") -> dict:
    return {"subsets": [{"addresses": [{"ip": ip} for ip in ips],
                         "notReadyAddresses": [{"ip": ip} for ip in not_ready],
                         "ports": [{"name": name, "port": port, "protocol": protocol}]}]}


def test_chain_names_are_kube_proxys() -> None:
    (port,) = service_ports(_svc(), _eps("10.180.0.1", port=80))
    # the same names kube-proxy's own tests expect for ns1/svc1:p80 and endpoint 10.180.0.1:80
    assert port.svc_chain == "KUBE-SVC-XPGD46QRK7WJZT7O"
    assert port.sep_chain(Endpoint("10.180.0.1", 80)) == "KUBE-SEP-SXIVWICOYRO3J4NJ"


def test_named_target_port_comes_from_endpoints_and_unready_are_skipped() -> None:
    (port,) = service_ports(_svc(), _eps("10.244.1.2", "10.244.2.2", not_ready=["10.244.1.9"]))
    assert [e.address for e in port.endpoints] == ["10.244.1.2:8080", "10.244.2.2:8080"]


def test_probabilities_hairpin_and_dnat() -> None:
    (port,) = service_ports(_svc(), _eps("10.244.1.2", "10.244.1.3", "10.244.1.4"))
    rules = build_ruleset([port])
    svc = rules[("nat", port.svc_chain)]
    assert "--probability 0.3333333333" in svc[0] and "--probability 0.5000000000" in svc[1]
    assert "statistic" not in svc[2]
    sep = rules[("nat", port.sep_chain(port.endpoints[0]))]
    assert "-s 10.244.1.2/32 -j KUBE-MARK-MASQ" in sep[0]
    assert sep[1].endswith("-j DNAT --to-destination 10.244.1.2:8080")
    assert rules[("nat", "KUBE-SERVICES")][-1].endswith("-m addrtype --dst-type LOCAL -j KUBE-NODEPORTS")


def test_no_endpoints_is_rejected_in_filter_not_nat() -> None:
    (port,) = service_ports(_svc(type="NodePort", ports=[{"port": 80, "nodePort": 30080}]), None)
    rules = build_ruleset([port])
    assert any("REJECT" in r and "10.20.30.41/32" in r for r in rules[("filter", "KUBE-SERVICES")])
    assert any("REJECT" in r and "--dport 30080" in r for r in rules[("filter", "KUBE-EXTERNAL-SERVICES")])
    assert ("nat", port.svc_chain) not in rules
    assert rules[("nat", "KUBE-NODEPORTS")] == []


def test_nodeport_session_affinity_and_udp() -> None:
    svc = _svc(type="NodePort", sessionAffinity="ClientIP",
               ports=[{"name": "dns", "port": 53, "protocol": "UDP", "nodePort": 30053}])
    (port,) = service_ports(svc, _eps("10.244.1.2", port=53, name="dns", protocol="UDP"))
    rules = build_ruleset([port])
    assert any("-p udp -m udp --dport 30053 -j KUBE-MARK-MASQ" in r for r in rules[("nat", "KUBE-NODEPORTS")])
    sep = port.sep_chain(port.endpoints[0])
    assert f"-m recent --name {sep} --rcheck --seconds 10800 --reap -j {sep}" in rules[("nat", port.svc_chain)][0]
    assert f"-m recent --name {sep} --set" in rules[("nat", sep)][1]


def test_headless_and_external_name_get_no_rules() -> None:
    assert service_ports(_svc(ip="None"), _eps("10.244.1.2")) == []
    assert service_ports(_svc(type="ExternalName", ip=None), None) == []


def test_render_names_only_the_chains_it_writes_or_deletes() -> None:
    (port,) = service_ports(_svc(), _eps("10.244.1.2"))
    rules = build_ruleset([port])
    payload = render(rules, {("nat", port.svc_chain)}, {("nat", "KUBE-SEP-OLD")})
    assert payload.startswith("*nat\n") and payload.count("COMMIT") == 1
    assert f":{port.svc_chain} - [0:0]" in payload and ":KUBE-SEP-OLD - [0:0]" in payload
    assert payload.index(f"-A {port.svc_chain}") < payload.index("-X KUBE-SEP-OLD")
    assert "KUBE-SERVICES" not in payload and "PREROUTING" not in payload
    assert render(rules, set()) == ""


def test_stale_udp_conntrack_filters() -> None:
    udp = [{"name": "dns", "port": 53, "protocol": "UDP"}]
    (old,) = service_ports(_svc(ports=udp), _eps("10.244.1.2", "10.244.1.3", port=53, name="dns", protocol="UDP"))
    (new,) = service_ports(_svc(ports=udp), _eps("10.244.1.3", port=53, name="dns", protocol="UDP"))
    (empty,) = service_ports(_svc(ports=udp), None)
    assert stale_udp_filters({"k": old}, {"k": new}) == [["--orig-dst", "10.20.30.41", "--dst-nat", "10.244.1.2"]]
    assert stale_udp_filters({"k": empty}, {"k": new}) == [["--orig-dst", "10.20.30.41"]]
