"""What every component's command line shares: Kubernetes' k8s.io/component-base.

Every component has one entry module with one click command built from these
pieces, and starts the same way (flags parsed and checked, then
`minikube_py.log.setup`, then the component's own loop):

    apiserver/cli.py           minikube-py apiserver            python -m apiserver
    controllers/cli.py         minikube-py controller-manager   python -m controllers
    scheduler/cli.py           minikube-py scheduler            python -m scheduler
    agent/cli.py               minikube-py agent                python -m agent
    agent/proxy/cli.py         minikube-py proxy                python -m agent.proxy
    agent/dns/cli.py           minikube-py dns                  python -m agent.dns
    agent/netpol/cli.py        minikube-py netpol               python -m agent.netpol

The shared flags:

    -v, --v N                  log verbosity, as klog's --v (minikube_py/log.py)
    --server, --kubeconfig     where the API server is (client-go's kubeconfig loading)
    --leader-elect, --leader-elect-lease-duration, --leader-elect-renew-deadline,
    --leader-elect-retry-period, --leader-elect-resource-name,
    --leader-elect-resource-namespace
                               component-base's LeaderElectionConfiguration and its
                               BindLeaderElectionFlags, for the scheduler and the
                               controller manager

Durations take Kubernetes' form (`15s`, `1m30s`, `500ms`) or plain seconds (`15`).
"""
from __future__ import annotations

import functools
import re
import socket
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

import click

from minikube_py.client.config import ConfigError, load_config
from minikube_py.client.leaderelection import LeaderElector
from minikube_py.client.rest import ApiClient

F = TypeVar("F", bound=Callable[..., Any])

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"]}


class Duration(click.ParamType):
    """A Go-style duration (`1m30s`, `500ms`, `2h`) or a number of seconds, as float seconds."""
    name = "duration"
    _PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ms|s|m|h)")
    _UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float:
        if isinstance(value, (int, float)):
            return float(value)
        text = str(value).strip()
        try:
            return float(text)
        except ValueError:
            pass
        parts = self._PART.findall(text)
        if not parts or "".join(number + unit for number, unit in parts) != text:
            self.fail(f"{value!r} is not a duration (e.g. 15s, 1m30s, 500ms, or seconds)", param, ctx)
        return sum(float(number) * self._UNIT_SECONDS[unit] for number, unit in parts)


DURATION = Duration()

verbosity_option = click.option("-v", "--v", "verbosity", default=0, show_default=True, type=click.IntRange(min=0),
                                help="Log verbosity, as Kubernetes' --v (2: more detail, 4: debug, 6: HTTP).")


def client_options(fn: F) -> F:
    """--server and --kubeconfig, resolved into one `client_config: ClientConfig` argument."""
    @functools.wraps(fn)
    def with_client_config(*args: Any, server: str | None, kubeconfig: str | None, **kwargs: Any) -> Any:
        try:
            client_config = load_config(server=server, kubeconfig=kubeconfig)
        except ConfigError as e:
            raise click.BadParameter(str(e), param_hint="--kubeconfig") from e
        return fn(*args, client_config=client_config, **kwargs)
    with_client_config = click.option("--kubeconfig", default=None, help="Path to a kubeconfig file.")(
        with_client_config)
    with_client_config = click.option(
        "--server", default=None,
        help="API server URL (default: $MK_SERVER, the kubeconfig, http://127.0.0.1:6443).")(with_client_config)
    return with_client_config  # type: ignore[return-value]


@dataclass(frozen=True)
class LeaderElectionConfiguration:
    """component-base's LeaderElectionConfiguration (its Lease lock; times in seconds)."""
    leader_elect: bool = True
    lease_duration: float = 15.0
    renew_deadline: float = 10.0
    retry_period: float = 2.0
    resource_name: str = ""
    resource_namespace: str = "kube-system"

    def validate(self) -> None:
        """ValueError naming the flag, as component-base's ValidateLeaderElectionConfiguration."""
        if not self.leader_elect:
            return
        for flag, seconds in (("lease-duration", self.lease_duration), ("renew-deadline", self.renew_deadline),
                              ("retry-period", self.retry_period)):
            if seconds <= 0:
                raise ValueError(f"--leader-elect-{flag} must be greater than zero")
        if self.lease_duration <= self.renew_deadline:
            raise ValueError("--leader-elect-lease-duration must be greater than --leader-elect-renew-deadline")
        if self.renew_deadline <= self.retry_period:
            raise ValueError("--leader-elect-renew-deadline must be greater than --leader-elect-retry-period")
        if not self.resource_name or not self.resource_namespace:
            raise ValueError("--leader-elect-resource-name and --leader-elect-resource-namespace are required")

    def elector(self, api: ApiClient, on_started_leading: Callable[[], Coroutine[Any, Any, None]],
                on_stopped_leading: Callable[[], Any] | None = None) -> LeaderElector:
        """A LeaderElector on this Lease, with a fresh identity `<hostname>_<uuid>` as Kubernetes'."""
        return LeaderElector(api, lease_name=self.resource_name, namespace=self.resource_namespace,
                             identity=f"{socket.gethostname()}_{uuid.uuid4()}",
                             on_started_leading=on_started_leading, on_stopped_leading=on_stopped_leading,
                             lease_duration=self.lease_duration, renew_deadline=self.renew_deadline,
                             retry_period=self.retry_period, release_on_cancel=True)


def leader_election_options(resource_name: str) -> Callable[[F], F]:
    """The six --leader-elect* flags, resolved into one `leader_election` argument;
    `resource_name` is the Lease's default name (kube-scheduler, kube-controller-manager)."""
    defaults = LeaderElectionConfiguration(resource_name=resource_name)

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def with_leader_election(*args: Any, leader_elect: bool, leader_elect_lease_duration: float,
                                 leader_elect_renew_deadline: float, leader_elect_retry_period: float,
                                 leader_elect_resource_name: str, leader_elect_resource_namespace: str,
                                 **kwargs: Any) -> Any:
            config = LeaderElectionConfiguration(leader_elect, leader_elect_lease_duration,
                                                 leader_elect_renew_deadline, leader_elect_retry_period,
                                                 leader_elect_resource_name, leader_elect_resource_namespace)
            try:
                config.validate()
            except ValueError as e:
                raise click.UsageError(str(e)) from e
            return fn(*args, leader_election=config, **kwargs)
        options = (
            click.option("--leader-elect/--no-leader-elect", default=defaults.leader_elect, show_default=True,
                         help="Take a Lease before working, so that of several replicas only one acts."),
            click.option("--leader-elect-lease-duration", type=DURATION, default=defaults.lease_duration,
                         show_default=True, help="How long non-leaders wait after the last renewal before "
                                                 "they may take the Lease."),
            click.option("--leader-elect-renew-deadline", type=DURATION, default=defaults.renew_deadline,
                         show_default=True, help="How long the leader keeps retrying a renewal before it stops "
                                                 "leading."),
            click.option("--leader-elect-retry-period", type=DURATION, default=defaults.retry_period,
                         show_default=True, help="How long to wait between attempts to take or renew the Lease."),
            click.option("--leader-elect-resource-name", default=defaults.resource_name, show_default=True,
                         help="Name of the Lease."),
            click.option("--leader-elect-resource-namespace", default=defaults.resource_namespace,
                         show_default=True, help="Namespace of the Lease."),
        )
        for option in reversed(options):
            with_leader_election = option(with_leader_election)
        return with_leader_election  # type: ignore[return-value]
    return decorate
