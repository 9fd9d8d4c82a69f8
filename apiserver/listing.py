"""List with selectors and paging (`limit` + `continue`), as Kubernetes serves it.

Selectors are applied after reading from etcd (etcd knows nothing of labels),
so a page is filled by reading further until `limit` matching objects are
found. All pages of one list are read at the revision of the first page; a
`continue` token whose revision etcd has compacted away gets 410 Expired.
Query parameters are checked before any read: `limit` must fit in an int64,
`resourceVersion` must be a revision (a non-negative integer), and a
`continue` token must be one we made (400 BadRequest otherwise).
"""
from __future__ import annotations

import builtins
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from minikube_py.api import errors
from minikube_py.api.resources import ResourceType
from minikube_py.api.selectors import (
    FieldSelector,
    LabelSelector,
    SelectorError,
    check_supported,
    object_fields,
    parse_field_selector,
    parse_label_selector,
)

from .http import query_bool, query_int
from .storage import Object, Store, decode_continue, encode_continue


def parse_resource_version(value: str) -> int:
    """A resourceVersion parameter: an etcd revision (400 for anything else, as Kubernetes' versioner)."""
    if len(value) > 20 or not value.isascii() or not value.isdigit() or int(value) >= 2**63:
        raise errors.bad_request(f"resourceVersion: Invalid value: {value[:40]!r}: must be a non-negative "
                                 "integer (a resource version this server returned)")
    return int(value)


@dataclass
class ListQuery:
    """The query parameters a list or watch request can carry."""
    labels: LabelSelector
    fields: FieldSelector
    limit: int
    continue_token: str | None
    resource_version: str | None
    allow_bookmarks: bool
    timeout_seconds: int | None

    @classmethod
    def parse(cls, request: web.Request, rt: ResourceType) -> ListQuery:
        try:
            labels = parse_label_selector(request.query.get("labelSelector", ""))
            fields = parse_field_selector(request.query.get("fieldSelector", ""))
            check_supported(rt, fields)
        except SelectorError as e:
            raise errors.bad_request(str(e)) from e
        resource_version = request.query.get("resourceVersion")
        if resource_version:
            parse_resource_version(resource_version)
        continue_token = request.query.get("continue") or None
        if continue_token and resource_version not in (None, "", "0"):
            raise errors.bad_request("specifying resource version is not allowed when using continue")
        return cls(labels, fields, query_int(request, "limit", 0, maximum=2**63 - 2) or 0, continue_token,
                   resource_version, query_bool(request, "allowWatchBookmarks"),
                   query_int(request, "timeoutSeconds"))

    def matcher(self, rt: ResourceType, namespace: str | None) -> Callable[[Object], bool]:
        """One predicate for namespace, labels and fields (also used by watches)."""
        labels, fields = self.labels, self.fields
        check_labels, check_fields = not labels.empty, bool(fields.requirements)

        def matches(obj: Object) -> bool:
            meta = obj.get("metadata") or {}
            if namespace and meta.get("namespace") != namespace:
                return False
            if check_labels and not labels.matches(meta.get("labels") or {}):
                return False
            return not check_fields or fields.matches(object_fields(rt, obj))
        return matches


class Lister:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def list(self, rt: ResourceType, namespace: str | None,
                   query: ListQuery) -> tuple[builtins.list[Object], dict[str, Any]]:
        """(items, list metadata with resourceVersion and, when paged, continue)."""
        matches = query.matcher(rt, namespace)
        revision, start = 0, None
        if query.continue_token:
            revision, start = decode_continue(query.continue_token)
        items: builtins.list[Object] = []
        while True:
            want = query.limit - len(items) if query.limit else 0
            page, revision, next_key = await self.store.list(rt, namespace, limit=max(want, 0),
                                                             start_key=start, revision=revision)
            items.extend(obj for obj in page if matches(obj))
            if next_key is None or (query.limit and len(items) >= query.limit):
                break
            start = next_key
        metadata: dict[str, Any] = {"resourceVersion": str(revision)}
        if next_key is not None:
            metadata["continue"] = encode_continue(revision, next_key)
        return items, metadata

    async def list_all(self, rt: ResourceType, namespace: str | None,
                       matches: Callable[[Object], bool]) -> tuple[builtins.list[Object], int]:
        """Every matching object, unpaged, and the revision of the snapshot."""
        items, revision, _ = await self.store.list(rt, namespace)
        return [obj for obj in items if matches(obj)], revision
