"""`python -m scheduler ...`: the same command as `minikube-py scheduler`."""
from scheduler.cli import scheduler

if __name__ == "__main__":
    scheduler(prog_name="python -m scheduler")
