"""Issue 13, case by case: each hostile input gets a 4xx Status naming the problem, while the
server's memory stays bounded and /readyz keeps answering (see conftest.py's Guard)."""
from __future__ import annotations

import asyncio
import base64
import json

import pytest

from tests.helpers import pod

MiB = 1024 * 1024


def configmap(name: str, **data: str) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data}


def continue_token(payload: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()


async def test_json_patch_copying_a_subtree_into_itself_is_bounded(hostile, hns):
    http, guard = hostile
    await http.ok("POST", f"/api/v1/namespaces/{hns}/configmaps", configmap("bomb", k="v" * 1000))
    ops = [{"op": "copy", "from": "/metadata", "path": "/data2"},
           {"op": "copy", "from": "/data2", "path": "/data2/c0"}]
    ops += [{"op": "copy", "from": "/data2", "path": f"/data2/c{i}"} for i in range(1, 40)]
    async with guard.watching():
        status, body = await http.patch(f"/api/v1/namespaces/{hns}/configmaps/bomb", ops, "json")
    assert status == 422 and "accumulated size increase of copy" in body["message"], body


async def test_too_many_json_patch_operations_is_413(hostile, hns):
    http, guard = hostile
    await http.ok("POST", f"/api/v1/namespaces/{hns}/configmaps", configmap("ops"))
    ops = [{"op": "test", "path": "/kind", "value": "ConfigMap"}] * 10_001
    async with guard.watching():
        status, body = await http.patch(f"/api/v1/namespaces/{hns}/configmaps/ops", ops, "json")
    assert status == 413 and body["reason"] == "RequestEntityTooLarge"
    assert "maximum operations in a JSON patch is 10000, got 10001" in body["message"]


def alias_bomb(levels: int, fan_out: int = 10) -> bytes:
    lines = ["apiVersion: v1", "kind: ConfigMap", "metadata: {name: laughs}", "unknown:",
             '  a0: &a0 ["lol"]']
    for level in range(1, levels + 1):
        lines.append(f"  a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * fan_out) + "]")
    return ("\n".join(lines) + "\n").encode()


@pytest.mark.parametrize("levels", [9, 7])
async def test_yaml_alias_bomb_is_refused(hostile, hns, levels):
    http, guard = hostile
    async with guard.watching():
        status, body = await http.call("POST", f"/api/v1/namespaces/{hns}/configmaps", raw=alias_bomb(levels),
                                       content_type="application/yaml")
    assert status == 413 and "expands to more than" in body["message"], body


async def test_recursive_yaml_alias_is_refused(hostile, hns):
    http, guard = hostile
    async with guard.watching():
        status, body = await http.call("POST", f"/api/v1/namespaces/{hns}/configmaps",
                                       raw=b"metadata: {name: r}\nloop: &l [*l]\n", content_type="application/yaml")
    assert status in (400, 413) and body["kind"] == "Status", body


async def test_body_above_3_mib_is_413_before_it_is_read(hostile, hns):
    http, guard = hostile
    big = json.dumps(configmap("big", k="x" * (3 * MiB + 10))).encode()
    async with guard.watching():
        status, body = await http.call("POST", f"/api/v1/namespaces/{hns}/configmaps", raw=big)
    assert status == 413 and body["message"] == "Request entity too large: limit is 3145728"


async def test_object_above_etcd_value_limit_is_413_not_503(hostile, hns):
    http, guard = hostile
    huge = pod("huge")                # a ConfigMap is limited to 1 MiB by validation; an env value is not
    huge["spec"]["containers"][0]["env"] = [{"name": "BIG", "value": "x" * (2 * MiB)}]
    async with guard.watching():
        status, body = await http.post(f"/api/v1/namespaces/{hns}/pods", huge)
    assert status == 413 and body["message"] == "etcdserver: request is too large", body
    status, _ = await http.get(f"/api/v1/namespaces/{hns}/pods/huge")
    assert status == 404


async def test_yaml_nested_100000_deep_is_400(hostile, hns):
    http, guard = hostile
    async with guard.watching():
        status, body = await http.call("POST", f"/api/v1/namespaces/{hns}/configmaps", raw=b"[" * 100_000,
                                       content_type="application/yaml")
    assert status == 400 and "deeper than the limit" in body["message"], body


async def test_merge_patch_990_deep_is_400(hostile, hns):
    http, guard = hostile
    await http.ok("POST", f"/api/v1/namespaces/{hns}/configmaps", configmap("deep"))
    deep = '{"data":' + '{"a":' * 990 + "{}" + "}" * 990 + "}"
    async with guard.watching():
        status, body = await http.call("PATCH", f"/api/v1/namespaces/{hns}/configmaps/deep", raw=deep.encode(),
                                       content_type="application/merge-patch+json")
    assert status == 400, body


async def test_slow_body_is_cut_off_with_408_and_no_traceback(hostile, hns):
    http, guard = hostile
    host, port = guard.server.url.removeprefix("http://").split(":")
    body = json.dumps(configmap("slow")).encode()
    head = (f"POST /api/v1/namespaces/{hns}/configmaps HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json"
            f"\r\nContent-Length: {len(body)}\r\n\r\n").encode()

    async def trickle() -> bytes:
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(head)
        try:
            for byte in body:          # 1 byte/s: the server's deadline (2 s in these tests) ends it
                if reader.at_eof():
                    break
                writer.write(bytes([byte]))
                await writer.drain()
                try:
                    return await asyncio.wait_for(reader.read(4096), 1.0)
                except TimeoutError:
                    continue
            return b""
        finally:
            writer.close()

    async with guard.watching():
        answers = await asyncio.gather(*(trickle() for _ in range(20)))
    assert all(answer.startswith(b"HTTP/1.1 408") for answer in answers), answers[:2]
    assert b'"reason":"Timeout"' in answers[0]
    assert "internal error" not in guard.log_text()


async def test_client_gone_mid_body_logs_no_internal_error(hostile, hns):
    http, guard = hostile
    host, port = guard.server.url.removeprefix("http://").split(":")
    for _ in range(10):
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(f"POST /api/v1/namespaces/{hns}/configmaps HTTP/1.1\r\nHost: x\r\n"
                     "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"a\":".encode())
        await writer.drain()
        writer.close()
        await writer.wait_closed()
    status, _ = await http.get("/readyz")
    assert status == 200
    assert "internal error" not in guard.log_text() and "Traceback" not in guard.log_text()


@pytest.mark.parametrize("query, reason", [
    ("limit=5098485825224190810128384", "BadRequest"),
    ("limit=-1", "BadRequest"),
    ("limit=9223372036854775807", "BadRequest"),
    ("resourceVersion=abc", "BadRequest"),
    ("continue=" + continue_token({"rv": 289, "start": 5}), "BadRequest"),
    ("continue=" + continue_token({"rv": 289, "start": None}), "BadRequest"),
    ("continue=" + continue_token({"rv": -5, "start": "/registry/configmaps/x"}), "BadRequest"),
    ("continue=" + continue_token({"rv": 2**64, "start": "/registry/configmaps/x"}), "BadRequest"),
    ("continue=" + continue_token([1, 2]), "BadRequest"),
    ("continue=%%%", "BadRequest"),
    ("fieldSelector=metadata.name%3D%3D%3D", "BadRequest"),
])
async def test_bad_list_parameters_are_400(hostile, hns, query, reason):
    http, _ = hostile
    status, body = await http.get(f"/api/v1/namespaces/{hns}/configmaps?{query}")
    assert status == 400 and body["reason"] == reason, body
    assert "-5" not in str(body.get("metadata", {}).get("resourceVersion", ""))


async def test_lone_surrogate_in_yaml_becomes_replacement_character(hostile, hns):
    http, guard = hostile
    manifest = b'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: sur}\ndata: {k: "a\\ud800b"}\n'
    async with guard.watching():
        status, body = await http.call("POST", f"/api/v1/namespaces/{hns}/configmaps", raw=manifest,
                                       content_type="application/yaml")
    assert status == 201 and body["data"]["k"] == "a\ufffdb", body


@pytest.mark.parametrize("raw, content_type", [
    (b'{"metadata": {"name": "\\ud800"}}', "application/json"),
    (b'metadata: {name: "\\ud800"}\n', "application/yaml"),
    (b'{"metadata": {"name": "ok"}, "data": {"k": "\\udc00"}}', "application/json"),
])
async def test_lone_surrogate_in_names_or_data_is_a_clean_4xx(hostile, hns, raw, content_type):
    http, _ = hostile
    status, body = await http.call("POST", f"/api/v1/namespaces/{hns}/configmaps", raw=raw,
                                   content_type=content_type)
    assert status in (400, 422) and body["kind"] == "Status", body


async def test_surrogate_in_the_url_name_is_a_status(hostile, hns):
    http, _ = hostile
    status, body = await http.call("PUT", f"/api/v1/namespaces/{hns}/configmaps/%ED%A0%80",
                                   configmap("\udcff".encode("utf-8", "surrogateescape").decode("latin-1")))
    assert 400 <= status < 500 and body["kind"] == "Status", body


@pytest.mark.parametrize("scale", [
    {"spec": []}, {"spec": {"replicas": "3"}}, {"metadata": {"resourceVersion": []}, "spec": {"replicas": 1}},
    {"metadata": {"resourceVersion": "abc"}, "spec": {"replicas": 1}}, [1],
])
async def test_scale_with_wrong_shapes_is_400(hostile, hns, scale):
    http, _ = hostile
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
                  "spec": {"selector": {"matchLabels": {"app": "web"}},
                           "template": {"metadata": {"labels": {"app": "web"}},
                                        "spec": {"containers": [{"name": "c", "image": "busybox"}]}}}}
    await http.post(f"/apis/apps/v1/namespaces/{hns}/deployments", deployment)
    status, body = await http.put(f"/apis/apps/v1/namespaces/{hns}/deployments/web/scale", scale)
    assert status == 400 and body["reason"] == "BadRequest", body


