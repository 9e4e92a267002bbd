"""Child processes the tests start (a Celery worker, an OIDC provider): stopping them for sure."""

from __future__ import annotations

import subprocess


def process_stop(process: subprocess.Popen[str], timeout: float = 30) -> None:
    """Ask the process to end (SIGTERM), and kill it if it has not within `timeout` seconds."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
