"""/healthz: database, cache, broker, the worker's heartbeat and the outbox; 200 when all are
fine and 503 naming the one that is not."""

import datetime as dt
import time

import pytest
from django.core.cache import cache
from django.test import override_settings
from django.utils import timezone

from config.health import HEARTBEAT_KEY
from config.tasks import heartbeat
from notifications.models import OutboxEvent
from tests.conftest import requires_postgres, requires_redis

pytestmark = pytest.mark.django_db

# Nothing listens on port 1: connecting is refused at once, without touching the shared Redis.
CLOSED = "redis://127.0.0.1:1/0"


@pytest.fixture(autouse=True)
def fresh_heartbeat():
    """A worker ran the heartbeat just now (tests that need it old or missing change it)."""
    heartbeat()
    yield
    cache.delete(HEARTBEAT_KEY)


def test_it_reports_all_checks_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "broker", "worker", "outbox"}
    assert all(check["ok"] for check in body["checks"].values()), body
    assert "no-cache" in response["Cache-Control"]


@requires_postgres
@requires_redis
def test_it_checks_the_real_postgresql_and_redis(client):
    checks = client.get("/healthz").json()["checks"]
    assert checks["database"]["detail"] == "postgresql"
    assert checks["cache"]["detail"] == "RedisCache"
    assert checks["broker"]["detail"] == "redis"


def test_it_answers_503_naming_an_unreachable_broker(client):
    with override_settings(REDIS_URL=CLOSED):
        response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["broker"]["ok"] is False
    assert "Connection" in body["checks"]["broker"]["error"]
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["cache"]["ok"] is True


def test_it_answers_503_naming_an_unreachable_cache(client):
    unreachable = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CLOSED,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    with override_settings(CACHES=unreachable):
        response = client.get("/healthz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["cache"]["ok"] is False
    assert checks["database"]["ok"] is True


# --- the worker's heartbeat and the outbox (issue 12) ---------------------------------------


@override_settings(CELERY_TASK_ALWAYS_EAGER=False, HEALTH_WORKER_MAX_AGE=120)
def test_a_stale_worker_heartbeat_answers_503(client):
    cache.set(HEARTBEAT_KEY, time.time() - 121, timeout=None)
    response = client.get("/healthz")
    assert response.status_code == 503
    worker = response.json()["checks"]["worker"]
    assert worker["ok"] is False and worker["error"].startswith("the last heartbeat of a worker is 121 s old (limit 120 s)")
    assert worker["detail"]["max_age_seconds"] == 120 and worker["detail"]["heartbeat_age_seconds"] >= 121
    assert response.json()["checks"]["outbox"]["ok"] is True


@override_settings(CELERY_TASK_ALWAYS_EAGER=False, HEALTH_WORKER_MAX_AGE=120)
def test_a_fresh_heartbeat_answers_200(client):
    cache.set(HEARTBEAT_KEY, time.time() - 100, timeout=None)
    response = client.get("/healthz")
    assert response.status_code == 200
    assert 100 <= response.json()["checks"]["worker"]["detail"]["heartbeat_age_seconds"] < 120


@override_settings(CELERY_TASK_ALWAYS_EAGER=False)
def test_no_heartbeat_at_all_answers_503(client):
    cache.delete(HEARTBEAT_KEY)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["worker"]["error"] == "no heartbeat from a worker yet"


@override_settings(CELERY_TASK_ALWAYS_EAGER=True, HEALTH_WORKER_MAX_AGE=120)
def test_the_embedded_default_needs_no_worker(client):
    """Without Redis tasks run in the web process: no heartbeat, and nothing stale about it."""
    cache.delete(HEARTBEAT_KEY)
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["checks"]["worker"] == {
        "ok": True, "ms": response.json()["checks"]["worker"]["ms"],
        "detail": "eager (tasks run in the web process; no worker needed)",
    }  # fmt: skip


def unrelayed(seconds_ago: float, **fields) -> OutboxEvent:
    return OutboxEvent.objects.create(
        event="petition.opened", data={"title": "ซ่อมถนน", "url": "/p/1/"},
        created_at=timezone.now() - dt.timedelta(seconds=seconds_ago), **fields,
    )  # fmt: skip


@override_settings(HEALTH_OUTBOX_MAX_AGE=300)
def test_an_old_unrelayed_outbox_row_answers_503(client):
    unrelayed(10)
    unrelayed(301)
    unrelayed(3000, relayed_at=timezone.now())  # relayed long ago: not waiting
    response = client.get("/healthz")
    assert response.status_code == 503
    outbox = response.json()["checks"]["outbox"]
    assert outbox["ok"] is False and outbox["error"].startswith("the oldest unrelayed outbox row is 301 s old (limit 300 s)")
    assert outbox["detail"]["unrelayed"] == 2 and 301 <= outbox["detail"]["oldest_unrelayed_seconds"] < 400


@override_settings(HEALTH_OUTBOX_MAX_AGE=300)
def test_outbox_rows_waiting_less_than_the_limit_answer_200(client):
    unrelayed(200)
    unrelayed(3000, relayed_at=timezone.now())
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["checks"]["outbox"]["detail"]["unrelayed"] == 1


@override_settings(CELERY_TASK_ALWAYS_EAGER=False, HEALTH_OUTBOX_MAX_AGE=300)
def test_scope_web_leaves_out_the_background_work(client):
    """For a load balancer: a dead worker must not take the web server out of rotation."""
    cache.delete(HEARTBEAT_KEY)
    unrelayed(301)
    assert client.get("/healthz").status_code == 503
    response = client.get("/healthz?scope=web")
    assert response.status_code == 200
    assert set(response.json()["checks"]) == {"database", "cache", "broker"}


def test_a_bad_threshold_stops_start_up_with_one_line(tmp_path):
    from tests.config.test_settings import manage

    result = manage(tmp_path, "check", HEALTH_WORKER_MAX_AGE="two minutes")
    assert result.returncode == 2
    assert result.stderr.splitlines() == ["configuration error: HEALTH_WORKER_MAX_AGE: expected an integer, got 'two minutes'"]
