"""The columns `kubectl get` shows for each kind, and how each row is computed.

A port of Kubernetes' server-side printers (pkg/printers/internalversion/
printers.go, as of 1.20): one column list and one small row function per kind,
collected in PRINTERS at the bottom. The server always computes the wide
columns too (priority 1); kubectl hides them unless asked for `-o wide`.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from apiserver.table_helpers import (
    AGE,
    CONTAINERS,
    IMAGES,
    NAME,
    SELECTOR,
    Column,
    Printer,
    Row,
    age,
    containers_and_images,
    field,
    first_n_with_more,
    format_labels,
    host_port,
    items,
    mapping,
    name,
    number,
    selector_string,
    text,
)
from minikube_py.api.conditions import find_condition, is_true
from minikube_py.api.meta import Obj
from minikube_py.api.times import human_duration, parse_time, since

# ------------------------------------------------------------------ Pods


def pod_status_reason(pod: Obj) -> tuple[str, int, int]:
    """(STATUS, ready containers, restarts) with Kubernetes' rules: the phase, overridden by
    the first unfinished init container ("Init:1/2", "Init:CrashLoopBackOff"), then by the
    app containers' waiting/terminated reasons ("ContainerCreating", "Completed"), then by
    deletion ("Terminating")."""
    reason = text(pod, "status", "reason") or text(pod, "status", "phase")
    init_statuses = items(pod, "status", "initContainerStatuses")
    init_reason, restarts = init_container_reason(init_statuses, len(items(pod, "spec", "initContainers")))
    ready = 0
    if init_reason:
        reason = init_reason
    else:
        restarts, has_running = 0, False
        for status in reversed(items(pod, "status", "containerStatuses")):
            restarts += number(status, "restartCount")
            waiting, terminated = field(status, "state", "waiting"), field(status, "state", "terminated")
            if text(waiting, "reason"):
                reason = text(waiting, "reason")
            elif isinstance(terminated, dict):
                reason = text(terminated, "reason") or exit_reason(terminated)
            elif field(status, "ready") is True and isinstance(field(status, "state", "running"), dict):
                has_running, ready = True, ready + 1
        if reason == "Completed" and has_running:
            reason = "Running" if has_ready_condition(pod) else "NotReady"
    if field(pod, "metadata", "deletionTimestamp"):
        reason = "Unknown" if text(pod, "status", "reason") == "NodeLost" else "Terminating"
    return reason, ready, restarts


def init_container_reason(statuses: list[Any], init_count: int) -> tuple[str, int]:
    """("Init:..." or "" when all init containers are done, restarts counted so far)."""
    restarts = 0
    for index, status in enumerate(statuses):
        restarts += number(status, "restartCount")
        terminated, waiting = field(status, "state", "terminated"), field(status, "state", "waiting")
        if isinstance(terminated, dict) and number(terminated, "exitCode") == 0:
            continue
        if isinstance(terminated, dict):
            return "Init:" + (text(terminated, "reason") or exit_reason(terminated)), restarts
        if text(waiting, "reason") and text(waiting, "reason") != "PodInitializing":
            return "Init:" + text(waiting, "reason"), restarts
        return f"Init:{index}/{init_count}", restarts
    return "", restarts


def exit_reason(terminated: Obj) -> str:
    signal = number(terminated, "signal")
    return f"Signal:{signal}" if signal else f"ExitCode:{number(terminated, 'exitCode')}"


def has_ready_condition(pod: Obj) -> bool:
    return is_true(find_condition(items(pod, "status", "conditions"), "Ready"))


def readiness_gates(pod: Obj) -> str:
    gates = items(pod, "spec", "readinessGates")
    if not gates:
        return "<none>"
    true_types = {text(c, "type") for c in items(pod, "status", "conditions") if text(c, "status") == "True"}
    passed = sum(1 for gate in gates if text(gate, "conditionType") in true_types)
    return f"{passed}/{len(gates)}"


def pod_ip(pod: Obj) -> str:
    ips = items(pod, "status", "podIPs")
    return (text(ips[0], "ip") if ips else "") or text(pod, "status", "podIP") or "<none>"


POD_COLUMNS = (
    NAME,
    Column("Ready", "The aggregate readiness state of this pod for accepting traffic."),
    Column("Status", "The aggregate status of the containers in this pod."),
    Column("Restarts", "The number of times the containers in this pod have been restarted.", "integer"),
    AGE,
    Column("IP", "IP address allocated to the pod.", priority=1),
    Column("Node", "The node the pod is scheduled on.", priority=1),
    Column("Nominated Node", "The node the pod waits for after preempting pods on it.", priority=1),
    Column("Readiness Gates", "Readiness gates that are true, out of all of them.", priority=1),
)


def pod_row(pod: Obj, now: datetime) -> Row:
    status, ready, restarts = pod_status_reason(pod)
    total = len(items(pod, "spec", "containers"))
    return [name(pod), f"{ready}/{total}", status, restarts, age(pod, now),
            pod_ip(pod), text(pod, "spec", "nodeName") or "<none>",
            text(pod, "status", "nominatedNodeName") or "<none>", readiness_gates(pod)]


def pod_conditions(pod: Obj) -> list[dict[str, str]]:
    """Finished pods carry a Completed row condition (kubectl may hide them)."""
    phase = text(pod, "status", "phase")
    message = {"Succeeded": "The pod has completed successfully.", "Failed": "The pod failed."}.get(phase)
    return [{"type": "Completed", "status": "True", "reason": phase, "message": message}] if message else []


# ------------------------------------------------------------------ Nodes

NODE_ROLE_PREFIX, NODE_ROLE_LABEL = "node-role.kubernetes.io/", "kubernetes.io/role"

NODE_COLUMNS = (
    NAME,
    Column("Status", "The status of the node"),
    Column("Roles", "The roles of the node"),
    AGE,
    Column("Version", "Kubelet Version reported by the node."),
    Column("Internal-IP", "The node's InternalIP address.", priority=1),
    Column("External-IP", "The node's ExternalIP address.", priority=1),
    Column("OS-Image", "OS Image reported by the node from /etc/os-release.", priority=1),
    Column("Kernel-Version", "Kernel Version reported by the node from 'uname -r'.", priority=1),
    Column("Container-Runtime", "Container runtime version reported by the node.", priority=1),
)


def node_status(node: Obj) -> str:
    """"Ready", "NotReady" or "Unknown", plus ",SchedulingDisabled" when cordoned."""
    ready = [c for c in items(node, "status", "conditions") if text(c, "type") == "Ready"]
    status = ["Unknown"] if not ready else ["Ready" if text(ready[-1], "status") == "True" else "NotReady"]
    if field(node, "spec", "unschedulable") is True:
        status.append("SchedulingDisabled")
    return ",".join(status)


def node_roles(node: Obj) -> str:
    roles = set()
    for key, value in mapping(node, "metadata", "labels").items():
        if key.startswith(NODE_ROLE_PREFIX) and key[len(NODE_ROLE_PREFIX):]:
            roles.add(key[len(NODE_ROLE_PREFIX):])
        elif key == NODE_ROLE_LABEL and value:
            roles.add(str(value))
    return ",".join(sorted(roles)) or "<none>"


def node_address(node: Obj, address_type: str) -> str:
    for address in items(node, "status", "addresses"):
        if text(address, "type") == address_type:
            return text(address, "address")
    return "<none>"


def node_row(node: Obj, now: datetime) -> Row:
    def info(key: str) -> str:
        return text(node, "status", "nodeInfo", key) or "<unknown>"
    return [name(node), node_status(node), node_roles(node), age(node, now),
            text(node, "status", "nodeInfo", "kubeletVersion"),
            node_address(node, "InternalIP"), node_address(node, "ExternalIP"),
            info("osImage"), info("kernelVersion"), info("containerRuntimeVersion")]


# ------------------------------------------- Namespaces, ConfigMaps, Secrets, Leases, PriorityClasses

NAMESPACE_COLUMNS = (NAME, Column("Status", "The status of the namespace"), AGE)


def namespace_row(ns: Obj, now: datetime) -> Row:
    return [name(ns), text(ns, "status", "phase"), age(ns, now)]


CONFIGMAP_COLUMNS = (NAME, Column("Data", "The number of keys in data and binaryData.", "integer"), AGE)


def configmap_row(cm: Obj, now: datetime) -> Row:
    return [name(cm), len(mapping(cm, "data")) + len(mapping(cm, "binaryData")), age(cm, now)]


SECRET_COLUMNS = (NAME, Column("Type", "Used to facilitate programmatic handling of secret data."),
                  Column("Data", "The number of keys in data.", "integer"), AGE)


def secret_row(secret: Obj, now: datetime) -> Row:
    return [name(secret), text(secret, "type"), len(mapping(secret, "data")), age(secret, now)]


LEASE_COLUMNS = (NAME, Column("Holder", "The identity of the holder of the current lease."), AGE)


def lease_row(lease: Obj, now: datetime) -> Row:
    return [name(lease), text(lease, "spec", "holderIdentity"), age(lease, now)]


PRIORITY_CLASS_COLUMNS = (NAME, Column("Value", "The priority of pods of this class.", "integer"),
                          Column("Global-Default", "Whether pods without a class get this one.", "boolean"), AGE,
                          Column("PreemptionPolicy", "Whether these pods may preempt lower-priority ones."))


def priority_class_row(pc: Obj, now: datetime) -> Row:
    return [name(pc), number(pc, "value"), pc.get("globalDefault") is True, age(pc, now),
            text(pc, "preemptionPolicy")]


POD_DISRUPTION_BUDGET_COLUMNS = (
    NAME,
    Column("Min Available", "The minimum number or percentage of available pods this budget requires."),
    Column("Max Unavailable", "The maximum number or percentage of unavailable pods this budget requires."),
    Column("Allowed Disruptions", "Calculated number of pods that may be disrupted at this time.", "integer"),
    AGE,
)


def pod_disruption_budget_row(pdb: Obj, now: datetime) -> Row:
    """minAvailable / maxUnavailable as written ("2", "50%"), "N/A" for the one not set."""
    budget = [field(pdb, "spec", name) for name in ("minAvailable", "maxUnavailable")]
    return [name(pdb), *("N/A" if value is None else str(value) for value in budget),
            number(pdb, "status", "disruptionsAllowed"), age(pdb, now)]


NETWORK_POLICY_COLUMNS = (
    NAME,
    Column("Pod-Selector", "Label selector of the pods this policy applies to."),
    AGE,
)


def network_policy_row(policy: Obj, now: datetime) -> Row:
    """printNetworkPolicy: metav1.FormatLabelSelector(podSelector), "<none>" for the empty selector."""
    return [name(policy), selector_string(field(policy, "spec", "podSelector")) or "<none>", age(policy, now)]


# ------------------------------------------------------------------ Services and Endpoints

SERVICE_COLUMNS = (
    NAME,
    Column("Type", "ClusterIP, NodePort, LoadBalancer or ExternalName."),
    Column("Cluster-IP", "The IP address of the service."),
    Column("External-IP", "Addresses outside the cluster that reach the service."),
    Column("Port(s)", "The ports exposed by the service (port[:nodePort]/protocol)."),
    AGE,
    Column("Selector", "Route service traffic to pods with labels matching this selector.", priority=1),
)


def service_ports(service: Obj) -> str:
    """"80/TCP,443:30443/TCP" (makePortString)."""
    shown = []
    for port in items(service, "spec", "ports"):
        node_port = number(port, "nodePort")
        port_number = field(port, 'port', default=0)
        prefix = f"{port_number}:{node_port}" if node_port > 0 else f"{port_number}"
        shown.append(f"{prefix}/{text(port, 'protocol')}")
    return ",".join(shown) or "<none>"


def service_external_ip(service: Obj) -> str:
    external_ips = [str(ip) for ip in items(service, "spec", "externalIPs")]
    service_type = text(service, "spec", "type")
    if service_type in ("ClusterIP", "NodePort"):
        return ",".join(external_ips) or "<none>"
    if service_type == "LoadBalancer":
        ingress = [text(i, "ip") or text(i, "hostname") for i in items(service, "status", "loadBalancer", "ingress")]
        return ",".join([i for i in ingress if i] + external_ips) or "<pending>"
    if service_type == "ExternalName":
        return text(service, "spec", "externalName")
    return "<unknown>"


def service_row(service: Obj, now: datetime) -> Row:
    return [name(service), text(service, "spec", "type"), text(service, "spec", "clusterIP") or "<none>",
            service_external_ip(service), service_ports(service), age(service, now),
            format_labels(mapping(service, "spec", "selector"))]


ENDPOINTS_COLUMNS = (NAME, Column("Endpoints", "The ready addresses and ports of the service."), AGE)


def endpoints_addresses(endpoints: Obj) -> str:
    """"10.244.1.5:80,10.244.2.7:80 + 1 more..." (formatEndpoints)."""
    subsets = items(endpoints, "subsets")
    if not subsets:
        return "<none>"
    shown: list[str] = []
    total = 0
    for subset in subsets:
        ips = [text(a, "ip") for a in items(subset, "addresses")]
        ports = items(subset, "ports") or [None]       # headless services have addresses only
        for port in ports:
            total += len(ips)
            shown.extend(ip if port is None else host_port(ip, field(port, "port", default=0)) for ip in ips)
    return first_n_with_more(shown, total)


def endpoints_row(endpoints: Obj, now: datetime) -> Row:
    return [name(endpoints), endpoints_addresses(endpoints), age(endpoints, now)]


# ------------------------------------------------------------------ Events

EVENT_COLUMNS = (
    Column("Last Seen", "The time at which the most recent occurrence of this event was recorded."),
    Column("Type", "Normal or Warning."),
    Column("Reason", "Short, machine understandable reason for the event."),
    Column("Object", "The object that this event is about."),
    Column("Subobject", "The part of the object the event is about.", priority=1),
    Column("Source", "The component reporting this event.", priority=1),
    Column("Message", "A human-readable description of the event."),
    Column("First Seen", "The time at which the event was first recorded.", priority=1),
    Column("Count", "The number of times this event has occurred.", priority=1),
    Column("Name", "Name must be unique within a namespace.", priority=1, format="name"),
)


def event_row(event: Obj, now: datetime) -> Row:
    first_seen = since(field(event, "firstTimestamp") or field(event, "eventTime"), now)
    last_seen = since(field(event, "lastTimestamp"), now) if field(event, "lastTimestamp") else first_seen
    count = number(event, "count")
    if isinstance(field(event, "series"), dict):
        last_seen, count = since(field(event, "series", "lastObservedTime"), now), number(event, "series", "count")
    elif count == 0:
        count = 1                          # singleton events carry no count in the new API
    kind, involved = text(event, "involvedObject", "kind").lower(), text(event, "involvedObject", "name")
    source = ", ".join(s for s in (text(event, "source", "component"), text(event, "source", "host")) if s)
    return [last_seen, text(event, "type"), text(event, "reason"), f"{kind}/{involved}" if involved else kind,
            text(event, "involvedObject", "fieldPath"), source, text(event, "message").strip(),
            first_seen, count, name(event)]


# ------------------------------------------------------------------ Workloads

DEPLOYMENT_COLUMNS = (
    NAME,
    Column("Ready", "Number of the pod with ready state"),
    Column("Up-to-date", "Total number of non-terminated pods that have the desired template spec.", "integer"),
    Column("Available", "Total number of available pods (ready for at least minReadySeconds).", "integer"),
    AGE, CONTAINERS, IMAGES, SELECTOR,
)


def replicas(obj: Obj) -> int:
    """spec.replicas, defaulted to 1 as the API defaults it."""
    return number(obj, "spec", "replicas", default=1)


def deployment_row(deploy: Obj, now: datetime) -> Row:
    return [name(deploy), f"{number(deploy, 'status', 'readyReplicas')}/{replicas(deploy)}",
            number(deploy, "status", "updatedReplicas"), number(deploy, "status", "availableReplicas"),
            age(deploy, now), *containers_and_images(field(deploy, "spec", "template", "spec")),
            selector_string(field(deploy, "spec", "selector"))]


REPLICASET_COLUMNS = (
    NAME,
    Column("Desired", "Number of desired pods.", "integer"),
    Column("Current", "The most recently observed number of replicas.", "integer"),
    Column("Ready", "The number of ready replicas for this replica set.", "integer"),
    AGE, CONTAINERS, IMAGES, SELECTOR,
)


def replicaset_row(rs: Obj, now: datetime) -> Row:
    return [name(rs), replicas(rs), number(rs, "status", "replicas"), number(rs, "status", "readyReplicas"),
            age(rs, now), *containers_and_images(field(rs, "spec", "template", "spec")),
            selector_string(field(rs, "spec", "selector"))]


def replication_controller_row(rc: Obj, now: datetime) -> Row:
    """A ReplicaSet's row; the selector is a label map, shown as `labels.SelectorFromSet` does."""
    return replicaset_row({**rc, "spec": {**mapping(rc, "spec"),
                                          "selector": {"matchLabels": mapping(rc, "spec", "selector")}}}, now)


