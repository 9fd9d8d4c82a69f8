"""The Namespace controller: kube-controller-manager's pkg/controller/namespace
(namespaced_resources_deleter.go).

Deleting a namespace only marks it Terminating; its `spec.finalizers` holds
"kubernetes" until this controller has emptied it:

1. for every namespaced type the API serves (minikube_py.api.resources.RESOURCES),
   delete everything in the namespace (deletecollection where the type has it,
   one by one otherwise; pods get their normal grace period);
2. count what is left: objects still there (pods shutting down, objects held
   by finalizers) mean "come back later";
3. record why on the namespace's status.conditions, so a namespace stuck in
   Terminating explains itself:
     NamespaceDeletionDiscoveryFailure   we could not learn the served types
     NamespaceDeletionContentFailure     a delete call failed (message: which)
     NamespaceContentRemaining           "Some resources are remaining: pods. has 2 resource instances"
     NamespaceFinalizersRemaining        "Some content in the namespace has finalizers remaining: ..."
4. when nothing is left, remove "kubernetes" from spec.finalizers with a PUT
   to namespaces/{name}/finalize; the API server then deletes the namespace.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from controllers.base import Controller, Obj, register
from minikube_py.api.conditions import transition_time
from minikube_py.api.errors import ApiError
from minikube_py.api.resources import RESOURCES, ResourceType

FINALIZER = "kubernetes"
RECHECK_SECONDS = 2.0          # how soon to look again at a namespace that is not empty yet
CONDITION_TYPES = ("NamespaceDeletionDiscoveryFailure", "NamespaceDeletionGroupVersionParsingFailure",
                   "NamespaceDeletionContentFailure", "NamespaceContentRemaining",
                   "NamespaceFinalizersRemaining")


@dataclass
class Leftovers:
    """What one deletion pass found still in the namespace."""
    remaining: dict[str, int] = field(default_factory=dict)     # "pods." -> count
    finalizers: dict[str, int] = field(default_factory=dict)    # finalizer -> objects holding it
    failures: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.remaining and not self.failures


@register
class NamespaceController(Controller):
    name = "namespace"
    workers_flag = "namespace"
    default_workers = 10

    def setup(self) -> None:
        self.namespaces = self.informer("namespaces")
        self.namespaces.add_event_handler(self.enqueue, lambda old, new: self.enqueue(new), None)

    def namespaced_types(self) -> list[ResourceType]:
        return [rt for rt in RESOURCES if rt.namespaced and "list" in rt.verbs]

    async def reconcile(self, key: str) -> None:
        namespace = self.namespaces.get(key)
        if namespace is None or not namespace["metadata"].get("deletionTimestamp"):
            return
        if FINALIZER not in (namespace.get("spec") or {}).get("finalizers", []):
            return
        leftovers = Leftovers()
        for rt in self.namespaced_types():
            await self.delete_all(rt, key, leftovers)
        await self.update_conditions(namespace, leftovers)
        if leftovers.empty:
            await self.finalize(namespace)
        else:
            self.log.info("namespace %s not empty yet: %s", key, leftovers.remaining)
            self.enqueue_after(key, RECHECK_SECONDS)

    async def delete_all(self, rt: ResourceType, namespace: str, leftovers: Leftovers) -> None:
        client = self.api.resource(rt, namespace)
        try:
            items, _ = await client.list_all()
            for obj in items:
                if not obj["metadata"].get("deletionTimestamp"):
                    await delete_quietly(client, obj["metadata"]["name"])
            items, _ = await client.list_all()
        except ApiError as e:
            leftovers.failures.append(f"{resource_name(rt)}: {e.message}")
            return
        if items:
            leftovers.remaining[resource_name(rt)] = len(items)
        for obj in items:
            for finalizer in obj["metadata"].get("finalizers") or []:
                leftovers.finalizers[finalizer] = leftovers.finalizers.get(finalizer, 0) + 1

    async def update_conditions(self, namespace: Obj, leftovers: Leftovers) -> None:
        status = dict(namespace.get("status") or {})
        status["conditions"] = merge_conditions(status.get("conditions") or [], deletion_conditions(leftovers))
        if status == namespace.get("status"):
            return
        try:
            await self.api.resource("namespaces").update_status({**namespace, "status": status})
        except ApiError as e:
            if e.reason not in ("NotFound", "Conflict"):
                raise

    async def finalize(self, namespace: Obj) -> None:
        name = namespace["metadata"]["name"]
        fresh = await self.api.resource("namespaces").get(name)
        finalizers = [f for f in (fresh.get("spec") or {}).get("finalizers") or [] if f != FINALIZER]
        fresh["spec"] = {**(fresh.get("spec") or {}), "finalizers": finalizers}
        await self.api.resource("namespaces").put_subresource(name, "finalize", fresh)
        self.log.info("namespace %s is empty: removed the %r finalizer", name, FINALIZER)


def resource_name(rt: ResourceType) -> str:
    """Kubernetes names a resource "plural.group" in these messages ("pods." for core)."""
    return f"{rt.plural}.{rt.group}"


async def delete_quietly(client: Any, name: str) -> None:
    try:
        await client.delete(name)
    except ApiError as e:
        if e.reason != "NotFound":
            raise


def deletion_conditions(leftovers: Leftovers) -> list[Obj]:
    """The five conditions Kubernetes keeps on a Terminating namespace."""
    remaining = ", ".join(f"{name} has {count} resource instances"
                          for name, count in sorted(leftovers.remaining.items()))
    finalizers = ", ".join(f"{name} in {count} resource instances"
                           for name, count in sorted(leftovers.finalizers.items()))
    failures = "; ".join(leftovers.failures)
    return [
        condition("NamespaceDeletionDiscoveryFailure", False, "ResourcesDiscovered",
                  "All resources successfully discovered"),
        condition("NamespaceDeletionGroupVersionParsingFailure", False, "ParsedGroupVersions",
                  "All legacy kube types successfully parsed"),
        condition("NamespaceDeletionContentFailure", bool(failures), "ContentDeletionFailed" if failures
                  else "ContentDeleted", f"Failed to delete all resource types: {failures}" if failures
                  else "All content successfully deleted, may be waiting on finalization"),
        condition("NamespaceContentRemaining", bool(remaining), "SomeResourcesRemain" if remaining
                  else "ContentRemoved", f"Some resources are remaining: {remaining}" if remaining
                  else "All content successfully removed"),
        condition("NamespaceFinalizersRemaining", bool(finalizers), "SomeFinalizersRemain" if finalizers
                  else "ContentHasNoFinalizers",
                  f"Some content in the namespace has finalizers remaining: {finalizers}" if finalizers
                  else "All content-preserving finalizers finished"),
    ]


def condition(kind: str, true: bool, reason: str, message: str) -> Obj:
    return {"type": kind, "status": "True" if true else "False", "reason": reason, "message": message}


def merge_conditions(current: list[Obj], wanted: list[Obj]) -> list[Obj]:
    """New conditions, keeping lastTransitionTime when status did not change."""
    by_type = {c.get("type"): c for c in current}
    merged = [c for c in current if c.get("type") not in CONDITION_TYPES]
    for new in wanted:
        old = by_type.get(new["type"])
        if old is not None and all(old.get(k) == new[k] for k in ("status", "reason", "message")):
            merged.append(old)
            continue
        merged.append({**new, "lastTransitionTime": transition_time(old, new["status"])})
    return merged