async def test_unknown_fields_are_dropped_with_a_warning(hostile, hns):
    http, _ = hostile
    body = configmap("unknown", k="v")
    body["\u0000evil\u0007"] = "x"
    body["metadata"]["bogus"] = 1
    async with http.session.post(f"{http.base}/api/v1/namespaces/{hns}/configmaps", json=body) as response:
        assert response.status == 201
        warnings = response.headers.getall("Warning")
        stored = await response.json()
    assert '299 - "unknown field \\"metadata.bogus\\""' in warnings
    assert any("evil" in w for w in warnings)
    assert "bogus" not in stored["metadata"] and not any("evil" in k for k in stored)


async def test_strict_field_validation_rejects_unknown_fields(hostile, hns):
    http, _ = hostile
    body = configmap("strict")
    body["spec"] = {"foo": 1}
    status, answer = await http.post(f"/api/v1/namespaces/{hns}/configmaps?fieldValidation=Strict", body)
    assert status == 400 and answer["message"] == 'strict decoding error: unknown field "spec"', answer
    status, answer = await http.post(f"/api/v1/namespaces/{hns}/configmaps?fieldValidation=Ignore", body)
    assert status == 201 and "spec" not in answer
    status, answer = await http.post(f"/api/v1/namespaces/{hns}/configmaps?fieldValidation=Loose", body)
    assert status == 400


