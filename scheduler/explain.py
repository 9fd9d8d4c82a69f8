"""Explaining a decision to people studying it (no kube-scheduler equivalent; its closest
relatives are the -v=10 score logs and the scheduler-simulator's result annotations).

Two forms:
- a per-node table (filter result and per-plugin weighted scores), logged at
  -v 4 or with --explain;
- a compact JSON annotation `scheduler.minikube-py.io/decision` on the pod:
  the chosen node, how many nodes were evaluated/feasible, the top nodes with
  their per-plugin scores, and how many nodes each filter reason removed.
"""
from __future__ import annotations

import heapq
from typing import Any

import orjson

from scheduler.algorithm import Decision

DECISION_ANNOTATION = "scheduler.minikube-py.io/decision"
TOP_NODES = 3
TABLE_ROWS = 20


def _ranked(decision: Decision, count: int) -> list[int]:
    """The indexes of the `count` best feasible nodes, best first (the first of equals first)."""
    return heapq.nlargest(count, range(len(decision.feasible)), key=decision.totals.__getitem__)


def decision_summary(decision: Decision) -> dict[str, Any]:
    top = []
    for index in _ranked(decision, TOP_NODES):
        scores = {plugin: column[index] for plugin, column in decision.scores.items()}
        top.append({"node": decision.feasible[index].name, "total": decision.totals[index], "scores": scores})
    summary: dict[str, Any] = {"node": decision.node, "nodes": decision.total_nodes,
                               "evaluated": decision.evaluated, "feasible": len(decision.feasible)}
    if top:
        summary["top"] = top
    if decision.rejected:
        summary["filtered"] = dict(sorted(decision.reason_counts().items()))
    return summary


def decision_annotation(decision: Decision) -> str:
    return orjson.dumps(decision_summary(decision)).decode()


def decision_table(pod_key: str, decision: Decision) -> str:
    """A readable table: feasible nodes by total score, then rejected nodes with the reason."""
    plugins = list(decision.scores)
    header = ["NODE", "RESULT", "TOTAL", *plugins]
    rows = []
    for index in _ranked(decision, TABLE_ROWS):
        node = decision.feasible[index].name
        rows.append([node, "chosen" if node == decision.node else "feasible", str(decision.totals[index]),
                     *(str(decision.scores[p][index]) for p in plugins)])
    for node, status in list(decision.rejected.items())[:TABLE_ROWS]:
        rows.append([node, f"{status.plugin}: {'; '.join(status.reasons)}", "", *([""] * len(plugins))])
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in [header, *rows]]
    hidden = max(0, len(decision.feasible) - TABLE_ROWS) + max(0, len(decision.rejected) - TABLE_ROWS)
    title = (f"decision for {pod_key}: {decision.node or 'no node'} "
             f"({decision.evaluated}/{decision.total_nodes} nodes evaluated, {len(decision.feasible)} feasible)")
    return "\n".join([title, *lines] + ([f"... {hidden} more rows"] if hidden else []))
