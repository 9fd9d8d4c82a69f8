"""The Vagrant lab's systemd units, made from the one-machine lab's component list.

Every VM runs the command lines `minikube-py lab up` runs (minikube_py/lab/components.py):
the same flags, pod CIDR, service range, cluster DNS 10.96.0.10 and controller
defaults. Where a VM differs from a network namespace:

- no namespaces: a node's agent, kube-proxy, NetworkPolicy agent and DNS server run in the VM itself
  (the lab's `--netns` flag is dropped);
- a Node is named after its VM (node1, node2 ...), as kubelet names a node after
  its hostname; the one-machine lab prefixes the lab's name because several labs
  may share one host;
- the DNS server runs on every node with an agent, on the node's address, and the
  kube-dns Endpoints list them all (the one-machine lab runs one, in node 1);
- the pods' masquerade rule (CNI ipMasq) is a oneshot unit instead of `lab up`.

    lab_units.py write --role control-plane --name control-plane --ip 192.168.56.10 --dir /etc/systemd/system
    lab_units.py write --role node --name node1 --ip 192.168.56.11 --dir /etc/systemd/system
    lab_units.py dns-service --address 192.168.56.11 --address 192.168.56.12
    lab_units.py wait-ready --name node1
"""
from __future__ import annotations

import shlex
import sys
import time
from pathlib import Path

import click

from minikube_py.lab import bootstrap
from minikube_py.lab.components import Component, control_plane, node_components
from minikube_py.lab.config import LabConfig
from minikube_py.lab.netsetup import masquerade_rule

CONFIG = LabConfig()                      # 192.168.56.0/24, control plane .10: the Vagrantfile's addresses
PREFIX = "minikube-py-"
CONTROL_PLANE = ("etcd", "apiserver", "controller-manager", "scheduler")


def with_flag(argv: tuple[str, ...], flag: str, value: str) -> tuple[str, ...]:
    """argv with the value after `flag` replaced."""
    i = argv.index(flag)
    return (*argv[:i + 1], value, *argv[i + 2:])


def without_flag(argv: tuple[str, ...], flag: str) -> tuple[str, ...]:
    """argv without `flag` and its value."""
    i = argv.index(flag)
    return (*argv[:i], *argv[i + 2:])


def node_index(ip: str) -> int:
    """192.168.56.11 -> 1 (the lab numbers nodes by address; the control plane .10 is 0)."""
    index = int(ip.rsplit(".", 1)[1]) - 10
    if CONFIG.node_ip(index) != ip:
        raise click.BadParameter(f"{ip} is not an address of the lab network {CONFIG.subnet}")
    return index


def control_plane_commands() -> dict[str, tuple[str, ...]]:
    return {c.name: c.argv for c in control_plane(CONFIG) if c.name in CONTROL_PLANE}


def node_commands(name: str, ip: str) -> dict[str, tuple[str, ...]]:
    """agent, proxy, netpol and dns for the node `name` at `ip`."""
    agent, proxy, netpol = node_components(CONFIG, node_index(ip))
    dns: Component = next(c for c in control_plane(CONFIG) if c.name == "dns")
    return {
        "agent": with_flag(with_flag(agent.argv, "--node-name", name),
                           "--root-dir", str(CONFIG.state_dir / "nodes" / name)),
        "proxy": proxy.argv,
        "netpol": with_flag(netpol.argv, "--node-name", name),
        "dns": with_flag(without_flag(dns.argv, "--netns"), "--listen", f"{ip}:53"),
    }


def _exec(argv: tuple[str, ...] | list[str]) -> str:
    return shlex.join(argv).replace("%", "%%")      # systemd expands % specifiers


def unit(component: str, argv: tuple[str, ...], after: tuple[str, ...] = ()) -> str:
    # Never give up restarting: a node's components start before the control plane is up.
    order = (f"After={' '.join(('network-online.target', *after))}\nWants=network-online.target\n"
             f"StartLimitIntervalSec=0\n")
    if after:
        order += f"Requires={' '.join(after)}\n"
    return (f"[Unit]\nDescription=minikube-py {component} (Vagrant lab)\n{order}\n"
            f"[Service]\nExecStart={_exec(argv)}\nEnvironment=PYTHONUNBUFFERED=1\n"
            f"Restart=always\nRestartSec=2\n\n[Install]\nWantedBy=multi-user.target\n")


