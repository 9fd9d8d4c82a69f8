"""The Job controller: kube-controller-manager's pkg/controller/job (NonIndexed completion mode).

A Job runs pods from its template until `completions` of them have succeeded,
at most `parallelism` at a time. The API server has already given the template
the labels `batch.kubernetes.io/controller-uid`/`controller-uid` and
`batch.kubernetes.io/job-name`/`job-name` and the selector on the uid.

- Pods are created with generateName "<job>-", owned by the Job (controller
  ref), counted from the pods themselves: succeeded / failed = pods in phase
  Succeeded / Failed, active = the others not being deleted. (Kubernetes now
  tracks finished pods with a finalizer so counts survive pod deletion; we
  count the pods that exist, as Kubernetes did before 1.26.)
- Failures: with restartPolicy Never every failed pod counts; with OnFailure
  the container restarts of the running pods count too. More failures than
  `backoffLimit` (default 6) -> condition Failed, reason BackoffLimitExceeded.
  After a failure the next pod waits an exponential back-off (10 s, 20 s, ...
  6 min; ctx.config.job.pod_failure_backoff).
- `activeDeadlineSeconds` after startTime -> Failed, reason DeadlineExceeded.
- `completions` succeeded (or, without completions, one succeeded and none
  left running) -> condition Complete and completionTime.
- A finished Job deletes its remaining active pods; with
  `ttlSecondsAfterFinished` the Job itself is deleted (Background) that long
  after finishing, which takes its pods with it (the TTL-after-finished
  controller in Kubernetes).
- Events: SuccessfulCreate, SuccessfulDelete, Completed, BackoffLimitExceeded,
  DeadlineExceeded.
"""
from __future__ import annotations

import time
from typing import Any

from controllers.base import ControllerContext, Obj, object_key, register, split_key
from controllers.util import ownership
from controllers.util.pod_owner import PodOwnerController, pod_from_template
from controllers.util.pods import is_active, pods_to_delete
from minikube_py.api import pods as podutil
from minikube_py.api import times
from minikube_py.api.errors import ApiError
from minikube_py.api.meta import is_being_deleted
from minikube_py.api.selectors import label_selector_from_dict

MAX_BACKOFF = 360.0


def counts(job: Obj, pods: list[Obj]) -> dict[str, int]:
    phases = [(p.get("status") or {}).get("phase") for p in pods]
    active = [p for p in pods if is_active(p)]
    return {"active": len(active), "ready": sum(1 for p in active if podutil.is_ready(p)),
            "succeeded": phases.count("Succeeded"), "failed": phases.count("Failed")}


def restarts_exceed_limit(job: Obj, pods: list[Obj]) -> bool:
    """pastBackoffLimitOnFailure: with OnFailure, container restarts are the failures."""
    spec = job["spec"]
    if ((spec.get("template") or {}).get("spec") or {}).get("restartPolicy") != "OnFailure":
        return False
    restarts = sum(podutil.restart_count(p) for p in pods if is_active(p))
    limit = int(spec.get("backoffLimit", 6))
    return restarts > 0 if limit == 0 else restarts >= limit


def failure_reason(job: Obj, pods: list[Obj], count: dict[str, int], now: float) -> tuple[str, str] | None:
    spec = job["spec"]
    if count["failed"] > int(spec.get("backoffLimit", 6)) or restarts_exceed_limit(job, pods):
        return "BackoffLimitExceeded", "Job has reached the specified backoff limit"
    deadline = deadline_at(job)
    if deadline is not None and now >= deadline:
        return "DeadlineExceeded", "Job was active longer than specified deadline"
    return None


def deadline_at(job: Obj) -> float | None:
    seconds = job["spec"].get("activeDeadlineSeconds")
    started = times.parse_time((job.get("status") or {}).get("startTime"))
    return None if seconds is None or started is None else started.timestamp() + int(seconds)


def is_complete(job: Obj, count: dict[str, int]) -> bool:
    completions = job["spec"].get("completions")
    if completions is None:
        return count["succeeded"] > 0 and count["active"] == 0
    return count["succeeded"] >= int(completions)


def wanted_active(job: Obj, count: dict[str, int]) -> int:
    spec = job["spec"]
    if spec.get("suspend"):
        return 0
    parallelism = int(spec.get("parallelism", 1))
    completions = spec.get("completions")
    if completions is None:
        return 0 if count["succeeded"] > 0 else parallelism
    return max(0, min(parallelism, int(completions) - count["succeeded"]))


def finished_condition(job: Obj) -> Obj | None:
    for condition in (job.get("status") or {}).get("conditions") or []:
        if condition.get("type") in ("Complete", "Failed") and condition.get("status") == "True":
            return condition
    return None


