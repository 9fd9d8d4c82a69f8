"""The lab's supervisor: one daemon per lab that keeps every component running.

    python -m minikube_py.lab.supervisor NAME [--state-root DIR]

Once a second it looks at every component (by its recorded pid, so it also
adopts components a previous supervisor started): a component that is not
running and not disabled is started — a restart is logged, and a component
that keeps crashing waits 1, 2, 4 ... 30 s between attempts (like kubelet's
crash-loop back-off); a disabled one (`lab stop NODE`) is stopped. etcd and
the API server are waited for before the components that need them start,
and the agents start one after the other (see wait_started).
On SIGTERM it stops every component, in reverse start order, and exits.
"""
from __future__ import annotations

import argparse
import json
import logging
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

from minikube_py.lab import bootstrap, processes, state
from minikube_py.lab.components import Component, all_components
from minikube_py.lab.config import LabConfig

log = logging.getLogger("lab.supervisor")
MAX_BACKOFF = 30.0


def healthy(component: Component, timeout: float = 1.0) -> bool:
    if component.health_url is None:
        return True
    try:
        with urllib.request.urlopen(component.health_url, timeout=timeout) as answer:
            return answer.status == 200
    except OSError:
        return False


def wait_healthy(component: Component, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if healthy(component):
            return True
        time.sleep(0.2)
    return False


def wait_started(config: LabConfig, component: Component, timeout: float) -> bool:
    """Wait until what comes next can use `component`: etcd and the API server answer
    their health checks; an agent's Node has its podCIDR — agents start one by one,
    so node i registers i-th and gets 10.244.i.0/24."""
    if component.name.startswith("agent-"):
        assert component.node is not None        # every agent component belongs to a node
        node = config.node_name(component.node)
        return bootstrap.wait_for(lambda: bootstrap.pod_cidr(config, node) is not None, timeout, pause=0.2)
    return wait_healthy(component, timeout)


class Supervisor:
    def __init__(self, config: LabConfig) -> None:
        self.config = config
        self.components = all_components(config)
        self.children: dict[str, subprocess.Popen] = {}
        self.restarts: dict[str, int] = restarts(config)    # counts survive a supervisor restart
        self.backoff: dict[str, float] = {}
        self.not_before: dict[str, float] = {}
        self.ever_started: set[str] = set()
        self.stopping = False

    def run(self) -> None:
        signal.signal(signal.SIGTERM, self._stop_signal)
        signal.signal(signal.SIGINT, self._stop_signal)
        log.info("supervising lab %s (%d components)", self.config.name, len(self.components))
        while not self.stopping:
            self.reconcile()
            time.sleep(1.0)
        self.stop_all()

    def _stop_signal(self, *_: object) -> None:
        self.stopping = True

    def reconcile(self) -> None:
        for child in self.children.values():
            child.poll()                        # reap exited children, so their pids read as gone
        for component in self.components:
            if self.stopping:
                return
            running = state.live_pid(self.config, component.name) is not None
            if state.is_disabled(self.config, component.name):
                if running:
                    log.info("%s is disabled: stopping it", component.name)
                    processes.stop(self.config, component.name)
                continue
            if not running:
                self.start(component)

    def start(self, component: Component) -> None:
        now = time.monotonic()
        if now < self.not_before.get(component.name, 0.0):
            return
        if component.name in self.ever_started:
            child = self.children.get(component.name)
            code = child.poll() if child else "?"          # poll: it may have died since reconcile began
            self.restarts[component.name] = self.restarts.get(component.name, 0) + 1
            log.warning("%s exited (code %s): restart #%d", component.name, code, self.restarts[component.name])
            self._write_restarts()
        else:
            log.info("starting %s", component.name)
        self.ever_started.add(component.name)
        self.children[component.name] = processes.spawn(self.config, component)
        self._next_backoff(component.name, now)
        if not wait_started(self.config, component, 30.0):
            log.warning("%s is not up after 30 s; going on", component.name)

    def _next_backoff(self, name: str, now: float) -> None:
        """Back off only when the previous start was recent (a crash loop)."""
        last_start = self.not_before.get(name, 0.0) - self.backoff.get(name, 0.0)
        delay = min(self.backoff.get(name, 0.5) * 2, MAX_BACKOFF) if now - last_start < 60 else 1.0
        self.backoff[name] = delay
        self.not_before[name] = now + delay

    def _write_restarts(self) -> None:
        (self.config.state_dir / "restarts.json").write_text(json.dumps(self.restarts))

    def stop_all(self) -> None:
        log.info("stopping every component of lab %s", self.config.name)
        for component in reversed(self.components):
            if processes.stop(self.config, component.name):
                log.info("stopped %s", component.name)


def restarts(config: LabConfig) -> dict[str, int]:
    path = config.state_dir / "restarts.json"
    return json.loads(path.read_text()) if path.exists() else {}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m minikube_py.lab.supervisor")
    parser.add_argument("name")
    parser.add_argument("--state-root", default=None)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s supervisor %(levelname)s %(message)s")
    config = state.load_config(args.name, Path(args.state_root) if args.state_root else None)
    if config is None:
        raise SystemExit(f"no lab {args.name!r}")
    Supervisor(config).run()


if __name__ == "__main__":
    main()
