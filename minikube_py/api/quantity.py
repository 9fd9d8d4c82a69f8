"""Resource quantities ("500m", "128Mi", "1e3"), as k8s.io/apimachinery/pkg/api/resource reads them.

A quantity is a decimal number followed by a suffix:

- decimal SI:  n u m "" k M G T P E    (10^-9 ... 10^18)
- binary SI:   Ki Mi Gi Ti Pi Ei       (2^10 ... 2^60)
- an exponent: e3, E-2                 (1e3 == 1000)

CPU is usually counted in millicores (`cpu_millis("250m") == 250`) and memory
in bytes (`memory_bytes("1Ki") == 1024`). Like Kubernetes' MilliValue() and
Value(), both round up to the next whole unit and cap at 2^63-1.
We keep the exact value as a `decimal.Decimal`: a float would turn "0.1" into
0.1000000000000000055 and make request <= limit comparisons wrong.

`check_quantity` is the rule for a quantity the API server stores: what
parses, at most 64 characters, and at most 2^63-1 in magnitude. Kubernetes
caps binary-suffixed values at 2^63-1 and keeps others as big decimals; we
refuse both beyond that bound (no `1e1000`, no 5,000-digit numbers, no NaN), a
cheap strictness that keeps every stored quantity within int64 arithmetic.
"""
from __future__ import annotations

import re
from decimal import (
    MAX_EMAX,
    MAX_PREC,
    MIN_EMIN,
    ROUND_CEILING,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
)

Quantity = str | int | float | Decimal

_DECIMAL_SUFFIXES = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_BINARY_SUFFIXES = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
# number, then either an exponent (tried first, so "1E3" is 1000 and "1E" is one exa) or a suffix
_QUANTITY = re.compile(r"(?P<number>[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+))"
                       r"(?:[eE](?P<exponent>[+-]?[0-9]+)|(?P<suffix>[a-zA-Z]*))")
_INT32_MAX = 2**31 - 1
_INT64_MAX = 2**63 - 1
MAX_QUANTITY_LENGTH = 64
# Exact arithmetic: enough precision that multiplying by 1000 or 2^60 never rounds.
_EXACT = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN, traps=[InvalidOperation, Overflow, DivisionByZero])

KUBERNETES_FORMAT = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"


class QuantityError(ValueError):
    """A string that is not a quantity; `detail` says why without repeating the value."""

    def __init__(self, value: object, detail: str) -> None:
        super().__init__(f"{value!r} is not a valid quantity: {detail}")
        self.detail = detail


def parse_quantity(value: Quantity) -> Decimal:
    """The exact value of a quantity: parse_quantity("1.5Gi") == Decimal(1610612736)."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
        raise QuantityError(value, "must be a string or a number")
    if isinstance(value, (int, float, Decimal)):
        return _from_number(value)
    match = _QUANTITY.fullmatch(value)
    if match is None:
        raise QuantityError(value, KUBERNETES_FORMAT)
    number = Decimal(match["number"])
    if match["exponent"] is not None:
        return _scale10(value, number, match["exponent"])
    suffix = match["suffix"]
    if suffix in _DECIMAL_SUFFIXES:
        return _scale10(value, number, _DECIMAL_SUFFIXES[suffix])
    if suffix in _BINARY_SUFFIXES:
        return _EXACT.multiply(number, Decimal(2 ** _BINARY_SUFFIXES[suffix]))
    known = ", ".join([s for s in _DECIMAL_SUFFIXES if s] + list(_BINARY_SUFFIXES))
    raise QuantityError(value, f"unknown suffix {suffix!r} (use one of {known}, or an exponent such as e3)")


def _from_number(value: int | float | Decimal) -> Decimal:
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if not number.is_finite():
        raise QuantityError(value, "must be a finite number")
    return number


def _scale10(text: str, number: Decimal, exponent: int | str) -> Decimal:
    """number * 10^exponent; like Kubernetes, the exponent must fit in 32 bits."""
    if isinstance(exponent, str):
        exponent = int(exponent) if len(exponent) <= 12 else _INT32_MAX + 1
    if abs(exponent) > _INT32_MAX:
        raise QuantityError(text, "exponent is out of range")
    return number.scaleb(exponent, _EXACT)


def _rounded_up_and_capped(value: Decimal) -> int:
    whole = value.to_integral_value(rounding=ROUND_CEILING, context=_EXACT)
    return int(max(min(whole, Decimal(_INT64_MAX)), Decimal(-_INT64_MAX - 1)))


def cpu_millis(quantity: Quantity) -> int:
    """Millicores, rounded up: cpu_millis("0.1") == 100, cpu_millis("1") == 1000, cpu_millis("1u") == 1."""
    return _rounded_up_and_capped(parse_quantity(quantity).scaleb(3, _EXACT))


def memory_bytes(quantity: Quantity) -> int:
    """Bytes, rounded up: memory_bytes("1Mi") == 1048576, memory_bytes("1.5") == 2."""
    return _rounded_up_and_capped(parse_quantity(quantity))


def check_quantity(value: Quantity) -> Decimal:
    """A quantity fit to be stored: parse_quantity's rules, a bounded length and |value| <= 2^63-1."""
    if isinstance(value, str) and len(value) > MAX_QUANTITY_LENGTH:
        raise QuantityError(value[:20] + "...", f"must be at most {MAX_QUANTITY_LENGTH} characters")
    amount = parse_quantity(value)
    if abs(amount) > _INT64_MAX:
        raise QuantityError(value, f"must be between -{_INT64_MAX + 1} and {_INT64_MAX}")
    return amount
