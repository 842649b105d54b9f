#!/usr/bin/env python3
"""Screenshots of the main pages for review: `make screenshots`.

    python tools/screenshots.py [--out var/screenshots] [--only home,petition]

Seeds the Thai demo (manage.py seed_demo) into a database of its own (a fresh SQLite file under
var/screenshots/site/, or SCREENSHOTS_DATABASE_URL), serves it with runserver on a free local port,
and writes full-page PNGs of each main page in Thai and English, 390 and 1280 pixels wide, as
<out>/<page>-<language>-<width>.png. Signed-in pages sign in through the login form with the demo
accounts. The browser is Debian's Chromium (CHROMIUM_PATH, default /usr/bin/chromium) driven by
Playwright; nothing is downloaded. Never touches DATABASE_URL, REDIS_URL or the site's var/.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WIDTHS = {390: 844, 1280: 800}
LANGUAGES = ("th", "en")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def site_environment(site_dir: Path) -> dict:
    """The demo's own settings: its database and var/ folder, embedded cache and queue, mail to memory."""
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "CELERY_QUEUE", "SITE_URL", "HTTPS")}
    database = os.environ.get("SCREENSHOTS_DATABASE_URL") or f"sqlite:///{site_dir / 'demo.sqlite3'}"
    env.update(DATABASE_URL=database, VAR_DIR=str(site_dir), DEBUG="1", EMAIL_URL="memory://", CACHE_PREFIX="screenshots")
    return env


def prepare(env: dict) -> dict:
    """Migrate and seed in a child process; answer the demo records' addresses."""
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=env, cwd=ROOT, check=True)
    subprocess.run([*manage, "seed_demo"], env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    script = (
        "from petitions.models import Petition; from consultations.models import Consultation;"
        "from surveys.models import Survey; from config.management.commands.seed_demo import DEMO_PASSWORD;"
        "first = lambda qs: qs.order_by('pk').first().pk;"
        "print(first(Petition.objects.filter(state='open')),"
        " first(Consultation.objects.filter(state='problem_identification')),"
        " first(Consultation.objects.filter(state__in=['decided', 'implementing', 'closed'], level='collaborate')),"
        " first(Survey.objects), DEMO_PASSWORD)"
    )
    out = subprocess.run([*manage, "shell", "-c", script], env=env, cwd=ROOT, check=True, capture_output=True, text=True)
    petition, consultation, decided, survey, password = out.stdout.split()[-5:]
    return {"petition": petition, "consultation": consultation, "decided": decided, "survey": survey, "password": password}


def pages(ids: dict) -> list[tuple[str, str | None, str]]:
    """(name, demo account or None for the public, path)."""
    return [
        ("home", None, "/"),
        ("petitions", None, "/petitions/"),
        ("petition", None, f"/petitions/{ids['petition']}/"),
        ("consultations", None, "/consultations/"),
        ("consultation", None, f"/consultations/{ids['consultation']}/"),
        ("consultation-decided", None, f"/consultations/{ids['decided']}/"),
        ("consultation-record", None, f"/consultations/{ids['decided']}/record/"),
        ("audit", None, "/audit/"),
        ("audit-check", None, "/audit/check/"),
        ("statistics", None, "/statistics/"),
        ("ita-report", None, "/open-data/ita/2565/"),
        ("complaints", None, "/complaints/"),
        ("complaint-new", None, "/complaints/new/"),
        ("surveys", None, "/surveys/"),
        ("survey", None, f"/surveys/{ids['survey']}/"),
        ("login", None, "/accounts/login/"),
        ("register", None, "/accounts/register/"),
        ("accessibility", None, "/accessibility/"),
        ("not-found", None, "/no-such-page/"),
        ("resident-petition", "resident@example.com", f"/petitions/{ids['petition']}/"),
        ("resident-consultation", "resident@example.com", f"/consultations/{ids['consultation']}/"),
        ("resident-inbox", "resident@example.com", "/notifications/"),
        ("moderator-desk", "moderator@example.com", "/desk/"),
        ("moderator-petitions", "moderator@example.com", "/petitions/moderation/"),
        ("clerk-desk", "clerk@example.com", "/desk/"),
    ]


def wait_until_up(url: str, server: subprocess.Popen) -> None:
    for _ in range(120):
        if server.poll() is not None:
            raise SystemExit(f"the demo server stopped (exit {server.returncode})")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2):  # noqa: S310 (our own local server)
                return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"the demo server did not answer at {url}")


def shoot(url: str, ids: dict, out: Path, only: set[str]) -> int:
    from playwright.sync_api import sync_playwright

    chromium = os.environ.get("CHROMIUM_PATH") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        raise SystemExit(f"Chromium not found at {chromium} (apt-get install chromium, or set CHROMIUM_PATH)")
    wanted = [p for p in pages(ids) if not only or p[0] in only]
    written = 0
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        for account in dict.fromkeys(who for _, who, _ in wanted):
            context = browser.new_context(base_url=url, viewport={"width": 390, "height": WIDTHS[390]})
            page = context.new_page()
            if account:
                page.goto("/accounts/login/")
                page.fill("input[name=username]", account)
                page.fill("input[name=password]", ids["password"])
                with page.expect_navigation():
                    page.locator("main form button[type=submit]").click()
            for language in LANGUAGES:
                context.add_cookies([{"name": "django_language", "value": language, "url": url}])
                for width, height in WIDTHS.items():
                    page.set_viewport_size({"width": width, "height": height})
                    for name, who, path in wanted:
                        if who != account:
                            continue
                        page.goto(path)
                        target = out / f"{name}-{language}-{width}.png"
                        page.screenshot(path=str(target), full_page=True)
                        written += 1
            context.close()
        browser.close()
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(ROOT / "var" / "screenshots"), help="folder for the PNGs")
    parser.add_argument("--only", default="", help="comma-separated page names (default: all)")
    args = parser.parse_args()
    out = Path(args.out)
    site_dir = out / "site"
    shutil.rmtree(site_dir, ignore_errors=True)  # a fresh demo every run
    site_dir.mkdir(parents=True)
    env = site_environment(site_dir)
    print(f"seeding the demo into {env['DATABASE_URL']}")
    ids = prepare(env)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(  # noqa: S603 (our own manage.py)
        [sys.executable, str(ROOT / "manage.py"), "runserver", f"127.0.0.1:{port}", "--noreload"],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_until_up(url, server)
        written = shoot(url, ids, out, {n for n in args.only.split(",") if n})
    finally:
        server.terminate()
        server.wait(timeout=20)
    print(f"{written} screenshots in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
