"""Pod ranking for deletion (controllers/util/pods.py) and expectations."""
from __future__ import annotations

from controllers.util import pods as p
from controllers.util.expectations import Expectations


def pod(name, node="", phase="Running", ready=False, created="2024-01-01T00:00:00Z",
        ready_at="2024-01-01T00:00:10Z", restarts=0):
    conditions = [{"type": "Ready", "status": "True" if ready else "False", "lastTransitionTime": ready_at}]
    return {"metadata": {"name": name, "creationTimestamp": created},
            "spec": {"nodeName": node} if node else {},
            "status": {"phase": phase, "conditions": conditions,
                       "containerStatuses": [{"restartCount": restarts}]}}


def names(pods):
    return [x["metadata"]["name"] for x in pods]


def test_deletion_prefers_unscheduled_then_pending_then_not_ready():
    pods = [pod("ready", "n1", ready=True), pod("unscheduled", phase="Pending"),
            pod("pending", "n1", phase="Pending"), pod("unknown", "n1", phase="Unknown"),
            pod("not-ready", "n1")]
    assert names(p.pods_to_delete(pods, 5)) == ["unscheduled", "pending", "unknown", "not-ready", "ready"]


def test_deletion_prefers_doubled_up_then_recently_ready_then_restarts_then_newest():
    doubled = [pod("n1-a", "n1", ready=True), pod("n1-b", "n1", ready=True)]
    alone = pod("n2", "n2", ready=True)
    assert names(p.pods_to_delete([alone, *doubled], 1))[0].startswith("n1-")
    late = pod("late", "n3", ready=True, ready_at="2024-01-01T00:05:00Z")
    early = pod("early", "n4", ready=True, ready_at="2024-01-01T00:01:00Z")
    assert names(p.pods_to_delete([early, late], 1)) == ["late"]
    flaky = pod("flaky", "n3", ready=True, restarts=3)
    steady = pod("steady", "n4", ready=True)
    assert names(p.pods_to_delete([steady, flaky], 1)) == ["flaky"]
    young = pod("young", "n3", created="2024-02-01T00:00:00Z")
    old = pod("old", "n4", created="2024-01-01T00:00:00Z")
    assert names(p.pods_to_delete([old, young], 1)) == ["young"]


def test_expectations_block_until_observed_or_expired():
    expectations = Expectations(timeout=300)
    assert expectations.satisfied("ns/rs")
    expectations.expect_creations("ns/rs", 2)
    assert not expectations.satisfied("ns/rs")
    expectations.creation_observed("ns/rs")
    expectations.creation_observed("ns/rs")
    assert expectations.satisfied("ns/rs")
    expectations.expect_deletions("ns/rs", ["ns/a", "ns/b"])
    expectations.deletion_observed("ns/rs", "ns/a")
    assert expectations.outstanding("ns/rs") == (0, 1) and not expectations.satisfied("ns/rs")
    expectations.timeout = -1
    assert expectations.satisfied("ns/rs")         # expired: trust the cache again
