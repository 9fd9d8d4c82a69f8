"""The default strategy: what create, update and delete mean for most types."""
from __future__ import annotations

from typing import Any

from minikube_py.api.resources import ResourceType

from ..objectmeta import Object
from ..options import RegistryConfig
from ..storage import Store

# Types whose clients may post a status on create (the kubelet registers its
# Node with its status; events and leases have no status subresource at all).
_KEEP_STATUS_ON_CREATE = {"nodes"}


class Strategy:
    """Default REST behaviour; subclasses override the hooks they need."""

    # DELETE answers with the deleted object for these, with a Status otherwise.
    returns_deleted_object = False

    def __init__(self, rt: ResourceType, config: RegistryConfig) -> None:
        self.rt = rt
        self.config = config

    # -- create / update --------------------------------------------------
    def prepare_for_create(self, obj: Object) -> None:
        """Reset what a client may not set on create (the status, for most types)."""
        if self.rt.has_status and self.rt.plural not in _KEEP_STATUS_ON_CREATE:
            obj["status"] = self.initial_status(obj)

    def initial_status(self, obj: Object) -> dict[str, Any]:
        return {}

    def prepare_for_update(self, new: Object, old: Object) -> None:
        """A plain update may not change the status: that is the status subresource's job."""
        if self.rt.has_status:
            if "status" in old:
                new["status"] = old["status"]
            else:
                new.pop("status", None)

    def prepare_for_status_update(self, new: Object, old: Object) -> Object:
        """The status subresource changes the status and nothing else."""
        result = dict(old)
        result["status"] = new.get("status", {})
        result["metadata"] = dict(old["metadata"])
        return result

    # -- writes (overridden where extra keys ride in the transaction) -------
    # `dry_run`: check everything, write nothing (see Store).
    async def create(self, store: Store, obj: Object, dry_run: bool = False) -> Object:
        return await store.create(self.rt, obj, lease=await self.lease(dry_run), dry_run=dry_run)

    async def update(self, store: Store, new: Object, old: Object, dry_run: bool = False) -> Object:
        return await store.update(self.rt, new, int(old["metadata"]["resourceVersion"]),
                                  lease=await self.lease(dry_run), dry_run=dry_run)

    async def lease(self, dry_run: bool = False) -> int:
        """The etcd lease for types that expire (Events, after --event-ttl), else 0.

        Every write re-attaches the lease: an etcd put without one would make
        the key permanent again. A dry run takes none (a lease is a write).
        """
        ttl = self.config.ttl_of(self.rt.plural)
        return await self.config.leases.lease_for(ttl) if ttl and not dry_run else 0

    async def delete(self, store: Store, obj: Object, dry_run: bool = False) -> Object:
        return await store.delete(self.rt, obj, dry_run=dry_run)

    # -- deletion ---------------------------------------------------------
    def graceful_deletion_seconds(self, obj: Object, requested: int | None) -> int:
        """Seconds the object lingers with a deletionTimestamp before removal (0: at once)."""
        return 0

    def check_deletable(self, obj: Object) -> None:
        """Raise ApiError for objects that must never be deleted."""

    def pending_finalizers(self, obj: Object) -> list[str]:
        """What must still happen before the object may leave storage."""
        finalizers = obj["metadata"].get("finalizers") or []
        return [f for f in finalizers if isinstance(f, str)]

    def mark_terminating(self, obj: Object) -> None:
        """Hook for types that show deletion in their status (namespaces)."""
