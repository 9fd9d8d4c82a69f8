"""The DaemonSet controller: kube-controller-manager's pkg/controller/daemon.

One pod per eligible node (daemonset_util.should_run: nodeSelector, required
node affinity, tolerations vs taints, by the rules the scheduler uses too):

- a node that should run the daemon and has no pod gets one, created with
  required node affinity on its name and bound by the scheduler (Kubernetes'
  way since 1.12; see daemonset_util);
- a node that must not run it (gone, relabelled, tainted NoExecute) loses its
  pod; extra pods on one node and failed pods are deleted (the failed ones are
  then replaced);
- RollingUpdate: pods whose `controller-revision-hash` label differs from the
  template's hash (the Deployment's template hash, deployment_util) are
  replaced node by node, never more than maxUnavailable nodes without an
  available pod (maxSurge is not implemented: old pods go before new ones
  come). OnDelete leaves old pods until someone deletes them. Kubernetes
  stores revisions as ControllerRevision objects, which we do not serve.
- status: desiredNumberScheduled, currentNumberScheduled, numberMisscheduled,
  numberReady, updatedNumberScheduled, numberAvailable, numberUnavailable,
  observedGeneration; Events SuccessfulCreate / SuccessfulDelete.
"""
from __future__ import annotations

from controllers import daemonset_util as util
from controllers.base import Obj, register, split_key
from controllers.util import ownership
from controllers.util.pod_owner import PodOwnerController
from controllers.util.pods import creation_time
from minikube_py.api.errors import ApiError
from minikube_py.api.meta import is_being_deleted
from minikube_py.api.selectors import label_selector_from_dict


@register
class DaemonSetController(PodOwnerController):
    name = "daemonset"
    workers_flag = "daemonset"
    default_workers = 2
    owner_kind, owner_resource = "DaemonSet", "daemonsets"

    def watch_more(self) -> None:
        self.nodes = self.informer("nodes")
        self.nodes.add_event_handler(self.on_node, self.on_node_update, self.on_node)

    def on_node(self, node: Obj) -> None:
        for ds in self.owners.list():
            self.enqueue(ds)

    def on_node_update(self, old: Obj, new: Obj) -> None:
        """Only what should_run reads matters: labels and taints (heartbeats do not)."""
        def relevant(node: Obj) -> tuple:
            return node["metadata"].get("labels"), (node.get("spec") or {}).get("taints")
        if relevant(old) != relevant(new):
            self.on_node(new)

    # ---- reconcile ------------------------------------------------------------------------

    async def reconcile(self, key: str) -> None:
        namespace, name = split_key(key)
        ds = self.owners.get(name, namespace)
        if ds is None:
            self.expectations.forget(key)
            return
        revision = util.revision_hash(ds)
        selector = label_selector_from_dict(ds["spec"].get("selector"))
        candidates = self.pods.by_index("namespace", namespace or "")
        owned = await ownership.claim(ds, selector, candidates, self.api.resource("pods", namespace))
        by_node = self.pods_by_node(owned)
        nodes = self.nodes.list()
        if self.expectations.satisfied(key) and not is_being_deleted(ds):
            await self.manage(key, ds, nodes, by_node, revision)
        await self.write_status(ds, util.compute_status(ds, nodes, by_node, revision))

    @staticmethod
    def pods_by_node(pods: list[Obj]) -> dict[str, list[Obj]]:
        by_node: dict[str, list[Obj]] = {}
        for pod in pods:
            if not is_being_deleted(pod):
                by_node.setdefault(util.target_node(pod), []).append(pod)
        return by_node

    async def manage(self, key: str, ds: Obj, nodes: list[Obj], by_node: dict[str, list[Obj]],
                     revision: str) -> None:
        create: list[str] = []
        delete: list[Obj] = []
        eligible: dict[str, list[Obj]] = {}
        known = {node["metadata"]["name"]: node for node in nodes}
        for node_name, pods in by_node.items():
            if node_name not in known:
                delete += pods                               # the node is gone
        for node_name, node in known.items():
            pods = by_node.get(node_name) or []
            schedule, keep = util.should_run(ds, node)
            failed = [p for p in pods if (p.get("status") or {}).get("phase") == "Failed"]
            running = sorted((p for p in pods if p not in failed),       # keep an updated pod, else the oldest
                             key=lambda p: (not util.is_updated(p, revision), creation_time(p)))
            delete += failed
            if not keep:
                delete += running
                continue
            if not running and schedule:
                create.append(node_name)
            delete += running[1:]
            if running:
                eligible[node_name] = running[:1]
        strategy = (ds["spec"].get("updateStrategy") or {}).get("type", "RollingUpdate")
        if strategy == "RollingUpdate":
            desired = len(eligible) + len(create)
            delete += util.rolling_update_victims(ds, eligible, revision, desired, missing=len(create))
        await self.delete_pods(key, ds, delete)
        if not delete:
            await self.create_pods(key, ds, [util.new_pod(ds, node, revision) for node in create])

    async def write_status(self, ds: Obj, status: Obj) -> None:
        if status == ds.get("status"):
            return
        try:
            await self.api.resource("daemonsets", ds["metadata"]["namespace"]).update_status({**ds, "status": status})
        except ApiError as e:
            if e.reason == "Conflict":
                self.enqueue(ds)
            elif e.reason != "NotFound":
                raise
