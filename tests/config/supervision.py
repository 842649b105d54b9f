"""Drives `python -m config.supervise` as a subprocess and reads its output (shared by the
supervisor's tests and the fault test under the real Procfile)."""

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STARTED = re.compile(r"\| (\w+) started \(pid (\d+)\)")


def wait(predicate, timeout: float, interval: float = 0.1):
    """Poll until `predicate()` is truthy (returned) or `timeout` seconds pass (None)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return None


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by its parent) counts as gone.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


class Supervised:
    """The supervisor in its own process group; every output line is kept in `lines`."""

    def __init__(self, *args: str, env: dict | None = None):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "config.supervise", *args], cwd=ROOT, env={**os.environ, **(env or {})},
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for raw in iter(self.process.stdout.readline, b""):
            self.lines.append(raw.decode("utf-8", "replace").rstrip("\n"))

    def output(self) -> str:
        return "\n".join(self.lines)

    def pids(self, name: str) -> list[int]:
        """Every pid `name` was started with, in order."""
        return [int(m[2]) for line in list(self.lines) if (m := STARTED.search(line)) and m[1] == name]

    def wait_started(self, name: str, times: int = 1, timeout: float = 30) -> list[int]:
        pids = wait(lambda: len(self.pids(name)) >= times and self.pids(name), timeout)
        assert pids, f"{name} not started {times} time(s):\n{self.output()[-3000:]}"
        return pids

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 30) -> int:
        self.process.send_signal(signum)
        code = self.process.wait(timeout)
        self.reader.join(5)
        return code

    def kill_everything(self) -> None:
        """Teardown: whatever the test did, leave no process of ours behind."""
        if self.process.poll() is None:
            try:
                self.stop(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
        for line in list(self.lines):
            if m := STARTED.search(line):
                try:
                    os.killpg(int(m[2]), signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
