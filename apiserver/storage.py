"""Object storage on etcd, as the Kubernetes apiserver's etcd3 store does it.

Every object is one etcd key, `<prefix>/<plural>/<namespace>/<name>` (or
`<prefix>/<plural>/<name>` for cluster-scoped types), holding the object as
JSON. Optimistic concurrency comes from etcd itself:

- `metadata.resourceVersion` is the key's etcd `mod_revision`; it is not
  stored in the value but filled in on every read.
- create is a transaction "if create_revision(key) == 0 then put";
- update and delete are "if mod_revision(key) == <the revision we read>";
  a stale revision fails the transaction and becomes 409 Conflict.

Extra compares and writes can ride in the same transaction (the Service IP
and port allocator uses this to claim an address atomically with the Service).

Every write takes `dry_run` (Kubernetes' DryRunnableStorage): the same
preconditions are checked with reads - the name is free, the revision is
current, the extra keys are unclaimed - and the object is returned as it
would have been stored, but nothing is sent to etcd. A dry-run create keeps
an empty resourceVersion; a dry-run update keeps the one it was based on.

etcd refuses a request above its `--max-request-bytes` (1.5 MiB by default).
We check the encoded object against that bound before the transaction and
answer what Kubernetes answers when etcd refuses: 413 "etcdserver: request is
too large" — the client's object is too big, etcd is not unavailable.
"""
from __future__ import annotations

import base64
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aetcd
import orjson
from aetcd import rpc

from minikube_py.api import errors
from minikube_py.api.meta import Obj as Object  # the apiserver modules' name for an API object
from minikube_py.api.resources import ResourceType

from .limits import DEFAULT

log = logging.getLogger("apiserver.storage")

ETCD_CALL_TIMEOUT = 5.0   # seconds; past it the client gets 503 ServiceUnavailable


@dataclass
class TxnExtras:
    """More conditions and writes for the same etcd transaction as the object's."""
    absent_keys: list[bytes] = field(default_factory=list)   # must not exist yet
    puts: list[tuple[bytes, bytes]] = field(default_factory=list)
    deletes: list[bytes] = field(default_factory=list)


class ExtrasConflict(Exception):
    """The object's own precondition held, but one of the extra keys was taken."""


def too_large() -> errors.ApiError:
    return errors.ApiError(413, "RequestEntityTooLarge", "etcdserver: request is too large")


# The gRPC channel to etcd: like kube-apiserver, accept responses of any size (a list of
# many objects can pass gRPC's 4 MiB default); etcd bounds each request itself.
ETCD_CHANNEL_OPTIONS = {"grpc.max_receive_message_length": 2**31 - 1, "grpc.max_send_message_length": 2**31 - 1}


class EtcdUnavailable(errors.ApiError):
    def __init__(self, detail: str) -> None:
        super().__init__(503, "ServiceUnavailable", f"etcd is unavailable: {detail}")


def _prefix_end(prefix: bytes) -> bytes:
    """The etcd range end that covers every key starting with `prefix`."""
    return prefix[:-1] + bytes([prefix[-1] + 1])


def _with_rv(value: bytes, revision: int) -> Object:
    obj = orjson.loads(value)
    obj.setdefault("metadata", {})["resourceVersion"] = str(revision)
    return obj


def encode(obj: Object, max_bytes: int = DEFAULT.max_object_bytes) -> bytes:
    """Serialize for etcd; the resourceVersion lives in etcd's own revision. 413 above `max_bytes`."""
    meta = obj.get("metadata", {})
    rv = meta.pop("resourceVersion", None)
    try:
        value = orjson.dumps(obj)
    finally:
        if rv is not None:
            meta["resourceVersion"] = rv
    if len(value) > max_bytes:
        raise too_large()
    return value


