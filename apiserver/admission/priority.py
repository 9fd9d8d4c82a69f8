"""The Priority admission plugin: Kubernetes' plugin/pkg/admission/priority.

On pod create:
- `spec.priorityClassName` names a PriorityClass: the pod gets its `value` as
  `spec.priority` and its `preemptionPolicy`; an unknown name is refused with
  403 Forbidden, `pods "p" is forbidden: no PriorityClass with name x was found`
  (details.causes names spec.priorityClassName);
- no priorityClassName: the class marked `globalDefault` if there is one (its
  name is filled in too), otherwise priority 0;
- a pod that brings its own `spec.priority` or `spec.preemptionPolicy` different
  from what the class gives is refused (403), as in Kubernetes: the class decides.
A pod update without spec.priority keeps the stored one.
On PriorityClass create and update: at most one class may be `globalDefault` (403).

Mutating (admit) for pods, validating (validate) for PriorityClasses, as in
Kubernetes. Its plugin reads PriorityClasses from an informer; we read the watch
cache's mirror of them, after waiting until it has seen this server's own
PriorityClass writes, and look a missing named class up in etcd before refusing.
"""
from __future__ import annotations

from typing import Any

from minikube_py.api import errors
from minikube_py.api.resources import by_kind

from ..storage import Object, Store
from ..watchcache import WatchCache
from .interfaces import CREATE, Attributes, MutatingPlugin, ValidatingPlugin, forbidden

PRIORITY_CLASSES = by_kind("scheduling.k8s.io/v1", "PriorityClass")
DEFAULT_PRIORITY = 0                                   # when no class applies
DEFAULT_PREEMPTION_POLICY = "PreemptLowerPriority"


class Priority(MutatingPlugin, ValidatingPlugin):
    name = "Priority"

    def __init__(self, store: Store, cache: WatchCache) -> None:
        self.store = store
        self.cache = cache

    async def admit(self, attributes: Attributes) -> None:
        """Pods: compute spec.priority on create; an update keeps what the create computed."""
        pod = attributes.object
        if attributes.resource != "pods" or attributes.subresource or pod is None \
                or not isinstance(pod.get("spec"), dict):
            return
        if attributes.operation == CREATE:
            await self._admit_pod(attributes, pod["spec"])
        elif pod["spec"].get("priority") is None:
            pod["spec"]["priority"] = ((attributes.old_object or {}).get("spec") or {}).get("priority")

    async def validate(self, attributes: Attributes) -> None:
        """PriorityClasses: at most one may be the global default."""
        pc = attributes.object
        if attributes.resource == "priorityclasses" and not attributes.subresource and pc is not None \
                and pc.get("globalDefault") is True:
            await self._validate_default_class(attributes, pc)

    async def _classes(self) -> dict[str, Object]:
        await self.cache.wait_until(self.store.last_write.get("priorityclasses", 0), timeout=1.0)
        return self.cache.priority_classes

    async def _admit_pod(self, attributes: Attributes, spec: dict[str, Any]) -> None:
        name = spec.get("priorityClassName")
        if not name:
            default = next((pc for pc in (await self._classes()).values() if pc.get("globalDefault") is True), None)
            pc: Object | None = default
            if default is not None:
                spec["priorityClassName"] = default["metadata"]["name"]
        elif not isinstance(name, str):
            return                                     # validation reports the type
        else:
            pc = (await self._classes()).get(name) or await self._from_etcd(name)
            if pc is None:
                raise forbidden(attributes, f"no PriorityClass with name {name} was found",
                                field="spec.priorityClassName")
        priority = pc.get("value", DEFAULT_PRIORITY) if pc is not None else DEFAULT_PRIORITY
        if spec.get("priority") is not None and spec["priority"] != priority:
            raise forbidden(attributes, f"the integer value of priority ({spec['priority']}) must not be provided "
                                        f"in pod spec; priority admission controller computed {priority} from "
                                        "the given PriorityClass name", field="spec.priority")
        spec["priority"] = priority
        if pc is None:
            return
        policy = pc.get("preemptionPolicy") or DEFAULT_PREEMPTION_POLICY
        if spec.get("preemptionPolicy") is not None and spec["preemptionPolicy"] != policy:
            raise forbidden(attributes, f"the string value of PreemptionPolicy ({spec['preemptionPolicy']}) must "
                                        f"not be provided in pod spec; priority admission controller computed "
                                        f"{policy} from the given PriorityClass name", field="spec.preemptionPolicy")
        spec["preemptionPolicy"] = policy

    async def _from_etcd(self, name: str) -> Object | None:
        assert PRIORITY_CLASSES is not None
        try:
            return await self.store.get(PRIORITY_CLASSES, None, name)
        except errors.ApiError as e:
            if e.reason == "NotFound":
                return None
            raise

    async def _validate_default_class(self, attributes: Attributes, pc: Object) -> None:
        name = (pc.get("metadata") or {}).get("name")
        for other_name, other in (await self._classes()).items():
            if other_name != name and other.get("globalDefault") is True:
                raise forbidden(attributes, f"PriorityClass {other_name} is already marked as default. "
                                            "Only one default can exist")
