"""The pod's /etc/resolv.conf, as kubelet's dns configurer writes it (pkg/kubelet/network/dns).

dnsPolicy ClusterFirst (the default): the cluster DNS Service's address, the
search path `<ns>.svc.cluster.local svc.cluster.local cluster.local` and
`ndots:5`, so `web` and `web.other` resolve as Service names first. Default
(and ClusterFirst with hostNetwork, as in Kubernetes) keep the node's own
file; None writes only what the pod's dnsConfig says.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

CLUSTER_DNS = "10.96.0.10"
CLUSTER_DOMAIN = "cluster.local"
NODE_RESOLV_CONF = "/etc/resolv.conf"


def cluster_first_lines(namespace: str, cluster_dns: str = CLUSTER_DNS,
                        domain: str = CLUSTER_DOMAIN) -> list[str]:
    return [f"nameserver {cluster_dns}",
            f"search {namespace}.svc.{domain} svc.{domain} {domain}",
            "options ndots:5"]


def _dns_config_lines(dns_config: dict[str, Any]) -> list[str]:
    lines = [f"nameserver {ip}" for ip in dns_config.get("nameservers") or []]
    if dns_config.get("searches"):
        lines.append("search " + " ".join(dns_config["searches"]))
    options = [o["name"] + (f":{o['value']}" if o.get("value") else "") for o in dns_config.get("options") or []]
    if options:
        lines.append("options " + " ".join(options))
    return lines


def resolv_conf_text(pod: dict[str, Any], cluster_dns: str = CLUSTER_DNS, domain: str = CLUSTER_DOMAIN,
                     node_resolv_conf: str = NODE_RESOLV_CONF) -> str:
    """What the pod's /etc/resolv.conf should contain, from its dnsPolicy and dnsConfig."""
    spec = pod.get("spec") or {}
    policy = spec.get("dnsPolicy") or "ClusterFirst"
    if policy == "ClusterFirstWithHostNet" or (policy == "ClusterFirst" and not spec.get("hostNetwork")):
        lines = cluster_first_lines(pod["metadata"].get("namespace", "default"), cluster_dns, domain)
    elif policy == "None":
        lines = []
    else:                                               # Default, or ClusterFirst + hostNetwork
        return Path(node_resolv_conf).read_text()
    return "\n".join(lines + _dns_config_lines(spec.get("dnsConfig") or {})) + "\n"


def write_resolv_conf(state_dir: str | Path, pod: dict[str, Any], **options: Any) -> Path:
    """Write <state_dir>/pods/<uid>/resolv.conf atomically; the kubelet bind-mounts it read-only."""
    directory = Path(state_dir) / "pods" / pod["metadata"]["uid"]
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / "resolv.conf"
    handle, tmp = tempfile.mkstemp(dir=directory, prefix=".resolv-")
    with os.fdopen(handle, "w") as f:
        f.write(resolv_conf_text(pod, **options))
    os.chmod(tmp, 0o644)
    os.replace(tmp, target)
    return target
