"""Label selectors, as k8s.io/apimachinery/pkg/labels and metav1.LabelSelector do them.

Label selector string syntax (requirements are ANDed, separated by commas):

    app=web   app==web   tier!=db          equality / inequality
    env in (prod,staging)   env notin (dev)    set membership
    gpu       !gpu                          key exists / does not exist
    replicas>2   replicas<5                 integer comparison (Kubernetes extension)

Two selectors that look alike differ in meaning: an empty selector ("" or
`{}`) matches EVERY object, while a missing selector (`None`) matches NOTHING.
A Service without a selector selects no pods; a `kubectl get pods` without
`-l` lists them all.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


class SelectorError(ValueError):
    """A label or field selector that cannot be parsed or is not supported (HTTP 400)."""


# --------------------------------------------------------------------------
# Label key / value syntax (k8s.io/apimachinery/pkg/util/validation)
# --------------------------------------------------------------------------

_NAME_RE = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
_DNS_SUBDOMAIN_RE = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_NAME_MAX, _PREFIX_MAX, _VALUE_MAX = 63, 253, 63


def label_key_error(key: str) -> str | None:
    """Why `key` is not a valid label key (`[prefix/]name`), or None if it is."""
    prefix, slash, name = key.rpartition("/")
    if slash and not prefix:
        return f"invalid label key {key!r}: prefix part must be non-empty"
    if key.count("/") > 1:
        return f"invalid label key {key!r}: a qualified name has at most one '/'"
    if slash and (len(prefix) > _PREFIX_MAX or not _DNS_SUBDOMAIN_RE.fullmatch(prefix)):
        return (f"invalid label key {key!r}: prefix must be a lowercase DNS subdomain "
                f"of at most {_PREFIX_MAX} characters")
    if not name:
        return f"invalid label key {key!r}: name part must be non-empty"
    if len(name) > _NAME_MAX or not _NAME_RE.fullmatch(name):
        return (f"invalid label key {key!r}: name part must be at most {_NAME_MAX} characters, "
                "alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric")
    return None


def label_value_error(value: str) -> str | None:
    """Why `value` is not a valid label value (may be empty), or None if it is."""
    if value == "":
        return None
    if len(value) > _VALUE_MAX or not _NAME_RE.fullmatch(value):
        return (f"invalid label value {value!r}: must be at most {_VALUE_MAX} characters, "
                "alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric")
    return None


# --------------------------------------------------------------------------
# Label selector model
# --------------------------------------------------------------------------

# Operators, spelled as k8s.io/apimachinery/pkg/selection spells them.
EQUALS, DOUBLE_EQUALS, NOT_EQUALS = "=", "==", "!="
IN, NOT_IN = "in", "notin"
EXISTS, DOES_NOT_EXIST = "exists", "!"
GREATER_THAN, LESS_THAN = "gt", "lt"

_ONE_VALUE_OPERATORS = (EQUALS, DOUBLE_EQUALS, NOT_EQUALS)
_SET_OPERATORS = (IN, NOT_IN)
_NO_VALUE_OPERATORS = (EXISTS, DOES_NOT_EXIST)
_INTEGER_OPERATORS = (GREATER_THAN, LESS_THAN)


@dataclass(frozen=True)
class Requirement:
    """One condition on one label key, e.g. `env in (prod,staging)`.

    Build it with `make_requirement`, which validates; `values` are kept sorted
    because Kubernetes stores them as a set and prints them sorted.
    """
    key: str
    operator: str
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        present = self.key in labels
        value = labels.get(self.key)
        if self.operator in (EQUALS, DOUBLE_EQUALS, IN):
            return present and value in self.values
        if self.operator in (NOT_EQUALS, NOT_IN):
            return not present or value not in self.values
        if self.operator == EXISTS:
            return present
        if self.operator == DOES_NOT_EXIST:
            return not present
        return present and _compare_integers(value, self.operator, self.values[0])

    def __str__(self) -> str:
        if self.operator == EXISTS:
            return self.key
        if self.operator == DOES_NOT_EXIST:
            return f"!{self.key}"
        if self.operator in _SET_OPERATORS:
            return f"{self.key} {self.operator} ({','.join(self.values)})"
        symbol = {GREATER_THAN: ">", LESS_THAN: "<"}.get(self.operator, self.operator)
        return f"{self.key}{symbol}{self.values[0]}"


_INTEGER_RE = re.compile(r"[-+]?[0-9]+")


def _compare_integers(label_value: Any, operator: str, bound: str) -> bool:
    if not isinstance(label_value, str) or not _INTEGER_RE.fullmatch(label_value):
        return False          # Kubernetes: a non-integer label never matches gt/lt
    number = int(label_value)
    return number > int(bound) if operator == GREATER_THAN else number < int(bound)


def make_requirement(key: str, operator: str, values: Iterable[str] = ()) -> Requirement:
    """Validate and build a Requirement (labels.NewRequirement)."""
    values = tuple(sorted(set(values)))
    problem = label_key_error(key) or _operator_values_error(operator, values)
    if problem is None:
        problem = next(filter(None, map(label_value_error, values)), None)
    if problem:
        raise SelectorError(problem)
    return Requirement(key, operator, values)


def _operator_values_error(operator: str, values: tuple[str, ...]) -> str | None:
    if operator in _SET_OPERATORS and not values:
        return "for 'in', 'notin' operators, values set can't be empty"
    if operator in _ONE_VALUE_OPERATORS and len(values) != 1:
        return "exact-match compatibility requires one single value"
    if operator in _NO_VALUE_OPERATORS and values:
        return "values set must be empty for exists and does not exist"
    if operator in _INTEGER_OPERATORS:
        if len(values) != 1:
            return "for 'gt', 'lt' operators, exactly one value is required"
        if not _INTEGER_RE.fullmatch(values[0]):
            return f"for 'gt', 'lt' operators, the value must be an integer, not {values[0]!r}"
    if operator not in (*_ONE_VALUE_OPERATORS, *_SET_OPERATORS, *_NO_VALUE_OPERATORS,
                        *_INTEGER_OPERATORS):
        return f"{operator!r} is not a valid label selector operator"
    return None


@dataclass(frozen=True)
class LabelSelector:
    """A parsed label selector: requirements ANDed together.

    `matches_nothing` marks the selector Kubernetes calls `labels.Nothing()`,
    which is what a missing (None) metav1.LabelSelector turns into.
    """
    requirements: tuple[Requirement, ...] = ()
    matches_nothing: bool = False

    @classmethod
    def of(cls, requirements: Iterable[Requirement]) -> LabelSelector:
        """Requirements sorted by key, as Kubernetes keeps (and prints) them."""
        return cls(tuple(sorted(requirements, key=lambda r: r.key)))

    @property
    def empty(self) -> bool:
        """True for the match-everything selector (Kubernetes' Selector.Empty())."""
        return not self.requirements and not self.matches_nothing

    def matches(self, labels: Mapping[str, str] | None) -> bool:
        if self.matches_nothing:
            return False
        labels = labels if isinstance(labels, Mapping) else {}
        return all(requirement.matches(labels) for requirement in self.requirements)

    def __str__(self) -> str:
        # Like Kubernetes, both Everything() and Nothing() print as "".
        return ",".join(str(requirement) for requirement in self.requirements)


EVERYTHING = LabelSelector()
NOTHING = LabelSelector(matches_nothing=True)


# --------------------------------------------------------------------------
# Label selector string parser (labels.Parse)
# --------------------------------------------------------------------------

_SPECIAL_TOKENS = ("!=", "==", "=", "!", ",", "(", ")", ">", "<")
_IDENTIFIER_RE = re.compile(r"[^\s!=,()<>]+")
_END = "end of string"


@dataclass(frozen=True)
class _Token:
    text: str                # the token itself; _END at the end of the input
    is_identifier: bool


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while position < len(text):
        if text[position].isspace():
            position += 1
            continue
        special = next((s for s in _SPECIAL_TOKENS if text.startswith(s, position)), None)
        if special:
            tokens.append(_Token(special, False))
            position += len(special)
            continue
        word = _IDENTIFIER_RE.match(text, position)
        if word is None:
            raise SelectorError(f"invalid label selector {text!r}: unexpected {text[position]!r}")
        tokens.append(_Token(word.group(), True))
        position = word.end()
    tokens.append(_Token(_END, False))
    return tokens


class _LabelSelectorParser:
    """Recursive-descent parser over the token list; one method per grammar rule."""

    _OPERATORS = {"=": EQUALS, "==": DOUBLE_EQUALS, "!=": NOT_EQUALS, "in": IN,
                  "notin": NOT_IN, ">": GREATER_THAN, "<": LESS_THAN}

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.position = 0

    def fail(self, found: _Token, expected: str) -> SelectorError:
        return SelectorError(f"invalid label selector {self.text!r}: "
                             f"found '{found.text}', expected: {expected}")

    def peek(self) -> _Token:
        return self.tokens[self.position]

    def take(self) -> _Token:
        token = self.tokens[self.position]
        self.position = min(self.position + 1, len(self.tokens) - 1)
        return token

    def parse(self) -> list[Requirement]:
        if self.peek().text == _END:
            return []
        requirements = [self.requirement()]
        while (token := self.take()).text != _END:
            if token.text != ",":
                raise self.fail(token, "',' or 'end of string'")
            requirements.append(self.requirement())
        return requirements

    def requirement(self) -> Requirement:
        negated = self.peek().text == "!"
        if negated:
            self.take()
        key = self.key()
        if self.peek().text in (",", _END):
            return self.build(key, DOES_NOT_EXIST if negated else EXISTS, ())
        if negated:
            raise self.fail(self.peek(), "',' or 'end of string' after a '!key' requirement")
        operator_token = self.take()
        operator = self._OPERATORS.get(operator_token.text)
        if operator is None:
            raise self.fail(operator_token, "in, notin, =, ==, !=, gt, lt")
        values = self.value_set() if operator in _SET_OPERATORS else (self.single_value(),)
        return self.build(key, operator, values)

    def key(self) -> str:
        token = self.take()
        if not token.is_identifier or token.text in ("in", "notin"):
            raise self.fail(token, "identifier")
        return token.text

    def single_value(self) -> str:
        if self.peek().text in (",", _END):
            return ""                     # `tier=` means "tier is the empty string"
        token = self.take()
        if not token.is_identifier:
            raise self.fail(token, "identifier")
        return token.text

    def value_set(self) -> tuple[str, ...]:
        token = self.take()
        if token.text != "(":
            raise self.fail(token, "'('")
        values = [self.value_in_list()]
        while (token := self.take()).text == ",":
            values.append(self.value_in_list())
        if token.text != ")":
            raise self.fail(token, "',' or ')'")
        return tuple(values)

    def value_in_list(self) -> str:
        # `(a,,b)` and `()` hold the empty value, as in Kubernetes.
        if self.peek().text in (",", ")"):
            return ""
        token = self.take()
        if not token.is_identifier:
            raise self.fail(token, "identifier, ',' or ')'")
        return token.text

    def build(self, key: str, operator: str, values: tuple[str, ...]) -> Requirement:
        try:
            return make_requirement(key, operator, values)
        except SelectorError as error:
            raise SelectorError(f"invalid label selector {self.text!r}: {error}") from None


def parse_label_selector(text: str) -> LabelSelector:
    """Parse the `?labelSelector=` / `kubectl -l` syntax; "" selects everything."""
    if not isinstance(text, str):
        raise SelectorError(f"label selector must be a string, not {type(text).__name__}")
    return LabelSelector.of(_LabelSelectorParser(text).parse())


# --------------------------------------------------------------------------
# metav1.LabelSelector objects (matchLabels + matchExpressions)
# --------------------------------------------------------------------------

_EXPRESSION_OPERATORS = {"In": IN, "NotIn": NOT_IN, "Exists": EXISTS, "DoesNotExist": DOES_NOT_EXIST}


def label_selector_from_dict(selector: Mapping[str, Any] | None) -> LabelSelector:
    """metav1.LabelSelectorAsSelector: None matches nothing, {} matches everything."""
    if selector is None:
        return NOTHING
    if not isinstance(selector, Mapping):
        raise SelectorError(f"label selector must be an object, not {json_type_name(selector)}")
    unknown = sorted(str(key) for key in selector if key not in ("matchLabels", "matchExpressions"))
    if unknown:
        raise SelectorError(f"label selector has unknown field(s): {', '.join(unknown)}")
    requirements = [*_match_labels(selector.get("matchLabels")),
                    *_match_expressions(selector.get("matchExpressions"))]
    return LabelSelector.of(requirements) if requirements else EVERYTHING


def label_selector_from_set(labels: Mapping[str, str] | None) -> LabelSelector:
    """labels.SelectorFromValidatedSet: `key=value` for each pair (a Service's spec.selector)."""
    return LabelSelector.of(_match_labels(labels, field="selector"))


def _match_labels(match_labels: Any, field: str = "matchLabels") -> list[Requirement]:
    if match_labels is None:
        return []
    if not isinstance(match_labels, Mapping):
        raise SelectorError(f"{field} must be an object of strings, not {json_type_name(match_labels)}")
    requirements = []
    for key, value in match_labels.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise SelectorError(f"{field}[{key!r}] must be a string, not {json_type_name(value)}")
        requirements.append(_checked(f"{field}[{key!r}]", key, EQUALS, (value,)))
    return requirements


def _match_expressions(expressions: Any) -> list[Requirement]:
    if expressions is None:
        return []
    if not isinstance(expressions, list):
        raise SelectorError(f"matchExpressions must be a list, not {json_type_name(expressions)}")
    return [_match_expression(f"matchExpressions[{i}]", expression)
            for i, expression in enumerate(expressions)]


def _match_expression(where: str, expression: Any) -> Requirement:
    if not isinstance(expression, Mapping):
        raise SelectorError(f"{where} must be an object, not {json_type_name(expression)}")
    key, operator, values = (expression.get(f) for f in ("key", "operator", "values"))
    if not isinstance(key, str):
        raise SelectorError(f"{where}.key must be a string, not {json_type_name(key)}")
    if not isinstance(operator, str) or operator not in _EXPRESSION_OPERATORS:
        raise SelectorError(f"{where}.operator: {operator!r} is not a valid label selector "
                            f"operator (one of {', '.join(_EXPRESSION_OPERATORS)})")
    values = [] if values is None else values
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise SelectorError(f"{where}.values must be a list of strings")
    return _checked(where, key, _EXPRESSION_OPERATORS[operator], values)


def _checked(where: str, key: str, operator: str, values: Iterable[str]) -> Requirement:
    try:
        return make_requirement(key, operator, values)
    except SelectorError as error:
        raise SelectorError(f"{where}: {error}") from None


def json_type_name(value: Any) -> str:
    """The JSON name of a value's type, for error messages ("object", "list", "string", ...)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    return "object" if isinstance(value, Mapping) else type(value).__name__
