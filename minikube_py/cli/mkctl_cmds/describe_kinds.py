"""The per-kind pages of `mkctl describe` (kubectl's PodDescriber, DeploymentDescriber, ...).

Each function writes the fields kubectl shows for its kind, in kubectl's order,
fetching related objects when kubectl does: a Deployment's ReplicaSets, a
ReplicaSet's pods, a Service's Endpoints, a Node's pods. Kinds without a page
of their own get the generic one: metadata, then spec/data/status as YAML.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from minikube_py.api.errors import ApiError
from minikube_py.api.pods import container_resources, containers
from minikube_py.api.quantity import QuantityError, cpu_millis, memory_bytes
from minikube_py.api.resources import ResourceType, known
from minikube_py.api.times import since
from minikube_py.cli.mkctl_cmds.describe_sections import (
    NONE,
    Obj,
    Writer,
    controlled_by,
    selector_text,
    timestamp,
    write_common,
    write_conditions,
    write_container,
    write_identity,
    write_maps,
    write_pod_template,
    write_volumes,
)
from minikube_py.cli.mkctl_cmds.output import to_yaml
from minikube_py.cli.mkctl_cmds.rollout import owned_replicasets, template_without_hash
from minikube_py.cli.mkctl_cmds.runtime import Session

Describer = Callable[[Session, Writer, ResourceType, Obj], Awaitable[None]]
PODS, ENDPOINTS = known("pods"), known("endpoints")


async def describe_pod(session: Session, w: Writer, rt: ResourceType, pod: Obj) -> None:
    spec, status, metadata = pod.get("spec") or {}, pod.get("status") or {}, pod["metadata"]
    write_identity(w, pod)
    w.field(0, "Priority", spec.get("priority", 0))
    node = spec.get("nodeName")
    w.field(0, "Node", f"{node}/{status.get('hostIP', '')}" if node else NONE)
    if status.get("startTime"):
        w.field(0, "Start Time", timestamp(status["startTime"]))
    write_maps(w, pod)
    phase = status.get("phase", "")
    if metadata.get("deletionTimestamp"):
        phase = f"Terminating (lasts {since(metadata['deletionTimestamp'])})"
    w.field(0, "Status", phase)
    for name in ("reason", "message"):
        if status.get(name):
            w.field(0, name.capitalize(), status[name])
    w.field(0, "IP", status.get("podIP", ""))
    w.multiline(0, "IPs", [f"IP:  {ip.get('ip')}" for ip in status.get("podIPs") or []])
    if controlled_by(pod):
        w.field(0, "Controlled By", controlled_by(pod))
    statuses = {s.get("name"): s for s in status.get("containerStatuses") or []}
    w.line(0, "Containers:")
    for container in spec.get("containers") or []:
        write_container(w, container, statuses.get(container.get("name")))
    write_conditions(w, status.get("conditions") or [], ("Type", "Status"))
    write_volumes(w, 0, spec.get("volumes") or [])
    w.field(0, "QoS Class", status.get("qosClass", ""))
    w.multiline(0, "Node-Selectors", [f"{k}={v}" for k, v in sorted((spec.get("nodeSelector") or {}).items())])
    w.multiline(0, "Tolerations", [toleration_text(t) for t in spec.get("tolerations") or []])


def toleration_text(t: Obj) -> str:
    """`key=value:Effect op=Exists for 300s`, kubectl's one-line toleration."""
    text = t.get("key", "")
    if t.get("value"):
        text += f"={t['value']}"
    if t.get("effect"):
        text += f":{t['effect']}"
    if t.get("operator") == "Exists":
        text += " op=Exists"
    if t.get("tolerationSeconds") is not None:
        text += f" for {t['tolerationSeconds']}s"
    return text.strip()


async def describe_deployment(session: Session, w: Writer, rt: ResourceType, deploy: Obj) -> None:
    spec, status = deploy.get("spec") or {}, deploy.get("status") or {}
    write_common(w, deploy, created=True)
    w.field(0, "Selector", selector_text(spec.get("selector")))
    w.field(0, "Replicas", f"{spec.get('replicas', 1)} desired | {status.get('updatedReplicas', 0)} updated | "
                           f"{status.get('replicas', 0)} total | {status.get('availableReplicas', 0)} available | "
                           f"{status.get('unavailableReplicas', 0)} unavailable")
    strategy = spec.get("strategy") or {}
    w.field(0, "StrategyType", strategy.get("type", "RollingUpdate"))
    w.field(0, "MinReadySeconds", spec.get("minReadySeconds", 0))
    if strategy.get("type", "RollingUpdate") == "RollingUpdate":
        rolling = strategy.get("rollingUpdate") or {}
        w.field(0, "RollingUpdateStrategy", f"{rolling.get('maxUnavailable', '25%')} max unavailable, "
                                            f"{rolling.get('maxSurge', '25%')} max surge")
    write_pod_template(w, spec.get("template") or {})
    write_conditions(w, status.get("conditions") or [])
    replicasets = await owned_replicasets(session, deploy)
    template = spec.get("template") or {}
    new = [rs for rs in replicasets if template_without_hash(rs["spec"].get("template") or {}) == template]
    old = [rs for rs in replicasets if rs not in new and (rs.get("spec") or {}).get("replicas", 0) > 0]
    w.field(0, "OldReplicaSets", ", ".join(_rs_summary(rs) for rs in old) or NONE)
    w.field(0, "NewReplicaSet", ", ".join(_rs_summary(rs) for rs in new) or NONE)


