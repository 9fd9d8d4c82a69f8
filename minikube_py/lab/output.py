"""What the lab's commands print, and the one rule for commands a user is told to type.

Messages go through rich, which wraps them at the terminal's width (and at 80 columns
when the output is not a terminal: a pipe, a file, CI). A command cut in two by that
wrapping does not paste, so every command the lab tells a user to type is printed by
`commands()`: on a line of its own, never wrapped or cropped, without markup, exactly the
text to type, with the programs named so that a shell finds them (`program()`).
"""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from rich.console import Console
from rich.text import Text

console = Console()
INDENT = "  "


def program(name: str) -> str:
    """How a shell reaches this installation's `name` (mkctl, minikube-py): the bare name
    when PATH finds this very file, otherwise its full path (e.g. .venv/bin not on PATH)."""
    ours = Path(sys.executable).parent / name
    if not ours.exists():
        return name
    found = shutil.which(name)
    if found and os.path.realpath(found) == os.path.realpath(ours):
        return name
    return str(ours)


def lab_command(args: str, name: str) -> str:
    """`minikube-py lab ARGS --name NAME`, as a user types it."""
    return f"{program('minikube-py')} lab {args} --name {name}"


def commands(title: str, *lines: str) -> None:
    """`title`, then each command indented on a line of its own (soft wrap: never broken)."""
    console.print(Text(title))
    for line in lines:
        console.print(Text(INDENT + line, style="bold"), soft_wrap=True)
