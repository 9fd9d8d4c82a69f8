"""IP addresses, CIDRs and port numbers, checked the way Kubernetes' validation reports them.

The stdlib `ipaddress` module does the parsing; it rejects leading zeros
("010.0.0.1"), as Kubernetes has done since 1.20 for the same reason: they are
read as octal by some tools and as decimal by others.
"""
from __future__ import annotations

import ipaddress
from typing import Any

from .field import Cause, each_invalid, in_range, invalid, required
from .names import port_name_problems
from .shapes import as_int

IP_EXAMPLE = "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"
CIDR_EXAMPLE = "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"


def parse_ip(value: Any) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if not isinstance(value, str):
        return None
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def ip_errors(path: str, value: Any, *, required_value: bool = False) -> list[Cause]:
    """A single IPv4 or IPv6 address."""
    if value is None or value == "":
        return [required(path)] if required_value else []
    return [] if parse_ip(value) is not None else [invalid(path, value, IP_EXAMPLE)]


def ipv4_errors(path: str, value: Any) -> list[Cause]:
    """An IPv4 address: the cluster's Service network is IPv4 only (10.96.0.0/12)."""
    if isinstance(parse_ip(value), ipaddress.IPv4Address):
        return []
    return [invalid(path, value, "must be a valid IPv4 address, (e.g. 10.96.0.10)")]


def cidr_errors(path: str, value: Any) -> list[Cause]:
    """A network such as 10.244.1.0/24 (host bits must be zero)."""
    if value is None or value == "":
        return []
    if isinstance(value, str) and "/" in value:
        try:
            ipaddress.ip_network(value, strict=True)
            return []
        except ValueError:
            pass
    return [invalid(path, value, CIDR_EXAMPLE)]


def port_number_errors(path: str, value: Any, *, required_value: bool = True) -> list[Cause]:
    """A TCP/UDP/SCTP port: an integer from 1 to 65535."""
    if value is None:
        return [required(path)] if required_value else []
    errs: list[Cause] = []
    number = as_int(value, path, errs)
    return errs + in_range(path, number, 1, 65535)


def port_number_or_name_errors(path: str, value: Any) -> list[Cause]:
    """An IntOrString port (probes, targetPort): a number 1-65535 or a named container port."""
    if value is None or value == "":
        return [required(path)]
    if isinstance(value, str):
        return each_invalid(path, value, port_name_problems(value))
    if isinstance(value, bool) or not isinstance(value, int):
        return [invalid(path, value, "must be an integer or a string")]
    return port_number_errors(path, value)
