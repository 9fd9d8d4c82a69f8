"""Building blocks of `mkctl describe`, in kubectl's layout (k8s.io/kubectl/pkg/describe).

kubectl describe writes `Label:<TAB>value` lines indented two spaces per level
and aligns them with a tabwriter; `Writer` collects such lines and
output.tabwrite lays them out the same way. The pieces every kind shares are
here: labels/annotations blocks, conditions tables, the pod template (used by
Deployments, ReplicaSets and `rollout history --revision`), and Events.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from minikube_py.api.meta import Obj
from minikube_py.api.pods import container_resources
from minikube_py.api.times import parse_time, since
from minikube_py.cli.mkctl_cmds.output import tabwrite

NONE = "<none>"
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
DESCRIBE_PADDING = 2


class Writer:
    """Collects describe lines; `text()` aligns them as kubectl's tabwriter would."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def line(self, level: int, text: str) -> None:
        self.lines.append("  " * level + text)

    def field(self, level: int, name: str, value: Any) -> None:
        self.line(level, f"{name}:\t{NONE if value is None else value}")

    def multiline(self, level: int, name: str, entries: list[str]) -> None:
        """`Labels:  a=b` then one aligned line per further entry (kubectl's multi-line maps)."""
        if not entries:
            self.field(level, name, NONE)
            return
        self.field(level, name, entries[0])
        for entry in entries[1:]:
            self.line(level, f"\t{entry}")

    def table(self, level: int, header: list[str], rows: Iterable[list[str]]) -> None:
        self.line(level, "\t".join(header))
        self.line(level, "\t".join("-" * len(h) for h in header))
        for row in rows:
            self.line(level, "\t".join(row))

    def text(self) -> str:
        return "\n".join(tabwrite(self.lines, DESCRIBE_PADDING)) + "\n"


def label_lines(metadata: Obj) -> list[str]:
    return [f"{k}={v}" for k, v in sorted((metadata.get("labels") or {}).items())]


def annotation_lines(metadata: Obj) -> list[str]:
    return [f"{k}: {v}" for k, v in sorted((metadata.get("annotations") or {}).items()) if k != LAST_APPLIED]


def timestamp(value: str | None) -> str:
    """kubectl's describe time format: `Mon, 02 Jan 2006 15:04:05 -0700`."""
    when = parse_time(value)
    return when.strftime("%a, %d %b %Y %H:%M:%S %z") if when else NONE


def write_identity(w: Writer, obj: Obj, namespaced: bool = True) -> None:
    metadata = obj.get("metadata") or {}
    w.field(0, "Name", metadata.get("name", ""))
    if namespaced:
        w.field(0, "Namespace", metadata.get("namespace", ""))


def write_maps(w: Writer, obj: Obj) -> None:
    """Labels and Annotations (without kubectl's own last-applied annotation, as kubectl shows them)."""
    metadata = obj.get("metadata") or {}
    w.multiline(0, "Labels", label_lines(metadata))
    w.multiline(0, "Annotations", annotation_lines(metadata))


def write_common(w: Writer, obj: Obj, namespaced: bool = True, created: bool = False) -> None:
    """Name, Namespace, (CreationTimestamp), Labels, Annotations: the top of most describes."""
    write_identity(w, obj, namespaced)
    if created:
        w.field(0, "CreationTimestamp", timestamp((obj.get("metadata") or {}).get("creationTimestamp")))
    write_maps(w, obj)


def controlled_by(obj: Obj) -> str | None:
    ref = next((r for r in (obj.get("metadata") or {}).get("ownerReferences") or [] if r.get("controller")), None)
    return f"{ref.get('kind')}/{ref.get('name')}" if ref else None


def selector_text(selector: Obj | None) -> str:
    selector = selector or {}
    parts = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for expr in selector.get("matchExpressions") or []:
        values = ",".join(expr.get("values") or [])
        op = expr.get("operator", "")
        parts.append({"In": f"{expr['key']} in ({values})", "NotIn": f"{expr['key']} notin ({values})",
                      "Exists": expr["key"], "DoesNotExist": f"!{expr['key']}"}.get(op, f"{expr['key']} {op}"))
    return ",".join(parts) or NONE


def write_conditions(w: Writer, conditions: list[Obj], columns: tuple[str, ...] = ("Type", "Status", "Reason")) -> None:
    if not conditions:
        return
    w.line(0, "Conditions:")
    def cell(condition: Obj, column: str) -> str:
        value = condition.get(column[0].lower() + column[1:], "")
        return timestamp(value) if column.endswith("Time") else str(value)
    w.table(1, list(columns), ([cell(c, column) for column in columns] for c in conditions))


# ---- containers and pod templates -----------------------------------------------------

def ports_text(ports: list[Obj], field: str = "containerPort") -> str:
    return ", ".join(f"{p.get(field, 0)}/{p.get('protocol', 'TCP')}" for p in ports) or NONE


