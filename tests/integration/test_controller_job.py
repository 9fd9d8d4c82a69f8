"""The Job controller against a real API server (controllers/job.py); the test plays the
kubelet by writing pods' phase through pods/status."""
from __future__ import annotations

import asyncio

import pytest

from controllers.config import ControllerManagerConfiguration, JobControllerConfiguration
from minikube_py.api.errors import ApiError
from minikube_py.testing import eventually
from tests.controller_harness import controllers_running


@pytest.fixture
async def jobs_running(apiserver):
    async with controllers_running(apiserver.url, ["job", "garbagecollector"], ControllerManagerConfiguration(
            job=JobControllerConfiguration(pod_failure_backoff=0.1))) as run:
        yield run


def job(name: str, **spec) -> dict:
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name},
            "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [
                {"name": "work", "image": "minikube-py/busybox:latest"}]}}, **spec}}


async def job_pods(api, ns: str, name: str) -> list[dict]:
    items, _ = await api.resource("pods", ns).list_all(label_selector=f"job-name={name}")
    return items


async def finish_new_pods(api, ns: str, name: str, phase: str, done: set[str]) -> list[dict]:
    """Be the kubelet: every pod of the job not yet finished ends in `phase`; returns the pods."""
    pods = await job_pods(api, ns, name)
    for pod in pods:
        if pod["metadata"]["name"] not in done and not pod["metadata"].get("deletionTimestamp"):
            await api.resource("pods", ns).patch_status(pod["metadata"]["name"], {"status": {"phase": phase}})
            done.add(pod["metadata"]["name"])
    return pods


def condition(job_obj: dict, kind: str) -> dict | None:
    return next((c for c in (job_obj.get("status") or {}).get("conditions") or []
                 if c["type"] == kind and c["status"] == "True"), None)


async def reasons(api, ns: str) -> set[str]:
    events, _ = await api.resource("events", ns).list_all()
    return {e["reason"] for e in events}


async def test_failed_pods_are_retried_until_the_backoff_limit(api, jobs_running, ns):
    jobs = api.resource("jobs", ns)
    await jobs.create(job("flaky", backoffLimit=2))
    failed: set[str] = set()

    async def failed_for_good():
        await finish_new_pods(api, ns, "flaky", "Failed", failed)
        current = await jobs.get("flaky")
        return current if condition(current, "Failed") else None
    current = await eventually(failed_for_good, "the job to fail after its retries")
    assert (condition(current, "Failed") or {}).get("reason") == "BackoffLimitExceeded"
    assert current["status"]["failed"] == 3 and current["status"]["active"] == 0
    await asyncio.sleep(0.5)                        # a chance to create a 4th pod, had it wanted to
    pods = await job_pods(api, ns, "flaky")
    assert len(pods) == 3 and all(p["status"]["phase"] == "Failed" for p in pods)
    for pod in pods:
        labels = pod["metadata"]["labels"]
        assert labels["controller-uid"] == current["metadata"]["uid"] and labels["job-name"] == "flaky"
        assert pod["metadata"]["ownerReferences"][0]["kind"] == "Job"
    assert {"SuccessfulCreate", "BackoffLimitExceeded"} <= await reasons(api, ns)


async def test_completions_with_parallelism_then_ttl_cleanup(api, jobs_running, ns):
    jobs = api.resource("jobs", ns)
    await jobs.create(job("batch", completions=3, parallelism=2, ttlSecondsAfterFinished=1))
    succeeded: set[str] = set()
    most_active = 0

    async def complete():
        nonlocal most_active
        pods = await job_pods(api, ns, "batch")
        most_active = max(most_active, sum(1 for p in pods if p.get("status", {}).get("phase") == "Pending"))
        await finish_new_pods(api, ns, "batch", "Succeeded", succeeded)
        current = await jobs.get("batch")
        return current if condition(current, "Complete") else None
    current = await eventually(complete, "the job to complete")
    assert most_active <= 2
    assert current["status"]["succeeded"] == 3 and current["status"]["active"] == 0
    assert current["status"]["startTime"] and current["status"]["completionTime"]
    assert "Completed" in await reasons(api, ns)

    async def cleaned_up():
        try:
            await jobs.get("batch")
            return False
        except ApiError as e:
            return e.reason == "NotFound" and not await job_pods(api, ns, "batch")
    await eventually(cleaned_up, "the finished job and its pods deleted after ttlSecondsAfterFinished")


async def test_active_deadline_fails_the_job_and_stops_its_pods(api, jobs_running, ns):
    jobs = api.resource("jobs", ns)
    await jobs.create(job("slow", parallelism=2, completions=4, activeDeadlineSeconds=1))
    await eventually(lambda: _count(api, ns, "slow", 2), "two pods running")

    async def deadline_exceeded():
        current = await jobs.get("slow")
        return current if condition(current, "Failed") else None
    current = await eventually(deadline_exceeded, "the job to fail on its deadline")
    assert (condition(current, "Failed") or {}).get("reason") == "DeadlineExceeded"
    await eventually(lambda: _count(api, ns, "slow", 0), "its pods deleted")
    assert "DeadlineExceeded" in await reasons(api, ns)


async def _count(api, ns, name, count):
    pods = [p for p in await job_pods(api, ns, name) if not p["metadata"].get("deletionTimestamp")]
    return len(pods) == count
