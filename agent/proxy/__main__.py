"""`python -m agent.proxy`: run kube-proxy (iptables mode) for one node.

    python -m agent.proxy --server http://192.168.56.10:6443 [--netns NODE_NETNS]
                          [--cluster-cidr 10.244.0.0/16] [--min-sync-period 0.1] [--full-sync-period 60]

Without --netns it programs the namespace it runs in (the lab starts it inside
the node's namespace, like the rest of the agent).
"""
from __future__ import annotations

import argparse
import asyncio
import logging

from agent.proxy.proxier import Proxier
from minikube_py.client import ApiClient, load_config
from minikube_py.client.informer import SharedInformerFactory


async def run(args: argparse.Namespace) -> None:
    async with ApiClient(load_config(server=args.server)) as api:
        factory = SharedInformerFactory(api)
        proxier = Proxier(factory.informer("services"), factory.informer("endpoints"), netns=args.netns,
                          cluster_cidr=args.cluster_cidr, min_sync_period=args.min_sync_period,
                          full_sync_period=args.full_sync_period)
        factory.start()
        proxier.start()
        try:
            await asyncio.Event().wait()
        finally:
            await proxier.stop()
            await factory.stop()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m agent.proxy", description=__doc__.splitlines()[0])
    parser.add_argument("--server", default=None, help="API server URL (default: kubeconfig / MK_SERVER)")
    parser.add_argument("--netns", default=None, help="program this network namespace instead of ours")
    parser.add_argument("--cluster-cidr", default="10.244.0.0/16")
    parser.add_argument("--min-sync-period", type=float, default=0.1)
    parser.add_argument("--full-sync-period", type=float, default=60.0)
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    try:
        asyncio.run(run(args))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
