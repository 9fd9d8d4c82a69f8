"""The Deployment controller: kube-controller-manager's pkg/controller/deployment.

A Deployment never runs pods itself. It owns one ReplicaSet per pod template
("<deployment>-<pod-template-hash>"), and a rollout is nothing but resizing
those ReplicaSets step by step:

- RollingUpdate (deployment_rollout.rolling): grow the new ReplicaSet while the
  total stays <= replicas + maxSurge, shrink old ones while at least
  replicas - maxUnavailable pods stay available; repeat on every change.
- Recreate (deployment_rollout.recreate): old ReplicaSets to 0, wait until
  their pods are gone, then the new one to full size.
- paused, or spec.replicas changed under a running rollout: only resize,
  proportionally (deployment_rollout.sync_scale).

Rollback needs nothing special: `mkctl rollout undo` copies an old template
back, the controller finds the old ReplicaSet with that template, and it
becomes the new one with the next revision number. Old ReplicaSets scaled to
zero are kept as history up to revisionHistoryLimit.

This module holds the controller (informers, handlers, reconcile) and the
ReplicaSet bookkeeping; the arithmetic is in deployment_util, the status in
deployment_status.
"""
from __future__ import annotations

import copy

from controllers import deployment_rollout as rollout
from controllers import deployment_util as du
from controllers.base import Controller, Obj, object_key, register, split_key
from controllers.util import ownership
from minikube_py.api import pods
from minikube_py.api.errors import ApiError
from minikube_py.api.meta import controller_ref, is_being_deleted, is_controlled_by, new_controller_ref
from minikube_py.api.selectors import LabelSelector, label_selector_from_dict


