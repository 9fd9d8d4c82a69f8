"""Probes and lifecycle hooks: kubelet's prober (pkg/kubelet/prober) and lifecycle handlers.

One `ProbeWorker` per (container, probe kind) runs the probe every periodSeconds
after initialDelaySeconds and flips its result only after successThreshold
successes or failureThreshold failures in a row, like kubelet's worker.go.
Results live in `ProbeResults`, and a change wakes the pod worker, which acts
(liveness -> restart the container, readiness -> Ready condition, startup ->
liveness and readiness start only once it has succeeded).

How a probe reaches the container:
- exec: `docker exec` in the container (CRI ExecSync).
- httpGet / tcpSocket: Kubernetes dials the pod IP from the node. Our sandboxes have
  network mode `none` until the network issue gives them an IP, so we dial *inside*
  the pod's network namespace instead: a socket is created in the sandbox's netns
  (pod_sockets.py: a socket made inside it by a helper thread) and connects to 127.0.0.1 (or probe.host).
  That works for any image (no wget/nc needed in it) and keeps working once pods
  have IPs. Hollow pods have no namespaces: their network probes succeed.
"""
from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from agent.kubelet.pod_sockets import http_get, tcp_connect
from agent.kubelet.runtime.types import ContainerRecord, Runtime

log = logging.getLogger("agent.probes")

LIVENESS, READINESS, STARTUP = "liveness", "readiness", "startup"


@dataclass
class ProbeOutcome:
    ok: bool
    message: str = ""


def _port(handler: dict[str, Any], container: dict[str, Any]) -> int:
    port: Any = handler.get("port")     # validated as an int or a port name; int(None) fails loudly
    if isinstance(port, str) and not port.isdigit():
        for declared in container.get("ports") or []:
            if declared.get("name") == port:
                return int(declared["containerPort"])
        raise ValueError(f"unknown named port {port!r}")
    return int(port)


def _dial_error(error: OSError, host: str, port: int) -> str:
    """An unreachable port described the way kubelet's Go dialer does it."""
    if isinstance(error, TimeoutError):        # asyncio's timeout is an OSError too (Python 3.11)
        return f"dial tcp {host}:{port}: i/o timeout"
    reason = os.strerror(error.errno).lower() if error.errno else str(error)
    return f"dial tcp {host}:{port}: connect: {reason}"


async def _http_get(netns: str, get: dict[str, Any], container: dict[str, Any], timeout: float) -> ProbeOutcome:
    host, port, path = get.get("host") or "127.0.0.1", _port(get, container), get.get("path") or "/"
    try:
        code = await http_get(netns, host, port, path, get.get("httpHeaders") or [], timeout)
    except TimeoutError:
        return ProbeOutcome(False, f'Get "http://{host}:{port}{path}": context deadline exceeded '
                                   "(Client.Timeout exceeded while awaiting headers)")
    except OSError as e:
        return ProbeOutcome(False, f'Get "http://{host}:{port}{path}": {_dial_error(e, host, port)}')
    return ProbeOutcome(200 <= code < 400, f"HTTP probe failed with statuscode: {code}")


async def _tcp_socket(netns: str, sock: dict[str, Any], container: dict[str, Any], timeout: float) -> ProbeOutcome:
    host, port = sock.get("host") or "127.0.0.1", _port(sock, container)
    try:
        await tcp_connect(netns, host, port, timeout)
    except OSError as e:
        return ProbeOutcome(False, _dial_error(e, host, port))
    return ProbeOutcome(True)


