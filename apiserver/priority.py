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

Kubernetes' plugin reads PriorityClasses from an informer; we read the watch
cache's mirror of them, after waiting until it has seen this server's own
PriorityClass writes, and look a missing named class up in etcd before refusing.
"""
from __future__ import annotations

from typing import Any

from minikube_py.api import errors
from minikube_py.api.resources import by_kind

from .storage import Object, Store
from .watchcache import WatchCache

PRIORITY_CLASSES = by_kind("scheduling.k8s.io/v1", "PriorityClass")
DEFAULT_PRIORITY = 0                                   # when no class applies
DEFAULT_PREEMPTION_POLICY = "PreemptLowerPriority"


def _forbidden(pod: Object, message: str, field: str) -> errors.ApiError:
    error = errors.forbidden("pods", str((pod.get("metadata") or {}).get("name", "")), message)
    assert error.details is not None
    error.details["causes"] = [errors.cause(field, message, "FieldValueForbidden")]
    return error


class PriorityAdmission:
    def __init__(self, store: Store, cache: WatchCache) -> None:
        self.store = store
        self.cache = cache

    async def admit(self, plural: str, obj: Object, old: Object | None = None) -> None:
        """Run before defaulting and validation of a create (old=None) or an update."""
        if plural == "pods" and isinstance(obj.get("spec"), dict):
            if old is None:
                await self._admit_pod(obj, obj["spec"])
            elif obj["spec"].get("priority") is None:        # an update keeps what the create computed
                obj["spec"]["priority"] = (old.get("spec") or {}).get("priority")
        elif plural == "priorityclasses" and obj.get("globalDefault") is True:
            await self._admit_default_class(obj)

    async def _classes(self) -> dict[str, Object]:
        await self.cache.wait_until(self.store.last_write.get("priorityclasses", 0), timeout=1.0)
        return self.cache.priority_classes

    async def _admit_pod(self, pod: Object, spec: dict[str, Any]) -> None:
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
                raise _forbidden(pod, f"no PriorityClass with name {name} was found", "spec.priorityClassName")
        priority = pc.get("value", DEFAULT_PRIORITY) if pc is not None else DEFAULT_PRIORITY
        if spec.get("priority") is not None and spec["priority"] != priority:
            raise _forbidden(pod, f"the integer value of priority ({spec['priority']}) must not be provided in pod "
                                  f"spec; priority admission controller computed {priority} from the given "
                                  "PriorityClass name", "spec.priority")
        spec["priority"] = priority
        if pc is None:
            return
        policy = pc.get("preemptionPolicy") or DEFAULT_PREEMPTION_POLICY
        if spec.get("preemptionPolicy") is not None and spec["preemptionPolicy"] != policy:
            raise _forbidden(pod, f"the string value of PreemptionPolicy ({spec['preemptionPolicy']}) must not be "
                                  f"provided in pod spec; priority admission controller computed {policy} from the "
                                  "given PriorityClass name", "spec.preemptionPolicy")
        spec["preemptionPolicy"] = policy

    async def _from_etcd(self, name: str) -> Object | None:
        assert PRIORITY_CLASSES is not None
        try:
            return await self.store.get(PRIORITY_CLASSES, None, name)
        except errors.ApiError as e:
            if e.reason == "NotFound":
                return None
            raise

    async def _admit_default_class(self, pc: Object) -> None:
        name = (pc.get("metadata") or {}).get("name")
        for other_name, other in (await self._classes()).items():
            if other_name != name and other.get("globalDefault") is True:
                raise errors.forbidden("priorityclasses", str(name), f"PriorityClass {other_name} is already "
                                       "marked as default. Only one default can exist", "scheduling.k8s.io")
