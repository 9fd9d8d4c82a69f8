"""A child the agent forks (pyroute2's netns helper) must not be able to stop the agent.

asyncio delivers signals through a wake-up socket that a forked child inherits; pyroute2
SIGTERMs a helper child that is still alive, and the child's C handler wrote "SIGTERM" into
the parent's socket: on slow VMs the agent stopped on every pod it set up. Each case runs in
its own interpreter, because signal handlers and at-fork hooks are process-wide.
"""
from __future__ import annotations

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent("""
    import asyncio, os, signal, sys, time
    from agent.cli import keep_forked_children_out_of_our_signals

    def fork_and_terminate_a_child() -> None:      # what pyroute2's ChildProcess does, in a thread
        pid = os.fork()
        if pid == 0:
            time.sleep(5)
            os._exit(0)
        time.sleep(0.3)
        os.kill(pid, signal.SIGTERM)
        os.waitpid(pid, 0)

    async def main() -> None:
        stopped = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stopped.set)
        if sys.argv[1] == "protected":
            keep_forked_children_out_of_our_signals()
        await asyncio.to_thread(fork_and_terminate_a_child)
        await asyncio.sleep(0.5)
        print("stopped" if stopped.is_set() else "running")

    asyncio.run(main())
""")


def run(mode: str) -> str:
    result = subprocess.run([sys.executable, "-c", SCRIPT, mode], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_a_terminated_child_reaches_the_parents_handler_without_the_guard() -> None:
    assert run("unprotected") == "stopped"        # the mechanism the guard exists for


def test_a_terminated_child_does_not_stop_the_agent() -> None:
    assert run("protected") == "running"
