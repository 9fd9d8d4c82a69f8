"""The NetworkPolicy agent's pure parts: policies + pods -> allow sets -> iptables rules."""
from __future__ import annotations

from typing import Any

from agent.netpol.model import ANYWHERE, Allow, Cluster, Peer, PodRules, PortRange, compute
from agent.netpol.rules import DISPATCH, block_chain, build_ruleset, peers_chain, pod_chain
from agent.proxy.rules import render


def pod(name: str, ip: str, ns: str = "a", labels: dict | None = None, ports: list | None = None,
        **status: Any) -> dict:
    return {"metadata": {"name": name, "namespace": ns, "labels": labels or {}},
            "spec": {"nodeName": "n1", "containers": [{"name": "c", "ports": ports or []}]},
            "status": {"podIP": ip, "phase": "Running", **status}}


def namespace(name: str, **labels: str) -> dict:
    return {"metadata": {"name": name, "labels": {"kubernetes.io/metadata.name": name, **labels}}}


def policy(name: str, ns: str = "a", **spec: Any) -> dict:
    spec.setdefault("podSelector", {})
    spec.setdefault("policyTypes", ["Ingress", "Egress"] if spec.get("egress") else ["Ingress"])
    return {"metadata": {"name": name, "namespace": ns}, "spec": spec}


PODS = [pod("web", "10.0.1.2", labels={"app": "web"}, ports=[{"name": "http", "containerPort": 8080}]),
        pod("db", "10.0.1.3", labels={"app": "db"}, ports=[{"name": "sql", "containerPort": 5432}]),
        pod("other", "10.0.2.2", ns="b", labels={"app": "web"}, ports=[{"name": "http", "containerPort": 9090}]),
        pod("gone", "10.0.1.9", phase="Succeeded"),
        pod("nohost", "192.168.1.1", hostNetwork=True) | {"spec": {"hostNetwork": True, "nodeName": "n1"}}]
NAMESPACES = [namespace("a", team="x"), namespace("b", team="y")]


def rules_for(*policies: dict) -> dict[str, PodRules]:
    cluster = Cluster.of(PODS, NAMESPACES)
    return {r.key: r for r in compute(policies, cluster, cluster.pods)}


def test_unselected_pods_are_unrestricted_and_finished_or_host_network_pods_take_no_part() -> None:
    found = rules_for()
    assert set(found) == {"a/web", "a/db", "b/other"}
    assert all(r.ingress is None and r.egress is None for r in found.values())


def test_default_deny_ingress_selects_every_pod_of_its_namespace_only() -> None:
    found = rules_for(policy("deny"))
    assert found["a/web"].ingress == () and found["a/db"].ingress == ()
    assert found["a/web"].egress is None and found["b/other"].ingress is None


def test_pod_selector_peers_are_pods_of_the_policy_namespace() -> None:
    found = rules_for(policy("p", podSelector={"matchLabels": {"app": "db"}},
                             ingress=[{"from": [{"podSelector": {"matchLabels": {"app": "web"}}}]}]))
    assert found["a/db"].ingress == (Allow((Peer("10.0.1.2/32"),)),)
    assert found["a/web"].ingress is None


def test_namespace_selector_and_both_selectors() -> None:
    by_ns = rules_for(policy("p", ingress=[{"from": [{"namespaceSelector": {"matchLabels": {"team": "y"}}}]}]))
    assert by_ns["a/web"].ingress == (Allow((Peer("10.0.2.2/32"),)),)
    both = rules_for(policy("p", ingress=[{"from": [{"namespaceSelector": {},
                                                     "podSelector": {"matchLabels": {"app": "web"}}}]}]))
    assert both["a/db"].ingress == (Allow((Peer("10.0.1.2/32"), Peer("10.0.2.2/32"))),)


def test_union_of_policies_and_empty_rule_allows_everything() -> None:
    found = rules_for(policy("deny"), policy("all", ingress=[{}]))
    assert found["a/web"].ingress == (Allow((Peer(ANYWHERE),)),)


def test_ports_named_ports_resolve_on_the_destination_and_end_port_ranges() -> None:
    found = rules_for(policy("p", ingress=[{"ports": [{"protocol": "TCP", "port": "http"},
                                                      {"protocol": "UDP", "port": 5000, "endPort": 5010}]}]))
    anyone = (Peer(ANYWHERE),)
    assert found["a/web"].ingress == (Allow(anyone, PortRange("TCP", 8080, 8080)),
                                      Allow(anyone, PortRange("UDP", 5000, 5010)))
    assert found["a/db"].ingress == (Allow(anyone, PortRange("UDP", 5000, 5010)),)  # no "http" on db


