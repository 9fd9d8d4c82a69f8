"""`minikube-py dns` (or `python -m agent.dns`): the cluster DNS server.

    minikube-py dns --server http://192.168.56.10:6443 --listen 0.0.0.0:53
                    [--netns NODE_NETNS] [--domain cluster.local] [-v N]

Pods reach it through the Service kube-system/kube-dns (clusterIP 10.96.0.10,
ports 53/UDP and 53/TCP) whose Endpoints name the addresses it listens on.
"""
from __future__ import annotations

import asyncio
import logging

import click

from minikube_py import log
from minikube_py.client import ApiClient, ClientConfig
from minikube_py.client.informer import SharedInformerFactory
from minikube_py.component_base import CONTEXT_SETTINGS, client_options, verbosity_option

from .records import ClusterZone, informer_lookup
from .server import DnsServer


def listen_address(ctx: click.Context, param: click.Parameter, value: str) -> tuple[str, int]:
    """"ADDR:PORT" -> (ADDR or 0.0.0.0, PORT)"""
    host, _, port = value.rpartition(":")
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise click.BadParameter(f"{value!r} is not ADDR:PORT")
    return host or "0.0.0.0", int(port)


async def run(client_config: ClientConfig, host: str, port: int, netns: str | None, domain: str) -> None:
    async with ApiClient(client_config) as api:
        factory = SharedInformerFactory(api)
        zone = ClusterZone(informer_lookup(factory.informer("services")),
                           informer_lookup(factory.informer("endpoints")), domain)
        factory.start()
        await factory.wait_for_cache_sync()
        server = DnsServer(zone, host, port, netns)
        await server.start()
        logging.getLogger("agent.dns").info("serving %s on %s:%d", domain, host, port)
        try:
            await asyncio.Event().wait()
        finally:
            await server.stop()
            await factory.stop()


@click.command("dns", context_settings=CONTEXT_SETTINGS)
@client_options
@click.option("--listen", default="0.0.0.0:53", show_default=True, callback=listen_address,
              help="ADDR:PORT for UDP and TCP.")
@click.option("--netns", default=None, help="Listen inside this network namespace.")
@click.option("--domain", default="cluster.local", show_default=True, help="The cluster's DNS domain.")
@verbosity_option
def dns(client_config: ClientConfig, listen: tuple[str, int], netns: str | None, domain: str,
        verbosity: int) -> None:
    """Run the cluster DNS server: Services and their endpoints as DNS records."""
    log.setup("dns", verbosity)
    try:
        asyncio.run(run(client_config, *listen, netns, domain))
    except KeyboardInterrupt:
        pass
