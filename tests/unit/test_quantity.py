"""Resource quantities: parsing every suffix form, rounding like Kubernetes, clear errors."""
from __future__ import annotations

from decimal import Decimal

import pytest

from minikube_py.api.quantity import QuantityError, cpu_millis, memory_bytes, parse_quantity


@pytest.mark.parametrize("text, expected", [
    ("0", "0"), ("1", "1"), ("+1", "1"), ("-1", "-1"), (".5", "0.5"), ("5.", "5"), ("1.5", "1.5"),
    ("500m", "0.5"), ("250u", "0.00025"), ("3n", "0.000000003"),
    ("1k", "1000"), ("2M", "2000000"), ("1G", "1e9"), ("1T", "1e12"), ("1P", "1e15"), ("1E", "1e18"),
    ("1Ki", "1024"), ("1.5Mi", "1572864"), ("1Gi", "1073741824"), ("1Ti", str(2**40)), ("1Pi", str(2**50)),
    ("1Ei", str(2**60)),
    ("1e3", "1000"), ("1E3", "1000"), ("1e-3", "0.001"), ("2.5e+2", "250"),
])
def test_parses_every_form(text: str, expected: str) -> None:
    assert parse_quantity(text) == Decimal(expected)


def test_numbers_are_quantities_too() -> None:
    assert parse_quantity(2) == 2
    assert parse_quantity(0.1) == Decimal("0.1")            # not 0.1000000000000000055...
    assert parse_quantity(Decimal("1.25")) == Decimal("1.25")


@pytest.mark.parametrize("bad", ["", "-", ".", "12xyz", "1 ", " 1", "1e", "e3", "1.2.3", "m", "1Kb", "1mi", "0x10",
                                 "1e99999999999", "١٢"])
def test_rejects_malformed_strings(bad: str) -> None:
    with pytest.raises(ValueError) as raised:
        parse_quantity(bad)
    assert repr(bad) in str(raised.value)


def test_error_messages_say_what_is_wrong() -> None:
    with pytest.raises(QuantityError) as raised:
        parse_quantity("12xyz")
    assert raised.value.detail.startswith("unknown suffix 'xyz' (use one of n, u, m, k, M, G, T, P, E, Ki, Mi")
    with pytest.raises(QuantityError) as raised:
        parse_quantity("")
    assert raised.value.detail == ("quantities must match the regular expression "
                                   "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")


@pytest.mark.parametrize("bad", [True, None, [], {}, float("nan"), float("inf")])
def test_rejects_non_quantities(bad: object) -> None:
    with pytest.raises(ValueError):
        parse_quantity(bad)


@pytest.mark.parametrize("quantity, millis", [
    ("1", 1000), ("0.1", 100), ("250m", 250), ("1u", 1), ("0.0001", 1), ("1.0001", 1001), (2, 2000), ("0", 0),
    ("-1", -1000), ("-0.0001", 0),
])
def test_cpu_millis_rounds_up(quantity: str, millis: int) -> None:
    assert cpu_millis(quantity) == millis


@pytest.mark.parametrize("quantity, size", [
    ("1Ki", 1024), ("128Mi", 134217728), ("1G", 10**9), ("1.5", 2), ("500m", 1), ("1e3", 1000), (100, 100),
])
def test_memory_bytes_rounds_up(quantity: str, size: int) -> None:
    assert memory_bytes(quantity) == size


def test_precision_beyond_floats_is_kept() -> None:
    assert cpu_millis("1.0000000000000000000000000000000001") == 1001


def test_huge_values_are_capped_at_int64_like_kubernetes() -> None:
    assert memory_bytes("1e400") == 2**63 - 1
    assert cpu_millis("10E") == 2**63 - 1
    assert memory_bytes("-1e400") == -(2**63)
