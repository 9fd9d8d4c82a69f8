"""`python -m apiserver ...`: the same command as `minikube-py apiserver` (see cli.py)."""
from apiserver.cli import apiserver

if __name__ == "__main__":
    apiserver(prog_name="python -m apiserver")
