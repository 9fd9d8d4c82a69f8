"""What the node reports about its machine: kubelet's cadvisor-backed machine info and
the eviction manager's signals (memory.available, nodefs.available, pid.available)."""
from __future__ import annotations

import os
import platform
import shutil
from pathlib import Path


def _read(path: str, default: str = "") -> str:
    try:
        return Path(path).read_text().strip()
    except OSError:
        return default


def meminfo_bytes(field: str) -> int:
    for line in _read("/proc/meminfo").splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    return 0


def os_image() -> str:
    for line in _read("/etc/os-release").splitlines():
        if line.startswith("PRETTY_NAME="):
            return line.split("=", 1)[1].strip('"')
    return "Linux"


def arch() -> str:
    machine = platform.machine()
    return {"x86_64": "amd64", "aarch64": "arm64"}.get(machine, machine)


def host_capacity() -> dict[str, str]:
    total_kib = meminfo_bytes("MemTotal") // 1024
    return {"cpu": str(os.cpu_count() or 1), "memory": f"{total_kib}Ki",
            "ephemeral-storage": f"{shutil.disk_usage('/').total // 1024}Ki"}


def node_info(runtime_version: str, kubelet_version: str) -> dict[str, str]:
    return {"machineID": _read("/etc/machine-id"), "systemUUID": _read("/sys/class/dmi/id/product_uuid"),
            "bootID": _read("/proc/sys/kernel/random/boot_id"), "kernelVersion": platform.release(),
            "osImage": os_image(), "containerRuntimeVersion": runtime_version,
            "kubeletVersion": kubelet_version, "kubeProxyVersion": kubelet_version,
            "operatingSystem": "linux", "architecture": arch()}


def memory_available() -> int:
    return meminfo_bytes("MemAvailable")


def disk_available_fraction(path: str) -> float:
    try:
        usage = shutil.disk_usage(path)
    except OSError:
        usage = shutil.disk_usage("/")
    return usage.free / usage.total


def pids_available_fraction() -> float:
    pid_max = int(_read("/proc/sys/kernel/pid_max", "32768"))
    running = sum(1 for entry in os.listdir("/proc") if entry.isdigit())
    return 1 - running / pid_max
