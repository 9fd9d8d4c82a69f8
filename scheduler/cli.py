"""`minikube-py scheduler` (or `python -m scheduler`): kube-scheduler's command line, the parts we have.

    --server / --kubeconfig     where the API server is (minikube_py.client.config)
    --config FILE               a KubeSchedulerConfiguration subset (scheduler/config.py)
    --scheduler-name NAME       the spec.schedulerName we serve (default-scheduler)
    --leader-elect              take the kube-system/kube-scheduler Lease first (default, as in
                                kube-scheduler; --no-leader-elect for a lone scheduler that should
                                start at once, or several with different --scheduler-name); the
                                --leader-elect-* flags are the controller manager's too
                                (minikube_py/component_base.py)
    --explain                   log each decision's table and annotate the pod with it
    -v N                        verbosity; at 4 the decision tables are logged too

On SIGTERM/SIGINT the scheduler stops, and logs one `metrics: {...}` line
(attempts, scheduled, algorithm_seconds, ...) that bench/scheduler_bench.py reads.
"""
from __future__ import annotations

import asyncio
import logging
import signal
import sys

import click

from minikube_py import log as mklog
from minikube_py.client.config import ClientConfig
from minikube_py.component_base import (
    CONTEXT_SETTINGS,
    LeaderElectionConfiguration,
    client_options,
    leader_election_options,
    verbosity_option,
)
from scheduler.config import ConfigError as SchedulerConfigError
from scheduler.config import SchedulerConfig
from scheduler.config import load_config as load_scheduler_config

log = logging.getLogger("scheduler")


@click.command("scheduler", context_settings=CONTEXT_SETTINGS)
@client_options
@click.option("--config", "config_path", default=None, help="KubeSchedulerConfiguration YAML (weights, plugins, "
              "percentageOfNodesToScore).")
@click.option("--scheduler-name", default="default-scheduler", show_default=True,
              help="Schedule only pods whose spec.schedulerName is this.")
@leader_election_options("kube-scheduler")
@click.option("--explain", is_flag=True, help="Log every decision's table and annotate pods with it.")
@click.option("--bind-concurrency", default=64, show_default=True, type=int, help="Bindings in flight at once.")
@verbosity_option
def scheduler(client_config: ClientConfig, config_path: str | None, scheduler_name: str,
              leader_election: LeaderElectionConfiguration, explain: bool, bind_concurrency: int,
              verbosity: int) -> None:
    """Run the scheduler: bind pending pods to the best node."""
    try:
        config = load_scheduler_config(config_path, scheduler_name)
    except SchedulerConfigError as e:
        raise click.BadParameter(str(e), param_hint="--config") from e
    mklog.setup("scheduler", verbosity)
    try:
        import uvloop
        uvloop.install()
    except ImportError:
        pass
    sys.exit(asyncio.run(_main(client_config, config, leader_election, explain or verbosity >= 4, bind_concurrency)))


async def _main(client_config: ClientConfig, config: SchedulerConfig, leader_election: LeaderElectionConfiguration,
                explain: bool, bind_concurrency: int) -> int:
    from minikube_py.client.rest import ApiClient
    from scheduler.scheduler import Scheduler

    main = asyncio.current_task()
    assert main is not None
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, main.cancel)
    lost_leadership = False
    async with ApiClient(client_config) as api:
        sched = Scheduler(api, config, explain=explain, bind_concurrency=bind_concurrency)
        try:
            if not leader_election.leader_elect:
                await sched.run()
                return 0

            def stopped() -> None:
                nonlocal lost_leadership
                lost_leadership = True
            await leader_election.elector(api, on_started_leading=sched.run, on_stopped_leading=stopped).run()
        except asyncio.CancelledError:
            return 0
    if lost_leadership:
        log.error("leader election lost; exiting (kube-scheduler does the same)")
        return 1
    return 0
