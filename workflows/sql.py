"""One SQL statement as its own transaction: the shape of the hot write paths (petitions.signing,
consultations.voting)."""

from __future__ import annotations

from contextlib import nullcontext

from django.db import InterfaceError, OperationalError, connection, transaction

DEADLOCK = "40P01"


def one_statement(sql: str, params):
    """Run one statement and return its first row.

    In autocommit it is its own transaction; inside the caller's transaction (tests, a service
    composing several steps) it runs in a savepoint, so that a failure leaves that transaction
    usable. Django checks a persistent connection with a `SELECT 1` round trip before a request's
    first query; this skips that check and instead, if the connection turns out to be dead (the
    database restarted), reconnects and runs the statement once more. So every statement run
    through here must be safe to run twice (each caller says why it is). A deadlock, which
    PostgreSQL resolves by rolling back one statement whole, is retried too."""
    for attempt in range(3):
        outer = connection.in_atomic_block
        if not outer:
            connection.health_check_done = True
        try:
            with transaction.atomic() if outer else nullcontext(), connection.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchone()
        except (InterfaceError, OperationalError) as exc:
            if attempt == 2:
                raise
            if getattr(exc.__cause__, "sqlstate", None) == DEADLOCK:
                continue
            if outer or connection.is_usable():
                raise
            connection.close()  # dead: the next cursor() connects afresh
