# Ruamkid: two commands for a fresh clone.
#   make run    create .venv, install, migrate, load Thai demo data, serve http://127.0.0.1:8000
#   make test   create .venv if missing, lint, run the whole suite
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)
HOST   ?= 127.0.0.1
PORT   ?= 8000
# Links in mails name the address the site is served on (config/env.py:env_site_url); a wildcard
# host is not one anyone can open.
LINK_HOST := $(if $(filter 0.0.0.0 ::,$(HOST)),127.0.0.1,$(HOST))

.PHONY: run test lint install migrate demo prod bench screenshots messages clean

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@rm -f $(VENV)/.installed-*
	@touch $@

install: $(STAMP)

migrate: install
	DEBUG=$${DEBUG:-1} $(PY) manage.py migrate --noinput

demo: migrate
	@# The demo's own notifications go nowhere (memory backend) instead of flooding the console.
	DEBUG=$${DEBUG:-1} EMAIL_URL=$${DEMO_EMAIL_URL:-memory://} $(PY) manage.py seed_demo

run: demo
	@echo "Ruamkid on http://$(HOST):$(PORT)/  (admin: /admin/, API: /api/v1/, docs: /api/docs/)"
	@# HOST and PORT reach the settings too: mailed links follow the port (SITE_URL wins when set).
	HOST=$(HOST) PORT=$(PORT) DEBUG=$${DEBUG:-1} $(PY) manage.py runserver $(HOST):$(PORT)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

# The suite in PYTEST_WORKERS processes (pytest-xdist; 0 runs it in this one). Each has its own test
# database, Redis db (REDIS_URL's db + the worker's number), Celery queue, cache prefix and VAR_DIR
# (config/settings_test.py); a module's tests stay in one process (its module-scoped seeded site).
PYTEST_WORKERS ?= 2
test: lint
	$(VENV)/bin/pytest -n $(PYTEST_WORKERS) --dist loadscope $(PYTEST_ARGS)

# Production-like: granian + Celery worker + beat on PostgreSQL and Redis (see README).
# config/supervise.py runs the Procfile and starts again any process that exits; Ctrl-C stops all.
prod: install
	@test -n "$$DATABASE_URL" -a -n "$$REDIS_URL" || { echo "make prod needs DATABASE_URL (PostgreSQL) and REDIS_URL (see README.md#production-like-mode)" >&2; exit 2; }
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput -v0
	@# The worker, which sends the mail, learns the web's address from SITE_URL.
	HOST=$(HOST) PORT=$(PORT) SITE_URL=$${SITE_URL:-http://$(LINK_HOST):$(PORT)} $(PY) -m config.supervise

# Every benchmark of bench/ (bench/all.py), each beside its ceilings measured in the same run, into
# docs/PERFORMANCE.md with a summary at its top; QUICK=1 for the short runs; BENCH=<name> for one bench
# (reads | petitions_sign | notifications_fanout | consultations_ballots | workflows_engine | scale_out | scale).
# Each on a database of its own (BENCH_DATABASE_URL + _<name>) and Redis db: the benches truncate tables,
# so they never take DATABASE_URL. They drive the servers with wrk and put PgBouncer in front of
# PostgreSQL (Debian packages): installed here on a machine that lacks them.
BENCH ?= all
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/ruamkid_bench
BENCH_REDIS_URL ?= redis://127.0.0.1:6379/9
bench: install
	@test -f bench/$(BENCH).py || { echo "no bench/$(BENCH).py; BENCH= one of: $(filter-out common ceiling ceiling_settings ceiling_urls,$(notdir $(basename $(wildcard bench/*.py))))" >&2; exit 2; }
	@missing=""; command -v wrk >/dev/null 2>&1 || missing="wrk"; \
	  command -v pgbouncer >/dev/null 2>&1 || [ -x /usr/sbin/pgbouncer ] || missing="$$missing pgbouncer"; \
	  if [ -n "$$missing" ]; then echo "installing$$missing (apt-get)"; SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null \
	  || { echo "could not install$$missing: apt-get install$$missing, then run make bench again" >&2; exit 2; }; fi
ifeq ($(BENCH),all)
	BENCH_DATABASE_URL=$(BENCH_DATABASE_URL) BENCH_REDIS_URL=$(BENCH_REDIS_URL) $(PY) bench/all.py $(if $(QUICK),--quick) $(BENCH_ARGS)
else
	DATABASE_URL=$(BENCH_DATABASE_URL)_$(BENCH) REDIS_URL=$(BENCH_REDIS_URL) $(PY) bench/$(BENCH).py $(if $(QUICK),--quick) $(BENCH_ARGS)
endif

# PNG screenshots of the main pages, Thai and English, 390 and 1280 px wide, into var/screenshots/ for
# review (tools/screenshots.py: a fresh demo of its own under var/screenshots/site/, served on a free
# port, Debian's Chromium at CHROMIUM_PATH). Thai pages need a Thai font: fonts-thai-tlwg (Debian).
screenshots: install
	@if command -v fc-list >/dev/null 2>&1 && [ -z "$$(fc-list :lang=th)" ]; then \
	  echo "installing fonts-thai-tlwg (apt-get): Thai text would be empty boxes"; SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends fonts-thai-tlwg >/dev/null \
	  || echo "could not install fonts-thai-tlwg: Thai screenshots show boxes" >&2; fi
	$(PY) tools/screenshots.py $(SCREENSHOTS_ARGS)

# Project-level Thai strings (templates/, config/): extract, then fill msgstr in locale/th/LC_MESSAGES/django.po,
# then compile. Each app keeps its own <app>/locale (same commands run inside the app folder).
APPS := accounts workflows notifications petitions consultations complaints surveys opendata
messages: install
	$(PY) manage.py makemessages -l th --no-obsolete $(addprefix -i ,$(APPS)) -i .venv -i tests -i bench -i var -i docs -i static
	$(PY) manage.py compilemessages -l th $(addprefix -i ,$(APPS)) -i .venv

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .hypothesis
