"""The scheduling queue (priority order, backoff, unschedulable moves) and the cache (assume/forget/confirm)."""
from __future__ import annotations

import asyncio

from scheduler.cache import SchedulerCache
from scheduler.podinfo import pod_info
from scheduler.queue import SchedulingQueue
from tests.unit.test_scheduler_plugins import make_node, make_pod


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def requested_cpu(cache: SchedulerCache, node_name: str) -> int:
    """The millicores the cache counts as requested on a node it must know."""
    node = cache.node(node_name)
    assert node is not None, f"the cache has no node {node_name}"
    return node.requested.milli_cpu


def prio_pod(name: str, priority: int = 0, node: str | None = None, cpu: str = "1"):
    return pod_info({"metadata": {"name": name, "namespace": "ns"},
                     "spec": {"priority": priority, "nodeName": node,
                              "containers": [{"name": "c", "resources": {"requests": {"cpu": cpu}}}]}})


async def test_active_queue_orders_by_priority_then_age():
    clock = Clock()
    queue = SchedulingQueue(clock=clock)
    for name, priority in (("old-low", 0), ("high", 10), ("young-low", 0)):
        queue.add(prio_pod(name, priority))
        clock.now += 1
    assert [(await queue.pop()).pod.name for _ in range(3)] == ["high", "old-low", "young-low"]


async def test_backoff_doubles_per_attempt_up_to_ten_seconds():
    clock = Clock()
    queue = SchedulingQueue(clock=clock)
    queue.add(prio_pod("p"))
    durations = []
    for _ in range(6):
        queued = await queue.pop()
        durations.append(queued.backoff_duration())
        queue.add_backoff(queued)
        queue.flush_backoff_completed()
        assert queue.sizes() == (0, 1, 0)           # still backing off
        clock.now += queued.backoff_duration()
        queue.flush_backoff_completed()
        assert queue.sizes() == (1, 0, 0)
    assert durations == [1, 2, 4, 8, 10, 10]


async def test_unschedulable_pods_move_only_on_relevant_events():
    clock = Clock()
    interested = {"NodeAdd": {"NodeResourcesFit"}, "PodAdd": {"InterPodAffinity"}}
    queue = SchedulingQueue(lambda event: interested.get(event, set()), clock=clock)
    queue.add(prio_pod("p"))
    queued = await queue.pop()
    queue.add_unschedulable(queued, {"NodeResourcesFit"}, queue.scheduling_cycle - 1)
    assert queue.sizes() == (0, 0, 1)
    assert queue.move_all_to_active_or_backoff("PodAdd") == 0
    clock.now += 5                                        # past the 1 s backoff
    assert queue.move_all_to_active_or_backoff("NodeAdd") == 1
    assert queue.sizes() == (1, 0, 0)


async def test_event_during_the_attempt_sends_the_pod_to_backoff_not_unschedulable():
    queue = SchedulingQueue(lambda event: set(), clock=Clock())
    queue.add(prio_pod("p"))
    queued = await queue.pop()
    cycle = queue.scheduling_cycle
    queue.move_all_to_active_or_backoff("NodeAdd")        # happens while "p" is being scheduled
    queue.add_unschedulable(queued, {"NodeResourcesFit"}, cycle)
    assert queue.sizes() == (0, 1, 0)


async def test_unschedulable_pods_are_flushed_after_sixty_seconds():
    clock = Clock()
    queue = SchedulingQueue(clock=clock)
    queue.add(prio_pod("p"))
    queued = await queue.pop()
    queue.add_unschedulable(queued, {"X"}, queue.scheduling_cycle)
    clock.now += 59
    queue.flush_unschedulable_left_over()
    assert queue.sizes() == (0, 0, 1)
    clock.now += 2
    queue.flush_unschedulable_left_over()
    assert queue.sizes() == (1, 0, 0)


async def test_pop_waits_for_a_pod():
    queue = SchedulingQueue()
    waiter = asyncio.create_task(queue.pop())
    await asyncio.sleep(0)
    assert not waiter.done()
    queue.add(prio_pod("late"))
    assert (await asyncio.wait_for(waiter, 1)).pod.name == "late"


def test_assumed_pods_count_until_forgotten_or_confirmed():
    clock = Clock()
    cache = SchedulerCache(ttl=30, clock=clock)
    cache.add_or_update_node(make_node("n1").node)
    cache.add_or_update_node(make_node("n2").node)
    pod = prio_pod("p", cpu="3")
    cache.assume_pod(pod, "n1")
    assert requested_cpu(cache, "n1") == 3000 and cache.is_assumed(pod.key)
    cache.forget_pod(pod.key)
    assert requested_cpu(cache, "n1") == 0 and not cache.has_pod(pod.key)
    cache.assume_pod(pod, "n1")
    cache.add_pod(prio_pod("p", node="n2", cpu="3"))       # the API says it went elsewhere
    assert requested_cpu(cache, "n1") == 0 and requested_cpu(cache, "n2") == 3000
    assert not cache.is_assumed(pod.key)


def test_assumed_pods_expire_after_binding_if_never_confirmed():
    clock = Clock()
    cache = SchedulerCache(ttl=30, clock=clock)
    cache.add_or_update_node(make_node("n1").node)
    cache.assume_pod(make_pod("p", cpu="1"), "n1")
    cache.finish_binding("default/p")
    clock.now += 31
    assert cache.cleanup_expired_assumed_pods() == ["default/p"]
    assert requested_cpu(cache, "n1") == 0


def test_pods_on_unknown_nodes_wait_for_their_node_and_images_are_counted():
    cache = SchedulerCache()
    cache.add_pod(prio_pod("early", node="later", cpu="1"))
    assert cache.node_count() == 0
    images = [{"names": ["app:1"], "sizeBytes": 1}]
    cache.add_or_update_node(make_node("later", images=images).node)
    assert requested_cpu(cache, "later") == 1000
    assert cache.snapshot().image_node_counts == {"app:1": 1}
