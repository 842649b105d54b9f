"""Settings of the ceiling app (bench/ceiling.py): the site's, without middleware or apps' URLs."""

from config.settings import *  # noqa: F403

MIDDLEWARE: list[str] = []
ROOT_URLCONF = "bench.ceiling_urls"
