"""The NamespaceLifecycle admission plugin: k8s.io/apiserver's
pkg/admission/plugin/namespace/lifecycle, the first plugin of the chain.

An object can be created only in a namespace that exists and is not being
deleted:

- the namespace does not exist: 404 NotFound `namespaces "x" not found`;
- it is Terminating (deleted, waiting for its content to go): 403
  `pods "p" is forbidden: unable to create new content in namespace x because
  it is being terminated` (details.causes: NamespaceTerminating on
  metadata.namespace), so the namespace controller can empty it for good.

Creates of subresources count too, as in Kubernetes: a pods/eviction in a
Terminating namespace is refused the same way (kubectl drain expects it).

Kubernetes reads namespaces from an informer and asks storage on a miss; we
read the watch cache's mirror of them, after waiting until it has seen this
server's own namespace writes (so a namespace this server has just marked
Terminating is seen as such), and ask etcd on a miss.

Kubernetes' plugin also refuses to delete the immortal namespaces (default,
kube-system, kube-public); here deletion does not pass the admission chain
yet, so the namespace strategy refuses it (strategies/namespaces.py).
"""
from __future__ import annotations

from minikube_py.api import errors
from minikube_py.api.resources import by_kind

from ..storage import Store
from ..watchcache import WatchCache
from .interfaces import CREATE, Attributes, MutatingPlugin, forbidden

NAMESPACES = by_kind("v1", "Namespace")


class NamespaceLifecycle(MutatingPlugin):
    name = "NamespaceLifecycle"
    operations = frozenset({CREATE})     # an object that exists already lives in an existing namespace

    def __init__(self, store: Store, cache: WatchCache) -> None:
        self.store = store
        self.cache = cache

    async def admit(self, attributes: Attributes) -> None:
        namespace = attributes.namespace
        if not namespace or attributes.resource == "namespaces":
            return                        # cluster-scoped: no namespace to be open
        assert NAMESPACES is not None
        fresh = await self.cache.wait_until(self.store.last_write.get("namespaces", 0), timeout=1.0)
        cached = self.cache.namespaces.get(namespace) if fresh else None
        ns = cached or await self.store.get(NAMESPACES, None, namespace)      # NotFound when it is not there
        if ns.get("status", {}).get("phase") == "Terminating" or ns["metadata"].get("deletionTimestamp"):
            error = forbidden(attributes, f"unable to create new content in namespace {namespace} "
                                          "because it is being terminated")
            assert error.details is not None
            error.details["causes"] = [errors.cause("metadata.namespace", f"namespace {namespace} is being "
                                                    "terminated", "NamespaceTerminating")]
            raise error
