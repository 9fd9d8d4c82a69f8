"""The name of every asyncio task a streaming session starts, so that /debug/streams can count them:
none may outlive its session (the tests check this after killing clients)."""
from __future__ import annotations

import asyncio

TASK_NAME = "streaming"


def open_tasks() -> int:
    return sum(1 for task in asyncio.all_tasks() if task.get_name() == TASK_NAME)
