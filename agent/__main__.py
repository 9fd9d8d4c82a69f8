"""`python -m agent ...` runs the node agent (the same command as `minikube-py agent`)."""
from agent.cli import agent

if __name__ == "__main__":
    agent(prog_name="python -m agent")
