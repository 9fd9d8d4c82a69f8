"""Defaulting: filling in what a client left out, as Kubernetes' pkg/apis/*/v1/defaults.go do it.

The API server defaults an object before validating and storing it, so every
stored Pod has a restartPolicy, every container an imagePullPolicy, every
Service a type, and so on: readers (controllers, the node agent, kubectl)
never have to guess. `kubectl get pod -o yaml` shows these filled-in values.

A few defaults come from elsewhere in Kubernetes and are noted where they are
applied: the Priority admission plugin (pods),
the Job REST strategy (generated selector) and Secret conversion (stringData).

Defaulting never raises: a field of the wrong type is left alone, for
validation to report.
"""
from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from minikube_py.api.meta import Obj
from minikube_py.api.resources import ResourceType

JOB_UID_LABELS = ("batch.kubernetes.io/controller-uid", "controller-uid")
JOB_NAME_LABELS = ("batch.kubernetes.io/job-name", "job-name")
DEFAULT_FILE_MODE = 0o644
PROBE_DEFAULTS = {"timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3}


def apply_defaults(rt: ResourceType, obj: Obj) -> None:
    """Fill in the defaults for an object of type `rt`, in place."""
    if isinstance(obj, dict) and rt.kind in _DEFAULTERS:
        _DEFAULTERS[rt.kind](obj)
    if isinstance(obj, dict) and rt.kind in STATUS_ZEROS:
        status = _object(obj, "status")
        if status is not None:
            _fill_missing(status, STATUS_ZEROS[rt.kind])


# -- status fields every answer carries ----------------------------------------------------
# Go's JSON encoding writes a status field without `omitempty` (and every nested struct) even
# at its zero value, so each Kubernetes answer has these, from the create response on (the
# strategies' PrepareForCreate resets the status to the zero struct). Clients rely on them:
# the official Python client refuses a DaemonSet status without numberReady.
_NODE_INFO = ("machineID", "systemUUID", "bootID", "kernelVersion", "osImage", "containerRuntimeVersion",
              "kubeletVersion", "kubeProxyVersion", "operatingSystem", "architecture")
STATUS_ZEROS: dict[str, Obj] = {
    "DaemonSet": {"currentNumberScheduled": 0, "numberMisscheduled": 0, "desiredNumberScheduled": 0,
                  "numberReady": 0},
    "ReplicaSet": {"replicas": 0},
    "ReplicationController": {"replicas": 0},
    "Service": {"loadBalancer": {}},
    "Node": {"daemonEndpoints": {"kubeletEndpoint": {"Port": 0}}, "nodeInfo": dict.fromkeys(_NODE_INFO, "")},
}


def _fill_missing(target: Obj, zeros: Obj) -> None:
    for key, zero in zeros.items():
        if isinstance(zero, dict):
            child = _object(target, key)
            if child is not None:
                _fill_missing(child, zero)
        else:
            _default(target, key, zero)


# -- small helpers -------------------------------------------------------------------
def _object(parent: Obj, name: str) -> Obj | None:
    """parent[name] if it is an object, creating it when absent; None if it holds something else."""
    if parent.get(name) is None:
        parent[name] = {}
    value = parent[name]
    return value if isinstance(value, dict) else None


def _existing(parent: Obj | None, name: str) -> Obj | None:
    """parent[name] if it is an object; None otherwise (never creates it)."""
    value = parent.get(name) if isinstance(parent, dict) else None
    return value if isinstance(value, dict) else None


def _objects(parent: Obj, name: str) -> list[Obj]:
    """The elements of the list parent[name] that are objects (none if it is not a list)."""
    items = parent.get(name)
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []


def _default(obj: Obj, name: str, value: Any) -> None:
    """Set obj[name] when it is absent or null (a nil pointer in Go)."""
    if obj.get(name) is None:
        obj[name] = value


def _default_str(obj: Obj, name: str, value: str) -> None:
    """Set a string field when it is absent, null or "" (Go cannot tell "" from unset)."""
    if obj.get(name) in (None, ""):
        obj[name] = value


# -- pods ------------------------------------------------------------------------------
def default_pod(pod: Obj) -> None:
    spec = _object(pod, "spec")
    if spec is None:
        return
    default_pod_spec(spec)
    _default(spec, "enableServiceLinks", True)
    _default(spec, "priority", 0)       # set on create by the Priority admission (apiserver/priority.py)
    for container in _objects(spec, "containers") + _objects(spec, "initContainers"):
        _requests_from_limits(container)


def default_pod_spec(spec: Obj) -> None:
    """Defaults of any PodSpec, including a workload's pod template."""
    _default_str(spec, "restartPolicy", "Always")
    _default_str(spec, "dnsPolicy", "ClusterFirst")
    _default_str(spec, "schedulerName", "default-scheduler")
    _default(spec, "terminationGracePeriodSeconds", 30)
    _default(spec, "securityContext", {})
    host_network = spec.get("hostNetwork") is True
    for container in _objects(spec, "containers") + _objects(spec, "initContainers"):
        _default_container(container, host_network)
    for volume in _objects(spec, "volumes"):
        _default_volume(volume)


def _default_container(container: Obj, host_network: bool) -> None:
    image = container.get("image")
    if image is None or isinstance(image, str):     # no image: IfNotPresent, as Kubernetes (validation objects)
        pull_policy = "Always" if image and image_tag(image) == "latest" else "IfNotPresent"
        _default_str(container, "imagePullPolicy", pull_policy)
    _default_str(container, "terminationMessagePath", "/dev/termination-log")
    _default_str(container, "terminationMessagePolicy", "File")
    for port in _objects(container, "ports"):
        _default_str(port, "protocol", "TCP")
        if host_network and port.get("hostPort") in (None, 0) and isinstance(port.get("containerPort"), int):
            port["hostPort"] = port.get("containerPort")    # with the host's network, the ports are the host's
    for probe_name in ("livenessProbe", "readinessProbe", "startupProbe"):
        probe = container.get(probe_name)
        if isinstance(probe, dict):
            _default_probe(probe)
    lifecycle = container.get("lifecycle")
    if isinstance(lifecycle, dict):
        for hook in ("postStart", "preStop"):
            if isinstance(lifecycle.get(hook), dict):
                _default_http_get(lifecycle[hook])
    for env in _objects(container, "env"):
        value_from = env.get("valueFrom")
        if isinstance(value_from, dict) and isinstance(value_from.get("fieldRef"), dict):
            _default_str(value_from["fieldRef"], "apiVersion", "v1")


def image_tag(image: str) -> str | None:
    """The tag of an image reference; "latest" when there is neither tag nor digest (as Docker reads it)."""
    if "@" in image:
        return None
    last_part = image.rsplit("/", 1)[-1]
    return last_part.split(":", 1)[1] if ":" in last_part else "latest"


def _default_probe(probe: Obj) -> None:
    for name, value in PROBE_DEFAULTS.items():
        _default(probe, name, value)
    _default_http_get(probe)


def _default_http_get(handler: Obj) -> None:
    http_get = handler.get("httpGet")
    if isinstance(http_get, dict):
        _default_str(http_get, "path", "/")
        _default_str(http_get, "scheme", "HTTP")


def _default_volume(volume: Obj) -> None:
    if all(value is None for name, value in volume.items() if name != "name"):
        volume["emptyDir"] = {}                       # a volume without a source is an emptyDir
    for name in ("configMap", "secret", "downwardAPI", "projected"):
        source = volume.get(name)
        if isinstance(source, dict):
            _default(source, "defaultMode", DEFAULT_FILE_MODE)
    host_path = volume.get("hostPath")
    if isinstance(host_path, dict):
        _default(host_path, "type", "")
    downward = volume.get("downwardAPI")
    if isinstance(downward, dict):
        for item in _objects(downward, "items"):
            if isinstance(item.get("fieldRef"), dict):
                _default_str(item["fieldRef"], "apiVersion", "v1")


def _requests_from_limits(container: Obj) -> None:
    """A limit without a request requests the limit (so the scheduler reserves what may be used)."""
    resources = container.get("resources")
    if not isinstance(resources, dict) or not isinstance(resources.get("limits"), dict):
        return
    if resources.get("requests") is None:
        resources["requests"] = {}
    requests = resources["requests"]
    if isinstance(requests, dict):
        for name, limit in resources["limits"].items():
            if isinstance(limit, (str, int, float)) and not isinstance(limit, bool):
                requests.setdefault(name, limit)


def _default_template(owner_spec: Obj) -> None:
    pod_spec = _existing(_existing(owner_spec, "template"), "spec")
    if pod_spec is not None:
        default_pod_spec(pod_spec)


# -- services and endpoints ------------------------------------------------------------
def default_service(service: Obj) -> None:
    spec = _object(service, "spec")
    if spec is None:
        return
    _default_str(spec, "type", "ClusterIP")
    _default_str(spec, "sessionAffinity", "None")
    if spec["sessionAffinity"] == "ClientIP":
        config = _object(spec, "sessionAffinityConfig")
        client_ip = _object(config, "clientIP") if config is not None else None
        if client_ip is not None:
            _default(client_ip, "timeoutSeconds", 10800)
    if spec["type"] in ("NodePort", "LoadBalancer"):
        _default_str(spec, "externalTrafficPolicy", "Cluster")
    if spec["type"] != "ExternalName":
        _default_str(spec, "internalTrafficPolicy", "Cluster")
    for port in _objects(spec, "ports"):
        _default_str(port, "protocol", "TCP")
        if port.get("targetPort") in (None, 0, "") and isinstance(port.get("port"), int):
            port["targetPort"] = port["port"]


def default_endpoints(endpoints: Obj) -> None:
    for subset in _objects(endpoints, "subsets"):
        for port in _objects(subset, "ports"):
            _default_str(port, "protocol", "TCP")


# -- workloads ---------------------------------------------------------------------------
def default_deployment(deployment: Obj) -> None:
    spec = _object(deployment, "spec")
    if spec is None:
        return
    _default(spec, "replicas", 1)
    _default(spec, "revisionHistoryLimit", 10)
    _default(spec, "progressDeadlineSeconds", 600)
    strategy = _object(spec, "strategy")
    if strategy is not None:
        _default_str(strategy, "type", "RollingUpdate")
        if strategy["type"] == "RollingUpdate":
            _default_rolling_update(strategy, max_unavailable="25%", max_surge="25%")
    _default_template(spec)


def default_replica_set(replica_set: Obj) -> None:
    spec = _object(replica_set, "spec")
    if spec is not None:
        _default(spec, "replicas", 1)
        _default_template(spec)


def default_replication_controller(rc: Obj) -> None:
    """SetDefaults_ReplicationController: the template's labels are the selector and the labels
    when those are empty (the old API had no separate selector type), and one replica."""
    spec = _object(rc, "spec")
    if spec is None:
        return
    template_labels = _existing(_existing(spec, "template"), "metadata")
    labels = template_labels.get("labels") if template_labels else None
    metadata = _existing(rc, "metadata")
    if isinstance(labels, dict) and labels:
        if not spec.get("selector"):
            spec["selector"] = dict(labels)
        if metadata is not None and not metadata.get("labels"):
            metadata["labels"] = dict(labels)
    _default(spec, "replicas", 1)
    _default_template(spec)


def default_daemon_set(daemon_set: Obj) -> None:
    spec = _object(daemon_set, "spec")
    if spec is None:
        return
    _default(spec, "revisionHistoryLimit", 10)
    strategy = _object(spec, "updateStrategy")
    if strategy is not None:
        _default_str(strategy, "type", "RollingUpdate")
        if strategy["type"] == "RollingUpdate":
            _default_rolling_update(strategy, max_unavailable=1, max_surge=0)
    _default_template(spec)


def _default_rolling_update(strategy: Obj, *, max_unavailable: int | str, max_surge: int | str) -> None:
    rolling = _object(strategy, "rollingUpdate")
    if rolling is not None:
        _default(rolling, "maxUnavailable", max_unavailable)
        _default(rolling, "maxSurge", max_surge)


def default_job(job: Obj) -> None:
    spec = _object(job, "spec")
    if spec is None:
        return
    if spec.get("completions") is None and spec.get("parallelism") is None:
        spec["completions"] = 1                       # a plain job: one pod, run to success once
    _default(spec, "parallelism", 1)
    _default(spec, "backoffLimit", 6)
    _default_str(spec, "completionMode", "NonIndexed")
    _default(spec, "suspend", False)
    _generate_job_selector(job, spec)
    _default_template(spec)


def _generate_job_selector(job: Obj, spec: Obj) -> None:
    """The Job REST strategy: unless manualSelector, select the job's pods by its uid.

    Needs metadata.uid (the server sets it on create). Pods also get the job's
    name as a label, which is what `kubectl get pods -l job-name=...` uses.
    """
    metadata = _existing(job, "metadata")
    uid = metadata.get("uid") if metadata is not None else None
    if metadata is None or spec.get("manualSelector") is True or spec.get("selector") is not None \
            or not isinstance(uid, str) or not uid:
        return
    template = _existing(spec, "template")
    template_metadata = _object(template, "metadata") if template is not None else None
    labels = _object(template_metadata, "labels") if template_metadata is not None else None
    if labels is None:
        return
    for label in JOB_UID_LABELS:
        labels[label] = uid
    name = metadata.get("name")
    if isinstance(name, str) and name:
        for label in JOB_NAME_LABELS:
            labels[label] = name
    spec["selector"] = {"matchLabels": {JOB_UID_LABELS[0]: uid}}


# -- the rest ------------------------------------------------------------------------------
def default_namespace(namespace: Obj) -> None:
    metadata = _existing(namespace, "metadata")
    name = metadata.get("name") if metadata is not None else None
    if metadata is not None and isinstance(name, str) and name:
        labels = _object(metadata, "labels")
        if labels is not None:
            labels["kubernetes.io/metadata.name"] = name    # lets namespaceSelectors pick namespaces by name
    spec = _object(namespace, "spec")
    if spec is not None:
        _default(spec, "finalizers", ["kubernetes"])
    status = _object(namespace, "status")
    if status is not None:
        _default_str(status, "phase", "Active")


def default_priority_class(pc: Obj) -> None:
    _default_str(pc, "preemptionPolicy", "PreemptLowerPriority")


def default_network_policy(policy: Obj) -> None:
    """networking/v1 SetDefaults_NetworkPolicy and _NetworkPolicyPort: no policyTypes means Ingress,
    plus Egress when egress rules are given; a port's protocol is TCP; podSelector {} (every pod)."""
    spec = _object(policy, "spec")
    if spec is None:
        return
    _default(spec, "podSelector", {})
    if spec.get("policyTypes") in (None, []):
        spec["policyTypes"] = ["Ingress", "Egress"] if spec.get("egress") else ["Ingress"]
    for direction in ("ingress", "egress"):
        for rule in _objects(spec, direction):
            for port in _objects(rule, "ports"):
                _default_str(port, "protocol", "TCP")


def default_secret(secret: Obj) -> None:
    _default_str(secret, "type", "Opaque")
    _merge_string_data(secret)


def _merge_string_data(secret: Obj) -> None:
    """stringData is write-only sugar: its values are base64-encoded into data and it is not stored."""
    string_data, data = secret.get("stringData"), secret.get("data")
    if not isinstance(string_data, dict) or not (data is None or isinstance(data, dict)):
        return
    for key in [k for k, v in string_data.items() if isinstance(v, str)]:
        data = _object(secret, "data")
        assert data is not None             # checked above: data is absent or an object
        data[key] = base64.b64encode(string_data.pop(key).encode()).decode()
    if not string_data:
        del secret["stringData"]


_DEFAULTERS: dict[str, Callable[[Obj], None]] = {
    "Pod": default_pod,
    "Service": default_service,
    "Endpoints": default_endpoints,
    "Deployment": default_deployment,
    "ReplicaSet": default_replica_set,
    "ReplicationController": default_replication_controller,
    "DaemonSet": default_daemon_set,
    "Job": default_job,
    "Namespace": default_namespace,
    "Secret": default_secret,
    "PriorityClass": default_priority_class,
    "NetworkPolicy": default_network_policy,
}
