"""Logging with Kubernetes-style verbosity (`-v N`, like klog's `--v`).

    -v 0  warnings, errors and the few lines an operator always wants (INFO)
    -v 2  more INFO detail about state changes (the Kubernetes default for daemons)
    -v 4  DEBUG: every request and decision
    -v 6  DEBUG including the HTTP access log
"""
from __future__ import annotations

import logging
import sys


def setup(component: str, verbosity: int = 0) -> logging.Logger:
    level = logging.DEBUG if verbosity >= 4 else logging.INFO
    logging.basicConfig(stream=sys.stderr, level=level,
                        format=f"%(asctime)s %(levelname).1s {component} %(name)s] %(message)s")
    logging.getLogger("aiohttp.access").setLevel(logging.DEBUG if verbosity >= 6 else logging.WARNING)
    for noisy in ("grpc", "asyncio", "aetcd"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return logging.getLogger(component)
