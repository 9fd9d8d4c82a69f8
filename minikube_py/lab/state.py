"""The lab's state dir: everything `lab down` needs to undo `lab up`, even after a crash.

    <state_root>/<name>/
        lab.json            the lab's config (nodes, subnet) — written before anything is made
        pids/<component>    pid of each running component; pids/supervisor for the supervisor
        logs/<component>.log
        disabled/<component>   present while `lab stop NODE` keeps a component down
        etcd/               etcd's data
        nodes/<node>/       each agent's root dir (volumes, pod network state)
        kubeconfig

Processes are recognised by pid *and* by the environment variable MKPY_LAB=<name>
every component gets, so a pid reused by an unrelated process is never signalled.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from minikube_py.lab.config import LabConfig

LAB_ENV = "MKPY_LAB"


def save_config(config: LabConfig) -> None:
    config.state_dir.mkdir(parents=True, exist_ok=True)
    for sub in ("pids", "logs", "disabled", "nodes"):
        (config.state_dir / sub).mkdir(exist_ok=True)
    data = {"name": config.name, "nodes": config.nodes, "subnet": config.subnet}
    (config.state_dir / "lab.json").write_text(json.dumps(data, indent=2) + "\n")


def load_config(name: str, state_root: Path | None = None) -> LabConfig | None:
    """The config a lab was brought up with, or None if there is no such lab."""
    from minikube_py.lab.config import STATE_ROOT
    path = (state_root or STATE_ROOT) / name / "lab.json"
    if not path.exists():
        return None
    data = json.loads(path.read_text())
    return LabConfig(name=data["name"], nodes=data["nodes"], subnet=data["subnet"],
                     state_root=state_root or STATE_ROOT)


def other_labs(config: LabConfig) -> list[str]:
    """Names of the other labs that have a state dir (they share the host's blackhole routes)."""
    if not config.state_root.exists():
        return []
    return sorted(p.name for p in config.state_root.iterdir()
                  if p.name != config.name and (p / "lab.json").exists())


def pid_file(config: LabConfig, component: str) -> Path:
    return config.state_dir / "pids" / component


def log_file(config: LabConfig, component: str) -> Path:
    return config.state_dir / "logs" / f"{component}.log"


def record_pid(config: LabConfig, component: str, pid: int) -> None:
    pid_file(config, component).write_text(f"{pid}\n")


def forget_pid(config: LabConfig, component: str) -> None:
    pid_file(config, component).unlink(missing_ok=True)


def belongs_to_lab(pid: int, name: str) -> bool:
    """Is `pid` alive and one of lab `name`'s processes (by its MKPY_LAB environment)?"""
    try:
        environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        return False
    return f"{LAB_ENV}={name}".encode() in environ


def live_pid(config: LabConfig, component: str) -> int | None:
    """The recorded pid of `component` if that process is still ours and alive."""
    try:
        pid = int(pid_file(config, component).read_text())
    except (OSError, ValueError):
        return None
    return pid if belongs_to_lab(pid, config.name) and not _zombie(pid) else None


def lab_processes(name: str) -> list[int]:
    """Every live process carrying MKPY_LAB=<name> (what `down` stops when pid files are lost)."""
    pids = [int(p) for p in os.listdir("/proc") if p.isdigit()]
    return [pid for pid in pids if pid != os.getpid() and belongs_to_lab(pid, name) and not _zombie(pid)]


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return True


def recorded_components(config: LabConfig) -> list[str]:
    directory = config.state_dir / "pids"
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


def disabled_marker(config: LabConfig, component: str) -> Path:
    return config.state_dir / "disabled" / component


def is_disabled(config: LabConfig, component: str) -> bool:
    return disabled_marker(config, component).exists()


def set_disabled(config: LabConfig, component: str, disabled: bool) -> None:
    marker = disabled_marker(config, component)
    if disabled:
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()
    else:
        marker.unlink(missing_ok=True)


def lab_environment(config: LabConfig) -> dict[str, str]:
    """The environment of every component: ours (MKPY_LAB) plus the caller's, minus KUBECONFIG."""
    env = {k: v for k, v in os.environ.items() if k not in ("KUBECONFIG", "MK_SERVER")}
    env[LAB_ENV] = config.name
    return env
