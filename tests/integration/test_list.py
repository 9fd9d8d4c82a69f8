"""List with label and field selectors, and paging with limit + continue."""
from __future__ import annotations

from tests.helpers import pod


async def _names(http, path: str) -> list[str]:
    return sorted(p["metadata"]["name"] for p in (await http.ok("GET", path))["items"])


async def test_label_selector_operators(http, ns):
    for name, labels in (("a", {"env": "prod", "tier": "web"}), ("b", {"env": "dev", "tier": "web"}),
                         ("c", {"env": "prod"}), ("d", {})):
        await http.ok("POST", f"/api/v1/namespaces/{ns}/pods", pod(name, labels))
    base = f"/api/v1/namespaces/{ns}/pods?labelSelector="
    assert await _names(http, base + "env%3Dprod") == ["a", "c"]
    assert await _names(http, base + "env%3D%3Dprod") == ["a", "c"]
    assert await _names(http, base + "env!%3Dprod") == ["b", "d"]
    assert await _names(http, base + "env%20in%20(prod,dev)") == ["a", "b", "c"]
    assert await _names(http, base + "env%20notin%20(prod)") == ["b", "d"]
    assert await _names(http, base + "tier") == ["a", "b"]
    assert await _names(http, base + "!tier") == ["c", "d"]
    assert await _names(http, base + "env%3Dprod,tier") == ["a"]


async def test_field_selectors(http, ns):
    await http.ok("POST", f"/api/v1/namespaces/{ns}/pods", pod("bound", node="n1"))
    await http.ok("POST", f"/api/v1/namespaces/{ns}/pods", pod("free"))
    base = f"/api/v1/namespaces/{ns}/pods?fieldSelector="
    assert await _names(http, base + "spec.nodeName%3Dn1") == ["bound"]
    assert await _names(http, base + "spec.nodeName%3D") == ["free"]       # what the scheduler watches
    assert await _names(http, base + "metadata.name!%3Dfree") == ["bound"]
    assert await _names(http, base + "status.phase%3DPending") == ["bound", "free"]
    # across namespaces, by namespace
    assert await _names(http, f"/api/v1/pods?fieldSelector=metadata.namespace%3D{ns}") == ["bound", "free"]


async def test_paging_is_a_consistent_snapshot(http, ns):
    for i in range(7):
        await http.ok("POST", f"/api/v1/namespaces/{ns}/pods", pod(f"p{i}", {"n": str(i % 2)}))
    page = await http.ok("GET", f"/api/v1/namespaces/{ns}/pods?limit=3")
    names = [p["metadata"]["name"] for p in page["items"]]
    assert len(names) == 3 and page["metadata"]["continue"]
    snapshot_rv = page["metadata"]["resourceVersion"]
    await http.ok("POST", f"/api/v1/namespaces/{ns}/pods", pod("p9-late"))     # not in the snapshot
    while page["metadata"].get("continue"):
        page = await http.ok("GET", f"/api/v1/namespaces/{ns}/pods?limit=3&continue={page['metadata']['continue']}")
        assert page["metadata"]["resourceVersion"] == snapshot_rv
        names += [p["metadata"]["name"] for p in page["items"]]
    assert names == [f"p{i}" for i in range(7)]


async def test_paging_fills_pages_despite_selector(http, ns):
    for i in range(8):
        await http.ok("POST", f"/api/v1/namespaces/{ns}/pods", pod(f"p{i}", {"even": str(i % 2 == 0).lower()}))
    page = await http.ok("GET", f"/api/v1/namespaces/{ns}/pods?limit=3&labelSelector=even%3Dtrue")
    assert [p["metadata"]["name"] for p in page["items"]] == ["p0", "p2", "p4"]
    rest = await http.ok("GET", f"/api/v1/namespaces/{ns}/pods?limit=3&labelSelector=even%3Dtrue"
                                f"&continue={page['metadata']['continue']}")
    assert [p["metadata"]["name"] for p in rest["items"]] == ["p6"]
    assert not rest["metadata"].get("continue")


async def test_bad_continue_token_is_400(http, ns):
    status, body = await http.get(f"/api/v1/namespaces/{ns}/pods?limit=1&continue=garbage")
    assert status == 400 and body["reason"] == "BadRequest"
