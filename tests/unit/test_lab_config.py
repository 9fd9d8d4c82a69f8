"""The one-machine lab's pure parts: names, addresses, command lines, kubeconfig."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from minikube_py.client.config import load_config
from minikube_py.lab.components import all_components, find
from minikube_py.lab.config import LabConfig
from minikube_py.lab.kubeconfig import kubeconfig
from minikube_py.lab.processes import command_line


def test_default_addresses_follow_the_network_plan() -> None:
    lab = LabConfig()
    assert lab.control_plane_ip == "192.168.56.10"
    assert [lab.node_ip(i) for i in lab.node_indexes()] == ["192.168.56.11", "192.168.56.12", "192.168.56.13"]
    assert lab.api_url == "http://192.168.56.10:6443"


def test_every_name_carries_the_lab_name_and_fits_an_interface_name() -> None:
    lab = LabConfig(name="abcdefgh", nodes=20, subnet="192.168.77.0/24")
    names = [lab.bridge] + [lab.host_veth(i) for i in lab.node_indexes()]
    assert all(len(n) <= 15 and "abcdefgh" in n for n in names)
    assert lab.netns(3) == "mkpy-abcdefgh-node3" and lab.node_name(3) == "abcdefgh-node3"
    assert lab.node_ip(20) == "192.168.77.30"


@pytest.mark.parametrize("bad", [{"name": "Lab"}, {"name": "toolongname"}, {"nodes": 0},
                                 {"subnet": "10.0.0.0/16"}])
def test_bad_settings_are_refused(bad: dict) -> None:
    with pytest.raises(ValueError):
        LabConfig(**bad)


def test_node_index_accepts_short_and_full_names() -> None:
    lab = LabConfig(name="x")
    assert lab.node_index("x-node2") == lab.node_index("node2") == lab.node_index("2") == 2
    with pytest.raises(ValueError):
        lab.node_index("node9")


def test_agents_and_proxies_run_inside_their_node_namespace() -> None:
    lab = LabConfig(name="t", nodes=2)
    agent = find(lab, "agent-node2")
    argv = command_line(agent)
    assert argv[:2] == ["nsenter", "--net=/var/run/netns/mkpy-t-node2"]
    assert "--node-ip" in argv and "192.168.56.12" in argv and "--network" in argv
    assert command_line(find(lab, "apiserver"))[0] != "nsenter"
    names = [c.name for c in all_components(lab)]
    assert names[:2] == ["etcd", "apiserver"] and names[-2:] == ["proxy-node2", "netpol-node2"]
    with pytest.raises(ValueError):
        find(lab, "agent-node3")


def test_kubeconfig_is_standard_and_readable_by_our_client(tmp_path: Path) -> None:
    lab = LabConfig(name="k", subnet="192.168.99.0/24")
    path = tmp_path / "config"
    path.write_text(yaml.safe_dump(kubeconfig(lab)))
    assert load_config(kubeconfig=str(path)).server == "http://192.168.99.10:6443"


def test_scheduler_and_controller_manager_agree_on_leader_election() -> None:
    """Both default to --leader-elect as in Kubernetes, and the lab passes it to both explicitly."""
    from controllers.cli import controller_manager
    from scheduler.cli import scheduler

    def default(command) -> bool:
        return next(p.default for p in command.params if p.name == "leader_elect")
    assert default(scheduler) is True and default(controller_manager) is True
    lab = LabConfig(name="t", nodes=1)
    for name in ("scheduler", "controller-manager"):
        assert "--leader-elect" in command_line(find(lab, name))
