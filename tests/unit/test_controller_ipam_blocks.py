"""The node IPAM block arithmetic (controllers/node_ipam.py CidrSet), without an API server."""
from __future__ import annotations

import pytest

from controllers.node_ipam import CidrSet, RangeFull, pod_cidrs


def test_lowest_free_block_from_one_so_node_i_gets_10_244_i():
    cidrs = CidrSet()
    assert [cidrs.allocate(f"node-{i}") for i in range(1, 4)] == ["10.244.1.0/24", "10.244.2.0/24", "10.244.3.0/24"]
    cidrs.release_node("node-2")
    assert cidrs.allocate("node-9") == "10.244.2.0/24"          # a freed block is reused first
    assert cidrs.allocate("node-1") == "10.244.1.0/24"          # a node keeps its reservation


def test_occupy_refuses_a_block_held_by_another_node():
    cidrs = CidrSet()
    assert cidrs.occupy("10.244.7.0/24", "a")
    assert cidrs.occupy("10.244.7.0/24", "a")
    assert not cidrs.occupy("10.244.7.0/24", "b")
    assert cidrs.holder("10.244.7.0/24") == "a"
    assert cidrs.occupy("192.168.0.0/24", "b")                  # not ours: not tracked
    assert cidrs.allocate("c") == "10.244.1.0/24"


def test_mask_size_and_exhaustion_use_block_zero_last():
    cidrs = CidrSet("10.0.0.0/30", 31)
    assert cidrs.allocate("a") == "10.0.0.2/31"
    assert cidrs.allocate("b") == "10.0.0.0/31"
    with pytest.raises(RangeFull):
        cidrs.allocate("c")
    with pytest.raises(ValueError):
        CidrSet("10.0.0.0/24", 16)


def test_pod_cidrs_reads_both_fields():
    assert pod_cidrs({"spec": {"podCIDR": "10.244.1.0/24"}}) == ["10.244.1.0/24"]
    assert pod_cidrs({"spec": {"podCIDR": "10.244.1.0/24", "podCIDRs": ["10.244.1.0/24"]}}) == ["10.244.1.0/24"]
    assert pod_cidrs({"spec": {}}) == []
