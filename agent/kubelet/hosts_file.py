"""The pod's /etc/hosts, managed by the kubelet (kubelet_pods.go: ensureHostsFile).

Kubelet writes one hosts file per pod, `<root>/pods/<uid>/etc-hosts`, and
bind-mounts it at /etc/hosts in every container of the pod: localhost, the
pod's own IP under its hostname (and its FQDN when spec.subdomain is set),
then spec.hostAliases. The container runtime's own hosts file is not used,
so the file is the same whatever the runtime or network plugin.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from agent.network.resolv import CLUSTER_DOMAIN

HEADER = """# Kubernetes-managed hosts file.
127.0.0.1\tlocalhost
::1\tlocalhost ip6-localhost ip6-loopback
fe00::0\tip6-localnet
fe00::0\tip6-mcastprefix
fe00::1\tip6-allnodes
fe00::2\tip6-allrouters
"""


def hosts_file_text(pod: dict[str, Any], pod_ip: str | None, domain: str = CLUSTER_DOMAIN) -> str:
    meta, spec = pod["metadata"], pod.get("spec") or {}
    hostname = spec.get("hostname") or meta["name"]
    text = HEADER
    if pod_ip:
        names = [hostname]
        if spec.get("subdomain"):
            names.insert(0, f"{hostname}.{spec['subdomain']}.{meta['namespace']}.svc.{domain}")
        text += f"{pod_ip}\t{chr(9).join(names)}\n"
    aliases = spec.get("hostAliases") or []
    if aliases:
        text += "\n# Entries added by HostAliases.\n"
        text += "".join(f"{a['ip']}\t{chr(9).join(a.get('hostnames') or [])}\n" for a in aliases)
    return text


def write_hosts_file(pod_dir: Path, pod: dict[str, Any], pod_ip: str | None) -> Path:
    """Write (or rewrite, when the pod IP changed) the pod's hosts file; its path."""
    path = pod_dir / "etc-hosts"
    text = hosts_file_text(pod, pod_ip)
    if not path.is_file() or path.read_text() != text:
        pod_dir.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(".etc-hosts.tmp")
        temporary.write_text(text)
        temporary.chmod(0o644)
        temporary.replace(path)
    return path
