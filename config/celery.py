"""The Celery app. Without REDIS_URL tasks run eagerly (services queue them on commit)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("ruamkid")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
