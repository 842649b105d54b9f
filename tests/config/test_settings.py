"""Settings come from the environment and a bad value stops start-up with one line naming it."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run(args: list[str], tmp_path, **env) -> subprocess.CompletedProcess:
    environ = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DJANGO_SETTINGS_MODULE", "DEBUG", "HTTPS", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }  # the browser fixture sets DJANGO_ALLOW_ASYNC_UNSAFE for Playwright; a deployment never has it
    environ.update(VAR_DIR=str(tmp_path), **env)
    return subprocess.run(args, cwd=ROOT, env=environ, capture_output=True, text=True, timeout=120)


def manage(tmp_path, *args, **env) -> subprocess.CompletedProcess:
    return run([sys.executable, "manage.py", *args], tmp_path, **env)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DATABASE_URL", "nonsense://x"),
        ("DATABASE_URL", "postgres://127.0.0.1:5432"),
        ("DEBUG", "maybe"),
        ("REDIS_URL", "http://x"),
        ("REDIS_URL", "redis://127.0.0.1:notaport/0"),
        ("EMAIL_URL", "bogus://"),
        ("SECURE_HSTS_SECONDS", "a year"),
        ("FILE_STORAGE_OPTIONS", "{bucket: x}"),
        ("FILE_STORAGE_OPTIONS", "[1]"),
    ],
)
def test_it_stops_with_one_line_naming_the_variable(tmp_path, name, value):
    result = manage(tmp_path, "check", **{name: value})
    assert result.returncode == 2, result
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"configuration error: {name}: "), lines[0]
    assert "Traceback" not in result.stderr


def test_it_refuses_the_development_secret_key_in_production(tmp_path):
    result = manage(tmp_path, "check", HTTPS="true")
    assert result.returncode == 2
    assert result.stderr.splitlines() == ["configuration error: SECRET_KEY: must be set in production (HTTPS=true)"]


def test_wsgi_stops_with_one_line_too(tmp_path):
    result = run([sys.executable, "-c", "import config.wsgi"], tmp_path, DEBUG="maybe")
    assert result.returncode == 2
    assert result.stderr.splitlines() == ["configuration error: DEBUG: expected true/false (1/0, yes/no, on/off), got 'maybe'"]


def test_celery_stops_with_one_line_too(tmp_path):
    result = run([sys.executable, "-m", "celery", "-A", "config", "report"], tmp_path, DATABASE_URL="nonsense://x")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "configuration error: DATABASE_URL: expected postgres://… or sqlite:///…, got scheme 'nonsense'"
    ]


def test_the_deploy_check_is_clean_with_production_settings(tmp_path):
    result = manage(
        tmp_path, "check", "--deploy", "--fail-level", "WARNING",
        HTTPS="true", DEBUG="false", SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS="ruamkid.example.org",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced).", result.stdout
    assert result.stderr == ""


def test_the_deploy_check_catches_debug_in_production(tmp_path):
    """The test above would pass vacuously if --deploy checked nothing: show it does."""
    result = manage(
        tmp_path, "check", "--deploy", "--fail-level", "WARNING",
        HTTPS="true", DEBUG="true", SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS="ruamkid.example.org",
    )  # fmt: skip
    assert result.returncode != 0
    assert "security.W018" in result.stderr + result.stdout


def test_the_web_server_stops_with_the_line_too(tmp_path):
    """granian, as the Procfile runs it: the worker's one line, and the server exits instead of
    respawning a worker that cannot start."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    command = [sys.executable, "-m", "granian", "--interface", "wsgi", "config.wsgi:application"]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    result = run([*command, "--workers", "1", "--blocking-threads", "1"], tmp_path, DEBUG="maybe")
    assert result.returncode != 0
    assert "configuration error: DEBUG: expected true/false (1/0, yes/no, on/off), got 'maybe'" in result.stderr.splitlines()


@pytest.mark.parametrize(("flag", "threshold"), [(None, 5), ("true", 5), ("false", None)])
def test_postgres_binds_on_the_server_and_prepares_unless_told_not_to(monkeypatch, flag, threshold):
    from config.env import EnvError, env_database

    monkeypatch.setenv("SOME_DATABASE_URL", "postgres://user@db.example:5432/ruamkid")
    if flag is None:
        monkeypatch.delenv("DB_PREPARED_STATEMENTS", raising=False)
    else:
        monkeypatch.setenv("DB_PREPARED_STATEMENTS", flag)
    config = env_database("SOME_DATABASE_URL", "sqlite:///x")
    options = config["OPTIONS"]
    assert options["server_side_binding"] is True and options["prepare_threshold"] == threshold
    # Behind a transaction pooler (prepared statements off) named cursors go too, unless told otherwise.
    assert config["DISABLE_SERVER_SIDE_CURSORS"] is (threshold is None)
    monkeypatch.setenv("DB_SERVER_SIDE_CURSORS", "true" if threshold is None else "false")
    assert env_database("SOME_DATABASE_URL", "sqlite:///x")["DISABLE_SERVER_SIDE_CURSORS"] is (threshold is not None)
    monkeypatch.setenv("DB_SERVER_SIDE_CURSORS", "sometimes")
    with pytest.raises(EnvError, match="DB_SERVER_SIDE_CURSORS"):
        env_database("SOME_DATABASE_URL", "sqlite:///x")
    monkeypatch.delenv("DB_SERVER_SIDE_CURSORS")
    monkeypatch.setenv("SOME_DATABASE_URL", "sqlite:///var/x.sqlite3")
    assert "prepare_threshold" not in env_database("SOME_DATABASE_URL", "sqlite:///x").get("OPTIONS", {})


def test_line_login_needs_its_secret_and_form_action_opens_to_line_and_thaid_only_when_configured(tmp_path):
    result = manage(tmp_path, "check", LINE_LOGIN_CHANNEL_ID="1650000000")
    assert result.returncode == 2
    assert result.stderr.splitlines()[0].startswith("configuration error: LINE_LOGIN_CHANNEL_SECRET: ")
    show = "from django.conf import settings; print(settings.CONTENT_SECURITY_POLICY)"
    on = manage(tmp_path, "shell", "-c", show, LINE_LOGIN_CHANNEL_ID="1650000000", LINE_LOGIN_CHANNEL_SECRET="s")
    assert "form-action 'self' https://access.line.me;" in on.stdout, on
    off = manage(tmp_path, "shell", "-c", show)
    assert "form-action 'self';" in off.stdout, off
    thaid = manage(tmp_path, "shell", "-c", show, THAID_ISSUER="https://imauth.bora.dopa.go.th", THAID_CLIENT_ID="c",
                   THAID_CLIENT_SECRET="s")  # fmt: skip
    assert "form-action 'self' https://imauth.bora.dopa.go.th;" in thaid.stdout, thaid
