"""The lab's hints paste: every command a user is told to type is printed whole, on one line,
on a narrow console and when the output is not a terminal (where rich wraps at 80 columns)."""
from __future__ import annotations

import io
import os
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console

from minikube_py.lab import cli, output, state
from minikube_py.lab.config import LabConfig

NAME = "hintlab1"


@pytest.fixture
def narrow(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    """The lab's console, 40 columns wide, writing to a file (not a terminal); .venv not on
    PATH, so the programs are named by their full paths (long lines)."""
    monkeypatch.setenv("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
    out = io.StringIO()
    monkeypatch.setattr(output, "console", Console(file=out, width=40))
    return out


def typed(out: io.StringIO) -> list[str]:
    """The printed lines, as a user would copy them (without the indentation)."""
    return [line.strip() for line in out.getvalue().splitlines()]


def test_up_prints_each_next_step_as_one_whole_line(narrow: io.StringIO) -> None:
    config = LabConfig(name=NAME)
    kubeconfig = Path(f"/var/lib/minikube-py/lab/{NAME}/kubeconfig")
    cli.print_next_steps(config, kubeconfig)
    lab = output.program("minikube-py")
    expected = [
        "curl http://192.168.56.10:6443/api/v1/nodes",
        f"export KUBECONFIG={kubeconfig}; {output.program('mkctl')} get nodes",
        f"{lab} lab status --name {NAME}",
        f"{lab} lab logs apiserver --name {NAME}",
        f"{lab} lab down --name {NAME}",
    ]
    lines = typed(narrow)
    for command in expected:
        assert len(command) > 40                     # each would have been wrapped
        assert command in lines, f"{command!r} is not one line of:\n{narrow.getvalue()}"
    assert "\x1b" not in narrow.getvalue()          # no terminal codes in a file


def test_stop_tells_how_to_start_the_node_again_on_one_line(
        narrow: io.StringIO, monkeypatch: pytest.MonkeyPatch) -> None:
    config = LabConfig(name=NAME)
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    monkeypatch.setattr(state, "load_config", lambda name: config if name == NAME else None)
    monkeypatch.setattr(state, "set_disabled", lambda *args: None)
    monkeypatch.setattr(cli.processes, "stop", lambda *args: None)
    result = CliRunner().invoke(cli.lab, ["stop", "node2", "--name", NAME])
    assert result.exit_code == 0, result.output
    assert f"{output.program('minikube-py')} lab start node2 --name {NAME}" in typed(narrow)


def test_a_missing_lab_names_the_command_to_start_it_on_one_line() -> None:
    result = CliRunner().invoke(cli.lab, ["status", "--name", "no-such-lab-xyz"], terminal_width=40)
    assert result.exit_code != 0
    assert f"`{output.program('minikube-py')} lab up --name no-such-lab-xyz`" in result.output.splitlines()[0]


def test_programs_are_named_so_that_a_shell_finds_them(monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = Path(sys.executable).parent
    assert (bin_dir / "mkctl").exists()
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}/usr/bin")
    assert output.program("mkctl") == "mkctl"
    monkeypatch.setenv("PATH", "/usr/bin:/bin")          # e.g. .venv not activated
    assert output.program("mkctl") == str(bin_dir / "mkctl")
