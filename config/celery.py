"""The Celery app. Without REDIS_URL tasks run eagerly (services queue them on commit)."""

import logging
import os
import sys
from pathlib import Path

from celery import Celery
from celery.signals import worker_ready

from .env import EnvError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# `celery ...` or `python -m celery ...` (argv[0] is then .../celery/__main__.py).
_program = Path(sys.argv[0])
if _program.name == "celery" or (_program.name == "__main__.py" and _program.parent.name == "celery"):
    # Fail fast like manage.py and wsgi.py: one line naming the bad variable, exit code 2
    # (Celery would otherwise load the settings later and print a traceback).
    from django.conf import settings

    try:
        settings.INSTALLED_APPS  # noqa: B018 (loading the settings is the point)
    except EnvError as exc:
        sys.stderr.write(f"configuration error: {exc}\n")
        sys.exit(2)

app = Celery("ruamkid")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_ready.connect
def _heartbeat_when_ready(**kwargs) -> None:
    """A worker that (re)starts tells /healthz at once, not a beat period later (config/health.py)."""
    from .health import heartbeat_write

    try:
        heartbeat_write()
    except Exception:  # the cache is down: /healthz says so itself
        logging.getLogger(__name__).warning("could not write the worker heartbeat", exc_info=True)
