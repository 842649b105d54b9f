"""The systemd units of docs/OPERATIONS.md: valid for systemd (systemd-analyze verify where it is
installed, else parsed as INI with the keys they need) and running what the Procfile runs."""

import configparser
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from config.supervise import parse_procfile

ROOT = Path(__file__).resolve().parents[2]
UNIT_BLOCK = re.compile(r"```ini\n# /etc/systemd/system/(?P<name>[\w.-]+)\n(?P<body>.*?)```", re.S)
SERVICES = {"ruamkid-web.service": "web", "ruamkid-worker.service": "worker", "ruamkid-beat.service": "beat"}
DEPLOYED_PYTHON = "/srv/ruamkid/.venv/bin/python"


def units() -> dict[str, str]:
    text = (ROOT / "docs/OPERATIONS.md").read_text()
    return {m["name"]: m["body"] for m in UNIT_BLOCK.finditer(text)}


def parse(body: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=True, delimiters=("=",), comment_prefixes=("#", ";"))
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read_string(body)
    return parser


def options(command: str) -> set[str]:
    return {word for word in shlex.split(command) if word.startswith("-")}


def test_the_doc_has_a_unit_for_each_process_and_a_target():
    assert set(units()) == {*SERVICES, "ruamkid.target"}


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_each_service_restarts_and_has_what_it_needs(name):
    unit = parse(units()[name])
    assert unit["Unit"]["Description"] and unit["Unit"]["PartOf"] == "ruamkid.target"
    assert unit["Unit"]["StartLimitIntervalSec"] == "0"  # systemd never gives up starting it again
    service = unit["Service"]
    for key in ("ExecStart", "User", "WorkingDirectory", "EnvironmentFile", "RestartSec"):
        assert service.get(key), f"{name}: [Service] {key} missing"
    assert service["Restart"] == "always"
    assert service["ExecStart"].startswith(DEPLOYED_PYTHON + " -m ")
    assert unit["Install"]["WantedBy"] == "ruamkid.target"


@pytest.mark.parametrize(("name", "process"), sorted(SERVICES.items()))
def test_each_service_runs_what_the_procfile_runs(name, process):
    procfile = parse_procfile((ROOT / "Procfile").read_text())[process]
    command = parse(units()[name])["Service"]["ExecStart"]
    program = procfile.split("${PYTHON:-.venv/bin/python}", 1)[1].split()[:5]
    assert command.split(DEPLOYED_PYTHON, 1)[1].split()[:5] == program
    assert options(command) == options(procfile)


def test_the_target_wants_the_three_services():
    target = parse(units()["ruamkid.target"])
    assert set(target["Unit"]["Wants"].split()) == set(SERVICES)
    assert target["Install"]["WantedBy"] == "multi-user.target"


def test_systemd_accepts_the_units(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze not installed (the INI checks above still ran)")
    paths = []
    for name, body in units().items():
        # systemd checks that ExecStart's program exists: point it at this interpreter and checkout.
        body = body.replace(DEPLOYED_PYTHON, sys.executable).replace("/srv/ruamkid", str(ROOT))
        path = tmp_path / name
        path.write_text(body)
        paths.append(str(path))
    result = subprocess.run([analyze, "verify", *paths], capture_output=True, text=True, timeout=60)
    ours = [line for line in (result.stdout + result.stderr).splitlines() if "ruamkid" in line]
    assert result.returncode == 0 and ours == [], result.stdout + result.stderr
