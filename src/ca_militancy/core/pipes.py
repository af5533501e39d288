"""Quiet ends for output piped into a reader that goes away (`... | head -1`).

Why in the core: both the reader's command and the build's scripts print to pipes, and the
build must not import the reader."""

from __future__ import annotations

import os
import sys


def silence_stdout() -> None:
    """Point stdout at /dev/null so that Python's final flush after a closed pipe is quiet."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
