"""A real ``inloop serve`` process for API tests: started on a free port, stopped (or killed) by the test."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

INLOOP = str(Path(sys.executable).parent / "inloop")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Server:
    """``inloop serve --db URL --policy FILE`` in a child process; ``env`` adds INLOOP_* settings."""

    def __init__(self, db_url: str, policy: Path, log: Path, env: dict[str, str] | None = None) -> None:
        self.db_url = db_url
        self.policy = policy
        self.log = log
        self.env = env or {}
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> Server:
        env = {**os.environ, "INLOOP_SWEEP_INTERVAL_SECONDS": "0.2", **self.env}
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [
                    INLOOP,
                    "serve",
                    "--db",
                    self.db_url,
                    "--policy",
                    str(self.policy),
                    "--port",
                    str(self.port),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"server exited with {self.proc.returncode}:\n{self.log.read_text()[-3000:]}"
                )
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server did not start:\n{self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, as in a crash."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
