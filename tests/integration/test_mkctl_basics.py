"""mkctl against a real API server: get, apply, create, delete, describe, errors.

Each test runs the real command line in a child process (tests/mkctl_harness.py),
without a terminal, so the output is the plain kubectl-style text a script would read.
"""
from __future__ import annotations

import json
from pathlib import Path

import yaml

from tests.helpers import deployment, pod
from tests.mkctl_harness import mkctl, start_mkctl


def write_manifest(tmp_path: Path, name: str, *docs: dict) -> str:
    path = tmp_path / name
    path.write_text(yaml.safe_dump_all(docs))
    return str(path)


async def test_get_prints_the_servers_table_and_objects(apiserver, http, ns):
    await http.ok("POST", f"/api/v1/namespaces/{ns}/pods", pod("web-1", {"app": "web"}))
    await http.ok("POST", f"/api/v1/namespaces/{ns}/pods", pod("db-1", {"app": "db", "suite": ns}))

    table = await mkctl(apiserver, "get", "pods", "-n", ns)
    assert table.code == 0, table.err
    lines = table.out.splitlines()
    assert lines[0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert [line.split()[:3] for line in lines[1:]] == [["db-1", "0/1", "Pending"], ["web-1", "0/1", "Pending"]]

    bare = await mkctl(apiserver, "get", "pods", "-n", ns, "--no-headers")
    assert [line.split()[0] for line in bare.out.splitlines()] == ["db-1", "web-1"]

    wide = await mkctl(apiserver, "get", "pods", "-n", ns, "-o", "wide", "-l", "app=web")
    assert wide.out.splitlines()[0].split()[5:7] == ["IP", "NODE"]
    assert len(wide.out.splitlines()) == 2

    labels = await mkctl(apiserver, "get", "pods", "web-1", "-n", ns, "--show-labels")
    assert labels.out.splitlines()[1].endswith("app=web")

    # other tests share this API server: select on a label only this test uses
    everywhere = await mkctl(apiserver, "get", "pods", "-A", "-l", f"app=db,suite={ns}")
    assert everywhere.out.splitlines()[0].split()[:2] == ["NAMESPACE", "NAME"]
    assert [line.split()[:2] for line in everywhere.out.splitlines()[1:]] == [[ns, "db-1"]]

    names = await mkctl(apiserver, "get", "pods", "-n", ns, "-o", "name")
    assert names.out == "pod/db-1\npod/web-1\n"

    one = await mkctl(apiserver, "get", "pod/web-1", "-n", ns, "-o", "yaml")
    obj = yaml.safe_load(one.out)
    assert (obj["kind"], obj["apiVersion"], obj["metadata"]["name"]) == ("Pod", "v1", "web-1")
    assert 'resourceVersion: "' in one.out                 # quoted like kubectl's YAML

    many = json.loads((await mkctl(apiserver, "get", "pods", "-n", ns, "-o", "json")).out)
    assert many["kind"] == "List" and [i["kind"] for i in many["items"]] == ["Pod", "Pod"]


async def test_get_several_types_and_missing_names(apiserver, http, ns):
    await http.ok("POST", f"/apis/apps/v1/namespaces/{ns}/deployments", deployment("web"))
    both = await mkctl(apiserver, "get", "deploy,pods", "-n", ns)
    assert both.out.splitlines()[1].split()[0] == "deployment.apps/web"
    assert both.err == ""

    missing = await mkctl(apiserver, "get", "deploy", "web", "nope", "-n", ns)
    assert missing.code == 1
    assert missing.out.splitlines()[1].split()[0] == "web"
    assert missing.err == 'Error from server (NotFound): deployments.apps "nope" not found\n'

    empty = await mkctl(apiserver, "get", "pods", "-n", ns)
    assert (empty.code, empty.out, empty.err) == (0, "", f"No resources found in {ns} namespace.\n")


async def test_get_watch_prints_changes_until_its_timeout(apiserver, http, ns):
    await http.ok("POST", f"/api/v1/namespaces/{ns}/pods", pod("early"))
    watcher = await start_mkctl(apiserver, "get", "pods", "-n", ns, "-w", "--watch-timeout", "4")
    # the list is printed first, then the watch starts from its resourceVersion: "late" can only come by the watch
    await watcher.wait_for_line(lambda line: line.startswith("early "), "the listed pod")
    await http.ok("POST", f"/api/v1/namespaces/{ns}/pods", pod("late"))
    result = await watcher.finish()
    assert result.code == 0, result.err
    assert any(line.split()[:3] == ["late", "0/1", "Pending"] for line in result.out.splitlines())


async def test_apply_creates_configures_and_removes_dropped_fields(apiserver, http, ns, tmp_path):
    manifest = deployment("web", replicas=2)
    manifest["metadata"]["labels"] = {"app": "web", "tier": "front"}    # the helper shares one dict
    path = write_manifest(tmp_path, "web.yaml", manifest)

    assert (await mkctl(apiserver, "apply", "-f", path, "-n", ns)).out == "deployment.apps/web created\n"
    assert (await mkctl(apiserver, "apply", "-f", path, "-n", ns)).out == "deployment.apps/web unchanged\n"

    # Someone else sets a field the manifest never had: apply must keep it.
    await http.ok("PATCH", f"/apis/apps/v1/namespaces/{ns}/deployments/web",
                  {"metadata": {"annotations": {"owner": "ops"}}},
                  content_type="application/merge-patch+json")
    del manifest["metadata"]["labels"]["tier"]
    manifest["spec"]["replicas"] = 3
    write_manifest(tmp_path, "web.yaml", manifest)
    configured = await mkctl(apiserver, "apply", "-f", path, "-n", ns)
    assert configured.out == "deployment.apps/web configured\n", configured.err

    live = await http.ok("GET", f"/apis/apps/v1/namespaces/{ns}/deployments/web")
    assert live["metadata"]["labels"] == {"app": "web"}                  # dropped from the manifest: removed
    assert live["metadata"]["annotations"]["owner"] == "ops"             # set by someone else: kept
    assert live["spec"]["replicas"] == 3
    recorded = json.loads(live["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"])
    assert recorded["metadata"] == {"annotations": {}, "labels": {"app": "web"}, "name": "web", "namespace": ns}


async def test_apply_reads_multi_document_stdin_and_create_refuses_duplicates(apiserver, http, ns, tmp_path):
    docs = [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"cm{i}"}, "data": {"k": str(i)}}
            for i in range(2)]
    applied = await mkctl(apiserver, "apply", "-f", "-", "-n", ns, stdin=yaml.safe_dump_all(docs))
    assert applied.out == "configmap/cm0 created\nconfigmap/cm1 created\n"
    path = write_manifest(tmp_path, "cm.yaml", docs[0])
    again = await mkctl(apiserver, "create", "-f", path, "-n", ns)
    assert again.code == 1
    assert again.err == (f'Error from server (AlreadyExists): error when creating "{path}": '
                         f'configmaps "cm0" already exists\n')


