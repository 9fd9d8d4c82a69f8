"""`minikube-py agent`: the node agent's command line (kubelet's flags, the few we have).

    minikube-py agent --server http://127.0.0.1:6443 --node-name node-1 --node-ip 192.168.56.11
    minikube-py agent ... --network bridge     # pods get IPs on cni0 (agent/network), as in the lab
    minikube-py agent --runtime hollow --hollow-nodes 100 --node-name hollow   # hollow-0 .. hollow-99

Defaults are Kubernetes' (10 s heartbeats, 10 s -> 5 min crash back-off, 60 s
re-sync); tests shorten them with the flags below.
"""
from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import signal

import click

from minikube_py import log
from minikube_py.client.config import ClientConfig
from minikube_py.component_base import CONTEXT_SETTINGS, client_options, verbosity_option


def _pairs(text: str) -> dict[str, str]:
    """"cpu=100m,memory=100Mi" -> {"cpu": "100m", "memory": "100Mi"}"""
    return dict(item.split("=", 1) for item in text.split(",") if "=" in item)


def node_configs(base, hollow_nodes: int) -> list:
    if hollow_nodes <= 0:
        return [base]
    return [dataclasses.replace(base, node_name=f"{base.node_name}-{i}") for i in range(hollow_nodes)]


def network_plugin(kind: str, api, config):
    """`--network none`: loopback only; `--network bridge`: pods on cni0 (agent/network)."""
    if kind == "bridge":
        from agent.kubelet.runtime.bridge_network import BridgeNetwork
        return BridgeNetwork(api, config.node_name, config.root_dir)
    return None


async def until_stopped(stop: asyncio.Event, kubelets: list) -> bool:
    """Wait for a stop signal (False) or for a kubelet whose loops died (True)."""
    waiters = [asyncio.create_task(stop.wait())] + [asyncio.create_task(k.failed.wait()) for k in kubelets]
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
    return not stop.is_set()


def keep_forked_children_out_of_our_signals() -> None:
    """A child forked from the agent (pyroute2 forks one to open a socket in a pod's network
    namespace) inherits asyncio's signal wake-up socket; when pyroute2 then SIGTERMs a child
    that is still alive (routine on a slow VM), the child's handler writes SIGTERM into that
    shared socket and the *agent* stops. Forked children get default handlers and no wake-up fd."""
    def in_child() -> None:
        signal.set_wakeup_fd(-1)
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, signal.SIG_DFL)
    os.register_at_fork(after_in_child=in_child)


async def run_agent(base, hollow_nodes: int, client_config: ClientConfig, network: str = "none") -> None:
    from agent.kubelet.kubelet import Kubelet
    from agent.kubelet.log_server import LogServer
    from minikube_py.client import ApiClient
    logger = logging.getLogger("agent")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def on_signal(sig: signal.Signals) -> None:
        logger.info("%s received: stopping (the pods' containers keep running)", sig.name)
        stop.set()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, on_signal, sig)
    keep_forked_children_out_of_our_signals()
    async with ApiClient(client_config) as api:
        plugin = network_plugin(network, api, base)
        kubelets = [Kubelet(config, api, network=plugin) for config in node_configs(base, hollow_nodes)]
        if plugin is not None:
            await plugin.start()
        server_ = LogServer(kubelets, base.bind_address, base.port)
        await server_.start()
        try:
            for batch in range(0, len(kubelets), 50):    # register hollow nodes 50 at a time
                await asyncio.gather(*(k.start() for k in kubelets[batch:batch + 50]))
            failed = await until_stopped(stop, kubelets)
        finally:
            await asyncio.gather(*(k.stop() for k in kubelets), return_exceptions=True)
            if plugin is not None:
                await plugin.stop()
            await server_.stop()
    if failed:
        raise SystemExit("agent: a kubelet loop ended unexpectedly (see the error above); exiting with code 1")
    logger.info("agent stopped")


@click.command("agent", context_settings=CONTEXT_SETTINGS)
@client_options
@click.option("--node-name", default=None, help="Node name (default: the hostname; hollow: the name prefix).")
@click.option("--node-ip", default="127.0.0.1", show_default=True, help="The node's InternalIP.")
@click.option("--port", default=10250, show_default=True, type=int, help="Port of the logs/healthz endpoint.")
@click.option("--bind-address", default="0.0.0.0", show_default=True)
@click.option("--root-dir", default="/var/lib/minikube-py/agent", show_default=True,
              help="Where emptyDir, configMap and secret volumes live.")
@click.option("--runtime", type=click.Choice(["docker", "hollow"]), default="docker", show_default=True)
@click.option("--network", type=click.Choice(["none", "bridge"]), default="none", show_default=True,
              help="Pod network: none (loopback only) or bridge (cni0, pod IPs, host-gw routes).")
@click.option("--hollow-nodes", default=0, type=int, help="Host N hollow nodes <node-name>-0..N-1 (hollow runtime).")
@click.option("--node-labels", default="", help="Extra node labels: k=v,k2=v2.")
@click.option("--kube-reserved", default="cpu=100m,memory=100Mi", show_default=True)
@click.option("--system-reserved", default="", help="e.g. cpu=100m,memory=100Mi")
@click.option("--max-pods", default=110, show_default=True, type=int)
@click.option("--node-status-update-frequency", default=10.0, show_default=True, type=float,
              help="Seconds between node status checks and lease renewals.")
@click.option("--sync-frequency", default=60.0, show_default=True, type=float,
              help="Seconds between periodic re-syncs of each pod.")
@click.option("--backoff-base", default=10.0, show_default=True, type=float, help="Crash loop back-off start.")
@click.option("--backoff-max", default=300.0, show_default=True, type=float, help="Crash loop back-off cap.")
@click.option("--image-pull-backoff-base", default=10.0, show_default=True, type=float)
@click.option("--pleg-period", default=1.0, show_default=True, type=float, help="Runtime relist period.")
@verbosity_option
def agent(client_config, node_name, node_ip, port, bind_address, root_dir, runtime, network, hollow_nodes,
          node_labels, kube_reserved, system_reserved, max_pods, node_status_update_frequency, sync_frequency,
          backoff_base, backoff_max, image_pull_backoff_base, pleg_period, verbosity) -> None:
    """Run the node agent (kubelet side): register the node, run the pods bound to it."""
    from agent.kubelet.config import KubeletConfig
    if hollow_nodes and runtime != "hollow":
        raise click.BadParameter("--hollow-nodes needs --runtime hollow")
    if network == "bridge" and runtime != "docker":
        raise click.BadParameter("--network bridge needs --runtime docker")
    config = KubeletConfig(
        node_ip=node_ip, port=port, bind_address=bind_address, root_dir=root_dir, runtime=runtime,
        node_labels=_pairs(node_labels), kube_reserved=_pairs(kube_reserved),
        system_reserved=_pairs(system_reserved), max_pods=max_pods,
        node_status_update_frequency=node_status_update_frequency, sync_frequency=sync_frequency,
        backoff_base=backoff_base, backoff_max=backoff_max, image_pull_backoff_base=image_pull_backoff_base,
        pleg_relist_period=pleg_period, verbosity=verbosity,
        **({"node_name": node_name} if node_name else {}))
    if hollow_nodes and not node_name:
        config = dataclasses.replace(config, node_name="hollow-node")
    log.setup("agent", verbosity)
    for noisy in ("urllib3", "docker"):          # one line per Docker API call otherwise
        logging.getLogger(noisy).setLevel(logging.WARNING)
    asyncio.run(run_agent(config, hollow_nodes, client_config, network))
