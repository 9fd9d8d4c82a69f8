"""`lab down`: undo everything `lab up` made, from what the state dir records.

Works after a crash too (a dead supervisor, components still running, half a
network): every step looks for its things by the lab's names and pids, and
each step runs even when an earlier one failed.

    1. the supervisor (it stops the components it runs), then any component
       whose recorded pid is still one of this lab's processes, then any
       process still marked MKPY_LAB=<name> (state.py)
    2. the pods' containers: Docker containers labelled with one of the lab's node names
    3. node namespaces (with them go eth0, cni0, pod veths' host ends, every
       iptables rule and route the agents and proxies made inside), host veths,
       the lab bridge, the host FORWARD rule
    4. the state dir; then the host's blackhole routes, if no other lab is left
"""
from __future__ import annotations

import functools
import logging
import shutil
from collections.abc import Callable

from minikube_py.lab import netsetup, processes, state
from minikube_py.lab.config import LabConfig

log = logging.getLogger("lab.down")
NODE_LABEL = "io.minikube-py.node"      # agent/kubelet/runtime/types.py LABEL_NODE


def node_indexes(config: LabConfig) -> list[int]:
    """The configured nodes plus any namespace of this lab that is still there."""
    return sorted(set(config.node_indexes()) | netsetup.node_namespaces(config))


def stop_processes(config: LabConfig) -> None:
    processes.stop(config, "supervisor", timeout=30.0)
    for component in state.recorded_components(config):
        processes.stop(config, component, timeout=5.0)
    for pid in state.lab_processes(config.name):      # pid files lost: found by their MKPY_LAB mark
        processes.stop_pid(config, pid, timeout=5.0)


def remove_containers(config: LabConfig) -> int:
    import docker
    client = docker.from_env()
    removed = 0
    try:
        for i in node_indexes(config):
            for container in client.containers.list(all=True, filters={"label": f"{NODE_LABEL}={config.node_name(i)}"}):
                container.remove(force=True, v=True)
                removed += 1
    finally:
        client.close()
    return removed


def remove_network(config: LabConfig) -> None:
    """Each piece on its own, so one failure does not leave the others behind."""
    pieces: list[Callable[[], None]] = [functools.partial(netsetup.remove_node, config, i)
                                        for i in node_indexes(config)]
    pieces += [functools.partial(netsetup.remove_bridge, config),
               functools.partial(netsetup.remove_forward_rule, config)]
    errors = []
    for piece in pieces:
        try:
            piece()
        except Exception as e:
            errors.append(str(e))
    if errors:
        raise RuntimeError("; ".join(errors))


def remove_state(config: LabConfig) -> None:
    shutil.rmtree(config.state_dir, ignore_errors=True)
    if not state.other_labs(config):
        netsetup.remove_blackholes()


def down(config: LabConfig, report: Callable[[str], None] = print) -> list[str]:
    """Run every step; return the errors (empty when everything is gone)."""
    errors = []
    steps = [("stopping processes", stop_processes), ("removing containers", remove_containers),
             ("removing namespaces, bridge and rules", remove_network), ("removing state", remove_state)]
    for title, step in steps:
        report(title)
        try:
            step(config)
        except Exception as e:             # keep going: the later steps do not depend on this one
            log.exception("%s failed", title)
            errors.append(f"{title}: {e}")
    return errors
