"""The pod-owner machinery ReplicaSet, DaemonSet and Job share (controllers/util/pod_owner.py):
pod events to owner keys, slow-start creates, uid-guarded deletes. The API and informers
are in-memory stand-ins; the integration tests run the real controllers."""
from __future__ import annotations

import asyncio
from typing import Any

import pytest

from controllers.base import ControllerContext
from controllers.util.pod_owner import PodOwnerController, pod_from_template
from minikube_py.api.errors import ApiError
from minikube_py.api.meta import new_controller_ref


class Informer:
    def __init__(self) -> None:
        self.objects: dict[tuple[str, str], dict] = {}

    def add_event_handler(self, *handlers: Any) -> None:
        pass

    def get(self, name: str, namespace: str | None = None) -> dict | None:
        return self.objects.get((namespace or "", name))

    def by_index(self, index: str, namespace: str) -> list[dict]:
        return [o for (ns, _), o in self.objects.items() if ns == namespace]

    def add(self, obj: dict) -> dict:
        self.objects[(obj["metadata"]["namespace"], obj["metadata"]["name"])] = obj
        return obj


class Informers:
    def __init__(self) -> None:
        self.by_resource: dict[str, Informer] = {}

    def informer(self, resource: str, **kwargs: Any) -> Informer:
        return self.by_resource.setdefault(resource, Informer())


class Pods:
    """The pods collection: records every request; names in `refuse` fail."""

    def __init__(self, refuse: dict[str, ApiError] | None = None) -> None:
        self.created: list[dict] = []
        self.deleted: list[tuple[str, dict | None]] = []
        self.refuse = refuse or {}
        self.in_flight = self.most_in_flight = self.calls = 0

    async def create(self, pod: dict) -> dict:
        name = f"{pod['metadata']['generateName']}{self.calls}"
        self.calls += 1
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        await asyncio.sleep(0)
        self.in_flight -= 1
        if name in self.refuse:
            raise self.refuse[name]
        self.created.append(pod)
        return {**pod, "metadata": {**pod["metadata"], "name": name}}

    async def delete(self, name: str, preconditions: dict | None = None) -> dict:
        self.deleted.append((name, preconditions))
        if name in self.refuse:
            raise self.refuse[name]
        return {}


class Api:
    def __init__(self, pods: Pods) -> None:
        self.pods = pods

    def resource(self, plural: str, namespace: str | None = None) -> Pods:
        assert plural == "pods"
        return self.pods


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []

    async def normal(self, obj: dict, reason: str, message: str) -> None:
        self.events.append((reason, message))

    async def warning(self, obj: dict, reason: str, message: str) -> None:
        self.events.append((reason, message))


class Owners(PodOwnerController):
    name = "test"
    owner_kind, owner_resource = "ReplicaSet", "replicasets"

    def __init__(self, pods: Pods) -> None:
        self.recorder_ = Recorder()
        super().__init__(ControllerContext(api=Api(pods), informers=Informers(), recorder=self.recorder_))
        self.enqueued: list[str] = []

    def enqueue(self, obj: Any) -> None:
        self.enqueued.append(obj["metadata"]["name"])

    def enqueue_after(self, obj: Any, delay: float) -> None:
        self.enqueued.append(f"{obj['metadata']['name']} after {delay}")


