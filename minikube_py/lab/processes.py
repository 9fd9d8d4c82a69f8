"""Start a component (inside a node's namespace when it has one) and stop one by its pid.

A node's agent runs with `ip netns exec` semantics for the network only:
`nsenter --net=/var/run/netns/<node>` execs the agent inside the node's
network namespace (nsenter does not fork for a network namespace, so the pid
we record is the agent's own). Unlike `ip netns exec` it keeps the host's
mount namespace, so the volume directories the agent makes are the ones
dockerd bind-mounts into containers.
"""
from __future__ import annotations

import os
import signal
import subprocess
import time

from minikube_py.lab import state
from minikube_py.lab.components import Component
from minikube_py.lab.config import LabConfig
from minikube_py.netns import nsenter_prefix


def command_line(component: Component) -> list[str]:
    prefix = nsenter_prefix(component.netns) if component.netns else []
    return prefix + list(component.argv)


def spawn(config: LabConfig, component: Component) -> subprocess.Popen:
    """Start `component` with its output appended to its log file; record its pid."""
    log_path = state.log_file(config, component.name)
    with open(log_path, "ab") as log:
        log.write(f"---- {time.strftime('%Y-%m-%d %H:%M:%S')} starting: {' '.join(command_line(component))}\n"
                  .encode())
        log.flush()
        proc = subprocess.Popen(command_line(component), stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, env=state.lab_environment(config),
                                cwd=str(config.state_dir), start_new_session=True)
    state.record_pid(config, component.name, proc.pid)
    return proc


def wait_gone(config: LabConfig, pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not state.belongs_to_lab(pid, config.name) or _reaped_or_zombie(pid):
            return True
        time.sleep(0.1)
    return False


def _reaped_or_zombie(pid: int) -> bool:
    try:                                   # reap it if it is our child
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done:
            return True
    except ChildProcessError:
        pass
    return state._zombie(pid)


def stop_pid(config: LabConfig, pid: int, timeout: float = 10.0) -> None:
    """SIGTERM, then SIGKILL after `timeout` s — only if `pid` is still one of this lab's processes."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if not state.belongs_to_lab(pid, config.name):
            return
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        if wait_gone(config, pid, timeout):
            return


def stop(config: LabConfig, name: str, timeout: float = 10.0) -> bool:
    """Stop a component by its recorded pid; False if it was not running."""
    pid = state.live_pid(config, name)
    if pid is not None:
        stop_pid(config, pid, timeout)
    state.forget_pid(config, name)
    return pid is not None
