"""Container resource requests and limits, as Kubernetes' ValidateResourceRequirements does it.

`resources.requests` is what the scheduler reserves on a node, `resources.limits`
what the container may never exceed (cgroups). Both map resource names (cpu,
memory, ephemeral-storage, hugepages-<size>, or a domain-prefixed extended
resource such as example.com/gpu) to quantities, and a request may not exceed
its limit.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from minikube_py.api.quantity import QuantityError, check_quantity

from .field import Cause, child, invalid, key
from .names import qualified_name_problems
from .shapes import get_object

STANDARD_CONTAINER_RESOURCES = ("cpu", "memory", "ephemeral-storage")


def quantity_errors(path: str, value: Any) -> tuple[list[Cause], Decimal | None]:
    """A quantity field (string or number): its errors, and its value when valid."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return [invalid(path, value, "must be a quantity (a string such as \"500m\" or \"128Mi\", or a number)")], None
    try:
        return [], check_quantity(value)
    except QuantityError as error:
        return [invalid(path, value, error.detail)], None


def nonnegative_quantity_errors(path: str, value: Any) -> tuple[list[Cause], Decimal | None]:
    errs, amount = quantity_errors(path, value)
    if amount is not None and amount < 0:
        return [invalid(path, value, "must be greater than or equal to 0")], None
    return errs, amount


def _resource_name_errors(path: str, name: str) -> list[Cause]:
    problems = qualified_name_problems(name)
    if problems:
        return [invalid(path, name, problem) for problem in problems]
    if "/" not in name and name not in STANDARD_CONTAINER_RESOURCES and not name.startswith("hugepages-"):
        return [invalid(path, name, "must be a standard resource for containers")]
    return []


def _resource_list(resources: dict[str, Any], which: str, path: str,
                   errs: list[Cause]) -> dict[str, tuple[Any, Decimal]]:
    """Validate requests or limits; return {resource: (as written, exact amount)} for the valid entries."""
    list_path = child(path, which)
    amounts = {}
    for name, value in get_object(resources, which, path, errs).items():
        entry_path = key(list_path, name)
        errs += _resource_name_errors(entry_path, name)
        quantity_errs, amount = nonnegative_quantity_errors(entry_path, value)
        errs += quantity_errs
        if amount is not None:
            amounts[name] = (value, amount)
    return amounts


def validate_resource_requirements(container: dict[str, Any], path: str) -> list[Cause]:
    errs: list[Cause] = []
    resources_path = child(path, "resources")
    resources = get_object(container, "resources", path, errs)
    limits = _resource_list(resources, "limits", resources_path, errs)
    requests = _resource_list(resources, "requests", resources_path, errs)
    for name, (written, amount) in requests.items():
        if name in limits and amount > limits[name][1]:
            errs.append(invalid(key(child(resources_path, "requests"), name), written,
                                f"must be less than or equal to {name} limit of {limits[name][0]}"))
    return errs
