"""`python -m agent.proxy ...`: the same command as `minikube-py proxy` (see cli.py)."""
from agent.proxy.cli import proxy

if __name__ == "__main__":
    proxy(prog_name="python -m agent.proxy")