DAEMONSET_COLUMNS = (
    NAME,
    Column("Desired", "The total number of nodes that should be running the daemon pod.", "integer"),
    Column("Current", "The number of nodes running at least one daemon pod.", "integer"),
    Column("Ready", "The number of nodes running a ready daemon pod.", "integer"),
    Column("Up-to-date", "The number of nodes running an updated daemon pod.", "integer"),
    Column("Available", "The number of nodes running an available daemon pod.", "integer"),
    Column("Node Selector", "The node's labels must match these for the daemon pod to run on it."),
    AGE, CONTAINERS, IMAGES, SELECTOR,
)


def daemonset_row(ds: Obj, now: datetime) -> Row:
    counts = [number(ds, "status", key) for key in ("desiredNumberScheduled", "currentNumberScheduled",
                                                    "numberReady", "updatedNumberScheduled", "numberAvailable")]
    pod_spec = field(ds, "spec", "template", "spec")
    return [name(ds), *counts, format_labels(mapping(pod_spec, "nodeSelector")), age(ds, now),
            *containers_and_images(pod_spec), selector_string(field(ds, "spec", "selector"))]


JOB_COLUMNS = (
    NAME,
    Column("Completions", "The number of succeeded pods out of the desired completions."),
    Column("Duration", "Time required to complete the job."),
    AGE, CONTAINERS, IMAGES, SELECTOR,
)


