"""The DaemonSet controller's rules as pure functions: Kubernetes' pkg/controller/daemon/util
and the NodeShouldRunDaemonPod / rolling-update arithmetic of pkg/controller/daemon.

Which nodes a DaemonSet's pod belongs on is decided with the rules the scheduler
uses too (component-helpers, here minikube_py/api): the template's nodeSelector
and required node affinity (nodeaffinity.py) and its tolerations against the
node's taints (taints.py), after adding the
tolerations every daemon pod gets (AddOrUpdateDaemonPodTolerations):
not-ready/unreachable NoExecute forever, and the pressure and unschedulable
NoSchedule taints. A node that only has an untolerated NoSchedule taint keeps
the pod it has but gets no new one; an untolerated NoExecute taint removes it.

Each pod targets its node through required node affinity on
`matchFields metadata.name` and is bound by the scheduler, as Kubernetes does
since 1.12 (ScheduleDaemonSetPods), so the scheduler's resource and port checks
apply to daemon pods too.
"""
from __future__ import annotations

import copy
from collections.abc import Iterable

from controllers.deployment_util import scaled_value, template_hash
from minikube_py.api import pods as podutil
from minikube_py.api import taints
from minikube_py.api.meta import Obj, new_controller_ref
from minikube_py.api.nodeaffinity import NodeLabels, pod_matches_node
from minikube_py.api.taints import (
    NO_EXECUTE,
    NO_SCHEDULE,
    Toleration,
    first_untolerated,
    node_taints,
    pod_tolerations,
)

HASH_LABEL = "controller-revision-hash"
DAEMON_TOLERATIONS = (
    (taints.NOT_READY, NO_EXECUTE), (taints.UNREACHABLE, NO_EXECUTE), (taints.DISK_PRESSURE, NO_SCHEDULE),
    (taints.MEMORY_PRESSURE, NO_SCHEDULE), (taints.PID_PRESSURE, NO_SCHEDULE), (taints.UNSCHEDULABLE, NO_SCHEDULE),
)


def revision_hash(ds: Obj) -> str:
    return template_hash(ds["spec"].get("template") or {}, (ds.get("status") or {}).get("collisionCount") or 0)


def with_daemon_tolerations(tolerations: Iterable[Toleration]) -> list[Toleration]:
    result = list(tolerations)
    for key, effect in DAEMON_TOLERATIONS:
        if not any(t.get("key") == key and t.get("effect") == effect for t in result):
            result.append({"key": key, "operator": "Exists", "effect": effect})
    return result


def node_affinity_for(node_name: str, affinity: Obj | None) -> Obj:
    """The template's affinity with its required node terms replaced by "this node"
    (Kubernetes' ReplaceDaemonSetPodNodeNameNodeAffinity)."""
    affinity = copy.deepcopy(affinity or {})
    node_affinity = affinity.setdefault("nodeAffinity", {})
    node_affinity["requiredDuringSchedulingIgnoredDuringExecution"] = {"nodeSelectorTerms": [
        {"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node_name]}]}]}
    return affinity


def new_pod(ds: Obj, node_name: str, revision: str) -> Obj:
    template = copy.deepcopy(ds["spec"].get("template") or {})
    spec = template.get("spec") or {}
    spec["tolerations"] = with_daemon_tolerations(spec.get("tolerations") or [])
    spec["affinity"] = node_affinity_for(node_name, spec.get("affinity"))
    metadata: Obj = {"generateName": f"{ds['metadata']['name']}-", "namespace": ds["metadata"]["namespace"],
                     "labels": {**((template.get("metadata") or {}).get("labels") or {}), HASH_LABEL: revision},
                     "ownerReferences": [new_controller_ref(ds)]}
    annotations = (template.get("metadata") or {}).get("annotations")
    if annotations:
        metadata["annotations"] = annotations
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec}


def target_node(pod: Obj) -> str:
    """The node a daemon pod is for: spec.nodeName once bound, else its matchFields term."""
    if podutil.node_name(pod):
        return podutil.node_name(pod)
    required = ((((pod.get("spec") or {}).get("affinity") or {}).get("nodeAffinity") or {})
                .get("requiredDuringSchedulingIgnoredDuringExecution") or {})
    for term in required.get("nodeSelectorTerms") or []:
        for field in term.get("matchFields") or []:
            if field.get("key") == "metadata.name" and field.get("operator") == "In" and field.get("values"):
                return field["values"][0]
    return ""


def should_run(ds: Obj, node: Obj) -> tuple[bool, bool]:
    """(should schedule a new pod there, should keep a pod running there): NodeShouldRunDaemonPod."""
    pod_spec = (ds["spec"].get("template") or {}).get("spec") or {}
    if not pod_matches_node(pod_spec, NodeLabels.of(node)):
        return False, False
    node_taint_list, tolerations = node_taints(node), with_daemon_tolerations(pod_tolerations(pod_spec))
    if first_untolerated(node_taint_list, tolerations, (NO_EXECUTE,)) is not None:
        return False, False
    return first_untolerated(node_taint_list, tolerations, (NO_SCHEDULE,)) is None, True


def max_unavailable(ds: Obj, desired: int) -> int:
    strategy = ds["spec"].get("updateStrategy") or {}
    value = (strategy.get("rollingUpdate") or {}).get("maxUnavailable", 1)
    return max(scaled_value(value, desired, round_up=True, default="1"), 1) if desired else 1


def is_updated(pod: Obj, revision: str) -> bool:
    return (pod["metadata"].get("labels") or {}).get(HASH_LABEL) == revision


def rolling_update_victims(ds: Obj, by_node: dict[str, list[Obj]], revision: str, desired: int,
                           missing: int = 0) -> list[Obj]:
    """Old pods to delete now (maxSurge 0): an old pod next to a new one, every unavailable old
    pod, and available old pods while fewer than maxUnavailable nodes lack an available pod
    (`missing` eligible nodes have no pod at all: they count as unavailable too)."""
    min_ready = int(ds["spec"].get("minReadySeconds") or 0)
    budget = max_unavailable(ds, desired) - missing - sum(
        1 for pods in by_node.values() if not any(podutil.is_available(p, min_ready) for p in pods))
    victims = []
    for _, pods in sorted(by_node.items()):
        old = [p for p in pods if not is_updated(p, revision)]
        if not old:
            continue
        if len(old) < len(pods) or not any(podutil.is_available(p, min_ready) for p in old):
            victims += old
        elif budget > 0:
            victims += old
            budget -= 1
    return victims


def compute_status(ds: Obj, nodes: list[Obj], by_node: dict[str, list[Obj]], revision: str) -> Obj:
    min_ready = int(ds["spec"].get("minReadySeconds") or 0)
    desired = current = misscheduled = ready = updated = available = 0
    for node in nodes:
        name = node["metadata"]["name"]
        pods = by_node.get(name) or []
        schedule, keep = should_run(ds, node)
        if schedule or (keep and pods):
            desired += 1
            current += bool(pods)
            ready += any(podutil.is_ready(p) for p in pods)
            available += any(podutil.is_available(p, min_ready) for p in pods)
            updated += any(is_updated(p, revision) for p in pods)
        elif pods:
            misscheduled += 1
    status = {"desiredNumberScheduled": desired, "currentNumberScheduled": current,
              "numberMisscheduled": misscheduled, "numberReady": ready, "updatedNumberScheduled": updated,
              "numberAvailable": available, "numberUnavailable": desired - available,
              "observedGeneration": ds["metadata"].get("generation", 0)}
    if (ds.get("status") or {}).get("collisionCount"):
        status["collisionCount"] = ds["status"]["collisionCount"]
    return status
