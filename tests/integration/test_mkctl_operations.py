"""mkctl's operations on live objects: label/annotate, scale, node maintenance,
rollouts and logs, against a real API server.

No controllers or node agents run here, so the tests build the world those
would maintain by hand (a Node object, pods bound to it through pods/binding,
ReplicaSets with revision annotations, Deployment status written through the
status subresource) and check what mkctl does to the objects.
"""
from __future__ import annotations

from aiohttp import web

from minikube_py.testing import free_port
from tests.helpers import deployment, pod
from tests.mkctl_harness import mkctl, start_mkctl

REVISION = "deployment.kubernetes.io/revision"


async def test_label_and_annotate_follow_kubectls_overwrite_rule(apiserver, http, ns):
    await http.ok("POST", f"/api/v1/namespaces/{ns}/pods", pod("p", {"app": "web"}))
    added = await mkctl(apiserver, "label", "pod", "p", "tier=front", "-n", ns)
    assert added.out == "pod/p labeled\n"
    refused = await mkctl(apiserver, "label", "pod", "p", "tier=back", "-n", ns)
    assert (refused.code, refused.err) == (1, "error: 'tier' already has a value (front), and --overwrite is false\n")
    assert (await mkctl(apiserver, "label", "pod/p", "tier=back", "app-", "--overwrite", "-n", ns)).code == 0
    assert (await http.ok("GET", f"/api/v1/namespaces/{ns}/pods/p"))["metadata"]["labels"] == {"tier": "back"}

    assert (await mkctl(apiserver, "annotate", "pod", "p", "note=hello", "-n", ns)).out == "pod/p annotated\n"
    assert (await mkctl(apiserver, "annotate", "pod", "p", "note=hello", "-n", ns)).out == "pod/p not annotated\n"
    obj = await http.ok("GET", f"/api/v1/namespaces/{ns}/pods/p")
    assert obj["metadata"]["annotations"] == {"note": "hello"}


async def test_scale_writes_the_scale_subresource(apiserver, http, ns):
    await http.ok("POST", f"/apis/apps/v1/namespaces/{ns}/deployments", deployment("web"))
    assert (await mkctl(apiserver, "scale", "deploy/web", "--replicas", "4", "-n", ns)).out == \
        "deployment.apps/web scaled\n"
    scale = await http.ok("GET", f"/apis/apps/v1/namespaces/{ns}/deployments/web/scale")
    assert scale["spec"]["replicas"] == 4
    wrong = await mkctl(apiserver, "scale", "deploy/web", "--replicas", "1", "--current-replicas", "2", "-n", ns)
    assert (wrong.code, wrong.err) == (1, "error: Expected replicas to be 2, was 4\n")


async def make_node(http, name: str, **status) -> None:
    await http.ok("POST", "/api/v1/nodes", {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name},
                                            "status": status})


async def bound_pod(http, ns: str, name: str, node: str, owner: dict | None = None) -> None:
    """A pod placed on `node` the way the scheduler does it: POST pods/binding."""
    body = pod(name)
    if owner:
        body["metadata"]["ownerReferences"] = [{"apiVersion": "apps/v1", "controller": True,
                                                "uid": f"uid-{owner['name']}", **owner}]
    await http.ok("POST", f"/api/v1/namespaces/{ns}/pods", body)
    await http.ok("POST", f"/api/v1/namespaces/{ns}/pods/{name}/binding", {
        "apiVersion": "v1", "kind": "Binding", "metadata": {"name": name},
        "target": {"apiVersion": "v1", "kind": "Node", "name": node}})


async def test_cordon_uncordon_and_taint(apiserver, http, unique):
    node = f"n-{unique}"
    await make_node(http, node)
    try:
        assert (await mkctl(apiserver, "cordon", node)).out == f"node/{node} cordoned\n"
        assert (await mkctl(apiserver, "cordon", node)).out == f"node/{node} already cordoned\n"
        assert (await http.ok("GET", f"/api/v1/nodes/{node}"))["spec"]["unschedulable"] is True
        assert (await mkctl(apiserver, "uncordon", f"node/{node}")).out == f"node/{node} uncordoned\n"
        assert "unschedulable" not in (await http.ok("GET", f"/api/v1/nodes/{node}"))["spec"]

        assert (await mkctl(apiserver, "taint", "nodes", node, "gpu=yes:NoSchedule")).out == f"node/{node} tainted\n"
        taints = (await http.ok("GET", f"/api/v1/nodes/{node}"))["spec"]["taints"]
        assert taints == [{"key": "gpu", "value": "yes", "effect": "NoSchedule"}]
        again = await mkctl(apiserver, "taint", "nodes", node, "gpu=no:NoSchedule")
        assert again.code == 1 and "--overwrite is false" in again.err
        assert (await mkctl(apiserver, "taint", "nodes", node, "gpu:NoSchedule-")).out == f"node/{node} untainted\n"
        assert not (await http.ok("GET", f"/api/v1/nodes/{node}"))["spec"].get("taints")
    finally:
        await http.ok("DELETE", f"/api/v1/nodes/{node}")