def masquerade_unit() -> str:
    rule = masquerade_rule()          # ["-t", "nat", "POSTROUTING", ...match...]
    table, chain, match = rule[:2], rule[2], rule[3:]
    iptables = ["/usr/sbin/iptables", "-w", *table]
    return ("[Unit]\nDescription=minikube-py: masquerade pods talking to the lab network (CNI ipMasq)\n"
            "Before=minikube-py-agent.service\n\n"
            f"[Service]\nType=oneshot\nRemainAfterExit=yes\n"
            f"ExecStartPre=-{_exec([*iptables, '-D', chain, *match])}\n"
            f"ExecStart={_exec([*iptables, '-A', chain, *match])}\n"
            f"ExecStop={_exec([*iptables, '-D', chain, *match])}\n\n"
            "[Install]\nWantedBy=multi-user.target\n")


def units(role: str, name: str, ip: str, agent: bool) -> dict[str, str]:
    """File name -> content of every unit this VM runs, in start order."""
    files: dict[str, str] = {}
    if role == "control-plane":
        commands = control_plane_commands()
        files[f"{PREFIX}etcd.service"] = unit("etcd", commands["etcd"])
        files[f"{PREFIX}apiserver.service"] = unit("apiserver", commands["apiserver"], (f"{PREFIX}etcd.service",))
        for component in ("controller-manager", "scheduler"):
            files[f"{PREFIX}{component}.service"] = unit(component, commands[component])
    if role == "node" or agent:
        commands = node_commands(name, ip)
        files[f"{PREFIX}masquerade.service"] = masquerade_unit()
        files[f"{PREFIX}agent.service"] = unit("agent (kubelet)", commands["agent"],
                                               ("docker.service", f"{PREFIX}masquerade.service"))
        files[f"{PREFIX}proxy.service"] = unit("kube-proxy", commands["proxy"])
        files[f"{PREFIX}netpol.service"] = unit("NetworkPolicy agent", commands["netpol"])
        files[f"{PREFIX}dns.service"] = unit("cluster DNS", commands["dns"])
    return files


@click.group()
def main() -> None:
    """Units and bootstrap steps of the Vagrant lab (run by vagrant/provision.sh)."""


@main.command()
@click.option("--role", type=click.Choice(["control-plane", "node"]), required=True)
@click.option("--name", required=True, help="This VM's name, the Node's name.")
@click.option("--ip", required=True, help="This VM's lab address.")
@click.option("--agent/--no-agent", default=False, help="Run an agent on the control plane too.")
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path), required=True)
def write(role: str, name: str, ip: str, agent: bool, directory: Path) -> None:
    """Write the units; print their names, in start order."""
    for file_name, text in units(role, name, ip, agent).items():
        (directory / file_name).write_text(text)
        click.echo(file_name)


@main.command("dns-service")
@click.option("--address", "addresses", multiple=True, required=True, help="A DNS server's address.")
@click.option("--timeout", default=600.0, show_default=True)
def dns_service(addresses: tuple[str, ...], timeout: float) -> None:
    """Wait for the API server, then create kube-system/kube-dns and its Endpoints."""
    if not bootstrap.wait_for(lambda: bootstrap.api_ready(CONFIG), timeout, pause=2.0):
        raise click.ClickException(f"the API server at {CONFIG.api_url} is not ready after {timeout:.0f} s")
    bootstrap.ensure_dns_service(CONFIG, list(addresses))
    click.echo(f"kube-system/kube-dns {', '.join(addresses)}")


@main.command("wait-ready")
@click.option("--name", required=True)
@click.option("--timeout", default=900.0, show_default=True)
def wait_ready(name: str, timeout: float) -> None:
    """Wait until the Node `name` is Ready, as the API server reports it."""
    start = time.monotonic()
    if not bootstrap.wait_for(lambda: name in bootstrap.ready_nodes(CONFIG), timeout, pause=2.0):
        raise click.ClickException(f"node {name} is not Ready after {timeout:.0f} s: "
                                   f"journalctl -u {PREFIX}agent")
    click.echo(f"node {name} Ready after {time.monotonic() - start:.0f} s")


if __name__ == "__main__":
    sys.exit(main())
