"""Per-type behaviour of the REST verbs (Kubernetes' "registry strategies").

The generic handlers do what every resource shares (decode, default,
validate, store, watch); a `Strategy` supplies what differs per type: which
parts a plain update may change, how status is reset, how deletion proceeds
and what else must be written in the same etcd transaction. `strategy_for`
picks the right one.
"""
from __future__ import annotations

from minikube_py.api.resources import ResourceType

from ..options import RegistryConfig
from .base import Strategy
from .disruption_budgets import PodDisruptionBudgetStrategy
from .namespaces import NamespaceStrategy
from .pods import PodStrategy
from .services import ServiceStrategy

_SPECIAL: dict[str, type[Strategy]] = {
    "pods": PodStrategy,
    "services": ServiceStrategy,
    "namespaces": NamespaceStrategy,
    "poddisruptionbudgets": PodDisruptionBudgetStrategy,
}


def strategy_for(rt: ResourceType, config: RegistryConfig) -> Strategy:
    return _SPECIAL.get(rt.plural, Strategy)(rt, config)


__all__ = ["Strategy", "strategy_for"]
