"""What the lab runs, and how: the command line of every component.

    on the host (control plane at 192.168.56.10):
        etcd, apiserver, controller-manager, scheduler,
        dns (the cluster DNS server: talks to the API from the host, but its
             sockets live in node 1's namespace at 192.168.56.11:53; the
             Service kube-system/kube-dns 10.96.0.10 points there)
    in each node's namespace (192.168.56.1<i>):
        agent-node<i> (kubelet), proxy-node<i> (kube-proxy) and netpol-node<i>
        (the NetworkPolicy agent, agent/netpol/)

Components are listed in start order; the supervisor stops them in reverse.
Every one is started the same way, `python -m minikube_py <component> ...`
(= `minikube-py <component>`, minikube_py/cli/daemons.py), with this
environment's Python; vagrant/lab_units.py makes the Vagrant lab's systemd
units from these same command lines.
"""
from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass

from minikube_py.lab.config import (
    API_PORT,
    DEAD_NODE_TOLERATION_SECONDS,
    ETCD_PORT,
    NODE_MONITOR_GRACE_SECONDS,
    LabConfig,
)


@dataclass(frozen=True)
class Component:
    name: str
    argv: tuple[str, ...]
    netns: str | None = None          # run inside this namespace (nsenter --net)
    health_url: str | None = None     # HTTP 200 when healthy
    node: int | None = None           # the node an agent, proxy or netpol agent belongs to


def _daemon(component: str, *args: str) -> tuple[str, ...]:
    return (sys.executable, "-m", "minikube_py", component, *args)


def control_plane(config: LabConfig) -> list[Component]:
    ip, server = config.control_plane_ip, config.api_url
    etcd = shutil.which("etcd") or "/usr/bin/etcd"
    return [
        Component("etcd", (etcd, "--name", f"mkpy-{config.name}", "--data-dir", str(config.state_dir / "etcd"),
                           "--logger", "zap", "--log-outputs", "stderr",
                           "--listen-client-urls", config.etcd_url, "--advertise-client-urls", config.etcd_url,
                           "--listen-peer-urls", f"http://{ip}:{ETCD_PORT + 1}",
                           "--initial-advertise-peer-urls", f"http://{ip}:{ETCD_PORT + 1}",
                           "--initial-cluster", f"mkpy-{config.name}=http://{ip}:{ETCD_PORT + 1}"),
                  health_url=f"{config.etcd_url}/health"),
        Component("apiserver", _daemon("apiserver", "--bind-address", ip, "--port", str(API_PORT),
                                       "--advertise-address", ip, "--etcd-servers", config.etcd_url,
                                       "--default-not-ready-toleration-seconds", str(DEAD_NODE_TOLERATION_SECONDS),
                                       "--default-unreachable-toleration-seconds", str(DEAD_NODE_TOLERATION_SECONDS)),
                  health_url=f"{server}/readyz"),
        # Leader election on for both, as kubeadm runs them: one replica here, but the Leases
        # in kube-system show the mechanism, and a restarted process waits for the old lease.
        Component("controller-manager", _daemon("controller-manager", "--server", server, "--leader-elect",
                                                "--node-monitor-grace-period", str(NODE_MONITOR_GRACE_SECONDS))),
        Component("scheduler", _daemon("scheduler", "--server", server, "--leader-elect")),
        Component("dns", _daemon("dns", "--server", server, "--netns", config.netns(1),
                                 "--listen", f"{config.node_ip(1)}:53")),
    ]


def node_components(config: LabConfig, i: int) -> list[Component]:
    netns, server = config.netns(i), config.api_url
    root = config.state_dir / "nodes" / config.node_name(i)
    return [
        Component(f"agent-node{i}", _daemon("agent", "--server", server, "--node-name", config.node_name(i),
                                            "--node-ip", config.node_ip(i), "--root-dir", str(root),
                                            "--network", "bridge"),
                  netns=netns, node=i),
        Component(f"proxy-node{i}", _daemon("proxy", "--server", server), netns=netns, node=i),
        Component(f"netpol-node{i}", _daemon("netpol", "--server", server, "--node-name", config.node_name(i)),
                  netns=netns, node=i),
    ]


def all_components(config: LabConfig) -> list[Component]:
    nodes = [c for i in config.node_indexes() for c in node_components(config, i)]
    return control_plane(config) + nodes


def find(config: LabConfig, name: str) -> Component:
    for component in all_components(config):
        if component.name == name:
            return component
    known = ", ".join(c.name for c in all_components(config))
    raise ValueError(f"no component {name!r} in lab {config.name} (components: {known})")
