"""The Vagrant lab's systemd units (vagrant/lab_units.py): the one-machine lab's command lines, per VM."""
from __future__ import annotations

import importlib.util
import shlex
from pathlib import Path

import click
import pytest

from minikube_py.lab.components import control_plane, node_components
from minikube_py.lab.config import LabConfig

_spec = importlib.util.spec_from_file_location("lab_units", Path(__file__).parents[2] / "vagrant" / "lab_units.py")
assert _spec is not None and _spec.loader is not None
lab_units = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(lab_units)


def exec_start(text: str) -> list[str]:
    line = next(line for line in text.splitlines() if line.startswith("ExecStart="))
    return shlex.split(line.removeprefix("ExecStart=").replace("%%", "%"))


def test_control_plane_runs_the_one_machine_labs_command_lines() -> None:
    units = lab_units.units("control-plane", "control-plane", "192.168.56.10", agent=False)
    assert list(units) == [f"minikube-py-{c}.service" for c in ("etcd", "apiserver", "controller-manager", "scheduler")]
    lab = {c.name: list(c.argv) for c in control_plane(LabConfig())}
    for component in ("etcd", "apiserver", "controller-manager", "scheduler"):
        assert exec_start(units[f"minikube-py-{component}.service"]) == lab[component]
    assert "Requires=minikube-py-etcd.service" in units["minikube-py-apiserver.service"]


def test_a_node_runs_agent_proxy_netpol_and_dns_on_its_own_address_without_namespaces() -> None:
    units = lab_units.units("node", "node2", "192.168.56.12", agent=False)
    assert list(units) == ["minikube-py-masquerade.service", "minikube-py-agent.service",
                           "minikube-py-proxy.service", "minikube-py-netpol.service", "minikube-py-dns.service"]
    agent = exec_start(units["minikube-py-agent.service"])
    lab_agent, lab_proxy, lab_netpol = (list(c.argv) for c in node_components(LabConfig(), 2))
    netpol = exec_start(units["minikube-py-netpol.service"])
    assert netpol[netpol.index("--node-name") + 1] == "node2" and len(netpol) == len(lab_netpol)
    assert agent[agent.index("--node-name") + 1] == "node2"
    assert agent[agent.index("--node-ip") + 1] == "192.168.56.12"
    assert agent[agent.index("--network") + 1] == "bridge"
    assert agent[agent.index("--root-dir") + 1].endswith("/nodes/node2")
    assert len(agent) == len(lab_agent)
    assert exec_start(units["minikube-py-proxy.service"]) == lab_proxy
    dns = exec_start(units["minikube-py-dns.service"])
    assert "--netns" not in dns and dns[dns.index("--listen") + 1] == "192.168.56.12:53"
    assert "Requires=docker.service minikube-py-masquerade.service" in units["minikube-py-agent.service"]


def test_the_control_plane_is_a_node_too_when_asked() -> None:
    units = lab_units.units("control-plane", "control-plane", "192.168.56.10", agent=True)
    assert "minikube-py-apiserver.service" in units and "minikube-py-agent.service" in units
    agent = exec_start(units["minikube-py-agent.service"])
    assert agent[agent.index("--node-ip") + 1] == "192.168.56.10"


def test_masquerade_unit_adds_and_removes_the_labs_rule() -> None:
    text = lab_units.masquerade_unit()
    start = exec_start(text)
    assert start[:6] == ["/usr/sbin/iptables", "-w", "-t", "nat", "-A", "POSTROUTING"]
    assert start[start.index("-s") + 1] == "10.244.0.0/16" and start[-2:] == ["-j", "MASQUERADE"]
    assert "ExecStop=/usr/sbin/iptables -w -t nat -D POSTROUTING" in text


def test_percent_signs_are_escaped_for_systemd() -> None:
    assert lab_units._exec(("echo", "100%")) == "echo 100%%"


def test_flag_helpers() -> None:
    argv = ("x", "--a", "1", "--b", "2")
    assert lab_units.with_flag(argv, "--b", "3") == ("x", "--a", "1", "--b", "3")
    assert lab_units.without_flag(argv, "--a") == ("x", "--b", "2")


def test_an_address_off_the_lab_network_is_refused() -> None:
    with pytest.raises(click.BadParameter, match="not an address of the lab network"):
        lab_units.node_index("10.0.0.11")
