"""The garbage collector: kube-controller-manager's pkg/controller/garbagecollector.

Objects point at their owners with `metadata.ownerReferences` (uid, kind, name).
The collector keeps an informer on every served type (events excepted: they are
never owners and expire on their own) with two indexes, `uid` and `owner-uid`,
which together are Kubernetes' "dependency graph". Work items are objects,
keyed "<group/plural>|<namespace>/<name>", and each is looked at in one of two
roles (level-triggered: whatever the object's state is now decides):

- as a dependent (it has ownerReferences and is not being deleted): every owner
  is *solid* (exists), *dangling* (gone: not in the cache and a live GET says
  404 or another uid, as attemptToDeleteItem checks) or *waiting* (being deleted
  in the foreground). No solid owner left -> delete the object (Foreground if a
  waiting owner waits for it, so its own dependents go first; Background
  otherwise). Some solid owners -> only drop the references to the others.
- as an owner being deleted (`deletionTimestamp` set):
  - `orphan` finalizer (propagationPolicy=Orphan): remove the ownerReferences
    to it from all its dependents, then remove the finalizer, and it goes;
  - `foregroundDeletion` finalizer (propagationPolicy=Foreground): delete all
    its dependents; once none that blocks it (blockOwnerDeletion=true) is
    left, remove the finalizer, and it goes.
- Background (the default) needs no finalizer: the owner goes at once, and its
  dependents, now with a dangling owner, are deleted as above.

Writes are compare-and-swap on a freshly read resourceVersion, deletes carry a
uid precondition, so a replacement with the same name is never touched.
"""
from __future__ import annotations

from typing import Any

from controllers.base import Controller, Obj, register
from minikube_py.api.errors import ApiError
from minikube_py.api.resources import RESOURCES, ResourceType, by_kind
from minikube_py.client.informer import SharedInformer
from minikube_py.client.store import key_of, split_key

ORPHAN, FOREGROUND = "orphan", "foregroundDeletion"
SKIPPED = {"events"}
MAX_CAS_ATTEMPTS = 5


def meta(obj: Obj) -> Obj:
    return obj.get("metadata") or {}


def owner_refs(obj: Obj) -> list[Obj]:
    return list(meta(obj).get("ownerReferences") or [])


def finalizers(obj: Obj) -> list[str]:
    return list(meta(obj).get("finalizers") or [])


def type_id(rt: ResourceType) -> str:
    return rt.storage_name


def index_uid(obj: Obj) -> list[str]:
    return [meta(obj)["uid"]] if meta(obj).get("uid") else []


def index_owner_uid(obj: Obj) -> list[str]:
    return [ref["uid"] for ref in owner_refs(obj) if ref.get("uid")]


def delete_policy(waiting_owners_blocked: bool) -> str:
    """How a dependent whose owners are all gone or going is deleted (attemptToDeleteItem)."""
    return "Foreground" if waiting_owners_blocked else "Background"


