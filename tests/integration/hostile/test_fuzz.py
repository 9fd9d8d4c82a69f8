"""A bounded fuzz run: schemathesis generates requests from the served /openapi/v2 (every path,
every operation, valid and invalid data) against the memory-limited private API server.

Fails on any 5xx. Afterwards the etcd contents under the server's prefix are checked: nothing
stored may carry an unknown field, a patch directive, or a quantity that Kubernetes would not
parse — whatever the fuzzer sent. Bounded: MAX_EXAMPLES cases per operation, all on 127.0.0.1.
"""
from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Iterator
from typing import Any

import aetcd
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from apiserver.fieldvalidation import decode_typed
from minikube_py.api import errors
from minikube_py.api.resources import RESOURCES

MAX_EXAMPLES = 12
FUZZ_NAMESPACE = "fuzz"


@pytest.fixture(scope="module")
def served_schema(hostile_server) -> Any:
    import urllib.request
    request = urllib.request.Request(f"{hostile_server.url}/api/v1/namespaces", method="POST",
                                     data=json.dumps({"metadata": {"name": FUZZ_NAMESPACE}}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10):
        pass
    # pods/log, exec, attach and portforward connect to a node's address: the fuzzer could invent
    # one off this machine. Not fuzzed.
    return schemathesis.openapi.from_url(f"{hostile_server.url}/openapi/v2").exclude(
        path_regex=r"/(log|exec|attach|portforward)$")


def test_no_input_makes_a_server_error(served_schema: Any) -> None:
    """Every operation in turn, MAX_EXAMPLES generated cases each (hypothesis drives schemathesis)."""
    failures: list[str] = []
    operations = [result.ok() for result in served_schema.get_all_operations()]
    assert len(operations) > 100

    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck),
                  database=None)
        def one(case: Any) -> None:
            if "namespace" in (case.path_parameters or {}):
                case.path_parameters["namespace"] = FUZZ_NAMESPACE   # so that creates reach storage
            if case.query and "watch" in case.query:
                case.query["timeoutSeconds"] = 1                     # a watch ends, and the run goes on
            response = case.call(timeout=30)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path} -> {response.status_code}: "
                                f"{response.text[:300]}\n  body: {str(case.body)[:300]}")
        one()
    assert not failures, "\n".join(failures[:10])


def _stored(etcd_endpoint: str, prefix: str) -> Iterator[tuple[str, dict[str, Any]]]:
    async def read() -> list[tuple[bytes, bytes]]:
        host, port = etcd_endpoint.removeprefix("http://").split(":")
        async with aetcd.Client(host=host, port=int(port)) as client:
            start = f"{prefix}/".encode()
            return [(kv.key, kv.value) async for kv in _range(client, start)]
    for key, value in asyncio.run(read()):
        try:
            yield key.decode(), json.loads(value)
        except ValueError:
            continue           # the Service IP/port allocator keeps plain strings


async def _range(client: aetcd.Client, start: bytes):
    response = await client.get_prefix(start)
    for item in response:
        yield item


def _directives(value: Any, path: str = "") -> list[str]:
    if isinstance(value, dict):
        found = [f"{path}.{k}" for k in value if isinstance(k, str) and k.startswith("$")]
        return found + [p for k, v in value.items() for p in _directives(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _directives(v, f"{path}[{i}]")]
    return []


def test_etcd_holds_nothing_invalid_after_the_fuzz_run(hostile_server) -> None:
    """Runs after the fuzz test (same module, in order): every stored object decodes Strict."""
    from apiserver import fieldvalidation
    kinds = {(rt.group, rt.kind): rt for rt in RESOURCES}
    checked, problems = 0, []
    token = fieldvalidation._MODE.set("Strict")
    try:
        for key, obj in _stored(hostile_server.etcd.endpoint, hostile_server.prefix):
            if not key.startswith(f"{hostile_server.prefix}/") or not isinstance(obj, dict) or "kind" not in obj:
                continue        # allocator bitmaps and other non-object keys
            group = obj.get("apiVersion", "v1").rpartition("/")[0]
            rt = kinds.get((group, obj["kind"]))
            if rt is None:
                problems.append(f"{key}: unknown kind {obj['kind']}")
                continue
            problems += [f"{key}: patch directive at {p}" for p in _directives(obj)]
            try:
                decode_typed(rt.group, rt.version, rt.kind, copy.deepcopy(obj))   # Strict: unknown fields fail
            except errors.ApiError as e:
                problems.append(f"{key}: {e.message}")
            checked += 1
    finally:
        fieldvalidation._MODE.reset(token)
    assert checked > 0
    assert not problems, "\n".join(problems[:20])