def owner(name: str = "web", uid: str = "u-web", min_ready: int = 0) -> dict:
    return {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": name, "namespace": "ns", "uid": uid},
            "spec": {"selector": {"matchLabels": {"app": name}}, "minReadySeconds": min_ready,
                     "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [{"name": "c"}]}}}}


def pod(name: str, *, of: dict | None = None, labels: dict | None = None, **meta: Any) -> dict:
    metadata = {"name": name, "namespace": "ns", "uid": f"u-{name}", "labels": labels or {}, **meta}
    if of is not None:
        metadata["ownerReferences"] = [new_controller_ref(of)]
    return {"metadata": metadata, "status": {}}


def test_pod_from_template_is_owned_by_its_owner() -> None:
    made = pod_from_template(owner())
    assert made["metadata"]["generateName"] == "web-" and made["metadata"]["labels"] == {"app": "web"}
    assert made["metadata"]["ownerReferences"] == [new_controller_ref(owner())]
    assert made["spec"] == {"containers": [{"name": "c"}]}


def test_events_wake_the_owner_orphans_wake_matching_owners() -> None:
    controller = Owners(Pods())
    web = controller.owners.add(owner())
    controller.owners.add(owner("db", "u-db"))
    controller.expectations.expect_creations("ns/web", 1)
    controller.on_pod_add(pod("web-1", of=web))
    assert controller.enqueued == ["web"] and controller.expectations.satisfied("ns/web")
    controller.enqueued.clear()
    controller.on_pod_add(pod("stray", labels={"app": "db"}))               # an orphan: its matching owner
    impostor = owner(uid="u-old")                                           # same name, another uid
    controller.on_pod_add(pod("old", of=impostor, labels={"app": "web"}))   # someone else's: nobody
    assert controller.enqueued == ["db"]


def test_a_terminating_pod_counts_as_deleted_and_readiness_requeues_after_min_ready() -> None:
    controller = Owners(Pods())
    web = controller.owners.add(owner(min_ready=5))
    running = pod("web-1", of=web)
    controller.expectations.expect_deletions("ns/web", ["ns/web-1"])
    controller.on_pod_update(running, pod("web-1", of=web, deletionTimestamp="2024-01-01T00:00:00Z"))
    assert controller.expectations.satisfied("ns/web") and controller.enqueued == ["web"]
    controller.enqueued.clear()
    ready = {**running, "status": {"conditions": [{"type": "Ready", "status": "True"}]}}
    controller.on_pod_update(running, ready)
    assert "web after 6" in controller.enqueued


async def test_create_pods_in_slow_start_batches_and_stop_at_the_first_failure() -> None:
    pods = Pods(refuse={"web-3": ApiError(403, "Forbidden", "quota exceeded")})
    controller = Owners(pods)
    web = owner()
    with pytest.raises(ApiError) as failure:
        await controller.create_pods("ns/web", web, [pod_from_template(web) for _ in range(10)])
    assert failure.value.reason == "Forbidden"
    # batches 1, 2, then 4 of which the fourth pod (web-3) fails: the remaining 3 are never sent
    assert len(pods.created) == 6 and pods.most_in_flight == 4
    assert controller.expectations.outstanding("ns/web") == (6, 0)   # the 6 created are still expected
    assert ("FailedCreate", "Error creating: quota exceeded") in controller.recorder_.events


async def test_delete_pods_sends_the_uid_precondition_and_tolerates_gone_pods() -> None:
    pods = Pods(refuse={"gone": ApiError(404, "NotFound", "gone"), "replaced": ApiError(409, "Conflict", "uid")})
    controller = Owners(pods)
    web = owner()
    victims = [pod("a", of=web), pod("gone", of=web), pod("replaced", of=web), pod("a", of=web)]
    await controller.delete_pods("ns/web", web, victims)
    assert pods.deleted == [("a", {"uid": "u-a"}), ("gone", {"uid": "u-gone"}), ("replaced", {"uid": "u-replaced"})]
    assert controller.expectations.outstanding("ns/web") == (0, 1)    # only "a" is still expected to go
    assert controller.recorder_.events == [("SuccessfulDelete", "Deleted pod: a")]


async def test_delete_pods_raises_other_errors_after_sending_every_delete() -> None:
    pods = Pods(refuse={"a": ApiError(500, "InternalError", "etcd")})
    controller = Owners(pods)
    web = owner()
    with pytest.raises(ApiError):
        await controller.delete_pods("ns/web", web, [pod("a", of=web), pod("b", of=web)])
    assert [name for name, _ in pods.deleted] == ["a", "b"]
