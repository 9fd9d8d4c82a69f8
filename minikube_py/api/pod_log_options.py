"""PodLogOptions: the query parameters of `GET /api/v1/namespaces/{ns}/pods/{name}/log`.

The API server validates them (k8s.io/kubernetes pkg/apis/core/validation's
ValidatePodLogOptions: 422 Invalid naming the field) and passes them on to the node
agent's /containerLogs, which honours them as kubelet does (agent/kubelet/log_server.py):

    container       which container (the only one when the pod has one)
    follow          keep streaming until the container stops
    previous        the container instance before the current one
    sinceSeconds    only lines newer than this many seconds          \\ at most one
    sinceTime       only lines at or after this RFC 3339 time         / of the two
    timestamps      prefix each line with its RFC 3339 (nanosecond) time
    tailLines       only the last N lines
    limitBytes      stop after N bytes (possibly in the middle of a line)
    insecureSkipTLSVerifyBackend   skip verifying the kubelet's serving certificate; our
                    agents speak plain HTTP on the lab network, so it changes nothing
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from . import errors
from .times import format_time, parse_rfc3339

INTEGER = re.compile(r"-?[0-9]+")
BOOLEANS = {"true": True, "1": True, "t": True, "false": False, "0": False, "f": False, "": False}


def _bool(query: Mapping[str, str], name: str) -> bool:
    value = query.get(name, "false").lower()
    if value not in BOOLEANS:
        raise errors.bad_request(f'{name}: invalid boolean "{value}" (true or false)')
    return BOOLEANS[value]


def _int(query: Mapping[str, str], name: str) -> int | None:
    value = query.get(name)
    if value is None or value == "":
        return None
    if len(value) > 20 or not INTEGER.fullmatch(value):
        raise errors.bad_request(f'{name}: invalid integer "{value[:40]}"')
    return int(value)


def _time(query: Mapping[str, str], name: str) -> datetime | None:
    value = query.get(name)
    if not value:
        return None
    try:
        return parse_rfc3339(value)
    except ValueError:
        raise errors.bad_request(f'{name}: invalid RFC 3339 time "{value[:40]}"') from None


@dataclass(frozen=True)
class PodLogOptions:
    container: str | None = None
    follow: bool = False
    previous: bool = False
    since_seconds: int | None = None
    since_time: datetime | None = None
    timestamps: bool = False
    tail_lines: int | None = None
    limit_bytes: int | None = None
    insecure_skip_tls_verify_backend: bool = False

    @classmethod
    def from_query(cls, query: Mapping[str, str], name: str = "") -> PodLogOptions:
        """Parse (400 for a value of the wrong type) and validate (422 naming the field)."""
        options = cls(container=query.get("container") or None, follow=_bool(query, "follow"),
                      previous=_bool(query, "previous"), since_seconds=_int(query, "sinceSeconds"),
                      since_time=_time(query, "sinceTime"), timestamps=_bool(query, "timestamps"),
                      tail_lines=_int(query, "tailLines"), limit_bytes=_int(query, "limitBytes"),
                      insecure_skip_tls_verify_backend=_bool(query, "insecureSkipTLSVerifyBackend"))
        causes = options.problems()
        if causes:
            raise errors.invalid("PodLogOptions", name, causes)
        return options

    def problems(self) -> list[dict[str, str]]:
        causes = []
        if self.tail_lines is not None and self.tail_lines < 0:
            causes.append(errors.cause("tailLines", f"Invalid value: {self.tail_lines}: must be greater than "
                                       "or equal to 0"))
        if self.limit_bytes is not None and self.limit_bytes < 1:
            causes.append(errors.cause("limitBytes", f"Invalid value: {self.limit_bytes}: must be greater "
                                       "than 0"))
        if self.since_seconds is not None and self.since_time is not None:
            causes.append(errors.cause("", "at most one of `sinceTime` or `sinceSeconds` may be specified",
                                       "FieldValueForbidden"))
        if self.since_seconds is not None and self.since_seconds < 1:
            causes.append(errors.cause("sinceSeconds", f"Invalid value: {self.since_seconds}: must be greater "
                                       "than 0"))
        return causes

    def since(self, now: datetime) -> datetime | None:
        """The earliest time of a line to show, or None for all."""
        if self.since_seconds is not None:       # further back than 1970 is all of it
            return datetime.fromtimestamp(max(0.0, now.timestamp() - self.since_seconds), UTC)
        return self.since_time

    def to_query(self) -> dict[str, str]:
        """The query parameters that say the same (what the API server sends to the agent)."""
        query: dict[str, str] = {}
        for key, value in (("follow", self.follow), ("previous", self.previous), ("timestamps", self.timestamps),
                           ("insecureSkipTLSVerifyBackend", self.insecure_skip_tls_verify_backend)):
            if value:
                query[key] = "true"
        for key, number in (("sinceSeconds", self.since_seconds), ("tailLines", self.tail_lines),
                            ("limitBytes", self.limit_bytes)):
            if number is not None:
                query[key] = str(number)
        if self.since_time is not None:
            query["sinceTime"] = format_time(self.since_time)
        return query
