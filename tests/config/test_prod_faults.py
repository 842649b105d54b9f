"""The fault test of `make prod` (issue 12): its supervisor runs the real Procfile (granian,
Celery worker, Celery beat) on PostgreSQL and Redis; the worker is killed with SIGKILL, the site
keeps answering, and the worker comes back as a new process."""

import json
import os
import signal
import socket
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection

from config.health import HEARTBEAT_KEY
from tests.conftest import requires_postgres, requires_redis

from .supervision import Supervised, alive, wait

pytestmark = [requires_postgres, requires_redis, pytest.mark.redis, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0


def health(base: str) -> dict:
    try:
        with urllib.request.urlopen(f"{base}/healthz", timeout=10) as response:  # noqa: S310
            return json.load(response)
    except urllib.error.HTTPError as exc:
        return json.load(exc)
    except OSError:
        return {}


def group_members(pgid: int) -> list[int]:
    """Live processes of a process group (a killed worker must leave no pool process behind)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(") ", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(stat.parent.name))
    return members


@pytest.fixture
def prod(tmp_path):
    port = free_port()
    env = {
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{connection.settings_dict['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_QUEUE": os.environ.get("CELERY_QUEUE", "ruamkid"),
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "VAR_DIR": str(tmp_path),
        "EMAIL_URL": "memory://",
        "WEB_CONCURRENCY": "1",
        "WEB_THREADS": "2",
        "CELERY_CONCURRENCY": "1",
        "LOG_LEVEL": "WARNING",
        "HEALTH_HEARTBEAT_SECONDS": "1",
    }
    supervised = Supervised(env=env)
    yield supervised, f"http://127.0.0.1:{port}"
    supervised.kill_everything()


def test_killing_the_worker_leaves_the_site_answering_and_the_worker_comes_back(prod):
    supervised, base = prod
    (web,) = supervised.wait_started("web")
    (worker,) = supervised.wait_started("worker")
    supervised.wait_started("beat")
    assert wait(lambda: get(f"{base}/healthz") == 200, 90), supervised.output()[-3000:]
    assert wait(lambda: " ready." in supervised.output(), 90), supervised.output()[-3000:]
    # The heartbeat of /healthz: beat queues it (every second here), the worker writes it; gone,
    # it comes back without a worker start.
    cache.delete(HEARTBEAT_KEY)
    assert wait(lambda: cache.get(HEARTBEAT_KEY), 60), supervised.output()[-3000:]
    assert health(base)["status"] == "ok"

    os.kill(worker, signal.SIGKILL)
    assert wait(lambda: f"worker killed by signal {signal.SIGKILL.value}" in supervised.output(), 30)
    # The site answers while the worker is gone and while it starts again.
    assert [get(f"{base}/"), get(f"{base}/petitions/"), get(f"{base}/api/v1/")] == [200, 200, 200]

    restarted = supervised.wait_started("worker", times=2, timeout=60)[1]
    assert restarted != worker
    assert not alive(worker) and group_members(worker) == []  # nothing of the old worker lingers
    assert wait(lambda: supervised.output().count(" ready.") >= 2, 90), supervised.output()[-3000:]
    assert alive(restarted) and supervised.pids("web") == [web] and alive(web)
    assert get(f"{base}/healthz") == 200

    assert supervised.stop() == 0
    pids = [web, restarted, *supervised.pids("beat")]
    assert wait(lambda: not any(alive(pid) or group_members(pid) for pid in pids), 10), supervised.output()[-3000:]