@register
class GarbageCollector(Controller):
    name = "garbagecollector"
    workers_flag = "gc"
    default_workers = 20

    def setup(self) -> None:
        self.types: dict[str, tuple[ResourceType, SharedInformer]] = {}
        for rt in RESOURCES:
            if rt.plural in SKIPPED or "watch" not in rt.verbs:
                continue
            informer = self.informer(rt.plural)
            informer.add_indexer("uid", index_uid)
            informer.add_indexer("owner-uid", index_owner_uid)
            informer.add_event_handler(*self.handlers(rt))
            self.types[type_id(rt)] = (rt, informer)

    def handlers(self, rt: ResourceType) -> tuple[Any, Any, Any]:
        def on_add(obj: Obj) -> None:
            if owner_refs(obj) or meta(obj).get("deletionTimestamp"):
                self.add(rt, obj)

        def on_update(old: Obj, new: Obj) -> None:
            on_add(new)
            for uid in set(index_owner_uid(old)) - set(index_owner_uid(new)):
                self.enqueue_uid(uid)        # a released owner may be waiting for this change

        def on_delete(obj: Obj) -> None:
            for dependent in self.dependents(meta(obj).get("uid", "")):
                self.add(self.type_of(dependent), dependent)
            for uid in index_owner_uid(obj):
                self.enqueue_uid(uid)        # a foreground owner may wait for exactly this
        return on_add, on_update, on_delete

    # ---- the graph ------------------------------------------------------------------------------

    def add(self, rt: ResourceType | None, obj: Obj) -> None:
        if rt is not None:
            self.queue.add(f"{type_id(rt)}|{key_of(obj)}")

    def type_of(self, obj: Obj) -> ResourceType | None:
        return by_kind(obj.get("apiVersion", ""), obj.get("kind", ""))

    def enqueue_uid(self, uid: str) -> None:
        for rt, informer in self.types.values():
            for obj in informer.by_index("uid", uid):
                self.add(rt, obj)

    def dependents(self, owner_uid: str) -> list[Obj]:
        return [obj for _, informer in self.types.values() for obj in informer.by_index("owner-uid", owner_uid)]

    async def owner_state(self, ref: Obj, namespace: str | None) -> tuple[str, Obj | None]:
        """("solid" | "dangling" | "waiting", the owner). Unknown kinds count as solid."""
        rt = by_kind(ref.get("apiVersion", ""), ref.get("kind", ""))
        if rt is None or type_id(rt) not in self.types:
            return "solid", None
        _, informer = self.types[type_id(rt)]
        cached = informer.by_index("uid", ref.get("uid", ""))
        owner = cached[0] if cached else await self.live_owner(rt, ref, namespace)
        if owner is None:
            return "dangling", None
        if meta(owner).get("deletionTimestamp") and FOREGROUND in finalizers(owner):
            return "waiting", owner
        return "solid", owner

    async def live_owner(self, rt: ResourceType, ref: Obj, namespace: str | None) -> Obj | None:
        """The cache may simply lag: ask the API server before calling an owner gone."""
        try:
            owner = await self.api.resource(rt, namespace if rt.namespaced else None).get(ref.get("name", ""))
        except ApiError as e:
            if e.reason == "NotFound":
                return None
            raise
        return owner if meta(owner).get("uid") == ref.get("uid") else None

    # ---- reconcile ------------------------------------------------------------------------------

    async def reconcile(self, key: str) -> None:
        type_key, _, obj_key = key.partition("|")
        rt, informer = self.types[type_key]
        namespace, name = split_key(obj_key)
        obj = informer.get(name, namespace)
        if obj is None:
            return
        if meta(obj).get("deletionTimestamp"):
            if ORPHAN in finalizers(obj):
                await self.orphan_dependents(rt, obj)
            elif FOREGROUND in finalizers(obj):
                await self.delete_dependents_first(rt, obj)
            return
        if owner_refs(obj):
            await self.attempt_to_delete(rt, obj)

    async def attempt_to_delete(self, rt: ResourceType, obj: Obj) -> None:
        states = [(ref, *(await self.owner_state(ref, meta(obj).get("namespace")))) for ref in owner_refs(obj)]
        solid = [ref for ref, state, _ in states if state == "solid"]
        if len(solid) == len(states):
            return
        if solid:
            gone = {ref["uid"] for ref, state, _ in states if state != "solid"}
            self.log.info("%s %s: dropping references to owners %s", rt.kind, key_of(obj), sorted(gone))
            await self.remove_owner_refs(rt, obj, gone)
            return
        blocked = any(state == "waiting" and ref.get("blockOwnerDeletion") for ref, state, _ in states)
        policy = delete_policy(blocked)
        self.log.info("%s %s: all owners gone or going; deleting (%s)", rt.kind, key_of(obj), policy)
        await self.delete(rt, obj, policy)

    async def orphan_dependents(self, rt: ResourceType, owner: Obj) -> None:
        uid = meta(owner)["uid"]
        for dependent in self.dependents(uid):
            dependent_rt = self.type_of(dependent)
            if dependent_rt is not None:
                await self.remove_owner_refs(dependent_rt, dependent, {uid})
        await self.remove_finalizer(rt, owner, ORPHAN)

    async def delete_dependents_first(self, rt: ResourceType, owner: Obj) -> None:
        uid = meta(owner)["uid"]
        blocking = 0
        for dependent in self.dependents(uid):
            ref = next((r for r in owner_refs(dependent) if r.get("uid") == uid), {})
            blocking += bool(ref.get("blockOwnerDeletion"))
            if not meta(dependent).get("deletionTimestamp"):
                self.add(self.type_of(dependent), dependent)
        if blocking:
            self.log.info("%s %s: waiting for %d blocking dependents", rt.kind, key_of(owner), blocking)
            return                   # each dependent's delete event enqueues the owner again
        await self.remove_finalizer(rt, owner, FOREGROUND)

    # ---- writes ----------------------------------------------------------------------------------

    def client(self, rt: ResourceType, obj: Obj) -> Any:
        return self.api.resource(rt, meta(obj).get("namespace") if rt.namespaced else None)

    async def delete(self, rt: ResourceType, obj: Obj, policy: str) -> None:
        try:
            await self.client(rt, obj).delete(meta(obj)["name"], propagation_policy=policy,
                                              preconditions={"uid": meta(obj)["uid"]})
        except ApiError as e:
            if e.reason not in ("NotFound", "Conflict"):      # Conflict: a replacement with our name
                raise

    async def remove_owner_refs(self, rt: ResourceType, obj: Obj, uids: set[str]) -> None:
        await self.compare_and_swap(rt, obj, lambda fresh: {"ownerReferences": [
            ref for ref in owner_refs(fresh) if ref.get("uid") not in uids]})

    async def remove_finalizer(self, rt: ResourceType, obj: Obj, finalizer: str) -> None:
        await self.compare_and_swap(rt, obj, lambda fresh: {"finalizers": [
            f for f in finalizers(fresh) if f != finalizer]})

    async def compare_and_swap(self, rt: ResourceType, obj: Obj, change: Any) -> None:
        """Read the object, compute a metadata change from it, write it guarded by the read's
        resourceVersion; retry on Conflict; nothing to do when it is gone or was replaced."""
        client = self.client(rt, obj)
        for _ in range(MAX_CAS_ATTEMPTS):
            try:
                fresh = await client.get(meta(obj)["name"])
                if meta(fresh).get("uid") != meta(obj).get("uid"):
                    return
                new_meta = change(fresh)
                if all((meta(fresh).get(k) or []) == v for k, v in new_meta.items()):
                    return
                await client.patch(meta(obj)["name"], {"metadata": {
                    "resourceVersion": meta(fresh)["resourceVersion"], **new_meta}})
                return
            except ApiError as e:
                if e.reason == "NotFound":
                    return
                if e.reason != "Conflict":
                    raise
        raise ApiError(409, "Conflict", f"{rt.kind} {key_of(obj)} kept changing under the garbage collector")