async def test_drain_refuses_unmanaged_pods_then_deletes_all_but_daemonset_ones(apiserver, http, ns, unique):
    node = f"d-{unique}"
    await make_node(http, node)
    try:
        await bound_pod(http, ns, "loose", node)
        await bound_pod(http, ns, "web-1", node, {"kind": "ReplicaSet", "name": "web"})
        await bound_pod(http, ns, "agent-1", node, {"kind": "DaemonSet", "name": "agent"})

        refused = await mkctl(apiserver, "drain", node, "--grace-period=0")
        assert refused.code == 1
        assert refused.out == f"node/{node} cordoned\n"
        assert f"cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): {ns}/agent-1" in refused.err
        assert "(use --force to override): " + f"{ns}/loose" in refused.err
        assert len((await http.ok("GET", f"/api/v1/namespaces/{ns}/pods"))["items"]) == 3   # nothing touched

        drained = await mkctl(apiserver, "drain", node, "--ignore-daemonsets", "--force", "--grace-period=0",
                              "--timeout", "30")
        assert drained.code == 0, drained.err
        assert sorted(drained.out.splitlines()) == sorted([
            f"node/{node} already cordoned", f"evicting pod {ns}/loose", "pod/loose evicted",
            f"evicting pod {ns}/web-1", "pod/web-1 evicted", f"node/{node} drained"])
        assert f"WARNING: ignoring DaemonSet-managed Pods: {ns}/agent-1" in drained.err
        left = (await http.ok("GET", f"/api/v1/namespaces/{ns}/pods"))["items"]
        assert [p["metadata"]["name"] for p in left] == ["agent-1"]
    finally:
        await http.ok("DELETE", f"/api/v1/nodes/{node}")


async def make_history(http, ns: str) -> dict:
    """A Deployment with two ReplicaSets (revisions 1: image v1, 2: image v2), as its controller leaves them."""
    deploy = deployment("web")
    deploy["spec"]["template"]["spec"]["containers"][0]["image"] = "hello:v2"
    live = await http.ok("POST", f"/apis/apps/v1/namespaces/{ns}/deployments", deploy)
    for revision, image in ((1, "hello:v1"), (2, "hello:v2")):
        template: dict = {"metadata": {"labels": {"app": "web", "pod-template-hash": f"h{revision}"}},
                          "spec": {"containers": [{"name": "web", "image": image}]}}
        await http.ok("POST", f"/apis/apps/v1/namespaces/{ns}/replicasets", {
            "apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": f"web-h{revision}", "labels": template["metadata"]["labels"],
                         "annotations": {REVISION: str(revision), "kubernetes.io/change-cause": f"image {image}"},
                         "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "web",
                                              "uid": live["metadata"]["uid"], "controller": True}]},
            "spec": {"replicas": 1, "selector": {"matchLabels": template["metadata"]["labels"]},
                     "template": template}})
    return live


