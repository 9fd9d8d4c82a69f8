"""Pod status: kubelet's generateAPIPodStatus (kubelet_pods.go) and its status manager.

The pod worker describes what it sees (the containers in the runtime, why a
container is waiting, what the probes say); this module turns that into the
Kubernetes PodStatus: phase, conditions, containerStatuses, startTime, hostIP,
qosClass (minikube_py/api/pods.py: the API server's rule, so the two never
disagree). `StatusManager` sends it through the pods/status subresource, and
only when it changed, keeping each condition's lastTransitionTime from the
last time its status flipped.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from agent.kubelet.runtime.types import ContainerRecord
from minikube_py.api.conditions import transition_time
from minikube_py.api.errors import ApiError
from minikube_py.api.pods import qos_class
from minikube_py.api.times import timestamp

log = logging.getLogger("agent.status")


@dataclass
class Observation:
    """What the pod worker saw during one sync."""
    history: dict[str, list[ContainerRecord]]         # container name -> its containers, oldest first
    waiting: dict[str, tuple[str, str]] = field(default_factory=dict)   # name -> (reason, message)
    ready: dict[str, bool] = field(default_factory=dict)                # readiness probe results
    started: dict[str, bool] = field(default_factory=dict)              # startup probe results
    host_ip: str = ""
    pod_ip: str | None = None


def terminated_state(record: ContainerRecord) -> dict[str, Any]:
    """OOMKilled is the runtime's verdict (Docker's State.OOMKilled), as kubelet takes it from CRI.
    Docker loses that flag now and then (moby/moby#38352): the container then reads as "Error"
    with exit code 137 (SIGKILL). Guessing from 137 alone would also call our own SIGKILLs OOM."""
    reason = "OOMKilled" if record.oom_killed else ("Completed" if record.exit_code == 0 else "Error")
    state = {"exitCode": record.exit_code, "reason": reason, "startedAt": record.started_at,
             "finishedAt": record.finished_at, "containerID": f"docker://{record.id}"}
    return {"terminated": {k: v for k, v in state.items() if v is not None}}


def container_status(spec: dict[str, Any], seen: Observation) -> dict[str, Any]:
    name = spec["name"]
    history = seen.history.get(name) or []
    current = history[-1] if history else None
    previous = history[-2] if len(history) > 1 else None
    waiting = seen.waiting.get(name)
    last_state: dict[str, Any] = terminated_state(previous) if previous and previous.exited else {}
    if current is not None and current.running:
        state = {"running": {"startedAt": current.started_at}}
    elif current is not None and current.exited and waiting:
        state, last_state = {"waiting": {"reason": waiting[0], "message": waiting[1]}}, terminated_state(current)
    elif current is not None and current.exited:
        state = terminated_state(current)
    else:
        reason, message = waiting or ("ContainerCreating", "")
        state = {"waiting": {"reason": reason, **({"message": message} if message else {})}}
    running = current is not None and current.running
    started = running and seen.started.get(name, True)
    status = {"name": name, "state": state, "lastState": last_state,
              "ready": bool(started and seen.ready.get(name, True)),
              "restartCount": current.restart_count if current else 0,
              "image": spec.get("image", ""), "imageID": current.image_id if current else "",
              "started": started}
    if current is not None:
        status["containerID"] = f"docker://{current.id}"
    return status


def _terminated(status: dict[str, Any]) -> dict[str, Any] | None:
    return status["state"].get("terminated")


def init_phase(pod: dict[str, Any], init_statuses: list[dict[str, Any]]) -> str | None:
    """Pending while an init container has not succeeded; Failed if one failed for good."""
    never = (pod.get("spec") or {}).get("restartPolicy") == "Never"
    for status in init_statuses:
        done = _terminated(status)
        if done and done.get("exitCode") == 0:
            continue
        return "Failed" if (never and done) else "Pending"
    return None


def pod_phase(pod: dict[str, Any], init_statuses: list[dict], statuses: list[dict]) -> str:
    """Kubelet's getPhase: count running, waiting, stopped (terminated or restarting) containers."""
    phase = init_phase(pod, init_statuses)
    if phase:
        return phase
    running = waiting = stopped = succeeded = 0
    for status in statuses:
        state = status["state"]
        if "running" in state:
            running += 1
        elif "terminated" in state:
            stopped += 1
            succeeded += state["terminated"].get("exitCode") == 0
        elif status["lastState"].get("terminated"):
            stopped += 1
        else:
            waiting += 1
    policy = (pod.get("spec") or {}).get("restartPolicy", "Always")
    if waiting:
        return "Pending"
    if running:
        return "Running"
    if policy == "Always":
        return "Running"          # stopped, but will be restarted
    if stopped == succeeded:
        return "Succeeded"
    return "Running" if policy == "OnFailure" else "Failed"


def _condition(kind: str, ok: bool, reason: str = "", message: str = "") -> dict[str, Any]:
    condition = {"type": kind, "status": "True" if ok else "False"}
    if not ok and reason:
        condition["reason"] = reason
        if message:
            condition["message"] = message
    return condition


def conditions(phase: str, init_statuses: list[dict], statuses: list[dict]) -> list[dict[str, Any]]:
    initialized = all((_terminated(s) or {}).get("exitCode") == 0 for s in init_statuses)
    pending_init = [s["name"] for s in init_statuses if (_terminated(s) or {}).get("exitCode") != 0]
    unready = [s["name"] for s in statuses if not s["ready"]]
    reason = "PodCompleted" if phase in ("Succeeded", "Failed") else "ContainersNotReady"
    message = f"containers with unready status: [{' '.join(unready)}]"
    return [
        _condition("Initialized", initialized, "ContainersNotInitialized",
                   f"containers with incomplete status: [{' '.join(pending_init)}]"),
        _condition("Ready", not unready, reason, message),
        _condition("ContainersReady", not unready, reason, message),
        _condition("PodScheduled", True),
    ]


def pod_status(pod: dict[str, Any], seen: Observation) -> dict[str, Any]:
    spec = pod.get("spec") or {}
    init_statuses = [container_status(c, seen) for c in spec.get("initContainers") or []]
    statuses = [container_status(c, seen) for c in spec.get("containers") or []]
    phase = pod_phase(pod, init_statuses, statuses)
    status: dict[str, Any] = {
        "phase": phase, "conditions": conditions(phase, init_statuses, statuses), "hostIP": seen.host_ip,
        "startTime": ((pod.get("status") or {}).get("startTime")) or timestamp(),
        "containerStatuses": statuses, "qosClass": qos_class(spec)}
    if init_statuses:
        status["initContainerStatuses"] = init_statuses
    if seen.pod_ip:
        status["podIP"], status["podIPs"] = seen.pod_ip, [{"ip": seen.pod_ip}]
    return status


def _keep_transition_times(new: dict[str, Any], old: dict[str, Any]) -> None:
    previous = {c.get("type"): c for c in old.get("conditions") or []}
    for condition in new["conditions"]:
        condition["lastProbeTime"] = None
        condition["lastTransitionTime"] = transition_time(previous.get(condition["type"]), condition["status"])


class StatusManager:
    """Sends pod statuses through pods/status, only when they change (kubelet's status_manager.go)."""

    def __init__(self, api: Any) -> None:
        self.api = api
        self._sent: dict[str, dict[str, Any]] = {}    # pod uid -> the status last sent

    async def set_status(self, pod: dict[str, Any], status: dict[str, Any]) -> bool:
        meta = pod["metadata"]
        old = self._sent.get(meta["uid"]) or pod.get("status") or {}
        _keep_transition_times(status, old)
        if status == self._sent.get(meta["uid"]):
            return False
        try:   # the uid makes the patch fail on a new pod of the same name (kubelet's PatchPodStatus)
            await self.api.resource("pods", meta["namespace"]).patch_status(
                meta["name"], {"metadata": {"uid": meta["uid"]}, "status": status})
        except ApiError as e:
            if e.code != 404 and not _another_pod(e):
                raise
            return False
        self._sent[meta["uid"]] = status
        return True

    def forget(self, uid: str) -> None:
        self._sent.pop(uid, None)


def _another_pod(error: ApiError) -> bool:
    """The API server refused the patch's uid: the name now belongs to a new pod."""
    causes = (error.details or {}).get("causes") or []
    return error.code == 422 and any(c.get("field") == "metadata.uid" for c in causes)
