"""/healthz: database, cache and broker, 200 when all answer and 503 naming the one that does not."""

import pytest
from django.test import override_settings

from tests.conftest import requires_postgres, requires_redis

pytestmark = pytest.mark.django_db

# Nothing listens on port 1: connecting is refused at once, without touching the shared Redis.
CLOSED = "redis://127.0.0.1:1/0"


def test_it_reports_all_checks_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "broker"}
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
