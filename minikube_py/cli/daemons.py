"""`minikube-py` (also `python -m minikube_py`): one command that starts any component, and the tools.

    minikube-py apiserver ...            = python -m apiserver            (apiserver/cli.py)
    minikube-py controller-manager ...   = python -m controllers          (controllers/cli.py)
    minikube-py scheduler ...            = python -m scheduler            (scheduler/cli.py)
    minikube-py agent ...                = python -m agent                (agent/cli.py)
    minikube-py proxy ...                = python -m agent.proxy          (agent/proxy/cli.py)
    minikube-py dns ...                  = python -m agent.dns            (agent/dns/cli.py)
    minikube-py netpol ...               = python -m agent.netpol         (agent/netpol/cli.py)
    minikube-py images | lab ...         the tools (minikube_py/images.py, minikube_py/lab/)

Each component owns its command, in its own entry module. The group names them
here and imports one only when it runs (or when --help lists them): the shared
core (minikube_py/) imports no component, a process loads only the component it
runs, and a component whose dependencies are missing (the agent's Docker and
pyroute2, say) does not stop the others from starting.
"""
from __future__ import annotations

import importlib

import click

from minikube_py.component_base import CONTEXT_SETTINGS

# command name -> "module:attribute" of its click command
COMMANDS = {
    "apiserver": "apiserver.cli:apiserver",
    "controller-manager": "controllers.cli:controller_manager",
    "scheduler": "scheduler.cli:scheduler",
    "agent": "agent.cli:agent",
    "proxy": "agent.proxy.cli:proxy",
    "dns": "agent.dns.cli:dns",
    "netpol": "agent.netpol.cli:netpol",
    "images": "minikube_py.images:images",
    "lab": "minikube_py.lab.cli:lab",
}


class LazyGroup(click.Group):
    """A click group whose commands are imported when they are used (click's documented pattern)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, attribute = target.split(":")
        command = getattr(importlib.import_module(module), attribute)
        assert isinstance(command, click.Command)
        return command


@click.group(cls=LazyGroup, context_settings=CONTEXT_SETTINGS)
def main() -> None:
    """minikube-py: a small but real Kubernetes, in Python."""


if __name__ == "__main__":
    main()
