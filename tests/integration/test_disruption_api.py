"""PodDisruptionBudgets and pods/eviction against the real API server process (real etcd), with the
disruption controller run in-process where a test needs the budget's status computed. Tests that
must see the eviction's own status write set that status themselves and run no controller."""
from __future__ import annotations

import asyncio
import sys
from typing import Any

from minikube_py.testing import ROOT, eventually
from tests.controller_harness import InProcessManager, mark_ready
from tests.helpers import Http, namespace, pod

LABELS = {"app": "web"}
VIOLATION = "Cannot evict pod as it would violate the pod's disruption budget."


def budget(name: str = "web", **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": name},
            "spec": {"selector": {"matchLabels": LABELS}, **spec}}


def eviction(name: str, **delete_options: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": name}}
    if delete_options:
        body["deleteOptions"] = delete_options
    return body


async def evict(http: Http, ns: str, name: str, query: str = "", **delete_options: Any) -> tuple[int, Any]:
    return await http.post(f"/api/v1/namespaces/{ns}/pods/{name}/eviction{query}", eviction(name, **delete_options))


async def running_pods(http: Http, ns: str, count: int, node: str | None = None, ready: bool = True) -> list[str]:
    """Pods that look Running and Ready (we play the kubelet); `node` keeps their deletion graceful."""
    names = []
    for i in range(count):
        created = await http.ok("POST", f"/api/v1/namespaces/{ns}/pods", pod(f"web-{i}", LABELS, node))
        await http.ok("PATCH", f"/api/v1/namespaces/{ns}/pods/web-{i}/status", {"status": {
            "phase": "Running", "conditions": [{"type": "Ready", "status": "True" if ready else "False"}]}},
            content_type="application/merge-patch+json")
        names.append(created["metadata"]["name"])
    return names


async def set_budget_status(http: Http, ns: str, name: str = "web", **status: Any) -> dict[str, Any]:
    """Write the status the disruption controller would (observedGeneration 1 = up to date)."""
    return await http.ok("PATCH", f"/apis/policy/v1/namespaces/{ns}/poddisruptionbudgets/{name}/status",
                         {"status": {"observedGeneration": 1, **status}},
                         content_type="application/merge-patch+json")


async def get_budget(http: Http, ns: str, name: str = "web") -> dict[str, Any]:
    return await http.ok("GET", f"/apis/policy/v1/namespaces/{ns}/poddisruptionbudgets/{name}")


async def conditioned_status(http: Http, ns: str, name: str) -> dict[str, Any] | None:
    """The budget's status once the controller has written a condition, else None."""
    status = (await get_budget(http, ns, name))["status"]
    return status if status.get("conditions") else None


async def exists(http: Http, ns: str, name: str) -> bool:
    status, body = await http.get(f"/api/v1/namespaces/{ns}/pods/{name}")
    return status == 200 and not body["metadata"].get("deletionTimestamp")


async def events_of(http: Http, ns: str, reason: str) -> list[str]:
    events = await http.ok("GET", f"/api/v1/namespaces/{ns}/events")
    return [e["message"] for e in events["items"] if e["reason"] == reason]


# ---- the type ---------------------------------------------------------------------------------

async def test_budgets_are_served_with_every_verb_and_discovery(http: Http, ns: str) -> None:
    resources = await http.ok("GET", "/apis/policy/v1")
    entries = {r["name"]: r for r in resources["resources"]}
    assert entries["poddisruptionbudgets"]["shortNames"] == ["pdb"]
    assert set(entries["poddisruptionbudgets"]["verbs"]) == {"create", "delete", "deletecollection", "get", "list",
                                                              "patch", "update", "watch"}
    assert "poddisruptionbudgets/status" in entries
    core = {r["name"]: r for r in (await http.ok("GET", "/api/v1"))["resources"]}
    assert core["pods/eviction"] == {"name": "pods/eviction", "singularName": "", "namespaced": True,
                                     "kind": "Eviction", "group": "policy", "version": "v1", "verbs": ["create"]}

    base = f"/apis/policy/v1/namespaces/{ns}/poddisruptionbudgets"
    created = await http.ok("POST", base, budget(minAvailable="50%"))
    assert created["metadata"]["generation"] == 1
    assert created["status"] == {"disruptionsAllowed": 0, "currentHealthy": 0, "desiredHealthy": 0,
                                 "expectedPods": 0}
    status, error = await http.post(base, budget("both", minAvailable=1, maxUnavailable=1))
    assert status == 422 and error["details"]["causes"][0]["field"] == "spec"
    updated = await http.ok("PATCH", f"{base}/web", {"spec": {"minAvailable": 2}},
                            content_type="application/merge-patch+json")
    assert updated["metadata"]["generation"] == 2
    listed = await http.ok("GET", base)
    assert listed["kind"] == "PodDisruptionBudgetList" and [i["metadata"]["name"] for i in listed["items"]] == ["web"]
    table = await http.ok("GET", base, headers={"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io"})
    assert [c["name"] for c in table["columnDefinitions"]] == ["Name", "Min Available", "Max Unavailable",
                                                               "Allowed Disruptions", "Age"]
    assert table["rows"][0]["cells"][:4] == ["web", "2", "N/A", 0]
    await http.ok("DELETE", f"{base}/web")
    assert (await http.get(f"{base}/web"))[0] == 404


# ---- eviction without a controller (the status is set by the test) ---------------------------------

async def test_eviction_spends_the_budget_in_one_guarded_write(http: Http, ns: str) -> None:
    await running_pods(http, ns, 2, node="no-such-node")       # graceful: the pods stay terminating
    await http.ok("POST", f"/apis/policy/v1/namespaces/{ns}/poddisruptionbudgets", budget(minAvailable=1))
    await set_budget_status(http, ns, disruptionsAllowed=1, currentHealthy=2, desiredHealthy=1, expectedPods=2)

    status, answer = await evict(http, ns, "web-0")
    assert (status, answer["status"]) == (201, "Success")
    pdb = await get_budget(http, ns)
    assert pdb["status"]["disruptionsAllowed"] == 0
    assert list(pdb["status"]["disruptedPods"]) == ["web-0"]
    assert pdb["status"]["conditions"][0]["reason"] == "InsufficientPods"
    victim = await http.ok("GET", f"/api/v1/namespaces/{ns}/pods/web-0")
    assert victim["metadata"]["deletionTimestamp"]

    status, error = await evict(http, ns, "web-1")
    assert status == 429
    assert (error["reason"], error["message"]) == ("TooManyRequests", VIOLATION)
    assert error["details"]["causes"] == [{"reason": "DisruptionBudget", "message":
                                           "The disruption budget web needs 1 healthy pods and has 2 currently"}]
    assert await exists(http, ns, "web-1")


async def test_two_evictions_cannot_share_one_allowed_disruption(http: Http, ns: str) -> None:
    await running_pods(http, ns, 4, node="no-such-node")
    await http.ok("POST", f"/apis/policy/v1/namespaces/{ns}/poddisruptionbudgets", budget(minAvailable=3))
    await set_budget_status(http, ns, disruptionsAllowed=1, currentHealthy=4, desiredHealthy=3, expectedPods=4)
    answers = await asyncio.gather(*(evict(http, ns, f"web-{i}") for i in range(4)))
    assert sorted(status for status, _ in answers) == [201, 429, 429, 429]
    assert len((await get_budget(http, ns))["status"]["disruptedPods"]) == 1


async def test_dry_run_checks_everything_and_writes_nothing(http: Http, ns: str) -> None:
    await running_pods(http, ns, 2)
    await http.ok("POST", f"/apis/policy/v1/namespaces/{ns}/poddisruptionbudgets", budget(minAvailable=1))
    before = await set_budget_status(http, ns, disruptionsAllowed=1, currentHealthy=2, desiredHealthy=1,
                                     expectedPods=2)
    assert (await evict(http, ns, "web-0", "?dryRun=All"))[0] == 201
    assert (await evict(http, ns, "web-0", dryRun=["All"]))[0] == 201
    assert await exists(http, ns, "web-0")
    assert (await get_budget(http, ns))["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]
    status, error = await evict(http, ns, "web-0", "?dryRun=All", dryRun=[])
    assert status == 201           # an empty list in the body takes the query's value
    status, error = await evict(http, ns, "web-0", "?dryRun=Nope")
    assert status == 422 and "dryRun" in error["message"]      # CreateOptions is invalid, as in Kubernetes


async def test_pods_that_are_not_running_are_evicted_whatever_the_budget(http: Http, ns: str) -> None:
    await http.ok("POST", f"/api/v1/namespaces/{ns}/pods", pod("pending", LABELS))
    await http.ok("POST", f"/apis/policy/v1/namespaces/{ns}/poddisruptionbudgets", budget(minAvailable=5))
    await set_budget_status(http, ns, disruptionsAllowed=0, desiredHealthy=5, expectedPods=5)
    assert (await evict(http, ns, "pending"))[0] == 201
    assert (await http.get(f"/api/v1/namespaces/{ns}/pods/pending"))[0] == 404


async def test_an_unready_pod_goes_without_spending_when_the_budget_is_met(http: Http, ns: str) -> None:
    await running_pods(http, ns, 3)
    await http.ok("PATCH", f"/api/v1/namespaces/{ns}/pods/web-2/status", {"status": {"conditions": [
        {"type": "Ready", "status": "False"}]}}, content_type="application/merge-patch+json")
    await http.ok("POST", f"/apis/policy/v1/namespaces/{ns}/poddisruptionbudgets", budget(minAvailable=2))
    await set_budget_status(http, ns, disruptionsAllowed=0, currentHealthy=2, desiredHealthy=2, expectedPods=3)
    assert (await evict(http, ns, "web-2"))[0] == 201
    assert "disruptedPods" not in (await get_budget(http, ns))["status"]
    assert (await evict(http, ns, "web-1"))[0] == 429


async def test_pods_without_a_budget_are_simply_deleted_and_bad_evictions_are_4xx(http: Http, ns: str) -> None:
    await running_pods(http, ns, 1)
    status, error = await http.post(f"/api/v1/namespaces/{ns}/pods/web-0/eviction", eviction("other"))
    assert (status, error["message"]) == (400, "name in URL does not match name in Eviction object")
    status, _ = await http.post(f"/api/v1/namespaces/{ns}/pods/web-0/eviction", None, raw=b"{not json")
    assert status == 400
    assert (await http.get(f"/api/v1/namespaces/{ns}/pods/web-0/eviction"))[0] == 405
    assert (await evict(http, ns, "missing"))[0] == 404
    v1beta1 = {**eviction("web-0"), "apiVersion": "policy/v1beta1"}
    assert (await http.post(f"/api/v1/namespaces/{ns}/pods/web-0/eviction", v1beta1))[0] == 201
    assert not await exists(http, ns, "web-0")


async def test_two_budgets_for_one_pod_are_refused(http: Http, ns: str) -> None:
    await running_pods(http, ns, 1)
    for name in ("a", "b"):
        await http.ok("POST", f"/apis/policy/v1/namespaces/{ns}/poddisruptionbudgets", budget(name, minAvailable=0))
    status, error = await evict(http, ns, "web-0")
    assert status == 500 and "more than one PodDisruptionBudget" in error["message"]


async def test_no_eviction_in_a_terminating_namespace(http: Http, unique: str) -> None:
    name = f"term-{unique}"
    await http.ok("POST", "/api/v1/namespaces", namespace(name))
    await http.ok("POST", f"/api/v1/namespaces/{name}/pods", pod("p", LABELS, node="no-such-node"))
    await http.ok("DELETE", f"/api/v1/namespaces/{name}")        # no namespace controller: stays Terminating
    status, error = await evict(http, name, "p")
    assert status == 403
    assert error["details"]["causes"] == [{"reason": "NamespaceTerminating", "field": "metadata.namespace",
                                           "message": f"namespace {name} is being terminated"}]


# ---- with the disruption controller -----------------------------------------------------------------

async def test_the_controller_keeps_the_status_and_evictions_follow_it(apiserver, http: Http, ns: str) -> None:
    manager = InProcessManager(apiserver.url, ["disruption"])
    manager.start()
    try:
        await running_pods(http, ns, 3)
        await http.ok("POST", f"/apis/policy/v1/namespaces/{ns}/poddisruptionbudgets", budget(minAvailable="50%",
                                                                                             name="unmanaged"))
        await http.ok("POST", f"/apis/policy/v1/namespaces/{ns}/poddisruptionbudgets",
                      {**budget("int"), "spec": {"minAvailable": 2, "selector": {"matchLabels": {"app": "other"}}}})

        # a percentage counts the pods' controllers' scale; these pods have no controller: 0 expected
        status = await eventually(lambda: conditioned_status(http, ns, "unmanaged"), "the percentage budget's status")
        assert (status["expectedPods"], status["currentHealthy"], status["disruptionsAllowed"]) == (0, 3, 0)
        assert status["conditions"][0]["reason"] == "InsufficientPods"
        assert "unmanaged" in (await eventually(lambda: events_of(http, ns, "UnmanagedPods"), "UnmanagedPods"))[0]
        await http.ok("DELETE", f"/apis/policy/v1/namespaces/{ns}/poddisruptionbudgets/unmanaged")
        await http.ok("PATCH", f"/apis/policy/v1/namespaces/{ns}/poddisruptionbudgets/int",
                      {"spec": {"selector": {"matchLabels": LABELS}}}, content_type="application/merge-patch+json")

        async def computed():
            pdb = await get_budget(http, ns, "int")
            status = pdb["status"]
            return status.get("observedGeneration") == pdb["metadata"]["generation"] and \
                status.get("expectedPods") == 3 and status
        status = await eventually(computed, "the budget's status")
        assert (status["currentHealthy"], status["desiredHealthy"], status["disruptionsAllowed"]) == (3, 2, 1)
        assert status["conditions"][0]["type"] == "DisruptionAllowed"
        assert status["conditions"][0]["status"] == "True"

        assert (await evict(http, ns, "web-0"))[0] == 201

        async def recounted():
            status = (await get_budget(http, ns, "int"))["status"]
            return status.get("expectedPods") == 2 and status
        status = await eventually(recounted, "the budget recounted after the eviction")
        assert (status["currentHealthy"], status["disruptionsAllowed"]) == (2, 0)
        assert status["conditions"][0]["reason"] == "InsufficientPods"
        assert (await evict(http, ns, "web-1"))[0] == 429

        await http.ok("DELETE", f"/api/v1/namespaces/{ns}/pods/web-1")
        await http.ok("DELETE", f"/api/v1/namespaces/{ns}/pods/web-2")
        assert await eventually(lambda: events_of(http, ns, "NoPods"), "NoPods") == ["No matching pods found"]
    finally:
        await manager.stop()


async def test_percentages_count_the_deployment_scale(apiserver, http: Http, ns: str) -> None:
    from minikube_py.client import ApiClient, ClientConfig
    from tests.helpers import deployment
    manager = InProcessManager(apiserver.url, ["deployment", "replicaset", "disruption"])
    manager.start()
    try:
        await http.ok("POST", f"/apis/apps/v1/namespaces/{ns}/deployments", deployment("web", 3, LABELS))
        async with ApiClient(ClientConfig(server=apiserver.url)) as api:
            async def three_pods():
                items, _ = await api.resource("pods", ns).list_all()
                return len(items) == 3 and items
            for item in await eventually(three_pods, "three pods of the Deployment"):
                await mark_ready(api, ns, item, "10.244.0.9")
        await http.ok("POST", f"/apis/policy/v1/namespaces/{ns}/poddisruptionbudgets", budget(maxUnavailable="34%"))

        async def computed():
            status = (await get_budget(http, ns))["status"]
            return status.get("currentHealthy") == 3 and status
        status = await eventually(computed, "the budget's status")
        # 34% of 3 rounds up to 2 unavailable: 1 must stay healthy
        assert (status["expectedPods"], status["desiredHealthy"], status["disruptionsAllowed"]) == (3, 1, 2)
        await http.ok("PATCH", f"/apis/apps/v1/namespaces/{ns}/deployments/web/scale", {"spec": {"replicas": 4}},
                      content_type="application/merge-patch+json")

        async def rescaled():
            status = (await get_budget(http, ns))["status"]
            return status.get("expectedPods") == 4 and status
        status = await eventually(rescaled, "the budget to follow the Deployment's scale")
        assert status["desiredHealthy"] == 2          # 4 - ceil(1.36)
    finally:
        await manager.stop()


async def test_a_budget_whose_status_cannot_be_computed_fails_safe(apiserver, http: Http, ns: str) -> None:
    """A Job has no scale subresource, so a percentage of "its" pods has no denominator."""
    manager = InProcessManager(apiserver.url, ["disruption"])
    manager.start()
    try:
        owned = pod("job-pod", {"app": "batch"})
        owned["metadata"]["ownerReferences"] = [{"apiVersion": "batch/v1", "kind": "Job", "name": "j",
                                                 "uid": "7a1c0d2e-0000-4000-8000-000000000001", "controller": True}]
        await http.ok("POST", f"/api/v1/namespaces/{ns}/pods", owned)
        await http.ok("POST", f"/apis/policy/v1/namespaces/{ns}/poddisruptionbudgets",
                      {**budget("batch"), "spec": {"maxUnavailable": 1, "selector": {"matchLabels": {"app": "batch"}}}})

        status = await eventually(lambda: conditioned_status(http, ns, "batch"), "the budget to fail safe")
        assert status["disruptionsAllowed"] == 0
        assert status["conditions"][0]["reason"] == "SyncFailed"
        assert status["conditions"][0]["message"] == "jobs.batch does not implement the scale subresource"
        assert await eventually(lambda: events_of(http, ns, "CalculateExpectedPodCountFailed"), "the Event") == [
            "Failed to calculate the number of expected pods: jobs.batch does not implement the scale subresource"]
    finally:
        await manager.stop()


async def test_mkctl_drain_evicts_and_waits_for_the_budget(apiserver, http: Http, ns: str, unique: str) -> None:
    """mkctl drain goes through pods/eviction: a 429 is reported and retried until the budget allows."""
    node = f"mk-drain-{unique}"
    await http.ok("POST", "/api/v1/nodes", {"apiVersion": "v1", "kind": "Node", "metadata": {"name": node}})
    process = None
    try:
        for name in await running_pods(http, ns, 2, node=node):
            await http.ok("PATCH", f"/api/v1/namespaces/{ns}/pods/{name}", {"metadata": {"ownerReferences": [
                {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web", "uid": "uid-web", "controller": True}]}},
                content_type="application/merge-patch+json")
        await http.ok("POST", f"/apis/policy/v1/namespaces/{ns}/poddisruptionbudgets", budget(minAvailable=2))
        await set_budget_status(http, ns, disruptionsAllowed=0, currentHealthy=2, desiredHealthy=2, expectedPods=2)
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "minikube_py.cli.mkctl", "--server", apiserver.url, "drain", node,
            "--grace-period=0", "--timeout=60", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            cwd=ROOT)
        assert process.stderr is not None and process.stdout is not None
        reported = await asyncio.wait_for(process.stderr.readline(), 30)
        assert VIOLATION in reported.decode() and "(will retry after 5s)" in reported.decode()
        assert await exists(http, ns, "web-0") and await exists(http, ns, "web-1")
        await set_budget_status(http, ns, disruptionsAllowed=2, currentHealthy=2, desiredHealthy=0, expectedPods=2)
        out = (await asyncio.wait_for(process.stdout.read(), 60)).decode()
        assert await process.wait() == 0
        assert out.splitlines()[0] == f"node/{node} cordoned" and out.splitlines()[-1] == f"node/{node} drained"
        assert {"pod/web-0 evicted", "pod/web-1 evicted"} <= set(out.splitlines())
        assert not await exists(http, ns, "web-0") and not await exists(http, ns, "web-1")
    finally:
        if process is not None and process.returncode is None:
            process.kill()
            await process.wait()
        await http.delete(f"/api/v1/nodes/{node}")


def test_the_official_python_client_creates_budgets_and_evicts(apiserver, unique: str) -> None:
    """The client's models require every status count of a budget; its eviction call is refused with
    an ApiException 429 while the budget allows nothing."""
    from kubernetes import client
    from kubernetes.client.rest import ApiException
    config = client.Configuration()
    config.host = apiserver.url
    with client.ApiClient(config) as api_client:
        core, policy = client.CoreV1Api(api_client), client.PolicyV1Api(api_client)
        ns = f"py-pdb-{unique}"
        core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=ns)))
        try:
            core.create_namespaced_pod(ns, client.V1Pod(
                metadata=client.V1ObjectMeta(name="p", labels=LABELS),
                spec=client.V1PodSpec(containers=[client.V1Container(name="c", image="minikube-py/busybox")])))
            core.patch_namespaced_pod_status("p", ns, {"status": {"phase": "Running", "conditions": [
                {"type": "Ready", "status": "True"}]}})
            created = policy.create_namespaced_pod_disruption_budget(ns, client.V1PodDisruptionBudget(
                metadata=client.V1ObjectMeta(name="web"),
                spec=client.V1PodDisruptionBudgetSpec(min_available=1,
                                                      selector=client.V1LabelSelector(match_labels=LABELS))))
            assert created.status is not None
            assert created.status.disruptions_allowed == 0 and created.status.expected_pods == 0
            budgets = policy.list_namespaced_pod_disruption_budget(ns).items
            assert [b.metadata.name if b.metadata else None for b in budgets] == ["web"]
            eviction = client.V1Eviction(metadata=client.V1ObjectMeta(name="p", namespace=ns))
            try:
                core.create_namespaced_pod_eviction("p", ns, eviction)
                raise AssertionError("the eviction should have been refused")
            except ApiException as e:
                assert e.status == 429 and VIOLATION in (e.body or "")
            policy.delete_namespaced_pod_disruption_budget("web", ns)
            core.create_namespaced_pod_eviction("p", ns, eviction)
            assert core.list_namespaced_pod(ns).items == []
        finally:
            core.delete_namespace(ns)
