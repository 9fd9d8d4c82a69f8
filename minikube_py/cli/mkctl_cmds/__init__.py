"""The sub-commands of `mkctl`, one small module per family of kubectl commands.

`minikube_py/cli/mkctl.py` builds the click group from them; `runtime.py`
holds what every command shares (options, the API client, errors).
"""