def _rs_summary(rs: Obj) -> str:
    return (f"{rs['metadata']['name']} ({(rs.get('status') or {}).get('replicas', 0)}/"
            f"{(rs.get('spec') or {}).get('replicas', 0)} replicas created)")


async def describe_replicaset(session: Session, w: Writer, rt: ResourceType, rs: Obj) -> None:
    spec, status = rs.get("spec") or {}, rs.get("status") or {}
    write_identity(w, rs)
    w.field(0, "Selector", selector_text(spec.get("selector")))
    write_maps(w, rs)
    if controlled_by(rs):
        w.field(0, "Controlled By", controlled_by(rs))
    w.field(0, "Replicas", f"{status.get('replicas', 0)} current / {spec.get('replicas', 1)} desired")
    pods, _ = await session.resource(PODS, rs["metadata"]["namespace"]).list_all()
    phases = [p.get("status", {}).get("phase") for p in pods
              if any(ref.get("uid") == rs["metadata"].get("uid") for ref in p["metadata"].get("ownerReferences") or [])]
    w.field(0, "Pods Status", " / ".join(f"{phases.count(phase)} {label}" for phase, label in
                                         (("Running", "Running"), ("Pending", "Waiting"),
                                          ("Succeeded", "Succeeded"), ("Failed", "Failed"))))
    write_pod_template(w, spec.get("template") or {})
    write_conditions(w, status.get("conditions") or [])


async def describe_node(session: Session, w: Writer, rt: ResourceType, node: Obj) -> None:
    spec, status, metadata = node.get("spec") or {}, node.get("status") or {}, node["metadata"]
    write_identity(w, node, namespaced=False)
    roles = sorted(k.split("/", 1)[1] for k in metadata.get("labels") or {} if k.startswith("node-role.kubernetes.io/"))
    w.field(0, "Roles", ",".join(roles) or NONE)
    write_maps(w, node)
    w.field(0, "CreationTimestamp", timestamp(metadata.get("creationTimestamp")))
    w.multiline(0, "Taints", [_taint_text(t) for t in spec.get("taints") or []])
    w.field(0, "Unschedulable", "true" if spec.get("unschedulable") else "false")
    write_conditions(w, status.get("conditions") or [],
                     ("Type", "Status", "LastHeartbeatTime", "LastTransitionTime", "Reason", "Message"))
    w.line(0, "Addresses:")
    for address in status.get("addresses") or []:
        w.field(1, address.get("type", ""), address.get("address", ""))
    for title, amounts in (("Capacity", status.get("capacity")), ("Allocatable", status.get("allocatable"))):
        if amounts:
            w.line(0, f"{title}:")
            for resource, amount in sorted(amounts.items()):
                w.field(1, resource, amount)
    write_system_info(w, status.get("nodeInfo") or {})
    if spec.get("podCIDR"):
        w.field(0, "PodCIDR", spec["podCIDR"])
        w.field(0, "PodCIDRs", ",".join(spec.get("podCIDRs") or [spec["podCIDR"]]))
    pods, _ = await session.resource(PODS, all_namespaces=True).list_all(
        field_selector=f"spec.nodeName={metadata['name']},status.phase!=Succeeded,status.phase!=Failed")
    write_node_pods(w, pods, status.get("allocatable") or {})


NODE_INFO = (("Machine ID", "machineID"), ("System UUID", "systemUUID"), ("Boot ID", "bootID"),
             ("Kernel Version", "kernelVersion"), ("OS Image", "osImage"), ("Operating System", "operatingSystem"),
             ("Architecture", "architecture"), ("Container Runtime Version", "containerRuntimeVersion"),
             ("Kubelet Version", "kubeletVersion"), ("Kube-Proxy Version", "kubeProxyVersion"))


def write_system_info(w: Writer, info: Obj) -> None:
    w.line(0, "System Info:")
    for title, key in NODE_INFO:
        w.field(1, title, info.get(key, ""))


def write_node_pods(w: Writer, pods: list[Obj], allocatable: Obj) -> None:
    """kubectl's pod table and resource totals, as shares of what the node can allocate."""
    w.line(0, f"Non-terminated Pods:\t({len(pods)} in total)")
    w.table(1, ["Namespace", "Name", "CPU Requests", "CPU Limits", "Memory Requests", "Memory Limits", "AGE"],
            ([p["metadata"].get("namespace", ""), p["metadata"]["name"],
              *(_share(_pod_total(p, kind, resource), allocatable, resource)
                for resource, kind in (("cpu", "requests"), ("cpu", "limits"),
                                       ("memory", "requests"), ("memory", "limits"))),
              since(p["metadata"].get("creationTimestamp"))] for p in pods))
    w.line(0, "Allocated resources:")
    w.line(1, "(Total limits may be over 100 percent, i.e., overcommitted.)")
    w.table(1, ["Resource", "Requests", "Limits"],
            ([resource, *(_share(sum(_pod_total(p, kind, resource) for p in pods), allocatable, resource)
                          for kind in ("requests", "limits"))] for resource in ("cpu", "memory")))


