"""`python -m agent.dns ...`: the same command as `minikube-py dns` (see cli.py)."""
from agent.dns.cli import dns

if __name__ == "__main__":
    dns(prog_name="python -m agent.dns")
