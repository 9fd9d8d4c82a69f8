"""The API server's DefaultTolerationSeconds admission, with its two flags and switched off
by name (--disable-admission-plugins), on a real server."""
from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator

import aiohttp
import pytest

from minikube_py.testing import ApiServer
from tests.helpers import Http, namespace, pod

NOT_READY, UNREACHABLE = "node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"


def seconds_by_key(created: dict) -> dict[str, int]:
    return {t["key"]: t["tolerationSeconds"] for t in created["spec"]["tolerations"]}


async def test_pods_tolerate_a_dead_node_for_five_minutes_by_default(http, ns):
    created = await http.ok("POST", f"/api/v1/namespaces/{ns}/pods", pod("p"))
    assert seconds_by_key(created) == {NOT_READY: 300, UNREACHABLE: 300}


async def private_http(etcd, *flags: str) -> AsyncIterator[Http]:
    """A private API server started with `flags`, stopped even when the test fails."""
    server = ApiServer(etcd, extra=list(flags))
    try:
        server.start()
        async with aiohttp.ClientSession() as session:
            yield Http(server.url, session)
    finally:
        server.stop()


@pytest.fixture
async def short_http(etcd):
    """A server started as the lab starts it: dead nodes lose their pods sooner."""
    async for http in private_http(etcd, "--default-not-ready-toleration-seconds", "20",
                                   "--default-unreachable-toleration-seconds", "30"):
        yield http


@pytest.fixture
async def without_default_tolerations(etcd):
    async for http in private_http(etcd, "--disable-admission-plugins", "DefaultTolerationSeconds"):
        yield http


async def test_the_flags_set_the_seconds_on_create_and_updates_keep_them(short_http, unique):
    ns = f"t-{unique}"
    await short_http.ok("POST", "/api/v1/namespaces", namespace(ns))
    created = await short_http.ok("POST", f"/api/v1/namespaces/{ns}/pods", pod("p"))
    assert seconds_by_key(created) == {NOT_READY: 20, UNREACHABLE: 30}
    own = [{"key": UNREACHABLE, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 2}]
    mine = await short_http.ok("POST", f"/api/v1/namespaces/{ns}/pods", pod("q", tolerations=own))
    assert seconds_by_key(mine) == {UNREACHABLE: 2, NOT_READY: 20}
    status, patched = await short_http.patch(f"/api/v1/namespaces/{ns}/pods/p", {"metadata": {"labels": {"a": "b"}}})
    assert status == 200, patched
    assert patched["spec"]["tolerations"] == created["spec"]["tolerations"]


def test_a_negative_flag_is_refused_with_a_message():
    result = subprocess.run([sys.executable, "-m", "minikube_py.cli.daemons", "apiserver",
                             "--default-not-ready-toleration-seconds", "-1"], capture_output=True, text=True)
    assert result.returncode == 2
    assert "--default-not-ready-toleration-seconds" in result.stderr and "Traceback" not in result.stderr


async def test_disabling_the_plugin_by_name_stops_the_default_tolerations(without_default_tolerations, unique):
    http = without_default_tolerations
    ns = f"t-{unique}"
    await http.ok("POST", "/api/v1/namespaces", namespace(ns))
    created = await http.ok("POST", f"/api/v1/namespaces/{ns}/pods", pod("p"))
    assert not created["spec"].get("tolerations")
    assert created["spec"]["priority"] == 0                       # the other plugins still run
    own = [{"key": UNREACHABLE, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 2}]
    mine = await http.ok("POST", f"/api/v1/namespaces/{ns}/pods", pod("q", tolerations=own))
    assert mine["spec"]["tolerations"] == own
    status, body = await http.post("/api/v1/namespaces/no-such-namespace/pods", pod("r"))
    assert status == 404 and body["message"] == 'namespaces "no-such-namespace" not found'
