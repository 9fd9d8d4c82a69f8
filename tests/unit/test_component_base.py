"""One way to start a component (minikube_py/component_base.py, minikube_py/cli/daemons.py):
the shared flags, their parsing and checks, and the lazy `minikube-py` group."""
from __future__ import annotations

import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from minikube_py.component_base import DURATION, LeaderElectionConfiguration

LEADER_FLAGS = {"--leader-elect", "--leader-elect-lease-duration", "--leader-elect-renew-deadline",
                "--leader-elect-retry-period", "--leader-elect-resource-name", "--leader-elect-resource-namespace"}


def flags(command: click.Command) -> dict[str, object]:
    """Every long flag of a command -> its default."""
    return {opt: param.default for param in command.params for opt in param.opts if opt.startswith("--")}


def test_scheduler_and_controller_manager_have_the_same_leader_election_flags() -> None:
    from controllers.cli import controller_manager
    from scheduler.cli import scheduler
    ours, theirs = flags(scheduler), flags(controller_manager)
    assert LEADER_FLAGS <= set(ours) and LEADER_FLAGS <= set(theirs)
    differing = {flag for flag in LEADER_FLAGS if ours[flag] != theirs[flag]}
    assert differing == {"--leader-elect-resource-name"}
    assert (ours["--leader-elect-resource-name"], theirs["--leader-elect-resource-name"]) == \
        ("kube-scheduler", "kube-controller-manager")


def test_every_component_has_the_same_verbosity_and_client_flags() -> None:
    from agent.cli import agent
    from agent.dns.cli import dns
    from agent.proxy.cli import proxy
    from apiserver.cli import apiserver
    from controllers.cli import controller_manager
    from scheduler.cli import scheduler
    for command in (apiserver, controller_manager, scheduler, agent, proxy, dns):
        verbosity = next(p for p in command.params if p.name == "verbosity")
        assert verbosity.opts == ["-v", "--v"] and verbosity.default == 0, command.name
        if command is not apiserver:
            assert {"--server", "--kubeconfig"} <= set(flags(command)), command.name


@pytest.mark.parametrize("text, seconds", [("15s", 15.0), ("1m30s", 90.0), ("500ms", 0.5), ("2h", 7200.0),
                                           ("15", 15.0), ("0.25", 0.25), ("1.5s", 1.5)])
def test_durations_read_as_kubernetes_writes_them_or_as_seconds(text: str, seconds: float) -> None:
    assert DURATION.convert(text, None, None) == seconds


@pytest.mark.parametrize("text", ["", "s", "15x", "1m 30s", "-3s", "ten"])
def test_a_bad_duration_is_refused(text: str) -> None:
    with pytest.raises(click.BadParameter, match="is not a duration"):
        DURATION.convert(text, None, None)


@pytest.mark.parametrize("config, message", [
    (LeaderElectionConfiguration(lease_duration=5, renew_deadline=10, resource_name="x"),
     "--leader-elect-lease-duration must be greater than --leader-elect-renew-deadline"),
    (LeaderElectionConfiguration(renew_deadline=2, retry_period=2, resource_name="x"),
     "--leader-elect-renew-deadline must be greater than --leader-elect-retry-period"),
    (LeaderElectionConfiguration(retry_period=0, resource_name="x"), "--leader-elect-retry-period must be greater"),
    (LeaderElectionConfiguration(resource_name=""), "--leader-elect-resource-name"),
])
def test_leader_election_settings_are_checked(config: LeaderElectionConfiguration, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        config.validate()
    LeaderElectionConfiguration(leader_elect=False, lease_duration=0).validate()    # unused: not checked


def test_bad_leader_election_flags_are_a_usage_error_before_anything_starts() -> None:
    from scheduler.cli import scheduler
    result = CliRunner().invoke(scheduler, ["--server", "http://127.0.0.1:1", "--leader-elect-lease-duration", "5s",
                                            "--leader-elect-renew-deadline", "10s"])
    assert result.exit_code == 2
    assert "--leader-elect-lease-duration must be greater than --leader-elect-renew-deadline" in result.output


def test_minikube_py_lists_every_component_and_imports_none_until_one_runs() -> None:
    probe = ("import sys, minikube_py.cli.daemons as d; "
             "print(sorted(m for m in sys.modules if m.split('.')[0] in "
             "('apiserver', 'controllers', 'scheduler', 'agent')))")
    imported = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert imported.stdout.strip() == "[]"
    listing = subprocess.run([sys.executable, "-m", "minikube_py", "--help"], capture_output=True, text=True,
                             check=True)
    for component in ("apiserver", "controller-manager", "scheduler", "agent", "proxy", "dns", "images", "lab"):
        assert f"  {component} " in listing.stdout
