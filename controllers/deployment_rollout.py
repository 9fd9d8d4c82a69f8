"""The Deployment strategies: Kubernetes' deployment/rolling.go, recreate.go and sync.go.

Each function is one sync of one Deployment: it takes at most one kind of step
(grow the new ReplicaSet, or shrink old ones, ...), writes the status, and
returns; the ReplicaSet and pod events this causes bring the Deployment back
to the queue for the next step. Nothing is remembered between syncs.
"""
from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from controllers import deployment_status as ds
from controllers import deployment_util as du
from controllers.deployment_util import Obj
from minikube_py.api.conditions import find_condition

if TYPE_CHECKING:
    from controllers.deployment import DeploymentController

DEFAULT_REVISION_HISTORY_LIMIT = 10


class Step:
    """One sync's view: the Deployment, its new ReplicaSet (same template) and the old ones."""

    def __init__(self, controller: DeploymentController, deployment: Obj, replica_sets: list[Obj]) -> None:
        self.controller = controller
        self.d = deployment
        matching = sorted((rs for rs in replica_sets if du.templates_equal(rs["spec"]["template"],
                                                                            deployment["spec"]["template"])),
                          key=du.creation_order)
        self.new_rs: Obj | None = matching[0] if matching else None
        self.old_sets = [rs for rs in replica_sets if rs is not self.new_rs]
        self.note: tuple[str, str] | None = None

    def all_sets(self) -> list[Obj]:
        return [*self.old_sets, self.new_rs] if self.new_rs is not None else list(self.old_sets)

    def active_sets(self) -> list[Obj]:
        return [rs for rs in self.all_sets() if du.replicas(rs) > 0]

    async def sync_new_rs(self, create: bool) -> None:
        """Give the new ReplicaSet the next revision (a reused one, after a rollback, too) or
        create it; Kubernetes' getAllReplicaSetsAndSyncRevision."""
        next_revision = du.max_revision(self.old_sets) + 1
        if self.new_rs is not None:
            updated = copy.deepcopy(self.new_rs)
            updated["metadata"]["annotations"] = du.revision_annotations(self.new_rs, next_revision)
            updated["spec"]["minReadySeconds"] = self.d["spec"].get("minReadySeconds", 0)
            if updated != self.new_rs:
                self.new_rs = await self.controller.update_replica_set(updated)
            if find_condition((self.d.get("status") or {}).get("conditions"), "Progressing") is None:
                self.note = ("FoundNewReplicaSet", f'Found new replica set "{self.new_rs["metadata"]["name"]}"')
        elif create:
            self.new_rs = await self.controller.create_new_replica_set(self.d, self.old_sets, next_revision)
            self.note = ("NewReplicaSetCreated", f'Created new replica set "{self.new_rs["metadata"]["name"]}"')

    async def resize(self, rs: Obj, size: int) -> bool:
        result = await self.controller.scale(self.d, rs, size)
        if result is rs:
            return False
        if rs is self.new_rs:
            self.new_rs = result
        else:
            self.old_sets = [result if old is rs else old for old in self.old_sets]
        return du.replicas(result) != du.replicas(rs)

    def settled(self) -> bool:
        """Every ReplicaSet's status describes its current spec (observedGeneration caught up),
        so availableReplicas can be trusted before taking pods away."""
        return all(int((rs.get("status") or {}).get("observedGeneration") or 0) >= rs["metadata"].get("generation", 0)
                   for rs in self.all_sets())

    async def write_status(self) -> None:
        status = ds.calculate_status(self.d, self.all_sets(), self.new_rs, self.note)
        revision = str(du.revision(self.new_rs)) if self.new_rs is not None else None
        await self.controller.write_deployment(self.d, status, revision)
        left = None if ds.is_complete(self.d, status) else ds.seconds_until_deadline(self.d, status)
        if left is not None:
            self.controller.requeue_after(self.d, left + 0.5)    # come back to declare the deadline exceeded

    async def cleanup(self) -> None:
        """Delete the oldest zero-sized ReplicaSets beyond spec.revisionHistoryLimit."""
        limit = self.d["spec"].get("revisionHistoryLimit", DEFAULT_REVISION_HISTORY_LIMIT)
        alive = [rs for rs in self.old_sets if not rs["metadata"].get("deletionTimestamp")]
        excess = len(alive) - int(limit)
        for rs in sorted(alive, key=du.revision)[:max(excess, 0)]:
            if du.replicas(rs) == 0 and du.status_count(rs, "replicas") == 0:
                await self.controller.delete_replica_set(rs)

    def complete(self) -> bool:
        return ds.is_complete(self.d, ds.replica_counts(self.d, self.all_sets(), self.new_rs))


