"""The Endpoints controller: kube-controller-manager's pkg/controller/endpoint.

For every Service with a selector, one Endpoints object of the same name lists
the pods behind it, so kube-proxy and DNS know where to send traffic:

- pods matching the selector that have an IP and are not finished;
- Ready pods go to `addresses`, the others to `notReadyAddresses`;
- a pod with a deletionTimestamp is left out at once (it is shutting down and
  must get no new connections), as Kubernetes does without publishNotReadyAddresses;
- each address carries ip, nodeName and a targetRef to the pod;
- ports: each service port's targetPort, a number as is, a name looked up in
  that pod's container ports (a pod without that port name gets no address for it);
- addresses are grouped into subsets by identical port lists, as Kubernetes'
  RepackSubsets does, sorted so the object only changes when the content does.

Services without a selector are left alone (their Endpoints are managed by
hand); when a Service goes, its Endpoints go too.
"""
from __future__ import annotations

from typing import Any

from controllers.base import Controller, Obj, register, split_key
from minikube_py.api import pods
from minikube_py.api.errors import ApiError
from minikube_py.api.meta import is_being_deleted
from minikube_py.api.selectors import label_selector_from_set

SKIP_SERVICES = {"default/kubernetes"}    # the API server maintains its own Endpoints


@register
class EndpointsController(Controller):
    name = "endpoint"
    workers_flag = "endpoint"

    def setup(self) -> None:
        self.services = self.informer("services")
        self.pods = self.informer("pods")
        self.services.add_event_handler(self.enqueue, lambda old, new: self.enqueue(new), self.enqueue)
        self.pods.add_event_handler(self.on_pod, lambda old, new: self.on_pod(old, new), self.on_pod)

    def on_pod(self, *versions: Obj) -> None:
        """A pod changed: every service selecting its old or new labels must be looked at."""
        for pod in versions:
            namespace = pod["metadata"].get("namespace")
            for service in self.services.by_index("namespace", namespace):
                if selects(service, pod):
                    self.enqueue(service)

    async def reconcile(self, key: str) -> None:
        if key in SKIP_SERVICES:
            return
        namespace, name = split_key(key)
        client = self.api.resource("endpoints", namespace)
        service = self.services.get(name, namespace)
        if service is None:
            await delete_if_present(client, name)
            return
        if not (service.get("spec") or {}).get("selector"):
            return
        selected = [pod for pod in self.pods.by_index("namespace", namespace) if selects(service, pod)]
        subsets = build_subsets(service, selected)
        await self.write(client, service, subsets)

    async def write(self, client: Any, service: Obj, subsets: list[Obj]) -> None:
        name = service["metadata"]["name"]
        try:
            current = await client.get(name)
        except ApiError as e:
            if e.reason != "NotFound":
                raise
            current = None
        labels = service["metadata"].get("labels") or {}
        if current is not None and (current.get("subsets") or []) == subsets \
                and (current["metadata"].get("labels") or {}) == labels:
            return
        endpoints: Obj = {"apiVersion": "v1", "kind": "Endpoints", "subsets": subsets,
                     "metadata": {"name": name, "namespace": service["metadata"]["namespace"], "labels": labels}}
        if current is None:
            await client.create(endpoints)
        else:
            endpoints["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
            await client.update(endpoints)


def selects(service: Obj, pod: Obj) -> bool:
    selector = (service.get("spec") or {}).get("selector")
    return bool(selector) and label_selector_from_set(selector).matches(pod["metadata"].get("labels"))


def build_subsets(service: Obj, selected: list[Obj]) -> list[Obj]:
    """The Endpoints subsets for a service and the pods its selector picks."""
    groups: dict[tuple, dict[str, list[Obj]]] = {}
    for pod in selected:
        ip = (pod.get("status") or {}).get("podIP")
        if not ip or pods.is_terminal(pod) or is_being_deleted(pod):
            continue
        ports = endpoint_ports(service, pod)
        if not ports and (service.get("spec") or {}).get("ports"):
            continue
        group = groups.setdefault(tuple(sorted(tuple(sorted(p.items())) for p in ports)),
                                  {"addresses": [], "notReadyAddresses": []})
        group["addresses" if pods.is_ready(pod) else "notReadyAddresses"].append(endpoint_address(pod, ip))
    return [subset(port_key, group) for port_key, group in sorted(groups.items())]


def subset(port_key: tuple, group: dict[str, list[Obj]]) -> Obj:
    result: Obj = {}
    for field in ("addresses", "notReadyAddresses"):
        if group[field]:
            result[field] = sorted(group[field], key=lambda a: (a["ip"], a["targetRef"]["name"]))
    ports = [dict(items) for items in port_key]
    if ports:
        result["ports"] = ports
    return result


def endpoint_address(pod: Obj, ip: str) -> Obj:
    meta = pod["metadata"]
    address: Obj = {"ip": ip, "targetRef": {"kind": "Pod", "namespace": meta.get("namespace"),
                                            "name": meta["name"], "uid": meta.get("uid")}}
    if pods.node_name(pod):
        address["nodeName"] = pods.node_name(pod)
    return address


def endpoint_ports(service: Obj, pod: Obj) -> list[Obj]:
    """The EndpointPorts this pod offers for the service's ports (named targetPorts resolved)."""
    result = []
    for port in (service.get("spec") or {}).get("ports") or []:
        number = resolve_target_port(port, pod)
        if number is None:
            continue
        endpoint_port = {"port": number, "protocol": port.get("protocol", "TCP")}
        if port.get("name"):
            endpoint_port["name"] = port["name"]
        result.append(endpoint_port)
    return result


def resolve_target_port(service_port: Obj, pod: Obj) -> int | None:
    target = service_port.get("targetPort", service_port.get("port"))
    if isinstance(target, int):
        return target
    if isinstance(target, str) and target.isdigit():
        return int(target)
    protocol = service_port.get("protocol", "TCP")
    for container in (pod.get("spec") or {}).get("containers") or []:
        for port in container.get("ports") or []:
            if port.get("name") == target and port.get("protocol", "TCP") == protocol:
                return port.get("containerPort")
    return None


async def delete_if_present(client: Any, name: str) -> None:
    try:
        await client.delete(name)
    except ApiError as e:
        if e.reason != "NotFound":
            raise