async def test_delete_by_name_selector_and_manifest(apiserver, http, ns, tmp_path):
    for name, app in (("a", "x"), ("b", "x"), ("c", "y")):
        await http.ok("POST", f"/api/v1/namespaces/{ns}/pods", pod(name, {"app": app}))
    assert (await mkctl(apiserver, "delete", "pod", "a", "-n", ns)).out == 'pod "a" deleted\n'
    assert (await mkctl(apiserver, "delete", "pods", "-l", "app=x", "-n", ns)).out == 'pod "b" deleted\n'
    path = write_manifest(tmp_path, "c.yaml", pod("c"))
    assert (await mkctl(apiserver, "delete", "-f", path, "-n", ns)).out == 'pod "c" deleted\n'
    missing = await mkctl(apiserver, "delete", "pod", "a", "-n", ns)
    assert (missing.code, missing.err) == (1, 'Error from server (NotFound): pods "a" not found\n')


async def test_errors_are_one_line_with_kubectls_wording(apiserver, tmp_path):
    unknown = await mkctl(apiserver, "get", "widgets")
    assert (unknown.code, unknown.err) == (1, 'error: the server doesn\'t have a resource type "widgets"\n')

    bad = tmp_path / "web.yaml"
    bad.write_text("kind: [\n")
    parsed = await mkctl(apiserver, "apply", "-f", str(bad))
    assert parsed.code == 1
    assert parsed.err.startswith(f"error: error parsing {bad}: ") and parsed.err.count("\n") == 1

    class Nowhere:
        url = "http://127.0.0.1:1"
    refused = await mkctl(Nowhere, "get", "pods")
    assert refused.code == 1
    assert refused.err == ("The connection to the server 127.0.0.1:1 was refused - "
                           "did you specify the right host or port?\n")
    assert "Traceback" not in unknown.err + parsed.err + refused.err


