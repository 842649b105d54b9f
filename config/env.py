"""Strict environment parsing: a bad value stops start-up with one line naming the variable.

Used by config.settings only. Every reader raises EnvError, which manage.py,
wsgi.py and the Celery app turn into a single line on stderr and exit code 2.
"""

import os
from urllib.parse import parse_qs, unquote, urlparse

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class EnvError(ImproperlyConfigured):
    def __init__(self, name: str, problem: str):
        self.name = name
        super().__init__(f"{name}: {problem}")


def env_str(name: str, default: str | None = None) -> str | None:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise EnvError(name, f"expected true/false (1/0, yes/no, on/off), got {raw!r}")


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise EnvError(name, f"expected an integer, got {raw!r}") from None
    if value < minimum:
        raise EnvError(name, f"expected an integer >= {minimum}, got {value}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_json_object(name: str, default: dict) -> dict:
    """A JSON object (e.g. a storage backend's OPTIONS)."""
    import json

    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = json.loads(raw)
    except ValueError:
        raise EnvError(name, "expected a JSON object, got text that is not JSON") from None
    if not isinstance(value, dict):
        raise EnvError(name, f"expected a JSON object, got {type(value).__name__}")
    return value


def env_site_url(name: str) -> str:
    """The absolute base of links in emails (SITE_URL). Without it, the address the site is served
    on: HOST and PORT, as `make run` passes them to runserver. A wildcard host (0.0.0.0, ::) is not
    an address anyone can open, so links name 127.0.0.1 then; a real site sets SITE_URL."""
    raw = os.environ.get(name)
    if raw:
        parsed = urlparse(raw)
        if parsed.scheme not in {"http", "https"} or not parsed.hostname:
            raise EnvError(name, f"expected http(s)://host[:port], got {raw!r}")
        return raw.rstrip("/")
    host = (os.environ.get("HOST") or "127.0.0.1").strip().strip("[]")
    port = env_int("PORT", 8000, minimum=1)
    if port > 65535:
        raise EnvError("PORT", f"expected a port number (1-65535), got {port}")
    if host in {"0.0.0.0", "::"}:  # noqa: S104 (a wildcard to replace, not one to bind)
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def env_database(name: str, default: str) -> dict:
    import dj_database_url

    raw = os.environ.get(name) or default
    scheme = urlparse(raw).scheme
    if scheme not in {"sqlite", "postgres", "postgresql", "pgsql"}:
        raise EnvError(name, f"expected postgres://… or sqlite:///…, got scheme {scheme!r}")
    try:
        config = dj_database_url.parse(raw, conn_max_age=0)
    except Exception as exc:  # dj_database_url raises assorted errors
        raise EnvError(name, f"cannot parse {raw!r}: {exc}") from None
    # Persistent connections save a PostgreSQL connect per request (production: 60).
    config["CONN_MAX_AGE"] = env_int("DB_CONN_MAX_AGE", 0)
    config["CONN_HEALTH_CHECKS"] = config["CONN_MAX_AGE"] > 0
    if scheme != "sqlite" and not config.get("NAME"):
        raise EnvError(name, "no database name in the URL")
    if scheme != "sqlite":
        # Parameters travel apart from the SQL (psycopg's server-side binding) instead of being
        # quoted into it: less work for both ends, and a statement repeated on a connection is
        # prepared once (psycopg prepares after 5 runs). The signing statements gain the most.
        options = config.setdefault("OPTIONS", {})
        options["server_side_binding"] = True
        # Django turns prepared statements off (for PgBouncer in transaction mode); a direct
        # connection keeps them: the signing statements cost the database less than half as much.
        prepared = env_bool("DB_PREPARED_STATEMENTS", True)
        options["prepare_threshold"] = 5 if prepared else None
        # .iterator() reads through a named cursor that outlives the statement (WITH HOLD in
        # autocommit): a transaction pooler lends the next statement another connection, where
        # the cursor does not exist. Off by default where prepared statements are off, as both
        # are for PgBouncer in transaction mode (docs/OPERATIONS.md "Past one machine").
        config["DISABLE_SERVER_SIDE_CURSORS"] = not env_bool("DB_SERVER_SIDE_CURSORS", prepared)
    return config


def env_redis(name: str) -> str | None:
    raw = os.environ.get(name)
    if not raw:
        return None
    parsed = urlparse(raw)
    if parsed.scheme not in {"redis", "rediss"} or not parsed.hostname:
        raise EnvError(name, f"expected redis://host:port/db, got {raw!r}")
    try:
        parsed.port  # noqa: B018  (raises on a bad port)
    except ValueError:
        raise EnvError(name, f"bad port in {raw!r}") from None
    return raw


def env_email(name: str, default: str) -> dict:
    """Parse EMAIL_URL into Django email settings.

    smtp://user:pass@host:port, smtp+tls://…, smtp+ssl://…, console://, file:///path, memory://
    """
    raw = os.environ.get(name) or default
    parsed = urlparse(raw)
    scheme = parsed.scheme
    query = parse_qs(parsed.query)
    if scheme == "console":
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if scheme == "memory":
        return {"EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    if scheme == "file":
        if not parsed.path:
            raise EnvError(name, "file:// needs a folder path, e.g. file:///tmp/mail")
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": parsed.path,
        }
    if scheme in {"smtp", "smtp+tls", "smtp+ssl"}:
        if not parsed.hostname:
            raise EnvError(name, f"no host in {raw!r}")
        try:
            port = parsed.port or (465 if scheme == "smtp+ssl" else 587 if scheme == "smtp+tls" else 25)
        except ValueError:
            raise EnvError(name, f"bad port in {raw!r}") from None
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": parsed.hostname,
            "EMAIL_PORT": port,
            "EMAIL_HOST_USER": unquote(parsed.username or ""),
            "EMAIL_HOST_PASSWORD": unquote(parsed.password or ""),
            "EMAIL_USE_TLS": scheme == "smtp+tls",
            "EMAIL_USE_SSL": scheme == "smtp+ssl",
            "EMAIL_TIMEOUT": int(query.get("timeout", ["10"])[0]),
        }
    raise EnvError(name, f"expected smtp://, smtp+tls://, smtp+ssl://, console://, file:// or memory://, got {raw!r}")
