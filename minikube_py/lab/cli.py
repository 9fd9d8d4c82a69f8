"""`minikube-py lab ...`: the one-machine lab's commands (root only).

    minikube-py lab up [--nodes 3] [--name lab] [--subnet 192.168.56.0/24]
    minikube-py lab status | logs COMPONENT [-f] | restart COMPONENT
    minikube-py lab stop NODE | start NODE | down

What they print goes through lab/output.py: the commands a user is told to type come
out on lines of their own, whole, whatever the terminal width.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import click
from rich.table import Table

from minikube_py.lab import bootstrap, netsetup, output, processes, state, supervisor
from minikube_py.lab.components import all_components, find
from minikube_py.lab.config import DEFAULT_NAME, DEFAULT_SUBNET, LabConfig
from minikube_py.lab.kubeconfig import write_kubeconfig
from minikube_py.lab.output import lab_command, program
from minikube_py.lab.teardown import down as lab_down

name_option = click.option("--name", default=DEFAULT_NAME, show_default=True, help="Which lab.")


def _need_root() -> None:
    if os.geteuid() != 0:
        raise click.ClickException("the lab makes namespaces, bridges and routes: run it as root")


def _existing(name: str) -> LabConfig:
    config = state.load_config(name)
    if config is None:
        raise click.ClickException(f"no lab named {name!r} (start one with `{lab_command('up', name)}`)")
    return config


@click.group("lab")
def lab() -> None:
    """A whole cluster on this machine: nodes are network namespaces."""


# ---- up --------------------------------------------------------------------------------------

def _start_supervisor(config: LabConfig) -> None:
    if state.live_pid(config, "supervisor"):
        output.console.print(f"lab [bold]{config.name}[/] is already running: checking it")
        return
    with open(state.log_file(config, "supervisor"), "ab") as log:
        proc = subprocess.Popen([sys.executable, "-m", "minikube_py.lab.supervisor", config.name,
                                 "--state-root", str(config.state_root)],
                                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env=state.lab_environment(config), start_new_session=True)
    state.record_pid(config, "supervisor", proc.pid)


def _wait_ready(config: LabConfig, timeout: float) -> None:
    wanted = [config.node_name(i) for i in config.node_indexes()]
    with output.console.status("waiting for the API server ...") as status:
        if not bootstrap.wait_for(lambda: bootstrap.api_ready(config), timeout):
            raise click.ClickException("the API server is not ready; see "
                                       f"`{lab_command('logs apiserver', config.name)}`")
        bootstrap.ensure_dns_service(config)
        deadline = time.monotonic() + timeout
        while (ready := bootstrap.ready_nodes(config) & set(wanted)) != set(wanted):
            status.update(f"nodes Ready: {len(ready)}/{len(wanted)} "
                          f"({', '.join(sorted(ready)) or 'none yet'})")
            if time.monotonic() > deadline:
                raise click.ClickException(f"nodes not Ready after {timeout:.0f} s: "
                                           f"{', '.join(sorted(set(wanted) - ready))}")
            time.sleep(0.5)
    output.console.print(f"[green]✓[/] {len(wanted)} nodes Ready: {', '.join(wanted)}")


def _conflicting(config: LabConfig) -> None:
    old = state.load_config(config.name)
    if old and old != config and state.live_pid(old, "supervisor"):
        raise click.ClickException(f"lab {config.name} runs with {old.nodes} nodes on {old.subnet}; "
                                   f"`{lab_command('down', config.name)}` first")


@lab.command()
@name_option
@click.option("--nodes", default=3, show_default=True, type=int, help="How many worker nodes.")
@click.option("--subnet", default=DEFAULT_SUBNET, show_default=True,
              help="The lab network (/24): control plane .10, nodes .11, .12, ...")
@click.option("--timeout", default=180.0, show_default=True, type=float, help="Seconds to wait for Ready nodes.")
def up(name: str, nodes: int, subnet: str, timeout: float) -> None:
    """Create the lab network, start every component, wait until every node is Ready."""
    _need_root()
    try:
        config = LabConfig(name=name, nodes=nodes, subnet=subnet)
    except ValueError as e:
        raise click.BadParameter(str(e)) from e
    _conflicting(config)
    state.save_config(config)
    output.console.print(f"lab [bold]{name}[/]: bridge {config.bridge} {config.control_plane_ip}, "
                  f"{nodes} node namespaces, blackhole routes for the pod and service ranges")
    netsetup.ensure_bridge(config)
    for i in config.node_indexes():
        netsetup.ensure_node(config, i)
        netsetup.ensure_pod_masquerade(config, i)
    netsetup.ensure_blackholes()
    netsetup.ensure_forward_rule(config)
    _start_supervisor(config)
    _wait_ready(config, timeout)
    print_next_steps(config, write_kubeconfig(config))


def print_next_steps(config: LabConfig, kubeconfig: Path) -> None:
    """What to type next, once the lab is up."""
    output.console.print()
    output.commands("The API server:", f"curl {config.api_url}/api/v1/nodes")
    output.commands("mkctl or kubectl, with the lab's kubeconfig:",
                    f"export KUBECONFIG={kubeconfig}; {program('mkctl')} get nodes")
    output.commands("Status and logs:", lab_command("status", config.name),
                    lab_command("logs apiserver", config.name))
    output.commands("Tear down:", lab_command("down", config.name))


# ---- down, status, logs ----------------------------------------------------------------------

@lab.command()
@name_option
def down(name: str) -> None:
    """Stop everything and remove every namespace, container, rule, route and file the lab made."""
    _need_root()
    config = state.load_config(name) or LabConfig(name=name)     # no state: clean up by names only
    errors = lab_down(config, report=lambda step: output.console.print(f"- {step}", markup=False))
    if errors:
        raise click.ClickException("; ".join(errors))
    output.console.print(f"[green]✓[/] lab {name} is gone")


def _health(config: LabConfig, component, pid: int | None, ready: set[str]) -> str:
    if pid is None:
        return "[yellow]stopped[/]" if state.is_disabled(config, component.name) else "[red]down[/]"
    if component.name.startswith("agent-"):
        return "[green]Ready[/]" if config.node_name(component.node) in ready else "[yellow]NotReady[/]"
    return "[green]healthy[/]" if supervisor.healthy(component) else "[yellow]starting[/]"


@lab.command()
@name_option
def status(name: str) -> None:
    """Each component's pid, health, restarts and log file."""
    config = _existing(name)
    ready = bootstrap.ready_nodes(config)
    restarts = supervisor.restarts(config)
    table = Table(title=f"lab {name}: API {config.api_url}, logs in {config.state_dir}/logs")
    for column in ("component", "pid", "health", "restarts", "log"):
        table.add_column(column)
    sup = state.live_pid(config, "supervisor")
    table.add_row("supervisor", str(sup or "-"), "[green]running[/]" if sup else "[red]down[/]", "",
                  "supervisor.log")
    for component in all_components(config):
        pid = state.live_pid(config, component.name)
        table.add_row(component.name, str(pid or "-"), _health(config, component, pid, ready),
                      str(restarts.get(component.name, 0)), state.log_file(config, component.name).name)
    output.console.print(table)


