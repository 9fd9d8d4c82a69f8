"""Where the API server is and how to talk to it: client-go's `clientcmd`, simplified.

client-go builds a `rest.Config` from a kubeconfig file (the same file kubectl
reads) merged with explicit overrides. We do the same, with this precedence:

    explicit arguments  >  env MK_SERVER / MK_TOKEN  >  kubeconfig  >  http://127.0.0.1:6443

The kubeconfig is the explicit path, else the first file of $KUBECONFIG, else
~/.kube/config. It is the standard format (clusters, users, contexts,
current-context), so one file serves kubectl and mkctl. The namespace comes
from the chosen context unless given explicitly.
"""
from __future__ import annotations

import base64
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

DEFAULT_SERVER = "http://127.0.0.1:6443"


class ConfigError(ValueError):
    """The kubeconfig cannot be used; the message is one line naming the problem."""


@dataclass
class ClientConfig:
    server: str
    token: str | None = None
    ca_file: str | None = None
    insecure_skip_tls_verify: bool = False
    namespace: str = "default"


def load_config(server: str | None = None, token: str | None = None, kubeconfig: str | None = None,
                context: str | None = None, namespace: str | None = None) -> ClientConfig:
    """Resolve a ClientConfig from arguments, environment and kubeconfig (see module docstring)."""
    from_file = _from_kubeconfig(_kubeconfig_path(kubeconfig), context, required=bool(kubeconfig or context))
    return ClientConfig(
        server=(server or os.environ.get("MK_SERVER") or from_file.get("server") or DEFAULT_SERVER).rstrip("/"),
        token=token or os.environ.get("MK_TOKEN") or from_file.get("token"),
        ca_file=from_file.get("ca_file"),
        insecure_skip_tls_verify=bool(from_file.get("insecure_skip_tls_verify", False)),
        namespace=namespace or from_file.get("namespace") or "default",
    )


def _kubeconfig_path(explicit: str | None) -> Path:
    if explicit:
        return Path(explicit).expanduser()
    env = os.environ.get("KUBECONFIG")
    if env:
        # kubectl merges every file of the list; we use the first that exists.
        candidates = [Path(p).expanduser() for p in env.split(os.pathsep) if p]
        return next((p for p in candidates if p.exists()), candidates[0] if candidates else Path())
    return Path.home() / ".kube" / "config"


def _from_kubeconfig(path: Path, context_name: str | None, required: bool) -> dict[str, Any]:
    """The settings of one context of a kubeconfig file; {} if there is no file and none was asked for."""
    if not path.is_file():
        if required:
            raise ConfigError(f"kubeconfig {path}: no such file")
        return {}
    try:
        doc = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as e:
        raise ConfigError(f"kubeconfig {path}: cannot parse: {' '.join(str(e).split())}") from None
    if not isinstance(doc, dict):
        raise ConfigError(f"kubeconfig {path}: not a mapping")
    name = context_name or doc.get("current-context")
    if not name:
        return {}      # a kubeconfig without current-context contributes nothing, as in kubectl
    ctx = _named(doc, "contexts", "context", name, path)
    cluster_name, user_name = ctx.get("cluster"), ctx.get("user")
    cluster = _named(doc, "clusters", "cluster", cluster_name, path) if cluster_name else {}
    user = _named(doc, "users", "user", user_name, path) if user_name else {}
    return {
        "server": cluster.get("server"),
        "ca_file": _ca_file(cluster, path),
        "insecure_skip_tls_verify": cluster.get("insecure-skip-tls-verify", False),
        "token": user.get("token") or _token_file(user, path),
        "namespace": ctx.get("namespace"),
    }


def _named(doc: dict[str, Any], section: str, inner: str, name: str, path: Path) -> dict[str, Any]:
    """Find `name` in a kubeconfig list like `contexts: [{name: x, context: {...}}]`."""
    entries = doc.get(section) or []
    if not isinstance(entries, list):
        raise ConfigError(f"kubeconfig {path}: {section} must be a list")
    for entry in entries:
        if isinstance(entry, dict) and entry.get("name") == name:
            body = entry.get(inner) or {}
            if not isinstance(body, dict):
                raise ConfigError(f"kubeconfig {path}: {section[:-1]} {name!r} must be a mapping")
            return body
    return _missing(path, section[:-1], name)


def _missing(path: Path, what: str, name: str) -> dict[str, Any]:
    raise ConfigError(f"kubeconfig {path}: {what} {name!r} not found")


def _ca_file(cluster: dict[str, Any], path: Path) -> str | None:
    if cluster.get("certificate-authority"):
        return str((path.parent / cluster["certificate-authority"]).expanduser())
    data = cluster.get("certificate-authority-data")
    if not data:
        return None
    try:
        pem = base64.b64decode(data, validate=True)
    except ValueError:
        raise ConfigError(f"kubeconfig {path}: certificate-authority-data is not base64") from None
    handle, name = tempfile.mkstemp(prefix="mk-ca-", suffix=".pem")
    with os.fdopen(handle, "wb") as f:
        f.write(pem)
    return name


def _token_file(user: dict[str, Any], path: Path) -> str | None:
    if not user.get("tokenFile"):
        return None
    try:
        token_path: Path = path.parent / user["tokenFile"]
        return token_path.expanduser().read_text().strip()
    except OSError as e:
        raise ConfigError(f"kubeconfig {path}: tokenFile: {e.strerror}") from None
