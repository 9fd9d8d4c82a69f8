"""Label selector validation, as k8s.io/apimachinery/pkg/apis/meta/v1/validation does it.

A metav1.LabelSelector is `matchLabels` (all must be equal) plus
`matchExpressions` (key, operator In/NotIn/Exists/DoesNotExist, values).
Matching selectors against labels is `minikube_py.api.selectors`' job; this
module only says, field by field, what is wrong with one.
"""
from __future__ import annotations

from typing import Any

from .field import Cause, child, forbidden, invalid, not_supported, required
from .meta import validate_labels
from .names import Syntax, check, label_value_problems, qualified_name_problems
from .shapes import get_list, get_required_str, objects_in, strings_in

SELECTOR_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")


SELECTOR_FIELDS = ("matchLabels", "matchExpressions")


def validate_label_selector(selector: dict[str, Any], path: str) -> list[Cause]:
    errs = [forbidden(child(path, str(name)), "unknown field") for name in selector if name not in SELECTOR_FIELDS]
    errs += validate_labels(selector.get("matchLabels"), child(path, "matchLabels"))
    expressions_path = child(path, "matchExpressions")
    for expression_path, expression in objects_in(get_list(selector, "matchExpressions", path, errs),
                                                  expressions_path, errs):
        errs += validate_requirement(expression, expression_path, SELECTOR_OPERATORS, label_value_problems)
    return errs


def validate_requirement(requirement: dict[str, Any], path: str, operators: tuple[str, ...],
                         value_syntax: Syntax | None) -> list[Cause]:
    """One `{key, operator, values}` (label selectors and node selector terms share this shape)."""
    errs: list[Cause] = []
    errs += check(child(path, "key"), requirement.get("key"), qualified_name_problems, required_value=True)
    operator = get_required_str(requirement, "operator", path, errs)
    values = get_list(requirement, "values", path, errs)
    operator_path, values_path = child(path, "operator"), child(path, "values")
    if operator is not None and operator not in operators:
        errs.append(not_supported(operator_path, operator, operators))
    elif operator in ("In", "NotIn") and not values:
        errs.append(required(values_path, "must be specified when `operator` is 'In' or 'NotIn'"))
    elif operator in ("Exists", "DoesNotExist") and values:
        errs.append(forbidden(values_path, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"))
    elif operator in ("Gt", "Lt") and len(values) != 1:
        errs.append(required(values_path, "must be specified single value when `operator` is 'Lt' or 'Gt'"))
    for value_path, value in strings_in(values, values_path, errs):
        if value_syntax is not None:
            errs += [invalid(value_path, value, problem) for problem in value_syntax(value)]
    return errs
