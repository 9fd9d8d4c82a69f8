"""`minikube-py netpol` (or `python -m agent.netpol`): the NetworkPolicy agent of one node.

    minikube-py netpol --server URL --node-name NODE [--netns NODE_NETNS]
                       [--min-sync-period 0.2] [--full-sync-period 60] [-v N]
    minikube-py netpol --cleanup [--netns NODE_NETNS]

Without --netns it programs the namespace it runs in (the lab starts it inside
the node's namespace, beside kube-proxy). --cleanup removes its jumps and
chains and exits, as kube-proxy's --cleanup.
"""
from __future__ import annotations

import asyncio

import click

from minikube_py import log
from minikube_py.client import ApiClient, ClientConfig
from minikube_py.client.informer import SharedInformerFactory
from minikube_py.component_base import CONTEXT_SETTINGS, DURATION, client_options, verbosity_option

from .controller import NetworkPolicyController, cleanup


async def run(client_config: ClientConfig, node_name: str, netns: str | None, min_sync_period: float,
              full_sync_period: float) -> None:
    async with ApiClient(client_config) as api:
        factory = SharedInformerFactory(api)
        controller = NetworkPolicyController(
            factory.informer("networkpolicies"), factory.informer("pods"), factory.informer("namespaces"),
            node_name=node_name, netns=netns, min_sync_period=min_sync_period, full_sync_period=full_sync_period)
        factory.start()
        controller.start()
        try:
            await asyncio.Event().wait()
        finally:
            await controller.stop()
            await factory.stop()


@click.command("netpol", context_settings=CONTEXT_SETTINGS)
@client_options
@click.option("--node-name", default=None, help="The Node whose pods this agent isolates (required unless --cleanup).")
@click.option("--netns", default=None, help="Program this network namespace instead of ours.")
@click.option("--min-sync-period", type=DURATION, default=0.2, show_default=True,
              help="Shortest interval between two syncs of the rules (changes in between are coalesced).")
@click.option("--full-sync-period", type=DURATION, default=60.0, show_default=True,
              help="Interval of full re-syncs of every rule.")
@click.option("--cleanup", "do_cleanup", is_flag=True, help="Remove our iptables chains and jumps, then exit.")
@verbosity_option
def netpol(client_config: ClientConfig, node_name: str | None, netns: str | None, min_sync_period: float,
           full_sync_period: float, do_cleanup: bool, verbosity: int) -> None:
    """Enforce NetworkPolicies for the pods of one node with iptables."""
    log.setup("netpol", verbosity)
    if do_cleanup:
        click.echo(f"removed {cleanup(netns)} chains")
        return
    if not node_name:
        raise click.UsageError("--node-name is required")
    try:
        asyncio.run(run(client_config, node_name, netns, min_sync_period, full_sync_period))
    except KeyboardInterrupt:
        pass