async def run_handler(runtime: Runtime, handler: dict[str, Any], container: dict[str, Any],
                      record: ContainerRecord, sandbox: ContainerRecord | None, timeout: float) -> ProbeOutcome:
    """Run one probe or hook handler (exec, httpGet or tcpSocket) once."""
    try:
        if "exec" in handler:
            code, output = await runtime.exec(record.id, list(handler["exec"].get("command") or []), timeout)
            return ProbeOutcome(code == 0, output.decode(errors="replace").strip()[:200] or f"exit code {code}")
        netns = runtime.netns_path(sandbox) if sandbox is not None else None
        if runtime.hollow:
            return ProbeOutcome(True, "hollow")
        if netns is None:
            return ProbeOutcome(False, "the pod has no network namespace")
        if "httpGet" in handler:
            return await _http_get(netns, handler["httpGet"], container, timeout)
        if "tcpSocket" in handler:
            return await _tcp_socket(netns, handler["tcpSocket"], container, timeout)
        return ProbeOutcome(False, "the handler has no exec, httpGet or tcpSocket")
    except TimeoutError:
        return ProbeOutcome(False, f"timeout after {timeout}s")
    except (OSError, ValueError) as e:
        return ProbeOutcome(False, str(e))


class ProbeResults:
    """The latest verdict of every probe of one pod: (container name, kind) -> ok."""

    def __init__(self, on_change: Callable[[], None]) -> None:
        self.results: dict[tuple[str, str], bool] = {}    # absent = no verdict yet
        self.on_change = on_change

    def set(self, name: str, kind: str, ok: bool) -> None:
        if self.results.get((name, kind)) != ok:
            self.results[(name, kind)] = ok
            self.on_change()

    def get(self, name: str, kind: str) -> bool | None:
        return self.results.get((name, kind))

    def clear(self, name: str) -> None:
        for key in [k for k in self.results if k[0] == name]:
            del self.results[key]


class ProbeWorker:
    """Runs one probe of one container until cancelled."""

    def __init__(self, runtime: Runtime, kind: str, probe: dict[str, Any], container: dict[str, Any],
                 record: ContainerRecord, sandbox: ContainerRecord | None, results: ProbeResults,
                 on_failure: Callable[[str, str], Any]) -> None:
        self.runtime, self.kind, self.probe, self.container = runtime, kind, probe, container
        self.record, self.sandbox, self.results, self.on_failure = record, sandbox, results, on_failure
        self.task = asyncio.create_task(self._run(), name=f"probe-{kind}-{container['name']}")

    def setting(self, name: str, default: int) -> int:
        return int(self.probe.get(name) or default)

    async def _run(self) -> None:
        name = self.container["name"]
        successes = failures = 0
        await asyncio.sleep(self.setting("initialDelaySeconds", 0))
        while True:
            if self.kind == STARTUP and self.results.get(name, STARTUP):
                return                  # a startup probe stops once it has succeeded
            if self.kind == STARTUP or not self.container.get("startupProbe") or self.results.get(name, STARTUP):
                outcome = await run_handler(self.runtime, self.probe, self.container, self.record, self.sandbox,
                                            self.setting("timeoutSeconds", 1))
                successes, failures = (successes + 1, 0) if outcome.ok else (0, failures + 1)
                if successes >= self.setting("successThreshold", 1):
                    self.results.set(name, self.kind, True)
                elif failures >= self.setting("failureThreshold", 3):
                    self.results.set(name, self.kind, False)
                if not outcome.ok:
                    await self.on_failure(self.kind, outcome.message)
            await asyncio.sleep(self.setting("periodSeconds", 10))

    def cancel(self) -> None:
        self.task.cancel()


class ContainerProbes:
    """The probes of one running container (startup, liveness, readiness)."""

    def __init__(self, runtime: Runtime, container: dict[str, Any], record: ContainerRecord,
                 sandbox: ContainerRecord | None, results: ProbeResults,
                 on_failure: Callable[[str, str], Any]) -> None:
        self.container_id = record.id
        name = container["name"]
        results.clear(name)
        self.workers = [ProbeWorker(runtime, kind, container[f"{kind}Probe"], container, record, sandbox,
                                    results, on_failure)
                        for kind in (STARTUP, LIVENESS, READINESS) if container.get(f"{kind}Probe")]

    def cancel(self) -> None:
        for worker in self.workers:
            worker.cancel()
