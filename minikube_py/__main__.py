"""`python -m minikube_py ...`: the same command as `minikube-py` (minikube_py/cli/daemons.py)."""
from minikube_py.cli.daemons import main

if __name__ == "__main__":
    main(prog_name="minikube-py")
