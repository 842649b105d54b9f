"""`make prod`'s supervisor: runs each line of the Procfile (web, worker, beat) as a process group
of its own, starts again one that exits (after a pause that doubles up to SUPERVISE_MAX_BACKOFF
seconds while it keeps failing), and stops them all on Ctrl-C or SIGTERM.

    python -m config.supervise [--procfile Procfile] [NAME ...]

Why our own loop: honcho stops every process when one exits, so a crashed beat took the web
server down with it. supervisord and circus restart, but each is a daemon with its own
configuration format, a control socket and its own dependencies, where `make prod` needs a
foreground command that reads the Procfile. A real deployment uses its service manager instead
(systemd units in docs/OPERATIONS.md); this is the same policy (Restart=always, a pause between
tries) for one terminal.

Signals: SIGINT and SIGTERM stop everything (SIGTERM to each group, SIGKILL after
SUPERVISE_GRACE_SECONDS; a second Ctrl-C kills at once); SIGHUP restarts every process (after a
deploy). Each command runs under /bin/sh, so `${PORT:-8000}` works as in honcho; PYTHON is set to
this interpreter, so the Procfile's `${PYTHON:-.venv/bin/python} -m ...` follows it.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# A process that ran this long before exiting is restarted after the shortest pause again.
STABLE_SECONDS = 30.0
FIRST_BACKOFF = 1.0


def _seconds(name: str, default: float) -> float:
    raw = os.environ.get(name, "")
    try:
        return float(raw) if raw else default
    except ValueError:
        sys.stderr.write(f"configuration error: {name}: expected a number of seconds, got {raw!r}\n")
        raise SystemExit(2) from None


def parse_procfile(text: str) -> dict[str, str]:
    """`name: command` lines, in order; blank lines and # comments are skipped."""
    commands: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, command = line.partition(":")
        if not sep or not name.strip().isidentifier() or not command.strip():
            raise ValueError(f"Procfile line {number}: expected 'name: command', got {line!r}")
        commands[name.strip()] = command.strip()
    return commands


class Output:
    """Lines of every process on our stdout, prefixed like honcho: `12:00:01 worker | ...`."""

    def __init__(self, names: list[str]):
        self.width = max(len(n) for n in [*names, "supervise"])
        self.lock = threading.Lock()

    def line(self, name: str, text: str) -> None:
        with self.lock:
            sys.stdout.write(f"{time.strftime('%H:%M:%S')} {name.ljust(self.width)} | {text.rstrip()}\n")
            sys.stdout.flush()

    def follow(self, name: str, stream) -> None:
        for raw in iter(stream.readline, b""):
            self.line(name, raw.decode("utf-8", "replace"))
        stream.close()


class Process:
    def __init__(self, name: str, command: str, output: Output, env: dict):
        self.name, self.command, self.output, self.env = name, command, output, env
        self.popen: subprocess.Popen | None = None
        self.started_at = 0.0
        self.next_start = 0.0  # monotonic time of the next start, while not running
        self.backoff = FIRST_BACKOFF
        self.restart_now = False  # SIGHUP: stopped on purpose, start again without a pause

    def start(self) -> None:
        self.popen = subprocess.Popen(
            ["/bin/sh", "-c", f"exec {self.command}"],
            cwd=ROOT, env=self.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: Ctrl-C reaches us only, and we can end all of it
        )  # fmt: skip
        self.started_at = time.monotonic()
        threading.Thread(target=self.output.follow, args=(self.name, self.popen.stdout), daemon=True).start()
        self.output.line("supervise", f"{self.name} started (pid {self.popen.pid})")

    def signal(self, signum: int) -> None:
        """Signal the whole group (a Celery worker's pool processes, granian's workers)."""
        if self.popen is None:
            return
        try:
            os.killpg(self.popen.pid, signum)
        except ProcessLookupError:
            pass

    def reap(self, max_backoff: float) -> None:
        """Called once its main process has exited: end what is left of its group, plan the restart."""
        assert self.popen is not None
        code = self.popen.returncode
        self.signal(signal.SIGKILL)  # orphans of the dead leader (e.g. pool processes) must not linger
        ran = time.monotonic() - self.started_at
        self.popen = None
        how = f"killed by signal {-code}" if code < 0 else f"exited with code {code}"
        if self.restart_now:
            self.restart_now, self.backoff, pause = False, FIRST_BACKOFF, 0.0
        else:
            if ran >= STABLE_SECONDS:
                self.backoff = FIRST_BACKOFF
            pause, self.backoff = min(self.backoff, max_backoff), min(self.backoff * 2, max_backoff)
        self.next_start = time.monotonic() + pause
        self.output.line("supervise", f"{self.name} {how} after {ran:.1f} s; starting it again in {pause:g} s")


