"""config/supervise.py, the supervisor of `make prod`: a process that exits is started again
(with a growing pause) while the others keep running, and SIGTERM/Ctrl-C stops them all."""

import signal
import textwrap

import pytest

from config.supervise import parse_procfile

from .supervision import Supervised, alive, wait

# Tiny stand-ins for web/worker/beat: $PYTHON is the interpreter running the supervisor.
STEADY = """$PYTHON -c "import time; print('steady up', flush=True); time.sleep(600)\""""
CRASHING = """$PYTHON -c "import time; time.sleep(0.2); raise SystemExit(3)\""""
POLITE = (
    """$PYTHON -c "import signal, sys, time; """
    """signal.signal(signal.SIGTERM, lambda *a: (print('got TERM', flush=True), sys.exit(0))); """
    """print('polite up', flush=True); time.sleep(600)\""""
)
STUBBORN = (
    """$PYTHON -c "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); """
    """print('stubborn up', flush=True); time.sleep(600)\""""
)


@pytest.fixture
def supervise(tmp_path):
    started: list[Supervised] = []

    def start(procfile: str, *names: str, **env) -> Supervised:
        path = tmp_path / "Procfile"
        path.write_text(textwrap.dedent(procfile))
        supervised = Supervised("--procfile", str(path), *names, env={"SUPERVISE_MAX_BACKOFF": "0.4", **env})
        started.append(supervised)
        return supervised

    yield start
    for supervised in started:
        supervised.kill_everything()


def test_it_reads_a_procfile():
    text = "# processes\nweb: granian --port ${PORT:-8000}\n\nworker:  celery -A config worker \n"
    assert parse_procfile(text) == {"web": "granian --port ${PORT:-8000}", "worker": "celery -A config worker"}
    with pytest.raises(ValueError, match="line 1"):
        parse_procfile("no colon here")


def test_it_starts_a_crashed_process_again_while_the_others_keep_running(supervise):
    supervised = supervise(f"web: {STEADY}\nbeat: {CRASHING}\n")
    (web,) = supervised.wait_started("web")
    beats = supervised.wait_started("beat", times=3)
    assert len(set(beats)) == 3
    assert "beat exited with code 3" in supervised.output()
    assert supervised.pids("web") == [web] and alive(web)
    assert supervised.stop() == 0
    assert not alive(web)


def test_the_pause_between_restarts_grows_while_a_process_keeps_failing(supervise):
    supervised = supervise(f"beat: {CRASHING}\n", SUPERVISE_MAX_BACKOFF="2")
    supervised.wait_started("beat", times=4)
    pauses = [line.rsplit("again in ", 1)[1] for line in supervised.lines if "starting it again in" in line][:3]
    assert pauses == ["1 s", "2 s", "2 s"]


def test_sigterm_reaches_every_process_and_the_supervisor_exits_cleanly(supervise):
    supervised = supervise(f"web: {POLITE}\nworker: {STEADY}\n")
    (web,) = supervised.wait_started("web")
    (worker,) = supervised.wait_started("worker")
    assert wait(lambda: "polite up" in supervised.output() and "steady up" in supervised.output(), 30)
    assert supervised.stop(signal.SIGTERM) == 0
    assert "web" in supervised.output() and "| got TERM" in supervised.output()
    assert not alive(web) and not alive(worker)
    assert supervised.output().endswith("| stopped")


def test_ctrl_c_stops_everything_too(supervise):
    supervised = supervise(f"web: {STEADY}\n")
    (web,) = supervised.wait_started("web")
    assert supervised.stop(signal.SIGINT) == 0
    assert not alive(web)


def test_a_process_that_ignores_sigterm_is_killed_after_the_grace_period(supervise):
    supervised = supervise(f"worker: {STUBBORN}\n", SUPERVISE_GRACE_SECONDS="1")
    (worker,) = supervised.wait_started("worker")
    assert wait(lambda: "stubborn up" in supervised.output(), 30)
    assert supervised.stop() == 0
    assert "worker still running: SIGKILL" in supervised.output()
    assert not alive(worker)


def test_sighup_restarts_every_process_at_once(supervise):
    supervised = supervise(f"web: {STEADY}\nworker: {STEADY}\n")
    (web,) = supervised.wait_started("web")
    (worker,) = supervised.wait_started("worker")
    supervised.process.send_signal(signal.SIGHUP)
    webs = supervised.wait_started("web", times=2)
    workers = supervised.wait_started("worker", times=2)
    assert webs[1] != web and workers[1] != worker
    assert not alive(web) and not alive(worker)
    assert "starting it again in 0 s" in supervised.output()


def test_it_names_an_unknown_process(supervise):
    supervised = supervise(f"web: {STEADY}\n", "wrker")
    assert supervised.process.wait(30) == 2
    supervised.reader.join(5)
    assert "supervise: not in" in supervised.output() and "wrker" in supervised.output()
