"""`minikube-py apiserver` (or `python -m apiserver`): kube-apiserver's command line, the parts we have.

    --bind-address / --port (--secure-port)   where to listen
    --etcd-servers / --etcd-prefix            where the objects live
    --service-cluster-ip-range / --service-node-port-range
    --enable-admission-plugins / --disable-admission-plugins   (admission/chain.py)
    --default-not-ready-toleration-seconds / --default-unreachable-toleration-seconds
                                              the DefaultTolerationSeconds plugin's seconds
    --max-request-body-bytes / --max-object-bytes / --request-body-timeout
    --watch-buffer-bytes / --watch-send-timeout   what one request may cost (limits.py)
    -v N                                      verbosity; at 4 every request is logged, at 6 the access log

The flags become one ApiServerOptions (options.py), checked before anything starts:
a bad value is a usage error (exit code 2) naming the flag.
"""
from __future__ import annotations

import click

from minikube_py import log
from minikube_py.component_base import CONTEXT_SETTINGS, verbosity_option

from .admission import DEFAULT_ON, ORDERED_PLUGINS, AdmissionOptions
from .app import run
from .limits import DEFAULT as DEFAULT_LIMITS
from .limits import Limits
from .options import ApiServerOptions


def _names(text: str) -> tuple[str, ...]:
    """"NamespaceLifecycle, Priority" -> ("NamespaceLifecycle", "Priority")"""
    return tuple(name.strip() for name in text.split(",") if name.strip())


@click.command("apiserver", context_settings=CONTEXT_SETTINGS)
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
@click.option("--enable-admission-plugins", default="", metavar="NAMES",
              help="Admission plugins to enable in addition to the default-on ones "
                   f"({', '.join(n for n in ORDERED_PLUGINS if n in DEFAULT_ON)}). "
                   f"Known: {', '.join(ORDERED_PLUGINS)}; they run in that order, whatever the order here.")
@click.option("--disable-admission-plugins", default="", metavar="NAMES",
              help="Admission plugins to disable although they are on by default.")
@click.option("--default-not-ready-toleration-seconds", default=300, show_default=True,
              type=click.IntRange(min=0), help="tolerationSeconds of the not-ready toleration added to every pod.")
@click.option("--default-unreachable-toleration-seconds", default=300, show_default=True,
              type=click.IntRange(min=0), help="tolerationSeconds of the unreachable toleration added to every pod.")
@click.option("--max-request-body-bytes", default=DEFAULT_LIMITS.max_request_body_bytes, show_default=True,
              type=click.IntRange(min=1024),
              help="Largest request body read (kube-apiserver: a fixed 3 MiB); more is 413.")
@click.option("--max-object-bytes", default=DEFAULT_LIMITS.max_object_bytes, show_default=True,
              type=click.IntRange(min=1024), help="Largest object stored; match etcd's --max-request-bytes (1.5 MiB).")
@click.option("--request-body-timeout", default=DEFAULT_LIMITS.request_body_timeout, show_default=True,
              type=click.FloatRange(min=0.1), help="Seconds a client has to send a whole request body (408 after).")
@click.option("--watch-buffer-bytes", default=DEFAULT_LIMITS.watch_buffer_bytes, show_default=True,
              type=click.IntRange(min=1024), help="A watcher that falls this many bytes of events behind is closed.")
@click.option("--watch-send-timeout", default=DEFAULT_LIMITS.watch_send_timeout, show_default=True,
              type=click.FloatRange(min=0.1),
              help="A watcher whose connection accepts no data for this many seconds is closed.")
@verbosity_option
def apiserver(bind_address: str, port: int, advertise_address: str | None, etcd_servers: str,
              etcd_prefix: str, service_cluster_ip_range: str, service_node_port_range: str,
              watch_bookmark_interval: float, event_ttl: int, enable_admission_plugins: str,
              disable_admission_plugins: str, default_not_ready_toleration_seconds: int,
              default_unreachable_toleration_seconds: int, max_request_body_bytes: int, max_object_bytes: int,
              request_body_timeout: float, watch_buffer_bytes: int, watch_send_timeout: float,
              verbosity: int) -> None:
    """Run the Kubernetes-compatible API server on etcd."""
    options = ApiServerOptions(
        etcd_servers=etcd_servers, etcd_prefix=etcd_prefix, bind_address=bind_address, port=port,
        advertise_address=advertise_address, service_cluster_ip_range=service_cluster_ip_range,
        service_node_port_range=service_node_port_range, bookmark_interval=watch_bookmark_interval,
        event_ttl_seconds=event_ttl,
        admission=AdmissionOptions(enable_plugins=_names(enable_admission_plugins),
                                   disable_plugins=_names(disable_admission_plugins),
                                   default_not_ready_toleration_seconds=default_not_ready_toleration_seconds,
                                   default_unreachable_toleration_seconds=default_unreachable_toleration_seconds),
        limits=Limits(max_request_body_bytes=max_request_body_bytes, max_object_bytes=max_object_bytes,
                      request_body_timeout=request_body_timeout, watch_buffer_bytes=watch_buffer_bytes,
                      watch_send_timeout=watch_send_timeout))
    try:
        options.validate()
    except ValueError as e:
        raise click.UsageError(str(e)) from e
    log.setup("apiserver", verbosity)
    run(options)
