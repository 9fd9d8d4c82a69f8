"""The local end of an interactive session: stdin as async chunks, a raw terminal, its size changes.

As kubectl's term package: with `-t` and a terminal on stdin, the terminal is
put in raw mode for the session (keys go to the remote shell unprocessed,
Ctrl-C included) and restored afterwards, whatever happens; its size is sent
at the start and again on every SIGWINCH.
"""
from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import sys
import termios
import threading
import tty
from collections.abc import AsyncIterator, Iterator


async def stdin_chunks(fd: int | None = None) -> AsyncIterator[bytes]:
    """What stdin delivers, chunk by chunk, until EOF. A daemon thread does the blocking reads
    (a terminal, a pipe and a file all work), so a session can end while one is pending."""
    fd = sys.stdin.fileno() if fd is None else fd
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[bytes] = asyncio.Queue(16)

    def reader() -> None:
        while True:
            try:
                chunk = os.read(fd, 64 * 1024)
            except OSError:
                chunk = b""
            try:
                asyncio.run_coroutine_threadsafe(queue.put(chunk), loop).result()
            except RuntimeError:       # the loop has ended
                return
            if not chunk:
                return

    threading.Thread(target=reader, name="stdin", daemon=True).start()
    while chunk := await queue.get():
        yield chunk


def is_terminal(fd: int) -> bool:
    return os.isatty(fd)


@contextlib.contextmanager
def raw_terminal(fd: int) -> Iterator[None]:
    saved = termios.tcgetattr(fd)
    tty.setraw(fd)
    try:
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


async def terminal_sizes() -> AsyncIterator[tuple[int, int]]:
    """(width, height) now, then after each window change."""
    loop = asyncio.get_running_loop()
    changed = asyncio.Event()
    loop.add_signal_handler(signal.SIGWINCH, changed.set)
    try:
        while True:
            size = shutil.get_terminal_size()
            yield size.columns, size.lines
            await changed.wait()
            changed.clear()
    finally:
        loop.remove_signal_handler(signal.SIGWINCH)