class Store:
    """Typed access to the objects of every resource type in one etcd."""

    def __init__(self, client: aetcd.Client, prefix: str = "/registry",
                 max_value_bytes: int = DEFAULT.max_object_bytes) -> None:
        self.client = client
        self.prefix = prefix.rstrip("/")
        self.max_value_bytes = max_value_bytes
        # plural -> etcd revision of this server's latest write of that type; lets
        # readers of the watch cache wait until it has seen our own writes.
        self.last_write: dict[str, int] = {}

    # -- keys -------------------------------------------------------------
    def key(self, rt: ResourceType, namespace: str | None, name: str) -> bytes:
        if rt.namespaced:
            return f"{self.prefix}/{rt.plural}/{namespace}/{name}".encode()
        return f"{self.prefix}/{rt.plural}/{name}".encode()

    def collection_prefix(self, rt: ResourceType, namespace: str | None = None) -> bytes:
        if rt.namespaced and namespace:
            return f"{self.prefix}/{rt.plural}/{namespace}/".encode()
        return f"{self.prefix}/{rt.plural}/".encode()

    # -- raw etcd calls (aetcd's helpers hide revision/limit; the stubs do not) ----
    async def _call(self, method: str, request: Any) -> Any:
        """Call a KV method ("Range", "Txn") of etcd's gRPC API, mapping errors to Status errors."""
        try:
            await self.client.connect()
            # wait_for_ready: while etcd restarts, queue the call until the channel reconnects
            # (bounded by the deadline) instead of failing at once on a channel in back-off.
            return await getattr(self.client.kvstub, method)(request, metadata=self.client.metadata,
                                                             timeout=ETCD_CALL_TIMEOUT, wait_for_ready=True)
        except rpc.AioRpcError as e:
            if "future revision" in (e.details() or ""):     # a made-up continue token
                raise errors.bad_request(f"the requested resource version is newer than etcd's: {e.details()}") \
                    from e
            if e.code() == rpc.StatusCode.OUT_OF_RANGE:   # "required revision has been compacted"
                raise errors.gone(f"The provided resource version is too old: {e.details()}") from e
            if "request is too large" in (e.details() or ""):   # etcd's own limit, set lower than ours
                raise too_large() from e
            raise EtcdUnavailable(e.details() or str(e.code())) from e
        except aetcd.exceptions.ClientError as e:
            raise EtcdUnavailable(str(e)) from e

    async def _range(self, key: bytes, range_end: bytes = b"", limit: int = 0, revision: int = 0) -> Any:
        request = rpc.RangeRequest(key=key, range_end=range_end, limit=limit, revision=revision)
        return await self._call("Range", request)

    async def _txn(self, compares: list[Any], success: list[Any]) -> Any:
        request = rpc.TxnRequest(compare=compares, success=success)
        return await self._call("Txn", request)

    @staticmethod
    def _compare(key: bytes, target: str, value: int) -> Any:
        compare = rpc.Compare(key=key, result=rpc.Compare.EQUAL, target=getattr(rpc.Compare, target))
        setattr(compare, {"CREATE": "create_revision", "MOD": "mod_revision"}[target], value)
        return compare

    @staticmethod
    def _put(key: bytes, value: bytes, lease: int = 0) -> Any:
        return rpc.RequestOp(request_put=rpc.PutRequest(key=key, value=value, lease=lease))

    @staticmethod
    def _delete(key: bytes) -> Any:
        return rpc.RequestOp(request_delete_range=rpc.DeleteRangeRequest(key=key))

    def _extras_ops(self, extras: TxnExtras | None) -> tuple[list[Any], list[Any]]:
        if extras is None:
            return [], []
        compares = [self._compare(k, "CREATE", 0) for k in extras.absent_keys]
        ops = [self._put(k, v) for k, v in extras.puts] + [self._delete(k) for k in extras.deletes]
        return compares, ops

    # -- reads ------------------------------------------------------------
    async def current_revision(self) -> int:
        response = await self._range(f"{self.prefix}/".encode(), limit=1)
        return response.header.revision

    async def get_raw(self, key: bytes) -> tuple[Object | None, int]:
        """(object or None, etcd header revision)."""
        response = await self._range(key)
        if not response.kvs:
            return None, response.header.revision
        kv = response.kvs[0]
        return _with_rv(kv.value, kv.mod_revision), response.header.revision

    async def exists(self, key: bytes) -> bool:
        return bool((await self._range(key)).kvs)

    async def get(self, rt: ResourceType, namespace: str | None, name: str) -> Object:
        obj, _ = await self.get_raw(self.key(rt, namespace, name))
        if obj is None:
            raise errors.not_found(rt.plural, name, rt.group)
        return obj

    async def list(self, rt: ResourceType, namespace: str | None, *, limit: int = 0,
                   start_key: bytes | None = None, revision: int = 0) -> tuple[list[Object], int, bytes | None]:
        """One page of a collection: (items, list revision, next start key or None).

        Later pages are read at the first page's revision, so a paged list is
        one consistent snapshot, exactly like Kubernetes' `continue` tokens.
        """
        prefix = self.collection_prefix(rt, namespace)
        if start_key is not None and not start_key.startswith(prefix):
            raise errors.bad_request("continue token does not belong to this collection")
        response = await self._range(start_key or prefix, _prefix_end(prefix),
                                     limit=limit + 1 if limit else 0, revision=revision)
        kvs = list(response.kvs)
        next_key = None
        if limit and len(kvs) > limit:
            next_key = kvs[limit].key
            kvs = kvs[:limit]
        revision = revision or response.header.revision
        return [_with_rv(kv.value, kv.mod_revision) for kv in kvs], revision, next_key

    # -- writes -----------------------------------------------------------
    async def create(self, rt: ResourceType, obj: Object, extras: TxnExtras | None = None,
                     lease: int = 0, dry_run: bool = False) -> Object:
        meta = obj["metadata"]
        key = self.key(rt, meta.get("namespace"), meta["name"])
        if dry_run:
            if await self.exists(key):
                raise errors.already_exists(rt.plural, meta["name"], rt.group)
            await self._check_extras_free(extras)
            return obj
        extra_compares, extra_ops = self._extras_ops(extras)
        response = await self._txn([self._compare(key, "CREATE", 0), *extra_compares],
                                   [self._put(key, encode(obj, self.max_value_bytes), lease), *extra_ops])
        if not response.succeeded:
            # Without extra keys only our own compare can have failed: the name was taken at
            # that moment, even if a concurrent delete has freed it since.
            if not extra_compares or (await self.get_raw(key))[0] is not None:
                raise errors.already_exists(rt.plural, meta["name"], rt.group)
            raise ExtrasConflict()
        return self._written(rt, obj, response.header.revision)

    async def _check_extras_free(self, extras: TxnExtras | None) -> None:
        """The dry-run form of the extra "must not exist yet" compares."""
        for key in extras.absent_keys if extras else []:
            if await self.exists(key):
                raise ExtrasConflict()

    async def _check_current(self, rt: ResourceType, key: bytes, name: str, expected_rv: int) -> None:
        """The dry-run form of the "mod_revision == expected" compare."""
        current, _ = await self.get_raw(key)
        if current is None:
            raise errors.not_found(rt.plural, name, rt.group)
        if int(current["metadata"]["resourceVersion"]) != expected_rv:
            raise errors.stale_conflict(rt.plural, name, rt.group)

    def _written(self, rt: ResourceType, obj: Object, revision: int) -> Object:
        obj["metadata"]["resourceVersion"] = str(revision)
        self.last_write[rt.plural] = max(self.last_write.get(rt.plural, 0), revision)
        return obj

    async def update(self, rt: ResourceType, obj: Object, expected_rv: int,
                     extras: TxnExtras | None = None, lease: int = 0, dry_run: bool = False) -> Object:
        """Write `obj` if the stored object is still at `expected_rv`, else 409 Conflict."""
        meta = obj["metadata"]
        key = self.key(rt, meta.get("namespace"), meta["name"])
        if dry_run:
            await self._check_current(rt, key, meta["name"], expected_rv)
            await self._check_extras_free(extras)
            meta["resourceVersion"] = str(expected_rv)
            return obj
        extra_compares, extra_ops = self._extras_ops(extras)
        response = await self._txn([self._compare(key, "MOD", expected_rv), *extra_compares],
                                   [self._put(key, encode(obj, self.max_value_bytes), lease), *extra_ops])
        if not response.succeeded:
            current, _ = await self.get_raw(key)
            if current is None:
                raise errors.not_found(rt.plural, meta["name"], rt.group)
            if int(current["metadata"]["resourceVersion"]) != expected_rv:
                raise errors.stale_conflict(rt.plural, meta["name"], rt.group)
            raise ExtrasConflict()
        return self._written(rt, obj, response.header.revision)

    async def delete(self, rt: ResourceType, obj: Object, extras: TxnExtras | None = None,
                     dry_run: bool = False) -> Object:
        """Remove `obj` if unchanged since it was read; returns it at the deletion revision."""
        meta = obj["metadata"]
        key = self.key(rt, meta.get("namespace"), meta["name"])
        expected = int(meta["resourceVersion"])
        if dry_run:
            await self._check_current(rt, key, meta["name"], expected)
            return obj
        extra_compares, extra_ops = self._extras_ops(extras)
        response = await self._txn([self._compare(key, "MOD", expected), *extra_compares],
                                   [self._delete(key), *extra_ops])
        if not response.succeeded:
            current, _ = await self.get_raw(key)
            if current is None:
                raise errors.not_found(rt.plural, meta["name"], rt.group)
            raise errors.stale_conflict(rt.plural, meta["name"], rt.group)
        return self._written(rt, obj, response.header.revision)

    async def guaranteed_update(self, rt: ResourceType, namespace: str | None, name: str,
                                mutate: Callable[[Object], Awaitable[Object | None]],
                                retries: int = 20, cached: Object | None = None) -> Object:
        """Read-modify-write with retry on conflict (GuaranteedUpdate in Kubernetes).

        `mutate` receives the current object and returns the new one, or None
        to leave it unchanged. It may raise ApiError to abort.
        `cached` (e.g. from the watch cache) saves the first read from etcd; as
        in Kubernetes, a stale one costs a failed compare and one fresh read, and
        a decision taken on it (an error, or "unchanged") is checked on a fresh read.
        """
        current, confirmed = cached, cached is None
        for _ in range(retries):
            if current is None:
                current, confirmed = await self.get(rt, namespace, name), True
            rv = int(current["metadata"]["resourceVersion"])
            try:
                updated = await mutate(orjson.loads(orjson.dumps(current)))
            except errors.ApiError:
                if confirmed:
                    raise
                current = None
                continue
            if updated is None:
                if confirmed:
                    return current
                current = None
                continue
            try:
                return await self.update(rt, updated, rv)
            except errors.ApiError as e:
                if e.reason != "Conflict":
                    raise
                log.debug("conflict updating %s/%s, retrying", rt.plural, name)
                current = None
        raise errors.stale_conflict(rt.plural, name, rt.group)


