"""`--controllers` selection as kube-controller-manager reads it (controllers/registry.py)."""
from __future__ import annotations

import pytest

from controllers.registry import load_all, select


def test_every_controller_module_registers_itself():
    assert {"deployment", "endpoint", "namespace", "replicaset"} <= set(load_all())


def test_star_minus_and_plus():
    known = load_all()
    assert select("*", known) == sorted(name for name, cls in known.items() if cls.enabled_by_default)
    assert "namespace" not in select("*,-namespace", known)
    assert select("replicaset", known) == ["replicaset"]
    assert select("replicaset,deployment,-replicaset", known) == ["deployment"]
    with pytest.raises(ValueError, match="unknown controller"):
        select("*,-nosuch", known)
