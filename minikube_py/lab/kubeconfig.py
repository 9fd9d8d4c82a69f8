"""A standard kubeconfig for the lab (cluster, user, context), for mkctl, kubectl and client libraries.

    export KUBECONFIG=/var/lib/minikube-py/lab/<name>/kubeconfig
    mkctl get nodes
"""
from __future__ import annotations

from pathlib import Path

import yaml

from minikube_py.lab.config import LabConfig


def kubeconfig(config: LabConfig) -> dict:
    name = f"mkpy-{config.name}"
    return {
        "apiVersion": "v1", "kind": "Config", "preferences": {},
        "clusters": [{"name": name, "cluster": {"server": config.api_url}}],
        "users": [{"name": f"{name}-admin", "user": {}}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": f"{name}-admin",
                                                "namespace": "default"}}],
        "current-context": name,
    }


def write_kubeconfig(config: LabConfig) -> Path:
    path = config.state_dir / "kubeconfig"
    path.write_text(yaml.safe_dump(kubeconfig(config), sort_keys=False))
    return path