def write_container(w: Writer, container: Obj, status: Obj | None = None, in_template: bool = False) -> None:
    """One container the way kubectl lists it under Containers: (status: its containerStatuses entry)."""
    w.line(1, f"{' ' if in_template else ''}{container.get('name', '')}:")
    if status is not None:
        w.field(2, "Container ID", status.get("containerID", ""))
    w.field(2, "Image", container.get("image", ""))
    if status is not None:
        w.field(2, "Image ID", status.get("imageID", ""))
    ports = container.get("ports") or []
    w.field(2, "Ports" if len(ports) > 1 else "Port", ports_text(ports))
    w.field(2, "Host Ports" if len(ports) > 1 else "Host Port", ports_text(ports, "hostPort"))
    for name in ("command", "args"):
        if container.get(name):
            w.line(2, f"{name.capitalize()}:")
            for part in container[name]:
                w.line(3, str(part))
    if status is not None:
        write_container_state(w, "State", status.get("state") or {})
        if status.get("lastState"):
            write_container_state(w, "Last State", status["lastState"])
        w.field(2, "Ready", "True" if status.get("ready") else "False")
        w.field(2, "Restart Count", status.get("restartCount", 0))
    for title in ("limits", "requests"):
        amounts = container_resources(container, title)
        if amounts:
            w.line(2, f"{title.capitalize()}:")
            for resource, amount in sorted(amounts.items()):
                w.field(3, resource, amount)
    env = container.get("env") or []
    if env:
        w.line(2, "Environment:")
        for var in env:
            value = var.get("value", "") if "valueFrom" not in var else "<set from a reference>"
            w.field(3, var.get("name", ""), value)
    else:
        w.field(2, "Environment", NONE)
    mounts = [f"{m.get('mountPath')} from {m.get('name')}" for m in container.get("volumeMounts") or []]
    w.multiline(2, "Mounts", mounts)


def write_container_state(w: Writer, title: str, state: Obj) -> None:
    if "running" in state:
        w.field(2, title, "Running")
        w.field(3, "Started", timestamp(state["running"].get("startedAt")))
    elif "terminated" in state:
        done = state["terminated"]
        w.field(2, title, "Terminated")
        w.field(3, "Reason", done.get("reason", ""))
        w.field(3, "Exit Code", done.get("exitCode", 0))
        w.field(3, "Started", timestamp(done.get("startedAt")))
        w.field(3, "Finished", timestamp(done.get("finishedAt")))
    elif "waiting" in state:
        w.field(2, title, "Waiting")
        if state["waiting"].get("reason"):
            w.field(3, "Reason", state["waiting"]["reason"])
    else:
        w.field(2, title, "Waiting")


def write_volumes(w: Writer, level: int, volumes: list[Obj]) -> None:
    if not volumes:
        w.field(level, "Volumes", NONE)
        return
    w.line(level, "Volumes:")
    for volume in volumes:
        kind = next((k for k in volume if k != "name"), "unknown")
        w.line(level + 1, f"{volume.get('name')}:")
        w.field(level + 2, "Type", kind)


def write_pod_template(w: Writer, template: Obj) -> None:
    metadata, spec = template.get("metadata") or {}, template.get("spec") or {}
    w.line(0, "Pod Template:")
    w.multiline(1, "Labels", label_lines(metadata))
    if metadata.get("annotations"):
        w.multiline(1, "Annotations", annotation_lines(metadata))
    w.line(1, "Containers:")
    for container in spec.get("containers") or []:
        write_container(w, container, in_template=True)
    write_volumes(w, 1, spec.get("volumes") or [])


def pod_template_lines(template: Obj) -> list[str]:
    """The Pod Template section on its own (for `rollout history --revision`)."""
    w = Writer()
    write_pod_template(w, template)
    return w.text().rstrip("\n").split("\n")


# ---- events ---------------------------------------------------------------------------

def _event_time(event: Obj) -> str:
    return (event.get("lastTimestamp") or event.get("eventTime")
            or (event.get("metadata") or {}).get("creationTimestamp") or "")


def event_age(event: Obj, now: datetime | None = None) -> str:
    """`10s`, or `3m (x4 over 10m)` for an event seen several times, as kubectl shows."""
    now = now or datetime.now(UTC)
    last = since(_event_time(event), now)
    count = event.get("count") or 1
    if count > 1 and event.get("firstTimestamp"):
        return f"{last} (x{count} over {since(event['firstTimestamp'], now)})"
    return last


def write_events(w: Writer, events: list[Obj]) -> None:
    if not events:
        w.field(0, "Events", NONE)
        return
    w.line(0, "Events:")
    # seconds are coarse: eventTime (microseconds) orders events of the same second
    ordered = sorted(events, key=lambda e: (parse_time(_event_time(e)) or datetime.min.replace(tzinfo=UTC),
                                            e.get("eventTime") or ""))
    source = lambda e: (e.get("source") or {}).get("component") or e.get("reportingComponent") or ""  # noqa: E731
    w.table(1, ["Type", "Reason", "Age", "From", "Message"],
            ([e.get("type", ""), e.get("reason", ""), event_age(e), source(e),
              " ".join(str(e.get("message", "")).split())] for e in ordered))
