"""Which controllers exist and which run: kube-controller-manager's `--controllers` flag.

Every module in the controllers package registers its controller class with
`@register` when imported; `load_all()` imports them all, so a new controller
is one new file. `select()` reads the flag as Kubernetes does:

    "*"              every controller that is on by default
    "foo"            also foo
    "-foo"           not foo
    "*,-namespace"   everything but the namespace controller
"""
from __future__ import annotations

import importlib
import pkgutil

import controllers
from controllers.base import CONTROLLERS, Controller

NOT_CONTROLLERS = {"base", "config", "registry", "manager", "cli", "__main__"}


def load_all() -> dict[str, type[Controller]]:
    for module in pkgutil.iter_modules(controllers.__path__):
        if module.name not in NOT_CONTROLLERS and not module.name.startswith("_"):
            importlib.import_module(f"controllers.{module.name}")
    return dict(CONTROLLERS)


def select(spec: str, known: dict[str, type[Controller]]) -> list[str]:
    """The names `spec` enables, in a stable order; ValueError for an unknown name."""
    items = [item.strip() for item in spec.split(",") if item.strip()]
    for item in items:
        name = item.lstrip("-")
        if name != "*" and name not in known:
            raise ValueError(f"unknown controller {name!r}; known: {', '.join(sorted(known))}")
    chosen = set()
    if "*" in items:
        chosen = {name for name, cls in known.items() if cls.enabled_by_default}
    chosen |= {item for item in items if item != "*" and not item.startswith("-")}
    chosen -= {item[1:] for item in items if item.startswith("-")}
    return sorted(chosen)
