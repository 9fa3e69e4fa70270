"""Starting and stopping the servers the tests run (gunicorn, stores, haproxy): one way to wait
until one answers and one way to stop it, for every test module."""
from __future__ import annotations

import subprocess
import time

import pytest
import requests


def wait_until_answers(url: str, proc: subprocess.Popen, log_path, seconds: float = 60, params=None) -> None:
    """Poll ``url`` (GET, ``params``) until it answers 200; fail with the log if the process dies
    or ``seconds`` pass first."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if requests.get(url, params=params, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"{url} did not come up:\n{log_path.read_text(errors='replace')[-3000:]}")
        time.sleep(0.05)


def stop(proc: subprocess.Popen | None) -> None:
    """SIGTERM (gunicorn then stops its workers, whose executors end with them), SIGKILL after 15 s."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)
