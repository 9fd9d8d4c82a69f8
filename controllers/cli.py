"""`minikube-py controller-manager` (or `python -m controllers`): the command line of
kube-controller-manager, for the controllers of this package.

Each registered controller gets a `--concurrent-<name>-syncs` flag (its number
of workers), generated from the registry, so a new controller module needs no
change here.
"""
from __future__ import annotations

import asyncio
import ipaddress
from typing import Any, Callable

import click

from minikube_py import log
from minikube_py.client.config import ConfigError, load_config

from controllers.registry import load_all, select

KNOWN = load_all()


def concurrency_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    for cls in sorted(KNOWN.values(), key=lambda c: c.workers_flag or c.name, reverse=True):
        flag = cls.workers_flag or cls.name
        fn = click.option(f"--concurrent-{flag}-syncs", f"workers_{cls.name}", type=int,
                          default=cls.default_workers, show_default=True,
                          help=f"Workers of the {cls.name} controller.")(fn)
    return fn


@click.command("controller-manager", context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--server", default=None, help="API server URL (default: kubeconfig, MK_SERVER, http://127.0.0.1:6443).")
@click.option("--kubeconfig", default=None, help="Path to a kubeconfig file.")
@click.option("--controllers", "controllers_spec", default="*", show_default=True,
              help=f"Controllers to run: '*' for all, 'foo' to add, '-foo' to remove. "
                   f"Known: {', '.join(sorted(KNOWN))}.")
@click.option("--leader-elect/--no-leader-elect", default=True, show_default=True,
              help="Take the kube-system/kube-controller-manager Lease before running controllers.")
@click.option("--leader-elect-lease-duration", default=15.0, show_default=True, type=float)
@click.option("--leader-elect-renew-deadline", default=10.0, show_default=True, type=float)
@click.option("--leader-elect-retry-period", default=2.0, show_default=True, type=float)
@click.option("--cluster-cidr", default="10.244.0.0/16", show_default=True,
              help="Pod network of the cluster; node IPAM hands out blocks of it.")
@click.option("--node-cidr-mask-size", default=24, show_default=True, type=click.IntRange(8, 30),
              help="Prefix length of each node's pod CIDR.")
@click.option("--node-monitor-grace-period", default=40.0, show_default=True, type=float,
              help="Seconds without a lease renewal before a node is marked Unknown.")
@click.option("--node-monitor-period", default=5.0, show_default=True, type=float,
              help="Seconds between checks of the node leases.")
@click.option("--node-eviction-rate", default=0.1, show_default=True, type=float,
              help="Nodes per second whose pods may start being evicted.")
@concurrency_options
@click.option("-v", "--v", "verbosity", default=0, type=int, help="Log verbosity, as Kubernetes' --v.")
def controller_manager(server: str | None, kubeconfig: str | None, controllers_spec: str, leader_elect: bool,
                       leader_elect_lease_duration: float, leader_elect_renew_deadline: float,
                       leader_elect_retry_period: float, cluster_cidr: str, node_cidr_mask_size: int,
                       node_monitor_grace_period: float, node_monitor_period: float, node_eviction_rate: float,
                       verbosity: int, **workers: int) -> None:
    """Run the controllers (ReplicaSet, Deployment, Endpoints, Namespace, ...)."""
    from controllers.manager import ControllerManager, ManagerOptions
    try:
        chosen = select(controllers_spec, KNOWN)
        ipaddress.ip_network(cluster_cidr)
        config = load_config(server=server, kubeconfig=kubeconfig)
    except (ValueError, ConfigError) as e:
        raise click.BadParameter(str(e)) from e
    log.setup("controller-manager", verbosity)
    options = ManagerOptions(
        controllers=chosen, leader_elect=leader_elect,
        workers={name.removeprefix("workers_"): count for name, count in workers.items()},
        lease_duration=leader_elect_lease_duration, renew_deadline=leader_elect_renew_deadline,
        retry_period=leader_elect_retry_period,
        settings={"cluster_cidr": cluster_cidr, "node_cidr_mask_size": node_cidr_mask_size,
                  "node_monitor_grace_period": node_monitor_grace_period,
                  "node_monitor_period": node_monitor_period, "node_eviction_rate": node_eviction_rate})
    try:
        asyncio.run(ControllerManager(config, options).run())
    except KeyboardInterrupt:
        pass
