"""Pure parts of the pod network: IPAM on disk, MACs, resolv.conf, host-gw route planning."""
from __future__ import annotations

import threading

import pytest

from agent.network.bridge import mac_from_ip
from agent.network.ipam import HostLocalIPAM, IPAMExhausted, gateway_of
from agent.network.resolv import resolv_conf_text, write_resolv_conf
from agent.network.routes import desired_routes
from agent.network.veth import host_veth_name


def test_ipam_skips_gateway_is_idempotent_and_round_robin(tmp_path) -> None:
    ipam = HostLocalIPAM(tmp_path)
    assert gateway_of("10.244.3.0/24") == "10.244.3.1"
    first = ipam.allocate("10.244.3.0/24", "pod-a")
    assert first == "10.244.3.2"
    assert ipam.allocate("10.244.3.0/24", "pod-a") == first          # a retried ADD
    second = ipam.allocate("10.244.3.0/24", "pod-b")
    assert second == "10.244.3.3"
    assert ipam.release("pod-a") == [first]
    assert ipam.allocate("10.244.3.0/24", "pod-c") == "10.244.3.4"   # not the just-freed .2


def test_ipam_survives_a_restart_and_never_double_allocates(tmp_path) -> None:
    before = HostLocalIPAM(tmp_path)
    taken = {before.allocate("10.244.1.0/29", f"pod-{i}") for i in range(3)}
    after = HostLocalIPAM(tmp_path)                      # a restarted agent
    assert set(after.allocations()) == taken
    more = after.allocate("10.244.1.0/29", "pod-new")
    assert more not in taken
    with pytest.raises(IPAMExhausted):                    # /29: .2-.6 usable, 4 used
        for i in range(5):
            after.allocate("10.244.1.0/29", f"extra-{i}")


def test_ipam_concurrent_allocators_get_distinct_addresses(tmp_path) -> None:
    results: list[str] = []
    def grab(i: int) -> None:
        results.append(HostLocalIPAM(tmp_path).allocate("10.244.9.0/24", f"pod-{i}"))
    threads = [threading.Thread(target=grab, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(results)) == 20


def test_ipam_listing_skips_an_address_released_while_it_reads(tmp_path) -> None:
    ipam = HostLocalIPAM(tmp_path)
    kept = ipam.allocate("10.244.9.0/24", "pod-a")
    # listed by iterdir but gone by the time it is read: what a concurrent release looks like
    (ipam.dir / "10.244.9.77").symlink_to(ipam.dir / "vanished")
    assert ipam.allocations() == {kept: "pod-a"}
    assert ipam.owned_by("pod-a") == kept


def test_mac_from_ip_and_veth_names() -> None:
    assert mac_from_ip("10.244.1.5") == "0a:58:0a:f4:01:05"
    assert host_veth_name("uid-1") == host_veth_name("uid-1") != host_veth_name("uid-2")
    assert len(host_veth_name("x" * 64)) <= 15


def _pod(**spec) -> dict:
    return {"metadata": {"namespace": "shop", "uid": "u1", "name": "p"}, "spec": spec}


def test_resolv_conf_cluster_first(tmp_path) -> None:
    text = resolv_conf_text(_pod())
    assert text == ("nameserver 10.96.0.10\nsearch shop.svc.cluster.local svc.cluster.local cluster.local\n"
                    "options ndots:5\n")
    path = write_resolv_conf(tmp_path, _pod())
    assert path.read_text() == text and path.name == "resolv.conf"


def test_resolv_conf_host_network_and_none(tmp_path) -> None:
    node = tmp_path / "node-resolv.conf"
    node.write_text("nameserver 127.0.0.53\n")
    assert resolv_conf_text(_pod(hostNetwork=True), node_resolv_conf=str(node)) == "nameserver 127.0.0.53\n"
    assert resolv_conf_text(_pod(hostNetwork=True, dnsPolicy="ClusterFirstWithHostNet")).startswith(
        "nameserver 10.96.0.10")
    custom = _pod(dnsPolicy="None", dnsConfig={"nameservers": ["1.2.3.4"], "options": [{"name": "ndots",
                                                                                      "value": "2"}]})
    assert resolv_conf_text(custom) == "nameserver 1.2.3.4\noptions ndots:2\n"


def _node(name: str, cidr: str | None, ip: str | None) -> dict:
    return {"metadata": {"name": name}, "spec": {"podCIDR": cidr} if cidr else {},
            "status": {"addresses": [{"type": "InternalIP", "address": ip}] if ip else []}}


def test_desired_routes_skip_self_and_incomplete_nodes() -> None:
    nodes = [_node("n1", "10.244.1.0/24", "192.168.56.11"), _node("n2", "10.244.2.0/24", "192.168.56.12"),
             _node("n3", None, "192.168.56.13"), _node("n4", "10.244.4.0/24", None)]
    assert desired_routes(nodes, "n1") == {"10.244.2.0/24": "192.168.56.12"}
