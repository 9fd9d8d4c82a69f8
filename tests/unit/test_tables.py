"""Server-side Table printing, checked against what kubectl shows for real Kubernetes."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from apiserver.table_helpers import selector_string
from apiserver.tables import table_request, to_table
from minikube_py.api.resources import RESOURCES, ResourceType
from tests.helpers import resource_type

NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
KUBECTL_ACCEPT = ("application/json;as=Table;v=v1;g=meta.k8s.io,"
                  "application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json")


def ago(**delta: float) -> str:
    return (NOW - timedelta(**delta)).strftime("%Y-%m-%dT%H:%M:%SZ")




def table(kind: str, *objects: Any, **options: Any) -> dict:
    return to_table(resource_type(kind), list(objects), table_version=options.pop("table_version", "v1"), now=NOW,
                    **options)


def headers(kind: str, wide: bool = False) -> list[str]:
    """The header line kubectl prints: column names upper-cased, priority>0 only with -o wide."""
    return [c["name"].upper() for c in table(kind)["columnDefinitions"] if wide or c["priority"] == 0]


def cells(kind: str, obj: dict) -> dict[str, Any]:
    result = table(kind, obj)
    return dict(zip([c["name"].upper() for c in result["columnDefinitions"]], result["rows"][0]["cells"], strict=True))


# ---------------------------------------------------------------- negotiation


@pytest.mark.parametrize("accept, expected", [
    (KUBECTL_ACCEPT, "v1"),
    ("application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json", "v1beta1"),
    ("application/json", None),
    ("", None),
    ("*/*", None),
    ("application/json, application/json;as=Table;v=v1;g=meta.k8s.io", None),
    ("application/json;as=Table;v=v2;g=meta.k8s.io,application/json;as=Table;v=v1;g=meta.k8s.io", "v1"),
    ("application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,application/json", None),
    ("application/vnd.kubernetes.protobuf;as=Table;v=v1;g=meta.k8s.io,application/json", None),
    ("application/json; as=Table; v=v1; g=meta.k8s.io", "v1"),
])
def test_table_request(accept: str, expected: str | None) -> None:
    assert table_request(accept) == expected


# ---------------------------------------------------------------- the Table object


def test_table_shape_and_include_object() -> None:
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "labels": {"app": "web"}},
           "spec": {"containers": [{"name": "c"}]}}
    result = table("pods", pod, list_metadata={"resourceVersion": "42"})
    assert (result["kind"], result["apiVersion"], result["metadata"]) == ("Table", "meta.k8s.io/v1",
                                                                         {"resourceVersion": "42"})
    assert result["columnDefinitions"][0] == {"name": "Name", "type": "string", "format": "name",
                                              "description": result["columnDefinitions"][0]["description"],
                                              "priority": 0}
    assert result["rows"][0]["object"] == {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                                           "metadata": pod["metadata"]}
    assert table("pods", pod, table_version="v1beta1")["rows"][0]["object"]["apiVersion"] == "meta.k8s.io/v1beta1"
    assert table("pods", pod, include_object="Object")["rows"][0]["object"] == pod
    assert "object" not in table("pods", pod, include_object="None")["rows"][0]


# ---------------------------------------------------------------- columns, as kubectl prints them


@pytest.mark.parametrize("kind, columns", [
    ("pods", ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]),
    ("nodes", ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]),
    ("namespaces", ["NAME", "STATUS", "AGE"]),
    ("services", ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"]),
    ("endpoints", ["NAME", "ENDPOINTS", "AGE"]),
    ("configmaps", ["NAME", "DATA", "AGE"]),
    ("secrets", ["NAME", "TYPE", "DATA", "AGE"]),
    ("events", ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]),
    ("deployments", ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]),
    ("replicasets", ["NAME", "DESIRED", "CURRENT", "READY", "AGE"]),
    ("daemonsets", ["NAME", "DESIRED", "CURRENT", "READY", "UP-TO-DATE", "AVAILABLE", "NODE SELECTOR", "AGE"]),
    ("jobs", ["NAME", "COMPLETIONS", "DURATION", "AGE"]),
    ("leases", ["NAME", "HOLDER", "AGE"]),
])
def test_columns(kind: str, columns: list[str]) -> None:
    assert headers(kind) == columns


def test_wide_columns() -> None:
    assert headers("pods", wide=True)[5:] == ["IP", "NODE", "NOMINATED NODE", "READINESS GATES"]
    assert headers("nodes", wide=True)[5:] == ["INTERNAL-IP", "EXTERNAL-IP", "OS-IMAGE", "KERNEL-VERSION",
                                               "CONTAINER-RUNTIME"]
    assert headers("services", wide=True)[-1] == "SELECTOR"
    assert headers("deployments", wide=True)[5:] == ["CONTAINERS", "IMAGES", "SELECTOR"]


# ---------------------------------------------------------------- pods


def pod(phase: str = "Running", statuses: list | None = None, init: list | None = None,
        init_statuses: list | None = None, containers: int = 1, **extra: Any) -> dict:
    obj: dict = {"metadata": {"name": "web", "creationTimestamp": ago(seconds=200)},
                 "spec": {"containers": [{"name": f"c{i}"} for i in range(containers)]},
                 "status": {"phase": phase, "containerStatuses": statuses or []}}
    if init is not None:
        obj["spec"]["initContainers"] = init
        obj["status"]["initContainerStatuses"] = init_statuses or []
    for key, value in extra.items():
        obj[key] = value
    return obj


def running(ready: bool = True, restarts: int = 0) -> dict:
    return {"name": "c", "ready": ready, "restartCount": restarts,
            "state": {"running": {"startedAt": ago(seconds=100)}}}


def waiting(reason: str, restarts: int = 0) -> dict:
    return {"name": "c", "ready": False, "restartCount": restarts, "state": {"waiting": {"reason": reason}}}


def terminated(reason: str = "", exit_code: int = 0, signal: int = 0) -> dict:
    return {"name": "c", "ready": False, "restartCount": 0,
            "state": {"terminated": {"reason": reason, "exitCode": exit_code, "signal": signal}}}


@pytest.mark.parametrize("obj, ready, status, restarts", [
    (pod("Pending"), "0/1", "Pending", 0),
    (pod("Pending", [waiting("ContainerCreating")]), "0/1", "ContainerCreating", 0),
    (pod("Running", [running()]), "1/1", "Running", 0),
    (pod("Running", [running(), waiting("CrashLoopBackOff", 4)], containers=2), "1/2", "CrashLoopBackOff", 4),
    (pod("Succeeded", [terminated("Completed")]), "0/1", "Completed", 0),
    (pod("Failed", [terminated("Error", 1)]), "0/1", "Error", 0),
    (pod("Failed", [terminated(exit_code=2)]), "0/1", "ExitCode:2", 0),
    (pod("Failed", [terminated(signal=9)]), "0/1", "Signal:9", 0),
    (pod("Running", [terminated("Completed"), running()], containers=2), "1/2", "NotReady", 0),
    (pod("Pending", init=[{"name": "i"}], init_statuses=[waiting("PodInitializing")]), "0/1", "Init:0/1", 0),
    (pod("Pending", init=[{"name": "a"}, {"name": "b"}],
         init_statuses=[terminated("Completed"), running(False, 1)]), "0/1", "Init:1/2", 1),
    (pod("Pending", init=[{"name": "i"}], init_statuses=[waiting("CrashLoopBackOff", 3)]),
     "0/1", "Init:CrashLoopBackOff", 3),
    (pod("Pending", init=[{"name": "i"}], init_statuses=[terminated("Error", 1)]), "0/1", "Init:Error", 0),
    (pod("Running", [running()], metadata={"name": "web", "deletionTimestamp": ago(seconds=1)}),
     "1/1", "Terminating", 0),
    (pod("Failed", status={"phase": "Failed", "reason": "Evicted"}), "0/1", "Evicted", 0),
])
def test_pod_status(obj: dict, ready: str, status: str, restarts: int) -> None:
    row = cells("pods", obj)
    assert (row["READY"], row["STATUS"], row["RESTARTS"]) == (ready, status, restarts)


def test_pod_ready_condition_keeps_running() -> None:
    obj = pod("Running", [terminated("Completed"), running()], containers=2)
    obj["status"]["conditions"] = [{"type": "Ready", "status": "True"}]
    assert cells("pods", obj)["STATUS"] == "Running"


def test_pod_wide_cells_and_row_conditions() -> None:
    obj = pod("Succeeded", [terminated("Completed")])
    obj["spec"].update(nodeName="node-1", readinessGates=[{"conditionType": "a"}, {"conditionType": "b"}])
    obj["status"].update(podIP="10.244.1.5", conditions=[{"type": "a", "status": "True"}])
    row = cells("pods", obj)
    assert (row["AGE"], row["IP"], row["NODE"], row["NOMINATED NODE"], row["READINESS GATES"]) == (
        "3m20s", "10.244.1.5", "node-1", "<none>", "1/2")
    assert table("pods", obj)["rows"][0]["conditions"] == [
        {"type": "Completed", "status": "True", "reason": "Succeeded",
         "message": "The pod has completed successfully."}]


# ---------------------------------------------------------------- nodes


def test_nodes() -> None:
    node = {"metadata": {"name": "node-1", "creationTimestamp": ago(days=2),
                         "labels": {"node-role.kubernetes.io/control-plane": "", "node-role.kubernetes.io/master": ""}},
            "spec": {"unschedulable": True},
            "status": {"conditions": [{"type": "MemoryPressure", "status": "False"},
                                      {"type": "Ready", "status": "True"}],
                       "addresses": [{"type": "InternalIP", "address": "192.168.56.11"}],
                       "nodeInfo": {"kubeletVersion": "v1.33.0-minikube-py", "osImage": "Debian GNU/Linux 12"}}}
    row = cells("nodes", node)
    assert row == {"NAME": "node-1", "STATUS": "Ready,SchedulingDisabled", "ROLES": "control-plane,master",
                   "AGE": "2d", "VERSION": "v1.33.0-minikube-py", "INTERNAL-IP": "192.168.56.11",
                   "EXTERNAL-IP": "<none>", "OS-IMAGE": "Debian GNU/Linux 12", "KERNEL-VERSION": "<unknown>",
                   "CONTAINER-RUNTIME": "<unknown>"}
    assert cells("nodes", {"status": {"conditions": [{"type": "Ready", "status": "Unknown"}]}})["STATUS"] == "NotReady"
    assert cells("nodes", {"metadata": {"labels": {"kubernetes.io/role": "worker"}}})["ROLES"] == "worker"
    bare = cells("nodes", {"metadata": {"name": "n"}})
    assert (bare["STATUS"], bare["ROLES"], bare["AGE"]) == ("Unknown", "<none>", "<unknown>")


# ---------------------------------------------------------------- services and endpoints


def test_services() -> None:
    svc = {"metadata": {"name": "web", "creationTimestamp": ago(minutes=15)},
           "spec": {"type": "NodePort", "clusterIP": "10.96.0.20", "selector": {"app": "web", "tier": "fe"},
                    "ports": [{"port": 80, "protocol": "TCP", "nodePort": 30080}, {"port": 53, "protocol": "UDP"}]}}
    assert cells("services", svc) == {"NAME": "web", "TYPE": "NodePort", "CLUSTER-IP": "10.96.0.20",
                                      "EXTERNAL-IP": "<none>", "PORT(S)": "80:30080/TCP,53/UDP", "AGE": "15m",
                                      "SELECTOR": "app=web,tier=fe"}
    lb: dict[str, Any] = {"spec": {"type": "LoadBalancer", "clusterIP": "10.96.0.9",
                                   "ports": [{"port": 443, "protocol": "TCP"}]}}
    assert cells("services", lb)["EXTERNAL-IP"] == "<pending>"
    lb["status"] = {"loadBalancer": {"ingress": [{"ip": "203.0.113.7"}]}}
    assert cells("services", lb)["EXTERNAL-IP"] == "203.0.113.7"
    external = cells("services", {"spec": {"type": "ExternalName", "externalName": "example.com"}})
    assert (external["EXTERNAL-IP"], external["CLUSTER-IP"], external["PORT(S)"], external["SELECTOR"]) == (
        "example.com", "<none>", "<none>", "<none>")


def test_endpoints() -> None:
    addresses = [{"ip": f"10.244.1.{i}"} for i in range(1, 5)]
    ep = {"metadata": {"name": "web"}, "subsets": [{"addresses": addresses, "ports": [{"port": 8080}]}]}
    assert cells("endpoints", ep)["ENDPOINTS"] == "10.244.1.1:8080,10.244.1.2:8080,10.244.1.3:8080 + 1 more..."
    headless = {"subsets": [{"addresses": [{"ip": "10.244.1.1"}, {"ip": "fd00::1"}]}]}
    assert cells("endpoints", headless)["ENDPOINTS"] == "10.244.1.1,fd00::1"
    v6 = {"subsets": [{"addresses": [{"ip": "fd00::1"}], "ports": [{"port": 80}]}]}
    assert cells("endpoints", v6)["ENDPOINTS"] == "[fd00::1]:80"
    assert cells("endpoints", {"metadata": {"name": "empty"}})["ENDPOINTS"] == "<none>"


# ---------------------------------------------------------------- config, events, leases


def test_configmaps_secrets_namespaces_leases() -> None:
    configmap = {"metadata": {"name": "c"}, "data": {"a": "1"}, "binaryData": {"b": "Ag=="}}
    assert cells("configmaps", configmap)["DATA"] == 2
    assert cells("secrets", {"type": "Opaque", "data": {"a": "MQ=="}}) | {"AGE": "x"} == {
        "NAME": "", "TYPE": "Opaque", "DATA": 1, "AGE": "x"}
    assert cells("namespaces", {"metadata": {"name": "default"}, "status": {"phase": "Active"}})["STATUS"] == "Active"
    assert cells("leases", {"metadata": {"name": "node-1"}, "spec": {"holderIdentity": "node-1"}})["HOLDER"] == "node-1"


def test_events() -> None:
    event = {"metadata": {"name": "web.17a"}, "type": "Warning", "reason": "BackOff", "count": 7,
             "involvedObject": {"kind": "Pod", "name": "web", "fieldPath": "spec.containers{web}"},
             "source": {"component": "kubelet", "host": "node-1"}, "message": "Back-off restarting\n",
             "firstTimestamp": ago(hours=1), "lastTimestamp": ago(seconds=30)}
    assert cells("events", event) == {"LAST SEEN": "30s", "TYPE": "Warning", "REASON": "BackOff", "OBJECT": "pod/web",
                                      "SUBOBJECT": "spec.containers{web}", "SOURCE": "kubelet, node-1",
                                      "MESSAGE": "Back-off restarting", "FIRST SEEN": "60m", "COUNT": 7,
                                      "NAME": "web.17a"}
    new_style = cells("events", {"eventTime": "2024-05-01T11:59:50.123456Z", "involvedObject": {"kind": "Node"}})
    assert (new_style["LAST SEEN"], new_style["COUNT"], new_style["OBJECT"]) == ("9s", 1, "node")


# ---------------------------------------------------------------- workloads


def test_selector_string() -> None:
    selector = {"matchLabels": {"tier": "fe", "app": "web"},
                "matchExpressions": [{"key": "env", "operator": "In", "values": ["prod", "dev"]},
                                     {"key": "canary", "operator": "DoesNotExist"},
                                     {"key": "zone", "operator": "NotIn", "values": ["b"]},
                                     {"key": "gpu", "operator": "Exists"}]}
    assert selector_string(selector) == "app=web,!canary,env in (dev,prod),gpu,tier=fe,zone notin (b)"
    assert selector_string(None) == "" and selector_string({}) == ""
    assert selector_string({"matchExpressions": [{"key": "a", "operator": "Near"}]}) == "<invalid>"


def workload(**spec: Any) -> dict:
    template = {"spec": {"containers": [{"name": "web", "image": "nginx:1"}, {"name": "log", "image": "busybox"}],
                         "nodeSelector": {"disk": "ssd"}}}
    return {"metadata": {"name": "web", "creationTimestamp": ago(hours=5)},
            "spec": {"selector": {"matchLabels": {"app": "web"}}, "template": template, **spec}}


def test_deployments_replicasets_daemonsets() -> None:
    deploy = workload(replicas=3) | {"status": {"readyReplicas": 2, "updatedReplicas": 3, "availableReplicas": 2}}
    assert cells("deployments", deploy) == {"NAME": "web", "READY": "2/3", "UP-TO-DATE": 3, "AVAILABLE": 2,
                                            "AGE": "5h", "CONTAINERS": "web,log", "IMAGES": "nginx:1,busybox",
                                            "SELECTOR": "app=web"}
    assert cells("deployments", workload())["READY"] == "0/1"        # replicas defaults to 1
    rs = workload(replicas=2) | {"status": {"replicas": 2, "readyReplicas": 1}}
    assert list(cells("replicasets", rs).values())[:4] == ["web", 2, 2, 1]
    ds = workload() | {"status": {"desiredNumberScheduled": 3, "currentNumberScheduled": 3, "numberReady": 2,
                                  "updatedNumberScheduled": 3, "numberAvailable": 2}}
    assert list(cells("daemonsets", ds).values())[:8] == ["web", 3, 3, 2, 3, 2, "disk=ssd", "5h"]


def test_jobs() -> None:
    job = workload(completions=3) | {"status": {"succeeded": 1, "startTime": ago(seconds=90)}}
    row = cells("jobs", job)
    assert (row["COMPLETIONS"], row["DURATION"], row["SELECTOR"]) == ("1/3", "90s", "app=web")
    done = workload() | {"status": {"succeeded": 1, "startTime": ago(minutes=10), "completionTime": ago(minutes=7)}}
    assert (cells("jobs", done)["COMPLETIONS"], cells("jobs", done)["DURATION"]) == ("1/1", "3m")
    parallel = {"spec": {"parallelism": 4}, "status": {}}
    assert (cells("jobs", parallel)["COMPLETIONS"], cells("jobs", parallel)["DURATION"],
            cells("jobs", parallel)["SELECTOR"]) == ("0/1 of 4", "", "<none>")


# ---------------------------------------------------------------- robustness


GARBAGE: list[Any] = [None, 0, "x", [], {}, [None, 1, "y", {}], {"a": None}, True]


def malformed_objects() -> list[Any]:
    """Every top-level and nested field replaced by each kind of garbage."""
    objects: list[Any] = list(GARBAGE)
    for value in GARBAGE:
        objects.append({"metadata": value, "spec": value, "status": value, "subsets": value, "data": value,
                        "involvedObject": value, "source": value, "series": value, "count": value, "type": value})
        objects.append({"metadata": {"name": value, "creationTimestamp": value, "labels": value,
                                     "deletionTimestamp": "not a time"},
                        "spec": {"containers": value, "template": {"spec": value}, "selector": value,
                                 "ports": [value], "replicas": value, "completions": value, "readinessGates": [value]},
                        "status": {"containerStatuses": [value, {"state": value}], "conditions": [value],
                                   "initContainerStatuses": [{"state": {"terminated": value}}],
                                   "addresses": [value], "loadBalancer": {"ingress": [value]},
                                   "startTime": value, "nodeInfo": value, "podIPs": [value]},
                        "subsets": [{"addresses": [value], "ports": [value]}],
                        "firstTimestamp": value, "lastTimestamp": "2024-13-45T99:99:99Z"})
    return objects


@pytest.mark.parametrize("resource", RESOURCES, ids=lambda r: r.plural)
def test_malformed_objects_never_raise(resource: ResourceType, caplog: pytest.LogCaptureFixture) -> None:
    objects = malformed_objects()
    result = to_table(resource, objects, table_version="v1", include_object="Object", now=NOW)
    width = len(result["columnDefinitions"])
    assert len(result["rows"]) == len(objects)
    assert all(len(row["cells"]) == width for row in result["rows"])
    assert not caplog.records, "a printer raised and the safety net hid it"


def test_a_crashing_printer_still_gives_a_row(monkeypatch: pytest.MonkeyPatch) -> None:
    from apiserver import table_printers

    def broken(obj: dict, now: datetime) -> list:
        raise RuntimeError("bug")
    monkeypatch.setitem(table_printers.PRINTERS, "Lease", table_printers.Printer(table_printers.LEASE_COLUMNS, broken))
    assert cells("leases", {"metadata": {"name": "l"}}) == {"NAME": "l", "HOLDER": "<unknown>", "AGE": "<unknown>"}


def test_every_served_kind_has_its_own_printer() -> None:
    for resource in RESOURCES:
        assert headers(resource.plural) != ["NAME", "CREATED AT"], resource.kind