@lab.command()
@name_option
@click.argument("component")
@click.option("-f", "--follow", is_flag=True, help="Keep printing new lines.")
def logs(name: str, component: str, follow: bool) -> None:
    """Print a component's log (COMPONENT: etcd, apiserver, agent-node1, supervisor, ...)."""
    config = _existing(name)
    path = state.log_file(config, component)
    if not path.exists():
        raise click.ClickException(f"no log for {component!r} in {path.parent}")
    os.execvp("tail", ["tail", "-n", "+1", *(["-F"] if follow else []), str(path)])


# ---- restart, stop, start ----------------------------------------------------------------------

def _component(config: LabConfig, name: str):
    try:
        return find(config, name)
    except ValueError as e:
        raise click.BadParameter(str(e)) from e


@lab.command()
@name_option
@click.argument("component")
def restart(name: str, component: str) -> None:
    """Stop COMPONENT; the supervisor starts it again (and logs the restart)."""
    _need_root()
    config = _existing(name)
    _component(config, component)
    state.set_disabled(config, component, False)
    processes.stop(config, component)
    if not bootstrap.wait_for(lambda: state.live_pid(config, component) is not None, 30):
        raise click.ClickException(f"{component} did not come back; is the supervisor running?")
    output.console.print(f"{component} restarted (pid {state.live_pid(config, component)})")


def _node_agent(config: LabConfig, node: str) -> str:
    try:
        return f"agent-node{config.node_index(node)}"
    except ValueError as e:
        raise click.BadParameter(str(e)) from e


@lab.command()
@name_option
@click.argument("node")
def stop(name: str, node: str) -> None:
    """Stop NODE's agent (and keep it stopped): the node goes NotReady after the grace period."""
    _need_root()
    config = _existing(name)
    agent = _node_agent(config, node)
    state.set_disabled(config, agent, True)
    processes.stop(config, agent)
    output.console.print(f"{agent} stopped")
    output.commands("Bring it back with:", lab_command(f"start {node}", name))


@lab.command()
@name_option
@click.argument("node")
def start(name: str, node: str) -> None:
    """Start NODE's agent again."""
    _need_root()
    config = _existing(name)
    agent = _node_agent(config, node)
    state.set_disabled(config, agent, False)
    if not bootstrap.wait_for(lambda: state.live_pid(config, agent) is not None, 40):
        raise click.ClickException(f"{agent} did not start; is the supervisor running?")
    output.console.print(f"{agent} started (pid {state.live_pid(config, agent)})")
