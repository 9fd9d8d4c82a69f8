"""`minikube-py proxy` (or `python -m agent.proxy`): kube-proxy (iptables mode) for one node.

    minikube-py proxy --server http://192.168.56.10:6443 [--netns NODE_NETNS]
                      [--cluster-cidr 10.244.0.0/16] [--min-sync-period 0.1] [--full-sync-period 60] [-v N]

Without --netns it programs the namespace it runs in (the lab starts it inside
the node's namespace, like the rest of the agent).
"""
from __future__ import annotations

import asyncio

import click

from minikube_py import log
from minikube_py.client import ApiClient, ClientConfig
from minikube_py.client.informer import SharedInformerFactory
from minikube_py.component_base import CONTEXT_SETTINGS, DURATION, client_options, verbosity_option

from .proxier import Proxier


async def run(client_config: ClientConfig, netns: str | None, cluster_cidr: str, min_sync_period: float,
              full_sync_period: float) -> None:
    async with ApiClient(client_config) as api:
        factory = SharedInformerFactory(api)
        proxier = Proxier(factory.informer("services"), factory.informer("endpoints"), netns=netns,
                          cluster_cidr=cluster_cidr, min_sync_period=min_sync_period,
                          full_sync_period=full_sync_period)
        factory.start()
        proxier.start()
        try:
            await asyncio.Event().wait()
        finally:
            await proxier.stop()
            await factory.stop()


@click.command("proxy", context_settings=CONTEXT_SETTINGS)
@client_options
@click.option("--netns", default=None, help="Program this network namespace instead of ours.")
@click.option("--cluster-cidr", default="10.244.0.0/16", show_default=True,
              help="The pod network: traffic from outside it to a Service is masqueraded.")
@click.option("--min-sync-period", type=DURATION, default=0.1, show_default=True,
              help="Shortest interval between two syncs of the rules (changes in between are coalesced).")
@click.option("--full-sync-period", type=DURATION, default=60.0, show_default=True,
              help="Interval of full re-syncs of every rule.")
@verbosity_option
def proxy(client_config: ClientConfig, netns: str | None, cluster_cidr: str, min_sync_period: float,
          full_sync_period: float, verbosity: int) -> None:
    """Run kube-proxy: Services and Endpoints become iptables NAT rules."""
    log.setup("proxy", verbosity)
    try:
        asyncio.run(run(client_config, netns, cluster_cidr, min_sync_period, full_sync_period))
    except KeyboardInterrupt:
        pass
