"""`python -m agent.netpol ...`: the same command as `minikube-py netpol` (see cli.py)."""
from agent.netpol.cli import netpol

if __name__ == "__main__":
    netpol(prog_name="python -m agent.netpol")
