"""Settings for bench/petitions_sign.py --conn-max-age N: the project settings with persistent
database connections (the project's config/env.py opens a connection per request)."""

import os

from config.settings import *  # noqa: F403

DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("BENCH_CONN_MAX_AGE", "60"))  # noqa: F405
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True  # noqa: F405