class Supervisor:
    def __init__(self, commands: dict[str, str]):
        self.output = Output(list(commands))
        env = {**os.environ, "PYTHON": sys.executable, "PYTHONUNBUFFERED": "1"}
        self.processes = [Process(name, command, self.output, env) for name, command in commands.items()]
        self.grace = _seconds("SUPERVISE_GRACE_SECONDS", 10.0)
        self.max_backoff = _seconds("SUPERVISE_MAX_BACKOFF", 30.0)
        self.stopping = 0  # how many stop signals arrived
        self.restart_all = False

    def _on_stop(self, signum, frame) -> None:
        self.stopping += 1

    def _on_hup(self, signum, frame) -> None:
        self.restart_all = True

    def run(self) -> int:
        signal.signal(signal.SIGINT, self._on_stop)
        signal.signal(signal.SIGTERM, self._on_stop)
        signal.signal(signal.SIGHUP, self._on_hup)
        while not self.stopping:
            if self.restart_all:
                self.restart_all = False
                self.output.line("supervise", "SIGHUP: restarting every process")
                for process in self.processes:
                    process.restart_now = process.popen is not None
                    process.signal(signal.SIGTERM)
            for process in self.processes:
                if process.popen is None:
                    if time.monotonic() >= process.next_start:
                        process.start()
                elif process.popen.poll() is not None:
                    process.reap(self.max_backoff)
            time.sleep(0.1)
        return self.stop()

    def stop(self) -> int:
        running = [p for p in self.processes if p.popen is not None]
        self.output.line("supervise", f"stopping {', '.join(p.name for p in running) or 'nothing'}")
        for process in running:
            process.signal(signal.SIGTERM)
        deadline = time.monotonic() + self.grace
        seen = self.stopping
        while any(p.popen.poll() is None for p in running) and time.monotonic() < deadline and self.stopping == seen:
            time.sleep(0.1)
        for process in running:
            if process.popen.poll() is None:
                self.output.line("supervise", f"{process.name} still running: SIGKILL")
            process.signal(signal.SIGKILL)  # the whole group, also when its leader already left
            process.popen.wait()
        self.output.line("supervise", "stopped")
        return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m config.supervise", description=__doc__.split("\n\n")[0])
    parser.add_argument("--procfile", default=str(ROOT / "Procfile"))
    parser.add_argument("names", nargs="*", help="only these Procfile entries (default: all)")
    args = parser.parse_args(argv)
    try:
        commands = parse_procfile(Path(args.procfile).read_text())
    except (OSError, ValueError) as exc:
        sys.stderr.write(f"supervise: {exc}\n")
        return 2
    unknown = [n for n in args.names if n not in commands]
    if unknown or not commands:
        sys.stderr.write(f"supervise: not in {args.procfile}: {', '.join(unknown) or 'any process'}\n")
        return 2
    if args.names:
        commands = {n: commands[n] for n in args.names}
    return Supervisor(commands).run()


if __name__ == "__main__":
    sys.exit(main())
