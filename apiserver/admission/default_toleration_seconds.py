"""The DefaultTolerationSeconds admission plugin: Kubernetes'
plugin/pkg/admission/defaulttolerationseconds.

On pod create, a pod that does not already tolerate the NoExecute taints
`node.kubernetes.io/not-ready` and `node.kubernetes.io/unreachable` gets a
toleration for each, limited to a number of seconds (300 by default, set with
the API server's `--default-not-ready-toleration-seconds` and
`--default-unreachable-toleration-seconds`). So when its node dies, the taint
eviction controller removes the pod that many seconds after the node lifecycle
controller tainted the node, and its controller recreates it elsewhere.

Only creates are admitted: tolerations of an existing pod may not be removed,
so an update never needs them again (Kubernetes' plugin also handles updates,
which re-adds them to a PUT that leaves them out; here such a PUT is refused
by validation instead).

It is on by default; `--disable-admission-plugins=DefaultTolerationSeconds`
turns it off, and pods then get no default tolerations.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from minikube_py.api.taints import NOT_READY as NOT_READY_TAINT
from minikube_py.api.taints import UNREACHABLE as UNREACHABLE_TAINT

from .interfaces import CREATE, Attributes, MutatingPlugin

DEFAULT_SECONDS = 300


@dataclass(frozen=True)
class DefaultTolerationSeconds(MutatingPlugin):
    name: ClassVar[str] = "DefaultTolerationSeconds"
    operations: ClassVar[frozenset[str]] = frozenset({CREATE})
    not_ready_seconds: int = DEFAULT_SECONDS
    unreachable_seconds: int = DEFAULT_SECONDS

    async def admit(self, attributes: Attributes) -> None:
        if attributes.resource == "pods" and not attributes.subresource and attributes.object is not None:
            self.admit_pod(attributes.object)

    def admit_pod(self, pod: dict[str, Any]) -> None:
        spec = pod.get("spec")
        if not isinstance(spec, dict):
            return                          # validation reports it
        tolerations = spec.get("tolerations")
        if tolerations is None:
            tolerations = []
        if not isinstance(tolerations, list):
            return
        for taint, seconds in ((NOT_READY_TAINT, self.not_ready_seconds),
                               (UNREACHABLE_TAINT, self.unreachable_seconds)):
            if not any(_tolerates_no_execute(t, taint) for t in tolerations):
                tolerations.append({"key": taint, "operator": "Exists", "effect": "NoExecute",
                                    "tolerationSeconds": seconds})
        if tolerations:
            spec["tolerations"] = tolerations


def _tolerates_no_execute(toleration: Any, taint: str) -> bool:
    """Does this toleration already cover the NoExecute taint (empty key or effect: any)?"""
    return (isinstance(toleration, dict) and toleration.get("key") in (None, "", taint)
            and toleration.get("effect") in (None, "", "NoExecute"))
