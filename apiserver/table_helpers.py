"""Helpers shared by the `kubectl get` printers (apiserver/table_printers.py).

Ports of the small formatting functions Kubernetes' printers use: ages in
human form (minikube_py/api/times.py), label and selector strings
(labels.FormatLabels, LabelSelectorAsSelector(...).String()), host:port and
"a,b,c + 2 more..." abbreviations, and the column types of a meta.k8s.io Table.

Stored objects are plain JSON dicts that may be incomplete or malformed, so
every read goes through `field()` and friends, which never raise: a missing
value prints as kubectl prints it ("<none>", "<unknown>", "" or 0).
"""
from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from minikube_py.api.times import since

Row = list[Any]     # the cells of one row, in column order


@dataclass(frozen=True)
class Column:
    name: str
    description: str
    type: str = "string"
    priority: int = 0        # 0: always shown; 1: only with `kubectl get -o wide`
    format: str = ""


@dataclass(frozen=True)
class Printer:
    columns: tuple[Column, ...]
    row: Callable[[dict[str, Any], datetime], Row]                   # (object, now) -> cells
    conditions: Callable[[dict[str, Any]], list[dict[str, str]]] | None = None   # row conditions


# --------------------------------------------------------------------------
# Shared helpers: safe field access, ages, labels and selectors
# --------------------------------------------------------------------------


def field(obj: Any, *path: str, default: Any = None) -> Any:
    """obj[path[0]][path[1]]... or `default` as soon as something is missing or not a dict."""
    for key in path:
        if not isinstance(obj, dict) or key not in obj or obj[key] is None:
            return default
        obj = obj[key]
    return obj


def items(obj: Any, *path: str) -> list[Any]:
    value = field(obj, *path, default=[])
    return value if isinstance(value, list) else []


def mapping(obj: Any, *path: str) -> dict[str, Any]:
    value = field(obj, *path, default={})
    return value if isinstance(value, dict) else {}


def text(obj: Any, *path: str, default: str = "") -> str:
    value = field(obj, *path, default=default)
    return value if isinstance(value, str) else default


def number(obj: Any, *path: str, default: int = 0) -> int:
    value = field(obj, *path, default=default)
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def age(obj: dict[str, Any], now: datetime) -> str:
    return since(field(obj, "metadata", "creationTimestamp"), now)


def format_labels(labels: dict[str, Any]) -> str:
    """labels.FormatLabels: "a=1,b=2" sorted by key, "<none>" when empty."""
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items())) or "<none>"


def selector_string(selector: Any) -> str:
    """metav1.LabelSelectorAsSelector(selector).String(): "app=web,tier in (a,b),!canary"."""
    if not isinstance(selector, dict):
        return ""
    requirements = [(k, f"{k}={v}") for k, v in mapping(selector, "matchLabels").items()]
    for expr in items(selector, "matchExpressions"):
        key, operator = text(expr, "key"), text(expr, "operator")
        values = ",".join(sorted(str(v) for v in items(expr, "values")))
        shown = {"In": f"{key} in ({values})", "NotIn": f"{key} notin ({values})",
                 "Exists": key, "DoesNotExist": f"!{key}"}.get(operator)
        if shown is None:
            return "<invalid>"
        requirements.append((key, shown))
    return ",".join(shown for _, shown in sorted(requirements, key=lambda r: r[0]))


def containers_and_images(pod_spec: Any) -> list[str]:
    """The CONTAINERS and IMAGES wide columns of workloads (layoutContainerCells)."""
    containers = [c for c in items(pod_spec, "containers") if isinstance(c, dict)]
    return [",".join(text(c, "name") for c in containers), ",".join(text(c, "image") for c in containers)]


def host_port(ip: str, port: Any) -> str:
    """net.JoinHostPort: IPv6 addresses get brackets."""
    try:
        bracketed = ipaddress.ip_address(ip).version == 6
    except ValueError:
        bracketed = ":" in ip
    return f"[{ip}]:{port}" if bracketed else f"{ip}:{port}"


def first_n_with_more(values: list[str], total: int, limit: int = 3) -> str:
    """"a,b,c + 2 more..." as kubectl abbreviates long lists."""
    shown = ",".join(values[:limit])
    return f"{shown} + {total - limit} more..." if total > limit else shown


NAME = Column("Name", "Name must be unique within a namespace.", format="name")
AGE = Column("Age", "CreationTimestamp is the time the object was created (shown as its age).")
CONTAINERS = Column("Containers", "Names of each container in the template.", priority=1)
IMAGES = Column("Images", "Images referenced by each container in the template.", priority=1)
SELECTOR = Column("Selector", "The label selector of the pods it manages.", priority=1)


def name(obj: dict[str, Any]) -> str:
    return text(obj, "metadata", "name")
