"""The ceilings the benches compare with, served by the same granian as the site.

`bench.ceiling:application` is Django with no middleware and a URLconf of two views:
  GET  /bare/    a view that returns a short text (what Django's handler costs on this box)
  POST /insert/  one INSERT of one row through Django's connection, in autocommit (what one
                 statement a request costs: the ceiling of a write endpoint)
Run by bench/reads.py (and make bench); never part of the site.
"""

import os

os.environ["DJANGO_SETTINGS_MODULE"] = "bench.ceiling_settings"

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()
