"""PodDisruptionBudgets: the status a new budget starts with (Kubernetes' pdb strategy).

A client cannot post a status; the new budget starts with every count at 0
(which allows no eviction) until the disruption controller has computed it.
The four counts are always present, as Kubernetes' JSON has them (they are
not `omitempty`), so clients that require them can read the create response.
"""
from __future__ import annotations

from typing import Any

from ..objectmeta import Object
from .base import Strategy


class PodDisruptionBudgetStrategy(Strategy):
    def initial_status(self, obj: Object) -> dict[str, Any]:
        return {"disruptionsAllowed": 0, "currentHealthy": 0, "desiredHealthy": 0, "expectedPods": 0}
