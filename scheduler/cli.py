"""`minikube-py scheduler` (or `python -m scheduler`): kube-scheduler's command line, the parts we have.

    --server / --kubeconfig     where the API server is (minikube_py.client.config)
    --config FILE               a KubeSchedulerConfiguration subset (scheduler/config.py)
    --scheduler-name NAME       the spec.schedulerName we serve (default-scheduler)
    --leader-elect              take the kube-system/kube-scheduler Lease first (default, as in
                                kube-scheduler; --no-leader-elect for a lone scheduler that should
                                start at once, or several with different --scheduler-name)
    --explain                   log each decision's table and annotate the pod with it
    -v N                        verbosity; at 4 the decision tables are logged too

On SIGTERM/SIGINT the scheduler stops, and logs one `metrics: {...}` line
(attempts, scheduled, algorithm_seconds, ...) that bench/scheduler_bench.py reads.
"""
from __future__ import annotations

import asyncio
import logging
import signal
import socket
import sys
import uuid

import click

from minikube_py import log as mklog
from minikube_py.client.config import ConfigError, load_config
from scheduler.config import ConfigError as SchedulerConfigError
from scheduler.config import load_config as load_scheduler_config

log = logging.getLogger("scheduler")


@click.command("scheduler", context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--server", default=None, help="API server URL (default: kubeconfig, MK_SERVER, http://127.0.0.1:6443).")
@click.option("--kubeconfig", default=None, help="Path to a kubeconfig file.")
@click.option("--config", "config_path", default=None, help="KubeSchedulerConfiguration YAML (weights, plugins, "
              "percentageOfNodesToScore).")
@click.option("--scheduler-name", default="default-scheduler", show_default=True,
              help="Schedule only pods whose spec.schedulerName is this.")
@click.option("--leader-elect/--no-leader-elect", default=True, show_default=True,
              help="Take the kube-system/kube-scheduler Lease before scheduling (for several replicas); "
                   "on by default, as in kube-scheduler and our controller manager.")
@click.option("--explain", is_flag=True, help="Log every decision's table and annotate pods with it.")
@click.option("--bind-concurrency", default=64, show_default=True, type=int, help="Bindings in flight at once.")
@click.option("-v", "--v", "verbosity", default=0, type=int, help="Log verbosity, as Kubernetes' --v.")
def scheduler(server: str | None, kubeconfig: str | None, config_path: str | None, scheduler_name: str,
              leader_elect: bool, explain: bool, bind_concurrency: int, verbosity: int) -> None:
    """Run the scheduler: bind pending pods to the best node."""
    try:
        client_config = load_config(server=server, kubeconfig=kubeconfig)
        config = load_scheduler_config(config_path, scheduler_name)
    except (ConfigError, SchedulerConfigError) as e:
        raise click.BadParameter(str(e)) from e
    mklog.setup("scheduler", verbosity)
    try:
        import uvloop
        uvloop.install()
    except ImportError:
        pass
    sys.exit(asyncio.run(_main(client_config, config, leader_elect, explain or verbosity >= 4, bind_concurrency)))


async def _main(client_config, config, leader_elect: bool, explain: bool, bind_concurrency: int) -> int:
    from minikube_py.client.rest import ApiClient
    from scheduler.scheduler import Scheduler

    main = asyncio.current_task()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, main.cancel)
    lost_leadership = False
    async with ApiClient(client_config) as api:
        sched = Scheduler(api, config, explain=explain, bind_concurrency=bind_concurrency)
        try:
            if not leader_elect:
                await sched.run()
                return 0
            from minikube_py.client.leaderelection import LeaderElector

            def stopped() -> None:
                nonlocal lost_leadership
                lost_leadership = True
            elector = LeaderElector(api, lease_name="kube-scheduler", namespace="kube-system",
                                    identity=f"{socket.gethostname()}_{uuid.uuid4()}",
                                    on_started_leading=sched.run, on_stopped_leading=stopped,
                                    release_on_cancel=True)
            await elector.run()
        except asyncio.CancelledError:
            return 0
    if lost_leadership:
        log.error("leader election lost; exiting (kube-scheduler does the same)")
        return 1
    return 0
