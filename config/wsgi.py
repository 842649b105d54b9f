"""WSGI entry point (gunicorn, Procfile `web`). A bad environment variable ends start-up with one line."""

import os
import sys

from django.core.wsgi import get_wsgi_application

from config.env import EnvError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
try:
    application = get_wsgi_application()
except EnvError as exc:
    sys.stderr.write(f"configuration error: {exc}\n")
    sys.exit(2)