def encode_continue(revision: int, start_key: bytes) -> str:
    """The opaque `continue` token: the snapshot revision and where the next page starts."""
    return base64.urlsafe_b64encode(orjson.dumps({"rv": revision, "start": start_key.decode()})).decode()


def decode_continue(token: str) -> tuple[int, bytes]:
    """(revision, start key) of a token made by encode_continue; anything else is 400, as Kubernetes'
    "invalid continue token: continue key is not valid: ..."."""
    def invalid(why: str) -> errors.ApiError:
        return errors.bad_request(f"invalid continue token: continue key is not valid: {why}")
    if len(token) > 4096:
        raise invalid("too long")
    try:
        data = orjson.loads(base64.urlsafe_b64decode(token.encode()))
    except (ValueError, orjson.JSONDecodeError) as e:
        raise invalid(f"not base64-encoded JSON: {str(e)[:80]}") from None
    rv, start = (data.get("rv"), data.get("start")) if isinstance(data, dict) else (None, None)
    if not isinstance(rv, int) or isinstance(rv, bool) or not 0 < rv < 2**63:
        raise invalid("incorrect encoded start resourceVersion")
    if not isinstance(start, str) or not start:
        raise invalid("encoded start key is missing or not a string")
    try:
        return rv, start.encode()
    except UnicodeEncodeError:
        raise invalid("encoded start key is not valid UTF-8") from None