@pytest.mark.parametrize("patch", [{"data": {"$patch": "delete"}}, {"$patch": "replace", "data": {"a": "b"}}])
async def test_patch_directives_never_reach_storage(hostile, hns, patch):
    http, _ = hostile
    await http.ok("POST", f"/api/v1/namespaces/{hns}/configmaps", configmap("directive", k="v"))
    for patch_type in ("merge", "strategic"):
        status, body = await http.patch(f"/api/v1/namespaces/{hns}/configmaps/directive", patch, patch_type)
        assert status < 500, body
    status, body = await http.get(f"/api/v1/namespaces/{hns}/configmaps/directive")
    assert "$patch" not in json.dumps(body)


@pytest.mark.parametrize("quantity", ["1e1000", "99999999999999999999Ei", "9" * 5000, "NaN", "Infinity", "1.5.5",
                                      1e308])
async def test_invalid_quantities_are_refused(hostile, hns, quantity):
    http, _ = hostile
    bad = pod("q")
    bad["spec"]["containers"][0]["resources"] = {"requests": {"cpu": quantity}}
    status, body = await http.post(f"/api/v1/namespaces/{hns}/pods", bad)
    assert status in (400, 422), body
    node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": f"q-{hns}"},
            "status": {"capacity": {"cpu": quantity}, "allocatable": {"cpu": "NaN"}}}
    status, body = await http.post("/api/v1/nodes", node)
    assert status in (400, 422), body


