"""`minikube-py controller-manager` (or `python -m controllers`): the command line of
kube-controller-manager, for the controllers of this package.

Each registered controller gets a `--concurrent-<name>-syncs` flag (its number
of workers), generated from the registry, so a new controller module needs no
change here.
"""
from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Callable
from typing import Any

import click

from controllers.config import (
    ControllerManagerConfiguration,
    NodeIPAMControllerConfiguration,
    NodeLifecycleControllerConfiguration,
)
from controllers.manager import LEASE_NAME, ControllerManager, ManagerOptions
from controllers.registry import load_all, select
from minikube_py import log
from minikube_py.client.config import ClientConfig
from minikube_py.component_base import (
    CONTEXT_SETTINGS,
    DURATION,
    LeaderElectionConfiguration,
    client_options,
    leader_election_options,
    verbosity_option,
)

KNOWN = load_all()
IPAM, LIFECYCLE = NodeIPAMControllerConfiguration(), NodeLifecycleControllerConfiguration()


def concurrency_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    for cls in sorted(KNOWN.values(), key=lambda c: c.workers_flag or c.name, reverse=True):
        flag = cls.workers_flag or cls.name
        fn = click.option(f"--concurrent-{flag}-syncs", f"workers_{cls.name}", type=int,
                          default=cls.default_workers, show_default=True,
                          help=f"Workers of the {cls.name} controller.")(fn)
    return fn


@click.command("controller-manager", context_settings=CONTEXT_SETTINGS)
@client_options
@click.option("--controllers", "controllers_spec", default="*", show_default=True,
              help=f"Controllers to run: '*' for all, 'foo' to add, '-foo' to remove. "
                   f"Known: {', '.join(sorted(KNOWN))}.")
@leader_election_options(LEASE_NAME)
@click.option("--cluster-cidr", default=IPAM.cluster_cidr, show_default=True,
              help="Pod network of the cluster; node IPAM hands out blocks of it.")
@click.option("--node-cidr-mask-size", default=IPAM.node_cidr_mask_size, show_default=True,
              type=click.IntRange(8, 30), help="Prefix length of each node's pod CIDR.")
@click.option("--node-monitor-grace-period", default=LIFECYCLE.node_monitor_grace_period, show_default=True,
              type=DURATION, help="Time without a lease renewal before a node is marked Unknown.")
@click.option("--node-monitor-period", default=LIFECYCLE.node_monitor_period, show_default=True, type=DURATION,
              help="Time between checks of the node leases.")
@click.option("--node-eviction-rate", default=LIFECYCLE.node_eviction_rate, show_default=True, type=float,
              help="Nodes per second whose pods may start being evicted.")
@concurrency_options
@verbosity_option
def controller_manager(client_config: ClientConfig, controllers_spec: str,
                       leader_election: LeaderElectionConfiguration, cluster_cidr: str, node_cidr_mask_size: int,
                       node_monitor_grace_period: float, node_monitor_period: float, node_eviction_rate: float,
                       verbosity: int, **workers: int) -> None:
    """Run the controllers (ReplicaSet, Deployment, Endpoints, Namespace, ...)."""
    try:
        chosen = select(controllers_spec, KNOWN)
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--controllers") from e
    try:
        ipaddress.ip_network(cluster_cidr)
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--cluster-cidr") from e
    log.setup("controller-manager", verbosity)
    options = ManagerOptions(
        controllers=chosen, leader_election=leader_election,
        workers={name.removeprefix("workers_"): count for name, count in workers.items()},
        config=ControllerManagerConfiguration(
            node_ipam=NodeIPAMControllerConfiguration(cluster_cidr, node_cidr_mask_size),
            node_lifecycle=NodeLifecycleControllerConfiguration(node_monitor_grace_period, node_monitor_period,
                                                                node_eviction_rate)))
    try:
        asyncio.run(ControllerManager(client_config, options).run())
    except KeyboardInterrupt:
        pass