def _amount(resource: str, quantity: Any) -> int:
    """cpu in millicores, memory in bytes; 0 for a missing or unreadable quantity."""
    try:
        return (cpu_millis if resource == "cpu" else memory_bytes)(quantity) if quantity is not None else 0
    except QuantityError:
        return 0


def _pod_total(pod: Obj, kind: str, resource: str) -> int:
    return sum(_amount(resource, container_resources(c, kind).get(resource))
               for c in containers(pod.get("spec") or {}, init=False))


def _share(total: int, allocatable: Obj, resource: str) -> str:
    """`250m (12%)` / `64Mi (3%)`."""
    if resource == "cpu":
        text = f"{total}m" if total % 1000 else str(total // 1000)
    else:
        text = f"{total // 2**20}Mi" if total and total % 2**20 == 0 else str(total)
    capacity = _amount(resource, allocatable.get(resource))
    return f"{text} ({total * 100 // capacity if capacity else 0}%)"


def _taint_text(taint: Obj) -> str:
    value = f"={taint['value']}" if taint.get("value") else ""
    return f"{taint.get('key', '')}{value}:{taint.get('effect', '')}"


async def describe_service(session: Session, w: Writer, rt: ResourceType, service: Obj) -> None:
    spec = service.get("spec") or {}
    write_common(w, service)
    w.multiline(0, "Selector", [f"{k}={v}" for k, v in sorted((spec.get("selector") or {}).items())])
    w.field(0, "Type", spec.get("type", "ClusterIP"))
    if spec.get("ipFamilyPolicy"):
        w.field(0, "IP Family Policy", spec["ipFamilyPolicy"])
    if spec.get("ipFamilies"):
        w.field(0, "IP Families", ",".join(spec["ipFamilies"]))
    w.field(0, "IP", spec.get("clusterIP", ""))
    if spec.get("clusterIPs"):
        w.field(0, "IPs", ",".join(spec["clusterIPs"]))
    endpoints = await _endpoints(session, service)
    for port in spec.get("ports") or []:
        protocol = port.get("protocol", "TCP")
        w.field(0, "Port", f"{port.get('name') or '<unset>'}  {port.get('port')}/{protocol}")
        w.field(0, "TargetPort", f"{port.get('targetPort', port.get('port'))}/{protocol}")
        if port.get("nodePort"):
            w.field(0, "NodePort", f"{port.get('name') or '<unset>'}  {port['nodePort']}/{protocol}")
        w.field(0, "Endpoints", _endpoint_text(endpoints, port) or NONE)
    w.field(0, "Session Affinity", spec.get("sessionAffinity", "None"))


async def _endpoints(session: Session, service: Obj) -> Obj:
    try:
        return await session.resource(ENDPOINTS, service["metadata"]["namespace"]).get(service["metadata"]["name"])
    except ApiError as err:
        if err.code == 404:
            return {}
        raise


def _endpoint_text(endpoints: Obj, service_port: Obj) -> str:
    found: list[str] = []
    for subset in endpoints.get("subsets") or []:
        ports = [p for p in subset.get("ports") or [] if p.get("name", "") == service_port.get("name", "")]
        for address in subset.get("addresses") or []:
            found.extend(f"{address.get('ip')}:{p.get('port')}" for p in ports)
    return ",".join(found)


async def describe_namespace(session: Session, w: Writer, rt: ResourceType, namespace: Obj) -> None:
    write_common(w, namespace, namespaced=False)
    w.field(0, "Status", (namespace.get("status") or {}).get("phase", "Active"))
    write_conditions(w, (namespace.get("status") or {}).get("conditions") or [],
                     ("Type", "Status", "LastTransitionTime", "Reason", "Message"))


async def describe_generic(session: Session, w: Writer, rt: ResourceType, obj: Obj) -> None:
    """Metadata, then each remaining top-level field as YAML (Secret values shown as sizes only)."""
    write_common(w, obj, namespaced=rt.namespaced)
    for key, value in obj.items():
        if key in ("apiVersion", "kind", "metadata"):
            continue
        if rt.kind == "Secret" and key == "data" and isinstance(value, dict):
            value = {k: f"{len(str(v)) * 3 // 4} bytes" for k, v in value.items()}
        w.line(0, f"{key[0].upper()}{key[1:]}:")
        for line in to_yaml(value).rstrip("\n").splitlines():
            w.line(1, line.replace("\t", " "))


DESCRIBERS: dict[str, Describer] = {
    "Pod": describe_pod, "Deployment": describe_deployment, "ReplicaSet": describe_replicaset,
    "Node": describe_node, "Service": describe_service, "Namespace": describe_namespace,
}