def job_completions(job: Obj) -> str:
    succeeded = number(job, "status", "succeeded")
    completions = field(job, "spec", "completions")
    if isinstance(completions, int):
        return f"{succeeded}/{completions}"
    parallelism = number(job, "spec", "parallelism")
    return f"{succeeded}/1 of {parallelism}" if parallelism > 1 else f"{succeeded}/1"


def job_duration(job: Obj, now: datetime) -> str:
    started = parse_time(field(job, "status", "startTime"))
    if started is None:
        return ""
    finished = parse_time(field(job, "status", "completionTime")) or now
    return human_duration((finished - started).total_seconds())


def job_row(job: Obj, now: datetime) -> Row:
    return [name(job), job_completions(job), job_duration(job, now), age(job, now),
            *containers_and_images(field(job, "spec", "template", "spec")),
            selector_string(field(job, "spec", "selector")) or "<none>"]


# ------------------------------------------------------------------ The table: kind -> printer

PRINTERS: dict[str, Printer] = {
    "Pod": Printer(POD_COLUMNS, pod_row, pod_conditions),
    "Node": Printer(NODE_COLUMNS, node_row),
    "Namespace": Printer(NAMESPACE_COLUMNS, namespace_row),
    "Service": Printer(SERVICE_COLUMNS, service_row),
    "Endpoints": Printer(ENDPOINTS_COLUMNS, endpoints_row),
    "ConfigMap": Printer(CONFIGMAP_COLUMNS, configmap_row),
    "Secret": Printer(SECRET_COLUMNS, secret_row),
    "Event": Printer(EVENT_COLUMNS, event_row),
    "Deployment": Printer(DEPLOYMENT_COLUMNS, deployment_row),
    "ReplicaSet": Printer(REPLICASET_COLUMNS, replicaset_row),
    "ReplicationController": Printer(REPLICASET_COLUMNS, replication_controller_row),
    "DaemonSet": Printer(DAEMONSET_COLUMNS, daemonset_row),
    "Job": Printer(JOB_COLUMNS, job_row),
    "Lease": Printer(LEASE_COLUMNS, lease_row),
    "PriorityClass": Printer(PRIORITY_CLASS_COLUMNS, priority_class_row),
    "PodDisruptionBudget": Printer(POD_DISRUPTION_BUDGET_COLUMNS, pod_disruption_budget_row),
    "NetworkPolicy": Printer(NETWORK_POLICY_COLUMNS, network_policy_row),
}


def default_row(obj: Obj, now: datetime) -> Row:
    return [name(obj), text(obj, "metadata", "creationTimestamp")]


# Kinds without a printer get Kubernetes' default table: NAME and CREATED AT.
DEFAULT_PRINTER = Printer((NAME, Column("Created At", "The time the object was created.", "date")), default_row)
