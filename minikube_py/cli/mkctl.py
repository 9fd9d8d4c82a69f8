"""`mkctl`: the command-line client (issue 3 builds it out, modelled on kubectl)."""
from __future__ import annotations

import click


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """mkctl: drive a minikube-py cluster (kubectl also works)."""
