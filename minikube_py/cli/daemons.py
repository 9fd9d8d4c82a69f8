"""`minikube-py`: the long-running components (apiserver, agent, ...) and tools (images)."""
from __future__ import annotations

import click

from minikube_py import log


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """minikube-py: a small but real Kubernetes, in Python."""


@main.command()
@click.option("--bind-address", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", "--secure-port", default=6443, show_default=True, type=int, help="Port to listen on.")
@click.option("--advertise-address", default=None, help="Address published in the kubernetes Endpoints.")
@click.option("--etcd-servers", default="http://127.0.0.1:2379", show_default=True,
              help="etcd endpoint (the first of a comma-separated list is used).")
@click.option("--etcd-prefix", default="/registry", show_default=True, help="Key prefix of all objects.")
@click.option("--service-cluster-ip-range", default="10.96.0.0/12", show_default=True)
@click.option("--service-node-port-range", default="30000-32767", show_default=True)
@click.option("--watch-bookmark-interval", default=10.0, show_default=True, type=float,
              help="Seconds between BOOKMARK events on watches that allow them.")
@click.option("--event-ttl", default=3600, show_default=True, type=click.IntRange(min=1),
              help="Seconds Events are kept before etcd deletes them.")
@click.option("--default-not-ready-toleration-seconds", default=300, show_default=True,
              type=click.IntRange(min=0), help="tolerationSeconds of the not-ready toleration added to every pod.")
@click.option("--default-unreachable-toleration-seconds", default=300, show_default=True,
              type=click.IntRange(min=0), help="tolerationSeconds of the unreachable toleration added to every pod.")
@click.option("-v", "--v", "verbosity", default=0, type=int, help="Log verbosity, as Kubernetes' --v.")
def apiserver(bind_address: str, port: int, advertise_address: str | None, etcd_servers: str,
              etcd_prefix: str, service_cluster_ip_range: str, service_node_port_range: str,
              watch_bookmark_interval: float, event_ttl: int, default_not_ready_toleration_seconds: int,
              default_unreachable_toleration_seconds: int, verbosity: int) -> None:
    """Run the Kubernetes-compatible API server on etcd."""
    import ipaddress

    from apiserver.app import ApiServerConfig, run
    try:
        ipaddress.IPv4Network(service_cluster_ip_range)
        low, high = (int(x) for x in service_node_port_range.split("-"))
        if not 0 < low <= high < 65536:
            raise ValueError("node port range out of bounds")
    except ValueError as e:
        raise click.BadParameter(str(e)) from e
    log.setup("apiserver", verbosity)
    run(ApiServerConfig(etcd_servers=etcd_servers, etcd_prefix=etcd_prefix, bind_address=bind_address,
                        port=port, advertise_address=advertise_address,
                        service_cluster_ip_range=service_cluster_ip_range,
                        service_node_port_range=service_node_port_range,
                        bookmark_interval=watch_bookmark_interval, event_ttl_seconds=event_ttl,
                        default_not_ready_toleration_seconds=default_not_ready_toleration_seconds,
                        default_unreachable_toleration_seconds=default_unreachable_toleration_seconds))


def _register_components() -> None:
    """Each component owns its command; `minikube-py <component>` runs it."""
    from agent.cli import agent
    from controllers.cli import controller_manager
    from minikube_py.images import images
    from minikube_py.lab.cli import lab
    from scheduler.cli import scheduler
    for command in (agent, controller_manager, scheduler, images, lab):
        main.add_command(command)


_register_components()

if __name__ == "__main__":
    main()
