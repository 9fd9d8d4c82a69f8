"""Label and field selectors, as Kubernetes does them.

- labels.py: the `?labelSelector=` string syntax and metav1.LabelSelector
  objects (`{matchLabels, matchExpressions}` in Deployments, ReplicaSets, ...).
- fields.py: the `?fieldSelector=` syntax and each type's selectable fields.
"""
from .fields import (
    FieldGetter,
    FieldSelector,
    check_supported,
    escape_field_value,
    object_fields,
    parse_field_selector,
    supported_fields,
)
from .labels import (
    EVERYTHING,
    NOTHING,
    LabelSelector,
    Requirement,
    SelectorError,
    json_type_name,
    label_key_error,
    label_selector_from_dict,
    label_selector_from_set,
    label_value_error,
    make_requirement,
    parse_label_selector,
)

__all__ = [
    "EVERYTHING", "NOTHING", "FieldGetter", "FieldSelector", "LabelSelector", "Requirement", "SelectorError",
    "check_supported", "escape_field_value", "json_type_name", "label_key_error", "label_selector_from_dict",
    "label_selector_from_set", "label_value_error", "make_requirement", "object_fields",
    "parse_field_selector", "parse_label_selector", "supported_fields",
]