@pytest.mark.parametrize("headers, expected", [
    ({}, 201),                                                   # no Content-Type: JSON, as Kubernetes
    ({"Content-Type": "text/garbage"}, 415),
    ({"Content-Type": "application/vnd.kubernetes.protobuf"}, 400),         # decoded: JSON is no envelope
    ({"Content-Type": "application/json; charset=utf-8"}, 201),
])
async def test_content_type_rules(hostile, hns, unique, headers, expected):
    http, _ = hostile
    body = json.dumps(configmap(f"ct-{abs(hash(str(headers))) % 10**6}")).encode()
    async with http.session.post(f"{http.base}/api/v1/namespaces/{hns}/configmaps", data=body,
                                 headers={**headers}, skip_auto_headers=["Content-Type"]) as response:
        assert response.status == expected, await response.text()
        if expected == 415:
            assert (await response.json())["reason"] == "UnsupportedMediaType"


async def test_patch_without_content_type_is_415(hostile, hns):
    http, _ = hostile
    async with http.session.patch(f"{http.base}/api/v1/namespaces/{hns}/configmaps/x", data=b"{}",
                                  skip_auto_headers=["Content-Type"]) as response:
        assert response.status == 415


async def test_big_yaml_bodies_are_decoded_off_the_event_loop(hostile, hns):
    """Four 2.5 MiB YAML bodies at once (pure-Python YAML takes seconds): /readyz answers throughout."""
    http, guard = hostile
    lines = ["apiVersion: v1", "kind: ConfigMap", "metadata: {name: big-yaml}", "data:"]
    lines += [f"  key{i}: {'v' * 110}" for i in range(20_000)]
    manifest = ("\n".join(lines) + "\n").encode()
    assert 2 * MiB < len(manifest) < 3 * MiB
    async with guard.watching():
        answers = await asyncio.gather(*(http.call("POST", f"/api/v1/namespaces/{hns}/configmaps", raw=manifest,
                                                   content_type="application/yaml") for _ in range(4)))
    for status, body in answers:        # decoded, then refused by ConfigMap validation (1 MiB of data)
        assert status == 422 and "1048576" in body["message"], body


@pytest.mark.parametrize("how", ["query", "body"])
async def test_huge_grace_periods_are_400(hostile, hns, how):
    http, _ = hostile
    await http.ok("POST", f"/api/v1/namespaces/{hns}/configmaps", configmap("grace"))
    huge = 2**62
    if how == "query":
        status, body = await http.delete(f"/api/v1/namespaces/{hns}/configmaps/grace?gracePeriodSeconds={huge}")
    else:
        status, body = await http.delete(f"/api/v1/namespaces/{hns}/configmaps/grace", {"gracePeriodSeconds": huge})
    assert status == 400, body
