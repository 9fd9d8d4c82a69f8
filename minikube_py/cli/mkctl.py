"""`mkctl`: the command-line client of minikube-py, modelled on kubectl 1.20.

It reads the same manifests and the same kubeconfig as kubectl and talks to the
API server only through its REST API (minikube_py.client), so everything it
does can also be done with kubectl or curl. Each family of commands lives in
its own module under minikube_py/cli/mkctl_cmds/:

    get.py        get (tables, -o yaml|json|name|wide, -w)
    apply.py      apply, create, delete (-f manifests; apply's three-way patch is three_way.py)
    describe.py   describe (+ describe_sections.py, the per-kind views)
    workloads.py  scale, logs
    rollout.py    rollout status|history|undo|restart
    nodes.py      cordon, uncordon, drain, taint
    meta.py       label, annotate
    info.py       events, api-resources, version
    streams.py    exec, attach, cp, port-forward (+ terminal.py, the local tty)
"""
from __future__ import annotations

import click

from minikube_py.cli.mkctl_cmds import apply, describe, get, info, meta, nodes, rollout, streams, workloads
from minikube_py.cli.mkctl_cmds.runtime import global_options

COMMANDS = (
    get.get, apply.apply, apply.create, apply.delete, describe.describe,
    workloads.logs, workloads.scale, rollout.rollout,
    nodes.cordon, nodes.uncordon, nodes.drain, nodes.taint,
    meta.label, meta.annotate,
    info.events, info.api_resources, info.version,
    streams.exec_, streams.attach, streams.cp, streams.port_forward,
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@global_options
def main() -> None:
    """mkctl controls a minikube-py cluster, like kubectl (which also works)."""


for _command in COMMANDS:
    main.add_command(_command)


if __name__ == "__main__":
    main()
