"""A watcher's view of events: revisions already seen are skipped, selectors see transitions."""
from __future__ import annotations

import json

import orjson

from apiserver.watchcache import Watcher, WatchEvent
from tests.helpers import resource_type_of_kind

CM = resource_type_of_kind("v1", "ConfigMap")


def raw(name: str, labels: dict[str, str]) -> bytes:
    return orjson.dumps({"kind": "ConfigMap", "metadata": {"name": name, "labels": labels}})


def front(obj: dict) -> bool:
    return obj["metadata"]["labels"].get("tier") == "front"


def drain(watcher: Watcher) -> list[tuple[str, str, str]]:
    out = []
    while not watcher.queue.empty():
        line = watcher.queue.get_nowait()
        if line is None:
            out.append(("CLOSED", "", ""))
            continue
        event = json.loads(line)
        out.append((event["type"], event["object"]["metadata"].get("name", ""),
                    event["object"]["metadata"]["resourceVersion"]))
    return out


def test_selector_transitions_become_added_and_deleted():
    watcher = Watcher(CM, front, after_revision=10)
    watcher.offer(WatchEvent("ADDED", 11, raw("a", {"tier": "back"}), None))
    watcher.offer(WatchEvent("MODIFIED", 12, raw("a", {"tier": "front"}), raw("a", {"tier": "back"}), 11))
    watcher.offer(WatchEvent("MODIFIED", 13, raw("a", {"tier": "front", "x": "1"}), raw("a", {"tier": "front"}), 12))
    watcher.offer(WatchEvent("MODIFIED", 14, raw("a", {"tier": "back"}), raw("a", {"tier": "front"}), 13))
    watcher.offer(WatchEvent("DELETED", 15, raw("a", {"tier": "back"}), raw("a", {"tier": "back"}), 14))
    assert drain(watcher) == [("ADDED", "a", "12"), ("MODIFIED", "a", "13"), ("DELETED", "a", "14")]


def test_events_at_or_before_the_start_revision_are_skipped():
    watcher = Watcher(CM, lambda obj: True, after_revision=20)
    watcher.offer(WatchEvent("ADDED", 19, raw("old", {}), None))
    watcher.offer(WatchEvent("ADDED", 20, raw("old", {}), None))
    watcher.offer(WatchEvent("ADDED", 21, raw("new", {}), None))
    assert drain(watcher) == [("ADDED", "new", "21")]


def test_bookmark_and_error_close():
    watcher = Watcher(CM, lambda obj: True, after_revision=5)
    watcher.bookmark(9)
    from minikube_py.api.errors import gone
    watcher.fail(gone("too old"))
    lines = []
    while not watcher.queue.empty():
        lines.append(watcher.queue.get_nowait())
    bookmark, error, end = lines            # fail() sends the ERROR event, then ends the stream
    assert bookmark is not None and error is not None and end is None
    assert json.loads(bookmark) == {"type": "BOOKMARK", "object": {
        "kind": "ConfigMap", "apiVersion": "v1", "metadata": {"resourceVersion": "9"}}}
    assert json.loads(error)["object"]["code"] == 410
    assert lines[2] is None and watcher.closed


def test_a_slow_watcher_is_closed_not_buffered_forever():
    watcher = Watcher(CM, lambda obj: True, after_revision=0, max_queued=3)
    for rev in range(1, 10):
        watcher.offer(WatchEvent("ADDED", rev, raw(f"c{rev}", {}), None))
    assert watcher.closed and watcher.queue.qsize() == 4    # 3 events and the end-of-stream marker