async def rolling(step: Step) -> None:
    await step.sync_new_rs(create=True)
    if await grow_new(step) or await shrink_old(step):
        await step.write_status()
        return
    if step.complete():
        await step.cleanup()
    await step.write_status()


async def grow_new(step: Step) -> bool:
    """reconcileNewReplicaSet: toward replicas, within replicas + maxSurge pods in total."""
    new_rs, desired = step.new_rs, du.replicas(step.d)
    if new_rs is None or du.replicas(new_rs) == desired:
        return False
    if du.replicas(new_rs) > desired:
        return await step.resize(new_rs, desired)
    return await step.resize(new_rs, du.new_rs_target(step.d, step.all_sets(), new_rs))


async def shrink_old(step: Step) -> bool:
    """reconcileOldReplicaSets: first unavailable old pods, then available ones, keeping
    replicas - maxUnavailable available."""
    if du.total_replicas(step.old_sets) == 0 or not step.settled():
        return False
    budget = du.old_scale_down_budget(step.d, step.all_sets(), step.new_rs)
    if budget <= 0:
        return False
    changed = await apply_sizes(step, du.cleanup_unhealthy(step.old_sets, budget))
    changed |= await apply_sizes(step, du.scale_down_available(step.d, step.all_sets(), step.old_sets))
    return changed


async def apply_sizes(step: Step, sizes: dict[str, int]) -> bool:
    changed = False
    for rs in step.all_sets():
        if rs["metadata"]["name"] in sizes:
            changed |= await step.resize(rs, sizes[rs["metadata"]["name"]])
    return changed


async def recreate(step: Step) -> None:
    await step.sync_new_rs(create=False)
    if await apply_sizes(step, {rs["metadata"]["name"]: 0 for rs in step.old_sets if du.replicas(rs)}):
        await step.write_status()
        return
    if step.controller.old_pods_running(step.old_sets):
        await step.write_status()       # a pod deletion brings us back
        return
    if step.new_rs is None:
        await step.sync_new_rs(create=True)
    assert step.new_rs is not None      # sync_new_rs(create=True) created it
    await step.resize(step.new_rs, du.replicas(step.d))
    if step.complete():
        await step.cleanup()
    await step.write_status()


async def sync_scale(step: Step) -> None:
    """Paused, or spec.replicas changed mid-rollout: resize without moving the rollout on."""
    await step.sync_new_rs(create=False)
    active = step.active_sets()
    if len(active) <= 1:
        target = active[0] if active else (step.new_rs or newest(step.old_sets))
        if target is not None:
            await step.resize(target, du.replicas(step.d))
    elif step.new_rs is not None and saturated(step.d, step.new_rs):
        await apply_sizes(step, {rs["metadata"]["name"]: 0 for rs in step.old_sets})
    elif du.is_rolling(step.d):
        await apply_sizes(step, du.proportional_targets(step.d, active))
    if step.d["spec"].get("paused"):
        await step.cleanup()
    await step.write_status()


def saturated(deployment: Obj, rs: Obj) -> bool:
    desired = du.replicas(deployment)
    return (du.replicas(rs) == desired and du.annotation_int(rs, du.DESIRED_REPLICAS) == desired
            and du.status_count(rs, "availableReplicas") == desired)


def newest(replica_sets: list[Obj]) -> Obj | None:
    return max(replica_sets, key=du.creation_order, default=None)
