"""A watch whose client is gone before the response headers go out ends quietly and
releases its place in the watch cache (no traceback, no leaked watcher)."""
from __future__ import annotations

from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from apiserver import watch
from apiserver.listing import ListQuery
from apiserver.routing import RequestInfo
from minikube_py.api.selectors import parse_field_selector, parse_label_selector
from tests.helpers import resource_type_of_kind


class RecordingWatcher:
    def __init__(self) -> None:
        self.closed = False

    def close(self) -> None:
        self.closed = True


class OneWatcherCache:
    def __init__(self) -> None:
        self.watcher = RecordingWatcher()

    def watch(self, rt, matches, after, initial=()) -> RecordingWatcher:
        return self.watcher

    def watcher_count(self) -> int:
        return 0 if self.watcher.closed else 1


async def test_a_client_gone_before_the_headers_releases_the_watcher(monkeypatch) -> None:
    async def client_gone(self, request):
        raise ConnectionResetError("Cannot write to closing transport")

    monkeypatch.setattr(web.StreamResponse, "prepare", client_gone)
    pods = resource_type_of_kind("v1", "Pod")
    query = ListQuery(parse_label_selector(""), parse_field_selector(""), 0, None, "5", False, None)
    cache = OneWatcherCache()
    request = make_mocked_request("GET", "/api/v1/pods?watch=1&resourceVersion=5")
    await watch.serve_watch(request, store=None, cache=cache, info=RequestInfo(pods, None, None, None, False),
                            query=query)
    assert cache.watcher.closed and cache.watcher_count() == 0
