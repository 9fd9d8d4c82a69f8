"""The Job controller's counting rules (controllers/job.py)."""
from __future__ import annotations

from controllers.job import counts, failure_reason, is_complete, wanted_active


def job(**spec) -> dict:
    return {"metadata": {}, "spec": {"parallelism": 2, "completions": 5, "backoffLimit": 1,
                                     "template": {"spec": {"restartPolicy": "Never"}}, **spec}, "status": {}}


def pod(phase: str, restarts: int = 0) -> dict:
    return {"metadata": {}, "status": {"phase": phase, "containerStatuses": [{"restartCount": restarts}]}}


def reason(failure: tuple[str, str] | None) -> str | None:
    """The reason of a failure_reason() result (None: the job has not failed)."""
    return None if failure is None else failure[0]


def test_active_is_bounded_by_parallelism_and_remaining_completions():
    assert wanted_active(job(), {"succeeded": 0}) == 2
    assert wanted_active(job(), {"succeeded": 4}) == 1
    assert wanted_active(job(suspend=True), {"succeeded": 0}) == 0
    assert wanted_active(job(completions=None), {"succeeded": 1}) == 0         # work-queue mode


def test_failures_beyond_the_backoff_limit_fail_the_job():
    pods = [pod("Failed"), pod("Running")]
    assert failure_reason(job(), pods, counts(job(), pods), 0) is None
    pods.append(pod("Failed"))
    assert reason(failure_reason(job(), pods, counts(job(), pods), 0)) == "BackoffLimitExceeded"
    on_failure = job(template={"spec": {"restartPolicy": "OnFailure"}}, backoffLimit=2)
    restarting = [pod("Running", restarts=2)]
    assert reason(failure_reason(on_failure, restarting, counts(on_failure, restarting), 0)) == "BackoffLimitExceeded"


def test_deadline_and_completion():
    started = job(activeDeadlineSeconds=10)
    started["status"]["startTime"] = "2024-01-01T00:00:00Z"
    assert failure_reason(started, [], counts(started, []), 1704067200 + 5) is None
    assert reason(failure_reason(started, [], counts(started, []), 1704067200 + 10)) == "DeadlineExceeded"
    done = [pod("Succeeded")] * 5
    assert is_complete(job(), counts(job(), done))
    assert not is_complete(job(completions=None), counts(job(), [pod("Succeeded"), pod("Running")]))
