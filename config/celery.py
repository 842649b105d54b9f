"""The Celery app. Without REDIS_URL tasks run eagerly (services queue them on commit)."""

import os
import sys

from celery import Celery

from .env import EnvError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

if os.path.basename(sys.argv[0]) == "celery":
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