async def test_rollout_history_undo_and_restart(apiserver, http, ns):
    await make_history(http, ns)
    history = await mkctl(apiserver, "rollout", "history", "deployment/web", "-n", ns)
    assert history.out.splitlines() == ["deployment.apps/web", "REVISION   CHANGE-CAUSE",
                                        "1          image hello:v1", "2          image hello:v2", ""]
    detail = await mkctl(apiserver, "rollout", "history", "deploy/web", "--revision", "1", "-n", ns)
    assert detail.out.startswith("deployment.apps/web with revision #1\nPod Template:\n") and "hello:v1" in detail.out

    undone = await mkctl(apiserver, "rollout", "undo", "deploy/web", "-n", ns)
    assert undone.out == "deployment.apps/web rolled back\n"
    live = await http.ok("GET", f"/apis/apps/v1/namespaces/{ns}/deployments/web")
    assert live["spec"]["template"]["spec"]["containers"][0]["image"] == "hello:v1"
    assert live["spec"]["template"]["metadata"]["labels"] == {"app": "web"}       # no pod-template-hash
    skipped = await mkctl(apiserver, "rollout", "undo", "deploy/web", "--to-revision", "1", "-n", ns)
    assert skipped.out == "deployment.apps/web skipped rollback (current template already matches revision 1)\n"
    missing = await mkctl(apiserver, "rollout", "undo", "deploy/web", "--to-revision", "7", "-n", ns)
    assert (missing.code, missing.err) == (1, "error: unable to find specified revision 7 in history\n")

    restarted = await mkctl(apiserver, "rollout", "restart", "deploy/web", "-n", ns)
    assert restarted.out == "deployment.apps/web restarted\n"
    live = await http.ok("GET", f"/apis/apps/v1/namespaces/{ns}/deployments/web")
    assert "kubectl.kubernetes.io/restartedAt" in live["spec"]["template"]["metadata"]["annotations"]


async def test_rollout_status_follows_the_deployment_status(apiserver, http, ns):
    live = await http.ok("POST", f"/apis/apps/v1/namespaces/{ns}/deployments", deployment("web", replicas=3))
    path = f"/apis/apps/v1/namespaces/{ns}/deployments/web/status"

    async def set_status(**status) -> None:
        await http.ok("PATCH", path, {"status": {"observedGeneration": live["metadata"]["generation"], **status}},
                      content_type="application/merge-patch+json")

    await set_status(replicas=3, updatedReplicas=3, availableReplicas=1)
    waiting = await start_mkctl(apiserver, "rollout", "status", "deploy/web", "-n", ns, "--timeout", "30")
    await waiting.wait_for_line(lambda line: line.startswith("Waiting for deployment"), "the first progress line")
    await set_status(replicas=3, updatedReplicas=3, availableReplicas=3)
    result = await waiting.finish()
    assert result.code == 0, result.err
    assert result.out.splitlines() == ['Waiting for deployment "web" rollout to finish: 1 of 3 updated replicas '
                                       'are available...', 'deployment "web" successfully rolled out']

    await set_status(replicas=3, updatedReplicas=1, availableReplicas=3)
    timed_out = await mkctl(apiserver, "rollout", "status", "deploy/web", "-n", ns, "--timeout", "1")
    assert timed_out.code == 1 and timed_out.err == "error: timed out waiting for the condition\n"
    assert timed_out.out == ('Waiting for deployment "web" rollout to finish: '
                             '1 out of 3 new replicas have been updated...\n')


async def test_logs_come_from_the_node_agent_through_the_api_server(apiserver, http, ns, unique):
    asked = []

    async def container_logs(request: web.Request) -> web.Response:
        asked.append((request.match_info["container"], dict(request.query)))
        return web.Response(text="hello\nworld\n")

    agent = web.Application()
    agent.router.add_get("/containerLogs/{ns}/{pod}/{container}", container_logs)
    runner = web.AppRunner(agent)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    node = f"logs-{unique}"
    try:
        await make_node(http, node, addresses=[{"type": "InternalIP", "address": "127.0.0.1"}],
                        daemonEndpoints={"kubeletEndpoint": {"Port": port}})
        await bound_pod(http, ns, "p", node)
        result = await mkctl(apiserver, "logs", "p", "--tail", "2", "-n", ns)
        assert (result.code, result.out) == (0, "hello\nworld\n"), result.err
        assert asked == [("app", {"tailLines": "2"})]
    finally:
        await runner.cleanup()
        await http.ok("DELETE", f"/api/v1/nodes/{node}")


async def test_events_are_listed_oldest_first(apiserver, http, ns):
    for name, when in (("second", "2024-01-01T00:00:02Z"), ("first", "2024-01-01T00:00:01Z")):
        await http.ok("POST", f"/api/v1/namespaces/{ns}/events", {
            "apiVersion": "v1", "kind": "Event", "metadata": {"name": name},
            "involvedObject": {"kind": "Pod", "name": "p", "namespace": ns},
            "reason": name.capitalize(), "message": f"the {name} one", "type": "Normal",
            "firstTimestamp": when, "lastTimestamp": when})
    result = await mkctl(apiserver, "events", "-n", ns)
    lines = result.out.splitlines()
    assert lines[0].split() == ["LAST", "SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    assert [line.split()[2] for line in lines[1:]] == ["First", "Second"]
    assert lines[1].split()[3] == "pod/p"
