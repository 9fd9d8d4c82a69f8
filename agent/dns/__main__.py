"""`python -m agent.dns`: the cluster DNS server.

    python -m agent.dns --server http://192.168.56.10:6443 --listen 0.0.0.0:53
                        [--netns NODE_NETNS] [--domain cluster.local]

Pods reach it through the Service kube-system/kube-dns (clusterIP 10.96.0.10,
ports 53/UDP and 53/TCP) whose Endpoints name the addresses it listens on.
"""
from __future__ import annotations

import argparse
import asyncio
import logging

from agent.dns.records import ClusterZone, informer_lookup
from agent.dns.server import DnsServer
from minikube_py.client import ApiClient, load_config
from minikube_py.client.informer import SharedInformerFactory


async def run(args: argparse.Namespace) -> None:
    host, _, port = args.listen.rpartition(":")
    async with ApiClient(load_config(server=args.server)) as api:
        factory = SharedInformerFactory(api)
        zone = ClusterZone(informer_lookup(factory.informer("services")),
                           informer_lookup(factory.informer("endpoints")), args.domain)
        factory.start()
        await factory.wait_for_cache_sync()
        server = DnsServer(zone, host or "0.0.0.0", int(port), args.netns)
        await server.start()
        logging.getLogger("agent.dns").info("serving %s on %s", args.domain, args.listen)
        try:
            await asyncio.Event().wait()
        finally:
            await server.stop()
            await factory.stop()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m agent.dns", description=__doc__.splitlines()[0])
    parser.add_argument("--server", default=None, help="API server URL (default: kubeconfig / MK_SERVER)")
    parser.add_argument("--listen", default="0.0.0.0:53", help="ADDR:PORT for UDP and TCP")
    parser.add_argument("--netns", default=None, help="listen inside this network namespace")
    parser.add_argument("--domain", default="cluster.local")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    try:
        asyncio.run(run(args))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
