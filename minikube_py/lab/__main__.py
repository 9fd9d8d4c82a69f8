"""`python -m minikube_py.lab up|down|status|...`: the lab's commands without the `minikube-py` entry point."""
from minikube_py.lab.cli import lab

lab(prog_name="minikube-py lab")
