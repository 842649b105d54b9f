"""Links in emails follow the address the site is served on: SITE_URL when set, else HOST/PORT as
`make run` passes them to runserver (the test of the running server is in test_password_reset.py)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRINT = "from django.conf import settings; print(settings.SITE_URL)"


def site_url(tmp_path, **env) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k not in {"SITE_URL", "HOST", "PORT", "DJANGO_SETTINGS_MODULE"}}
    environ.update(VAR_DIR=str(tmp_path), DEBUG="1", **env)
    return subprocess.run(
        [sys.executable, "manage.py", "shell", "-v", "0", "-c", PRINT],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "http://127.0.0.1:8000"),
        ({"PORT": "18200"}, "http://127.0.0.1:18200"),
        ({"HOST": "localhost", "PORT": "18200"}, "http://localhost:18200"),
        ({"HOST": "0.0.0.0", "PORT": "18200"}, "http://127.0.0.1:18200"),
        ({"HOST": "::1", "PORT": "18200"}, "http://[::1]:18200"),
        ({"SITE_URL": "https://ruamkid.bansong.go.th/", "PORT": "18200"}, "https://ruamkid.bansong.go.th"),
    ],
)
def test_it_derives_the_site_url_from_host_and_port_unless_set(tmp_path, env, expected):
    result = site_url(tmp_path, **env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected


@pytest.mark.parametrize(
    ("env", "line"),
    [
        ({"PORT": "eighty"}, "configuration error: PORT: expected an integer, got 'eighty'"),
        ({"PORT": "70000"}, "configuration error: PORT: expected a port number (1-65535), got 70000"),
        ({"SITE_URL": "ruamkid.go.th"}, "configuration error: SITE_URL: expected http(s)://host[:port], got 'ruamkid.go.th'"),
    ],
)
def test_a_bad_value_stops_start_up_naming_it(tmp_path, env, line):
    result = site_url(tmp_path, **env)
    assert result.returncode == 2 and result.stderr.splitlines() == [line]


def test_make_run_passes_host_and_port_to_the_settings():
    """`make -n run` shows the runserver command line: HOST and PORT in its environment."""
    result = subprocess.run(["make", "-n", "run", "PORT=18200"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    (line,) = [line for line in result.stdout.splitlines() if "runserver" in line]
    assert "PORT=18200" in line and "HOST=127.0.0.1" in line and line.endswith("runserver 127.0.0.1:18200")