def test_egress_named_port_resolves_per_destination_pod() -> None:
    found = rules_for(policy("p", podSelector={"matchLabels": {"app": "db"}}, policyTypes=["Egress"],
                             egress=[{"to": [{"namespaceSelector": {}}], "ports": [{"protocol": "TCP",
                                                                                    "port": "http"}]}]))
    assert found["a/db"].egress == (Allow((Peer("10.0.1.2/32"),), PortRange("TCP", 8080, 8080)),
                                    Allow((Peer("10.0.2.2/32"),), PortRange("TCP", 9090, 9090)))
    assert found["a/db"].ingress is None


def test_ip_block_with_except() -> None:
    found = rules_for(policy("p", ingress=[{"from": [{"ipBlock": {"cidr": "10.0.0.0/16",
                                                                  "except": ["10.0.2.0/24"]}}]}]))
    assert found["a/web"].ingress == (Allow((Peer("10.0.0.0/16", ("10.0.2.0/24",)),)),)


def test_ipv6_blocks_take_no_part_in_the_ipv4_rules() -> None:
    found = rules_for(policy("p", ingress=[{"from": [{"ipBlock": {"cidr": "2001:db8::/64"}},
                                                     {"ipBlock": {"cidr": "10.0.0.0/16"}}]}]))
    assert found["a/web"].ingress == (Allow((Peer("10.0.0.0/16"),)),)
    only_v6 = rules_for(policy("p", ingress=[{"from": [{"ipBlock": {"cidr": "2001:db8::/64"}}]}]))
    assert only_v6["a/web"].ingress == ()          # still selected: default deny


def test_ruleset_dispatch_pod_chains_shared_peer_sets_and_default_deny() -> None:
    clients = (Peer("10.0.0.0/16", ("10.0.2.0/24",)), Peer("10.0.1.3/32"))
    web = PodRules("a", "web", "10.0.1.2", ingress=(Allow(clients, PortRange("TCP", 80, 90)),
                                                   Allow((Peer(ANYWHERE),), PortRange("UDP", 53, 53))),
                   egress=())
    db = PodRules("a", "db", "10.0.1.5", ingress=(Allow(clients),), egress=None)
    free = PodRules("a", "free", "10.0.1.4", None, None)
    rules = build_ruleset([web, db, free])
    dispatch = rules[("filter", DISPATCH)]
    assert "RELATED,ESTABLISHED -j RETURN" in dispatch[0]
    ingress, egress = pod_chain("ingress", web), pod_chain("egress", web)
    assert [line.split(" -j ")[-1] for line in dispatch[1:]] == [egress, ingress, pod_chain("ingress", db)]
    assert not any("10.0.1.4" in line for line in dispatch)
    assert all(len(name) <= 28 for _, name in rules)
    chain = rules[("filter", ingress)]
    shared = peers_chain("ingress", clients)
    assert "--src-type LOCAL -j RETURN" in chain[0]
    assert f"-A {ingress} -p udp -m udp --dport 53 -j RETURN" in chain
    assert f"-A {ingress} -p tcp -m tcp --dport 80:90 -j {shared}" in chain
    assert f"-A {pod_chain('ingress', db)} -j {shared}" in rules[("filter", pod_chain("ingress", db))]
    assert chain[-2].endswith("-m mark --mark 0x10000/0x10000 -j RETURN") and chain[-1].endswith("-j REJECT")
    peers = rules[("filter", shared)]
    assert peers[0] == f"-A {shared} -s 10.0.0.0/16 -j {block_chain('ingress', clients[0])}"
    assert peers[1] == f"-A {shared} -s 10.0.1.3/32 -j MARK --set-xmark 0x10000/0x10000"
    block = rules[("filter", block_chain("ingress", clients[0]))]
    assert block[0].endswith("-s 10.0.2.0/24 -j RETURN") and "--set-xmark 0x10000/0x10000" in block[-1]
    assert rules[("filter", egress)] == [f'-A {egress} -m comment --comment "a/web default deny egress" -j REJECT']
    payload = render(rules, rules)
    assert payload.startswith("*filter\n") and payload.rstrip().endswith("COMMIT") and "*nat" not in payload