async def test_describe_pod_shows_spec_status_decision_and_events(apiserver, http, ns):
    body = pod("p", {"app": "web"})
    body["metadata"]["annotations"] = {"scheduler.minikube-py.io/decision": "n1 won: score 97"}
    created = await http.ok("POST", f"/api/v1/namespaces/{ns}/pods", body)
    await http.ok("POST", f"/api/v1/namespaces/{ns}/events", {
        "apiVersion": "v1", "kind": "Event", "metadata": {"name": "p.1"},
        "involvedObject": {"kind": "Pod", "name": "p", "namespace": ns, "uid": created["metadata"]["uid"]},
        "reason": "Scheduled", "message": "Successfully assigned to n1", "type": "Normal",
        "source": {"component": "default-scheduler"}, "count": 1,
        "firstTimestamp": created["metadata"]["creationTimestamp"],
        "lastTimestamp": created["metadata"]["creationTimestamp"]})
    page = (await mkctl(apiserver, "describe", "pod", "p", "-n", ns)).out
    lines = page.splitlines()
    assert lines[0].split() == ["Name:", "p"] and lines[1].split() == ["Namespace:", ns]
    assert "Labels:       app=web" in page
    assert "Containers:\n  app:\n    Image:" in page
    assert "Scheduling decision:\n  n1 won: score 97" in page
    assert lines[-3].split() == ["Type", "Reason", "Age", "From", "Message"]
    assert lines[-1].split()[:2] == ["Normal", "Scheduled"] and lines[-1].endswith("Successfully assigned to n1")
    assert (await mkctl(apiserver, "describe", "pod", "nope", "-n", ns)).err == \
        'Error from server (NotFound): pods "nope" not found\n'


async def test_describe_deployment_and_service(apiserver, http, ns):
    await http.ok("POST", f"/apis/apps/v1/namespaces/{ns}/deployments", deployment("web", replicas=2))
    await http.ok("POST", f"/api/v1/namespaces/{ns}/services", {
        "apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
        "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}})
    page = (await mkctl(apiserver, "describe", "deploy", "web", "-n", ns)).out
    assert "Replicas:               2 desired | 0 updated | 0 total | 0 available | 0 unavailable" in page
    assert "StrategyType:           RollingUpdate" in page and "Pod Template:" in page
    assert page.splitlines()[-2:] == ["NewReplicaSet:    <none>", "Events:           <none>"]
    service = (await mkctl(apiserver, "describe", "svc/web", "-n", ns)).out
    assert "Selector:          app=web" in service and "Endpoints:         <none>" in service


async def test_api_resources_and_version(apiserver):
    resources = (await mkctl(apiserver, "api-resources")).out.splitlines()
    assert resources[0].split() == ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"]
    assert ["deployments", "deploy", "apps/v1", "true", "Deployment"] in [r.split() for r in resources]
    version = (await mkctl(apiserver, "version")).out
    assert version.startswith("Client Version: v") and "Server Version: v1.33" in version
