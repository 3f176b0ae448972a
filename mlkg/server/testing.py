"""A real ``mlkg serve`` on 127.0.0.1 for tests and benchmarks.

Binds a free port, polls until the server answers, and fails with the server's output if it
died (datasette ``tests/test_playwright.py`` ``find_free_port``, ``wait_for_server``).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path

#: Seconds a server gets to start before the helper gives up and shows its output.
START_TIMEOUT = 120.0


def find_free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    """``python -m mlkg --data-dir DIR serve`` in a subprocess, as a context manager.

    Args:
        data_dir: the data directory to serve.
        options: extra ``serve`` options, e.g. ``["--timeout", "1"]``.
        env: extra environment (e.g. ``{"MLKG_UPDATE_TOKEN": ...}``).
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        options: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
    ):
        self.data_dir = Path(data_dir)
        self.port = find_free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.options = list(options)
        # Updates only when the caller asks: never inherit a token from the environment.
        self.env = {k: v for k, v in os.environ.items() if k != "MLKG_UPDATE_TOKEN"}
        self.env.update(env or {})
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 -- closed in __exit__
        self.process: subprocess.Popen | None = None

    @property
    def endpoint(self) -> str:
        return f"{self.url}/sparql"

    def start(self) -> LiveServer:
        command = [sys.executable, "-m", "mlkg", "--data-dir", str(self.data_dir), "serve"]
        command += ["--port", str(self.port), *self.options]
        self.process = subprocess.Popen(
            command, stdout=self._log, stderr=subprocess.STDOUT, env=self.env
        )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"mlkg serve exited with {self.process.returncode}:\n{self.output()}"
                )
            try:
                with urllib.request.urlopen(f"{self.url}/-/status", timeout=5) as response:
                    if response.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"mlkg serve did not answer within {START_TIMEOUT} s:\n{self.output()}")

    def status(self) -> dict:
        with urllib.request.urlopen(f"{self.url}/-/status", timeout=30) as response:
            return json.load(response)

    def output(self) -> str:
        """Everything the server printed so far (stdout and stderr)."""
        self._log.seek(0)
        return self._log.read().decode("utf-8", "replace")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
        self._log.close()