def condition(kind: str, reason: str = "", message: str = "") -> Obj:
    stamp = times.timestamp()
    return {"type": kind, "status": "True", "reason": reason, "message": message,
            "lastProbeTime": stamp, "lastTransitionTime": stamp}


@register
class JobController(PodOwnerController):
    name = "job"
    workers_flag = "job"
    owner_kind, owner_resource = "Job", "jobs"

    def __init__(self, ctx: ControllerContext) -> None:
        self.backoff_base = ctx.config.job.pod_failure_backoff
        self.failures_seen: dict[str, tuple[int, float]] = {}    # job key -> (failed, when we saw it grow)
        super().__init__(ctx)

    def on_owner_delete(self, job: Obj) -> None:
        self.failures_seen.pop(object_key(job), None)
        super().on_owner_delete(job)

    # ---- reconcile ------------------------------------------------------------------------

    async def reconcile(self, key: str) -> None:
        namespace, name = split_key(key)
        job = self.owners.get(name, namespace)
        if job is None:
            return
        selector = label_selector_from_dict(job["spec"].get("selector"))
        candidates = self.pods.by_index("namespace", namespace or "")
        pods = await ownership.claim(job, selector, candidates, self.api.resource("pods", namespace))
        active = [p for p in pods if is_active(p)]
        if finished_condition(job) is not None:
            await self.delete_pods(key, job, active)
            await self.expire(job)
            return
        status = dict(job.get("status") or {})
        status.setdefault("startTime", times.timestamp())
        job = {**job, "status": status}
        count = counts(job, pods)
        failure = failure_reason(job, pods, count, time.time())
        if failure is not None:
            await self.delete_pods(key, job, active)
            count["active"] = 0
            status["conditions"] = [*(status.get("conditions") or []), condition("Failed", *failure)]
            await self.recorder.warning(job, failure[0], failure[1])
        elif is_complete(job, count):
            await self.delete_pods(key, job, active)
            count["active"] = 0
            status["conditions"] = [*(status.get("conditions") or []), condition("Complete")]
            status["completionTime"] = times.timestamp()
            await self.recorder.normal(job, "Completed", "Job completed")
        elif self.expectations.satisfied(key) and not is_being_deleted(job):
            await self.manage(key, job, active, count)
            self.requeue_for_deadline(job)
        await self.write_status(job, {**status, **count})

    async def manage(self, key: str, job: Obj, active: list[Obj], count: dict[str, int]) -> None:
        diff = wanted_active(job, count) - len(active)
        if diff < 0:
            victims = pods_to_delete(active, -diff)
            await self.delete_pods(key, job, victims)
            count["active"] -= len(victims)
        elif diff > 0:
            wait = self.backoff_wait(key, count["failed"])
            if wait > 0:
                self.enqueue_after(key, wait)
                return
            await self.create_pods(key, job, [pod_from_template(job) for _ in range(diff)])
            count["active"] += diff

    def backoff_wait(self, key: str, failed: int) -> float:
        """Seconds before the next pod may be created after the latest failure."""
        if failed == 0:
            return 0.0
        seen_failed, seen_at = self.failures_seen.get(key, (0, 0.0))
        if failed != seen_failed:
            seen_failed, seen_at = failed, time.monotonic()
            self.failures_seen[key] = (seen_failed, seen_at)
        delay = min(self.backoff_base * 2 ** (failed - 1), MAX_BACKOFF)
        return seen_at + delay - time.monotonic()

    def requeue_for_deadline(self, job: Obj) -> None:
        deadline = deadline_at(job)
        if deadline is not None:
            self.enqueue_after(job, max(deadline - time.time(), 0) + 0.05)

    async def expire(self, job: Obj) -> None:
        """ttlSecondsAfterFinished: delete a finished Job (and, through the GC, its pods)."""
        ttl = job["spec"].get("ttlSecondsAfterFinished")
        finished = times.parse_time((finished_condition(job) or {}).get("lastTransitionTime"))
        if ttl is None or finished is None:
            return
        remaining = finished.timestamp() + int(ttl) - time.time()
        if remaining > 0:
            self.enqueue_after(job, remaining + 0.05)
            return
        try:
            await self.api.resource("jobs", job["metadata"]["namespace"]).delete(
                job["metadata"]["name"], propagation_policy="Background",
                preconditions={"uid": job["metadata"]["uid"]})
        except ApiError as e:
            if e.reason not in ("NotFound", "Conflict"):
                raise

    async def write_status(self, job: Obj, status: dict[str, Any]) -> None:
        current = self.owners.get(job["metadata"]["name"], job["metadata"]["namespace"]) or job
        if status == current.get("status"):
            return
        try:
            await self.api.resource("jobs", job["metadata"]["namespace"]).update_status({**current, "status": status})
        except ApiError as e:
            if e.reason == "Conflict":
                self.enqueue(job)
            elif e.reason != "NotFound":
                raise
