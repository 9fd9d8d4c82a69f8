"""`python -m controllers ...` runs the controller manager (see cli.py)."""
from controllers.cli import controller_manager

if __name__ == "__main__":
    controller_manager(prog_name="python -m controllers")
