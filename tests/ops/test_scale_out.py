"""The deployment of docs/OPERATIONS.md "Past one machine", small: two web nodes (granian, each its own
process group, port and environment) and a Celery worker node, all on PostgreSQL through Debian's
PgBouncer in transaction mode with DB_PREPARED_STATEMENTS=false and a pool smaller than the nodes'
connections (so transactions of different nodes share server connections), a real SMTP listener.
A few hundred people sign round-robin over the two web nodes, confirm with the link in the mail they
get, and the thresholds are crossed by concurrent confirmations. bench/scale_out.py measures the same
deployment under wrk; this checks that it is right."""

import email
import email.policy
import json
import re
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings

from accounts.models import Role
from bench.scale_out import PgBouncer, node_env, start_smtp, threshold_moves, web_node, worker_node
from petitions.models import PetitionPolicy, Signature
from petitions.selectors import petition_total
from tests.conftest import requires_postgres, requires_redis
from tests.notifications.conftest import database_url, purge, wait_until

pytestmark = [requires_redis, requires_postgres, pytest.mark.redis, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SIGNERS = 300


def post(url: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json", "Accept-Language": "th"})  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (loopback)
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


@pytest.fixture
def cluster(tmp_path):
    """PgBouncer, two web nodes, one worker node and the SMTP listener; stopped before the test
    database is dropped (PgBouncer holds server connections to it)."""
    tmp_path.chmod(0o755)  # pgbouncer runs as nobody when the tests run as root
    purge(settings.REDIS_URL)
    counter, controller, smtp_port = start_smtp()
    bouncer = PgBouncer(database_url(), tmp_path, pool_size=4)
    nodes, ports = [], []
    try:
        from bench.common import free_port

        ports = [free_port(), free_port()]
        site = f"http://127.0.0.1:{ports[0]}"
        for name, port in zip(("web-a", "web-b"), ports, strict=True):
            env = node_env(name, database_url=bouncer.url, pooled=True, smtp_port=smtp_port, site_url=site,
                           CELERY_QUEUE=settings.CELERY_TASK_DEFAULT_QUEUE)  # fmt: skip
            nodes.append(web_node(name, port, env, tmp_path, workers=1, threads=4))
        env = node_env("worker-a", database_url=bouncer.url, pooled=True, smtp_port=smtp_port, site_url=site,
                       CELERY_QUEUE=settings.CELERY_TASK_DEFAULT_QUEUE)  # fmt: skip
        nodes.append(worker_node("worker-a", env, tmp_path, concurrency=2))
        yield {"ports": ports, "mail": counter, "bouncer": bouncer, "nodes": nodes}
    finally:
        for node in reversed(nodes):
            node.stop()
        bouncer.stop()
        controller.stop()
        purge(settings.REDIS_URL)
    for node in nodes:
        assert "Traceback" not in node.output(), f"{node.name}:\n{node.output()[-3000:]}"


def test_signing_through_pgbouncer_counts_exactly_mails_once_and_moves_once(org, make_user, cluster):
    from bench.petitions_sign import open_petition

    PetitionPolicy.objects.update_or_create(
        organisation=org,
        defaults={"sponsors_required": 0, "response_threshold": SIGNERS // 2, "council_threshold": SIGNERS,
                  "ip_limit": 10**9, "ip_review_limit": 10**9, "petition_limit": 10**9, "burst_limit": 10**9},
    )  # fmt: skip
    users = {Role.RESIDENT: make_user(Role.RESIDENT, org=org), Role.MODERATOR: make_user(Role.MODERATOR, org=org)}
    petition = open_petition(org, users)
    ports, mail = cluster["ports"], cluster["mail"]
    signers = [f"signer{n}@example.org" for n in range(SIGNERS)]

    def sign(n: int) -> int:  # round-robin over the two web nodes, as a load balancer would
        port = ports[n % 2]
        body = {"name": f"ผู้ลงชื่อ {n}", "email": signers[n], "village": n % 5 + 1, "consent": True}
        return post(f"http://127.0.0.1:{port}/api/v1/petitions/{petition.pk}/signatures/", body)[0]

    with ThreadPoolExecutor(16) as pool:
        assert Counter(pool.map(sign, range(SIGNERS))) == {201: SIGNERS}

    # Each signer gets one confirmation mail from the worker; the link in it confirms.
    assert wait_until(lambda: {r for r, _m, _raw in mail.confirmations()} >= set(signers), timeout=120), len(mail.confirmations())
    links = {}
    for rcpt, _message_id, raw in mail.confirmations():
        text = email.message_from_bytes(raw, policy=email.policy.default).get_body(preferencelist=("plain",)).get_content()
        found = re.search(r"/signatures/confirm/([A-Za-z0-9_.:\-]+)/", text)
        assert found, text
        links[rcpt] = found.group(1)

    def confirm(n: int) -> int:
        return post(f"http://127.0.0.1:{ports[n % 2]}/api/v1/signatures/confirm/", {"token": links[signers[n]]})[0]

    with ThreadPoolExecutor(16) as pool:
        assert Counter(pool.map(confirm, range(SIGNERS))) == {200: SIGNERS}

    # Counts exact: the confirmed rows are the published count.
    assert Signature.objects.filter(petition=petition, state="confirmed").count() == SIGNERS == petition_total(petition.pk)
    # Each threshold moved once, by concurrent confirmations on two nodes: one audit entry each.
    assert threshold_moves(petition.pk) == {"require_response": 1, "reach_council_threshold": 1}
    petition.refresh_from_db()
    assert petition.response_state == "awaiting_response" and petition.council_threshold_reached_at is not None
    # Each confirmation mail once: one per signer, no Message-ID twice (after the staff mails of the moves went too).
    wait_until(lambda: False, timeout=3)
    confirmations = mail.confirmations()
    assert Counter(r for r, _m, _raw in confirmations) == Counter(signers)
    assert max(Counter(m for _r, m, _raw in confirmations).values()) == 1
    # The traffic went through PgBouncer, whose 4 server connections the nodes' transactions shared.
    (stats,) = [row for row in cluster["bouncer"].show("STATS") if row["database"] == cluster["bouncer"].dbname]
    assert int(stats["total_xact_count"]) >= 2 * SIGNERS
    clients = [c for c in cluster["bouncer"].show("CLIENTS") if c["database"] == cluster["bouncer"].dbname]
    servers = [s for s in cluster["bouncer"].show("SERVERS") if s["database"] == cluster["bouncer"].dbname]
    assert len(servers) <= 4 < len(clients)
    assert all(node.alive() for node in cluster["nodes"])
