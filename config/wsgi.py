"""WSGI entry point (granian, Procfile `web`). A bad environment variable ends start-up with one line.

In front of Django sits the lane for the two requests of a petition signature (workflows.jsonviews:
JSON POSTs to the sign and confirm endpoints, answered as Django would answer them, without its
request cycle; and the ballot lane, workflows.jsonviews.TokenLane: a voter's JSON PUT of a ballot
with an API token), and before it the read lane (workflows.readcache: anonymous GETs of the pages
everyone refreshes, served from a copy at most READ_CACHE_SECONDS old); every other request goes
to Django untouched.
"""

import os
import sys

from django.core.wsgi import get_wsgi_application

from config.env import EnvError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
try:
    django_application = get_wsgi_application()
except EnvError as exc:
    sys.stderr.write(f"configuration error: {exc}\n")
    sys.exit(2)

from consultations.api import BALLOT_ROUTES  # noqa: E402 (needs the apps loaded)
from petitions.api import HOT_ROUTES  # noqa: E402
from workflows import clientip  # noqa: E402
from workflows.jsonviews import HotLane, TokenLane  # noqa: E402
from workflows.readcache import ReadLane  # noqa: E402

# The client's address first (behind a trusted proxy, from X-Forwarded-For), then the read lane
# (anonymous GETs of the hot pages from memory, workflows/readcache.py), then the signing lane,
# then the ballot lane (a token-authenticated cast or change, consultations.api.BALLOT_ROUTES).
application = clientip.ClientAddress(ReadLane(HotLane(TokenLane(django_application, BALLOT_ROUTES), HOT_ROUTES)))