@register
class DeploymentController(Controller):
    name = "deployment"
    workers_flag = "deployment"

    def setup(self) -> None:
        self.deployments = self.informer("deployments")
        self.replica_sets = self.informer("replicasets")
        self.pods = self.informer("pods")
        self.deployments.add_event_handler(self.enqueue, lambda old, new: self.enqueue(new), self.enqueue)
        self.replica_sets.add_event_handler(self.on_rs, lambda old, new: self.on_rs(old, new), self.on_rs)
        self.pods.add_event_handler(None, None, self.on_pod_delete)

    # ---- event handlers ---------------------------------------------------------------------

    def on_rs(self, *versions: Obj) -> None:
        for rs in versions:
            owner = self.owner_of(rs)
            if owner is not None:
                self.enqueue(owner)
            elif controller_ref(rs) is None:
                for deployment in self.deployments.by_index("namespace", rs["metadata"].get("namespace")):
                    if selector_of(deployment).matches(rs["metadata"].get("labels")):
                        self.enqueue(deployment)

    def on_pod_delete(self, pod: Obj) -> None:
        """Recreate waits for the old pods to be gone: each disappearance is worth a look."""
        rs = ownership.resolve_controller_ref(pod, "ReplicaSet", self.replica_sets.get)
        owner = self.owner_of(rs) if rs is not None else None
        if owner is not None and not du.is_rolling(owner):
            self.enqueue(owner)

    def owner_of(self, rs: Obj) -> Obj | None:
        return ownership.resolve_controller_ref(rs, "Deployment", self.deployments.get)

    # ---- reconcile --------------------------------------------------------------------------

    async def reconcile(self, key: str) -> None:
        namespace, name = split_key(key)
        deployment = self.deployments.get(name, namespace)
        if deployment is None:
            return
        deployment = copy.deepcopy(deployment)
        if selector_of(deployment).empty:
            await self.recorder.warning(deployment, "SelectingAll",
                                        "This deployment is selecting all pods. A non-empty selector is required.")
            return
        replica_sets = await self.claim_replica_sets(deployment)
        step = rollout.Step(self, deployment, replica_sets)
        if is_being_deleted(deployment):
            await step.write_status()
        elif deployment["spec"].get("paused") or du.is_scaling_event(deployment, step.active_sets()):
            await rollout.sync_scale(step)
        elif du.is_rolling(deployment):
            await rollout.rolling(step)
        else:
            await rollout.recreate(step)

    async def claim_replica_sets(self, deployment: Obj) -> list[Obj]:
        namespace = deployment["metadata"]["namespace"]
        candidates = self.replica_sets.by_index("namespace", namespace)
        client = self.api.resource("replicasets", namespace)
        return await ownership.claim(deployment, selector_of(deployment), candidates, client)

    # ---- ReplicaSet bookkeeping (used by deployment_rollout) -------------------------------------

    def old_pods_running(self, old_sets: list[Obj]) -> bool:
        uids = {rs["metadata"]["uid"] for rs in old_sets}
        return any((controller_ref(pod) or {}).get("uid") in uids and not pods.is_terminal(pod)
                   for pod in self.pods.list())

    async def create_new_replica_set(self, deployment: Obj, old_sets: list[Obj], revision: int) -> Obj:
        """`<deployment>-<hash>` with the hash in its selector, template labels and name. On a name
        collision with a different template, bump status.collisionCount and try again later."""
        collision_count = int((deployment.get("status") or {}).get("collisionCount") or 0)
        rs = new_replica_set(deployment, collision_count, revision)
        rs["spec"]["replicas"] = du.new_rs_target(deployment, [*old_sets, rs], rs)
        client = self.api.resource("replicasets", deployment["metadata"]["namespace"])
        try:
            created = await client.create(rs)
        except ApiError as e:
            if e.reason != "AlreadyExists":
                raise
            return await self.resolve_collision(deployment, rs, collision_count)
        if du.replicas(created):
            await self.recorder.normal(deployment, "ScalingReplicaSet",
                                       f"Scaled up replica set {created['metadata']['name']} to {du.replicas(created)}")
        return created

    async def resolve_collision(self, deployment: Obj, rs: Obj, collision_count: int) -> Obj:
        client = self.api.resource("replicasets", deployment["metadata"]["namespace"])
        existing = await client.get(rs["metadata"]["name"])
        if is_controlled_by(existing, deployment) and du.templates_equal(existing["spec"]["template"],
                                                                               deployment["spec"]["template"]):
            return existing     # our own, the cache had not seen it yet
        deployment["status"] = {**(deployment.get("status") or {}), "collisionCount": collision_count + 1}
        await self.api.resource("deployments", deployment["metadata"]["namespace"]).update_status(deployment)
        raise ApiError(409, "AlreadyExists", f"hash collision on {rs['metadata']['name']}; retrying")

    async def scale(self, deployment: Obj, rs: Obj, size: int) -> Obj:
        """Set a ReplicaSet's size and its sizing annotations; an Event when the size changes."""
        annotations = {**(rs["metadata"].get("annotations") or {}), **du.sizing_annotations(deployment)}
        if du.replicas(rs) == size and annotations == rs["metadata"].get("annotations"):
            return rs
        updated = copy.deepcopy(rs)
        updated["spec"]["replicas"] = size
        updated["metadata"]["annotations"] = annotations
        result = await self.api.resource("replicasets", rs["metadata"]["namespace"]).update(updated)
        if size != du.replicas(rs):
            direction = "up" if size > du.replicas(rs) else "down"
            await self.recorder.normal(deployment, "ScalingReplicaSet",
                                       f"Scaled {direction} replica set {rs['metadata']['name']} to {size}")
        return result

    async def update_replica_set(self, rs: Obj) -> Obj:
        return await self.api.resource("replicasets", rs["metadata"]["namespace"]).update(rs)

    async def delete_replica_set(self, rs: Obj) -> None:
        client = self.api.resource("replicasets", rs["metadata"]["namespace"])
        try:
            await client.delete(rs["metadata"]["name"], preconditions={"uid": rs["metadata"]["uid"]})
        except ApiError as e:
            if e.reason != "NotFound":
                raise

    async def write_deployment(self, deployment: Obj, status: Obj, revision: str | None) -> None:
        """The revision annotation (metadata) and the status (status subresource)."""
        client = self.api.resource("deployments", deployment["metadata"]["namespace"])
        annotations = deployment["metadata"].get("annotations") or {}
        if revision and annotations.get(du.REVISION) != revision:
            patched = await client.patch(deployment["metadata"]["name"],
                                         {"metadata": {"annotations": {du.REVISION: revision},
                                                       "resourceVersion": deployment["metadata"]["resourceVersion"]}})
            deployment["metadata"] = patched["metadata"]
        if status != deployment.get("status"):
            await client.update_status({**deployment, "status": status})

    def requeue_after(self, deployment: Obj, seconds: float) -> None:
        self.enqueue_after(object_key(deployment), max(seconds, 0.1))


def selector_of(deployment: Obj) -> LabelSelector:
    return label_selector_from_dict((deployment.get("spec") or {}).get("selector"))


def new_replica_set(deployment: Obj, collision_count: int, revision: int) -> Obj:
    """The ReplicaSet for the deployment's current template (replicas filled in by the caller)."""
    template = copy.deepcopy(deployment["spec"]["template"])
    pod_hash = du.template_hash(template, collision_count)
    template.setdefault("metadata", {}).setdefault("labels", {})[du.HASH_LABEL] = pod_hash
    selector = copy.deepcopy(deployment["spec"]["selector"])
    selector.setdefault("matchLabels", {})[du.HASH_LABEL] = pod_hash
    name = f"{deployment['metadata']['name']}-{pod_hash}"
    annotations = {**du.sizing_annotations(deployment), du.REVISION: str(revision)}
    spec = {"replicas": 0, "selector": selector, "template": template,
            "minReadySeconds": deployment["spec"].get("minReadySeconds", 0)}
    return {"apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": name, "namespace": deployment["metadata"]["namespace"],
                         "labels": template["metadata"]["labels"], "annotations": annotations,
                         "ownerReferences": [new_controller_ref(deployment)]},
            "spec": spec}
