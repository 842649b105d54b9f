"""The SQL of signatures: the signing hot path on PostgreSQL (one statement to sign, one to
confirm), the portable path (a few statements, SQLite), the other moves, the tallies, and the
reads and writes of the signature log's seal (petitions.siglog).

Every move follows the machine declared on the Signature model (pending -> confirmed ->
withdrawn / invalidated / fraudulent): MOVES reads that declaration, the statements below are
written from it, and `check` refuses a move the graph does not have, on every path.

A signature is two requests (sign, then confirm from the mail), and under a spike they are most of
what the server does. Each of them here is a single SQL statement in autocommit: one round trip
and one implicit transaction, instead of BEGIN, three or four statements and COMMIT. The
statements use data-modifying CTEs, which SQLite does not have; services.signature_sign and
services.signature_confirm take the portable path (several statements in a transaction) there.

Both statements only do the plain thing: sign inserts a pending row and its mail when the petition
is still open and the email has no active signature; confirm moves a pending signature of an open
petition to confirmed and adds it to the tally. When they do nothing (a duplicate, a closed
petition, a race), the service finds out why with the portable code, so the answers are the same
on both paths and only the happy path is fast.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, replace

from django.conf import settings
from django.db import connection, transaction
from django.utils.translation import gettext as _

from notifications.services import outbox_insert_sql, outbox_kick
from workflows import registry
from workflows.errors import Conflict
from workflows.sql import one_statement

from . import controls
from .models import ResponseState, Signature, SignatureState, State
from .selectors import petition_total

# name -> (source states, target), from the model's @transition declarations.
MOVES: dict[str, tuple[frozenset[str], str]] = registry.moves(Signature)


def _literals(states) -> str:
    """An SQL list of state names (constants of the declaration, never user input)."""
    return "(" + ", ".join(f"'{state}'" for state in sorted(states)) + ")"


def allowed(name: str, state: str) -> bool:
    return name in MOVES and state in MOVES[name][0]


def check(name: str, state: str) -> None:
    """Refuse a move the declared machine does not have from `state` (Conflict, a clear 409)."""
    if not allowed(name, state):
        raise Conflict(
            _("This signature cannot be changed that way (it is %(state)s).") % {"state": SignatureState(state).label},
            code="signature_not_active" if state not in MOVES["withdraw"][0] else "signature_move_refused",
            details={"state": state, "move": name},
        )


def end(name: str, ids: list[int], *, now: dt.datetime) -> int:
    """Make the ending move `name` (withdraw, invalidate, void) on the signatures `ids`, in the
    caller's transaction; only those in one of the move's source states move. Returns how many."""
    if name == "confirm" or name not in MOVES:
        raise ValueError(f"{name!r} is not an ending move of a signature")
    sources, target = MOVES[name]
    return Signature.objects.filter(id__in=ids, state__in=sources).update(state=target, ended_at=now)


def tally_add(petition_id: int, shard: int, deltas: list[tuple[str, int]]) -> None:
    """One upsert for several buckets of one shard. Buckets are sorted with "t" first so that
    concurrent writers lock rows in the same order."""
    deltas = sorted(deltas, key=lambda d: (d[0] != "t", d[0]))
    table = "petitions_signaturetally"
    values = ", ".join(["(%s, %s, %s, %s)"] * len(deltas))
    params: list = []
    for bucket, delta in deltas:
        params += [petition_id, bucket, shard, delta]
    sql = (
        f"INSERT INTO {table} (petition_id, bucket, shard, count) VALUES {values} "  # noqa: S608 (no user input)
        f"ON CONFLICT (petition_id, bucket, shard) DO UPDATE SET count = {table}.count + EXCLUDED.count"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


_vendor: str | None = None
# The last RECHECK confirmations before a threshold read the count again after they commit (see
# Confirmation.may_cross). It bounds how many confirmations can commit while one confirm statement
# runs: about a second of a spike at this machine's rate (docs/PERFORMANCE.md). A crossing missed
# beyond that is made by the periodic check (services.petitions_check, every 5 minutes).
RECHECK = getattr(settings, "PETITION_THRESHOLD_RECHECK", 1000)


def grace_from(now: dt.datetime) -> dt.datetime:
    """A signature made while the petition was open may be confirmed until its close plus
    settings.PETITION_CONFIRM_GRACE_HOURS (24): closes after this instant still accept it."""
    return now - dt.timedelta(hours=settings.PETITION_CONFIRM_GRACE_HOURS)


def available() -> bool:
    global _vendor
    if _vendor is None:
        _vendor = connection.vendor
    return _vendor == "postgresql"


def _one_statement(sql: str, params: dict):
    """workflows.sql.one_statement. Running either statement twice is safe: a sign that did commit
    is then a duplicate email (nothing written), a confirm that did commit finds the signature
    confirmed."""
    return one_statement(sql, params)


# State names are written into the SQL (they are constants) rather than passed as parameters: the
# statements are prepared once per connection, and only with literals can the planner of a generic
# plan match the partial unique indexes, whose predicates name states.
_OPEN, _PENDING, _CONFIRMED = State.OPEN.value, SignatureState.PENDING.value, SignatureState.CONFIRMED.value
_CLOSED = State.CLOSED.value
_CONFIRM_FROM, _CONFIRM_TO = _literals(MOVES["confirm"][0]), MOVES["confirm"][1]
_NOT_REQUIRED = ResponseState.NOT_REQUIRED.value


def _sign_sql(*, national_id: bool) -> str:
    # An ordinance signature must not repeat a national ID that has confirmed; a general one has no ID.
    id_check = (
        f"""
      AND NOT EXISTS (SELECT 1 FROM petitions_signature c WHERE c.petition_id = p.id
          AND c.national_id_hash = %(nid)s AND c.national_id_hash IS NOT NULL AND c.state = '{_CONFIRMED}')"""  # noqa: S608
        if national_id
        else ""
    )
    # A household sharing one address signs from one village, at most %(household)s times.
    household = f"""
      AND NOT EXISTS (SELECT 1 FROM petitions_signature h WHERE h.petition_id = p.id AND h.email = %(email)s
          AND h.state IN ('{_PENDING}', '{_CONFIRMED}') AND (h.village_number <> %(village)s
              OR (SELECT count(*) FROM petitions_signature k WHERE k.petition_id = p.id AND k.email = %(email)s
                  AND k.state IN ('{_PENDING}', '{_CONFIRMED}')) >= %(household)s))"""  # noqa: S608
    # An email the organisation blocked (petitions.controls: the address, its domain or a parent) signs nothing.
    blocked = """
      AND NOT EXISTS (SELECT 1 FROM petitions_signingblock b WHERE b.organisation_id = p.organisation_id
          AND b.value = ANY(%(blocks)s))"""
    return f"""
WITH target AS (
    SELECT p.id FROM petitions_petition p
    WHERE p.id = %(petition)s AND p.state = '{_OPEN}' AND (p.closes_at IS NULL OR p.closes_at > %(now)s)
        {id_check}{household}{blocked}
), signature AS (
    INSERT INTO petitions_signature (petition_id, state, name, email, village_number, national_id_hash,
        national_id_last4, ip_hash, language, salt, consented_at, created_at, last_sent_at, notify_outcome)
    SELECT id, '{_PENDING}', %(name)s, %(email)s, %(village)s, %(nid)s, %(last4)s, %(ip)s, %(language)s, %(salt)s,
        %(now)s, %(now)s, %(now)s, %(notify)s
    FROM target
    ON CONFLICT (petition_id, email, lower(name)) WHERE state IN ('{_PENDING}', '{_CONFIRMED}') DO NOTHING
    RETURNING id
), mail AS (
    SELECT %(event)s AS event, %(data)s::jsonb || jsonb_build_object('url', link, 'confirm_url', link) AS data,
        %(audience)s::jsonb AS audience, %(organisation)s AS organisation_id, 'petitions.petition' AS record_type,
        %(petition)s::varchar AS record_id, %(now)s AS created_at
    FROM (SELECT %(link_head)s || id || '.' || %(salt)s || '.' || %(mac)s || '/' AS link FROM signature) AS links
), outbox AS ({outbox_insert_sql("mail")})
SELECT id FROM signature
"""  # noqa: S608 (constant table names and states; values are parameters)


_SIGN_SQL = {False: _sign_sql(national_id=False), True: _sign_sql(national_id=True)}


def sign(*, signature, target, mac: str, link_head: str, event: str, data: dict, audience: dict, blocks: list[str]) -> bool:
    """Insert the pending `signature` (an unsaved Signature) and its confirmation mail in one
    statement; set signature.pk and return True, or return False when nothing was written: the
    petition is no longer open, the email already has a pending or confirmed signature under this
    name (or its household is full or signed for another village), the national ID has already
    confirmed one, or the organisation blocked one of `blocks` (controls.block_keys of the email)."""
    params = {
        "petition": target.pk, "organisation": target.organisation_id, "now": signature.created_at, "name": signature.name,
        "email": signature.email, "village": signature.village_number, "nid": signature.national_id_hash,
        "last4": signature.national_id_last4, "ip": signature.ip_hash, "language": signature.language,
        "salt": signature.salt, "notify": signature.notify_outcome, "mac": mac, "link_head": link_head, "event": event,
        "data": json.dumps(data, ensure_ascii=False), "audience": json.dumps(audience, ensure_ascii=False),
        "household": settings.PETITION_HOUSEHOLD_SIGNATURES, "blocks": blocks,
    }  # fmt: skip
    row = _one_statement(_SIGN_SQL[signature.national_id_hash is not None], params)
    if row is None:
        return False
    signature.pk = row[0]
    outbox_kick()
    return True


@dataclass
class Confirmation:
    """What confirming found and did. `state` is the signature's state before the attempt."""

    state: str
    accepting: bool
    confirmed: bool
    petition_id: int
    village_number: int
    council_ahead: bool
    council_threshold: int
    response_ahead: bool
    response_threshold: int | None
    total: int | None  # the confirmed count right after, read only while a threshold is ahead
    # How many confirmations `total` may miss: those that other connections commit while this
    # statement runs (it reads the snapshot of its start; a wait for a tally row lock lengthens it).
    unseen: int = 0
    blocked: bool = False  # the organisation blocked the signature's email since it was made: not confirmed

    @property
    def may_cross(self) -> bool:
        """Whether a threshold may have been reached: then a fresh read (after this commit) decides.
        Of confirmations that run together, the one that commits last reads after all of them, so
        it sees the crossing even when every statement's own snapshot missed the others."""
        if not self.confirmed or self.total is None:
            return False
        reach = self.total + self.unseen
        if self.council_ahead and reach >= self.council_threshold:
            return True
        return self.response_ahead and self.response_threshold is not None and reach >= self.response_threshold

    def recounted(self, total: int) -> Confirmation:
        """This confirmation with the count read again after it committed: that read sees every
        confirmation committed before it, so nothing is unseen."""
        return replace(self, total=total, unseen=0)


_CONFIRM_SQL = f"""
WITH s AS (
    SELECT s.id, s.state, s.village_number, s.petition_id,
        ((p.state = '{_OPEN}' AND (p.closes_at IS NULL OR p.closes_at > %(now)s))
            OR (p.state IN ('{_OPEN}', '{_CLOSED}') AND s.created_at < COALESCE(p.closed_at, p.closes_at)
                AND COALESCE(p.closed_at, p.closes_at) > %(grace_from)s)) AS accepting,
        p.council_threshold_reached_at IS NULL AS council_ahead, p.council_threshold,
        (p.response_state = '{_NOT_REQUIRED}' AND p.response_threshold IS NOT NULL) AS response_ahead,
        p.response_threshold, petitions_email_blocked(p.organisation_id, s.email) AS blocked
    FROM petitions_signature s JOIN petitions_petition p ON p.id = s.petition_id
    WHERE s.id = %(id)s AND s.salt = %(salt)s
), confirmed AS (
    UPDATE petitions_signature t SET state = '{_CONFIRM_TO}', confirmed_at = %(now)s
    FROM s WHERE t.id = s.id AND s.accepting AND NOT s.blocked AND t.state IN {_CONFIRM_FROM}
    RETURNING t.petition_id, t.village_number
), tally AS (
    INSERT INTO petitions_signaturetally (petition_id, bucket, shard, count)
    SELECT c.petition_id, b.bucket, %(shard)s, 1
    FROM confirmed c CROSS JOIN LATERAL (VALUES (1, 't'), (2, %(hour)s), (3, 'v' || c.village_number)) AS b(ord, bucket)
    ORDER BY b.ord
    ON CONFLICT (petition_id, bucket, shard) DO UPDATE SET count = petitions_signaturetally.count + 1
)
SELECT s.state, s.accepting, EXISTS (SELECT 1 FROM confirmed), s.petition_id, s.village_number,
    s.council_ahead, s.council_threshold, s.response_ahead, s.response_threshold,
    CASE WHEN s.council_ahead OR s.response_ahead THEN
        (SELECT COALESCE(SUM(count), 0) FROM petitions_signaturetally WHERE petition_id = s.petition_id AND bucket = 't')
    END, s.blocked
FROM s
"""  # noqa: S608 (constant states; values are parameters)
# petitions_email_blocked (migration petitions 0011) is controls.email_blocked in SQL. Keep the text
# before the tally short: tests watch for the statement waiting on the tally by its text in
# pg_stat_activity, which keeps only its first track_activity_query_size (1024) bytes.
# The tally rows are upserted in the order "t", "h…", "v…", the order services._tally_add uses, so
# that concurrent writers lock them in the same order. The SUM reads the statement's snapshot,
# which does not include this statement's own +1 (confirm() adds it) nor what other confirmations
# commit while this statement runs (Confirmation.unseen bounds that).


def confirm(*, pk: int, salt: str, now: dt.datetime, shard: int, hour_bucket: str) -> Confirmation | None:
    """Confirm the pending signature `pk` (whose salt the token carried) in one statement. None
    when there is no such signature. A unique violation (its national ID has confirmed another
    signature of the petition) raises IntegrityError and changes nothing."""
    params = {
        "id": pk, "salt": salt, "now": now, "shard": shard, "hour": hour_bucket, "grace_from": grace_from(now),
    }  # fmt: skip
    row = _one_statement(_CONFIRM_SQL, params)
    if row is None:
        return None
    (
        state, accepting, done, petition_id, village, council_ahead, council_threshold, response_ahead, response_threshold,
        total, blocked,
    ) = row  # fmt: skip
    return Confirmation(
        state=state, accepting=accepting, confirmed=done, petition_id=petition_id, village_number=village,
        council_ahead=council_ahead, council_threshold=council_threshold, response_ahead=response_ahead,
        response_threshold=response_threshold, total=None if total is None else int(total) + (1 if done else 0),
        unseen=RECHECK, blocked=bool(blocked),
    )  # fmt: skip


# --- the portable path (SQLite, and the explanation when a statement above did nothing) ---------
_INSERT_COLUMNS = (
    "petition_id", "state", "name", "email", "village_number", "national_id_hash", "national_id_last4", "ip_hash",
    "language", "salt", "consented_at", "created_at", "last_sent_at", "notify_outcome",
)  # fmt: skip
_INSERT_SQL = (
    f"INSERT INTO petitions_signature ({', '.join(_INSERT_COLUMNS)}) "  # noqa: S608 (constant column names)
    f"VALUES ({', '.join(['%s'] * len(_INSERT_COLUMNS))}) RETURNING id"
)


def insert_portable(signature, *, now: dt.datetime) -> None:
    """Insert the pending `signature` (unsaved) in the caller's transaction; set its pk.
    IntegrityError when its email already has an active signature of the petition."""
    stamp = connection.ops.adapt_datetimefield_value(now)
    values = [getattr(signature, column) for column in _INSERT_COLUMNS[:10]] + [stamp, stamp, stamp, signature.notify_outcome]
    with connection.cursor() as cursor:
        cursor.execute(_INSERT_SQL, values)
        signature.pk = cursor.fetchone()[0]


_CONFIRM_READ_SQL = (
    "SELECT s.state, "
    "CASE WHEN (p.state = %s AND (p.closes_at IS NULL OR p.closes_at > %s)) OR (p.state IN (%s, %s) "
    "AND s.created_at < COALESCE(p.closed_at, p.closes_at) AND COALESCE(p.closed_at, p.closes_at) > %s) THEN 1 ELSE 0 END, "
    "s.petition_id, s.village_number, "
    "CASE WHEN p.council_threshold_reached_at IS NULL THEN 1 ELSE 0 END, p.council_threshold, "
    "CASE WHEN p.response_state = %s AND p.response_threshold IS NOT NULL THEN 1 ELSE 0 END, p.response_threshold, "
    "p.organisation_id, s.email "
    "FROM petitions_signature s JOIN petitions_petition p ON p.id = s.petition_id WHERE s.id = %s AND s.salt = %s"
)
_CONFIRM_PORTABLE_SQL = (
    f"UPDATE petitions_signature SET state = '{_CONFIRM_TO}', confirmed_at = %s "  # noqa: S608 (declared states)
    f"WHERE id = %s AND state IN {_CONFIRM_FROM}"
)


def confirm_portable(*, pk: int, salt: str, now: dt.datetime, shard: int, hour_bucket: str) -> Confirmation | None:
    """confirm() in a few statements (SQLite): read, then UPDATE + tally (+ SUM) in one transaction,
    by the same declared move. SQLite writes one transaction at a time, so the SUM misses nothing
    (unseen stays 0)."""
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(
            _CONFIRM_READ_SQL,
            [
                State.OPEN,
                adapt(now),
                State.OPEN,
                State.CLOSED,
                adapt(grace_from(now)),
                ResponseState.NOT_REQUIRED,
                pk,
                salt,
            ],  # fmt: skip
        )
        row = cursor.fetchone()
    if row is None:
        return None
    found = Confirmation(
        state=row[0], accepting=bool(row[1]), confirmed=False, petition_id=row[2], village_number=row[3],
        council_ahead=bool(row[4]), council_threshold=row[5], response_ahead=bool(row[6]), response_threshold=row[7],
        total=None, blocked=controls.email_blocked(row[8], row[9]),
    )  # fmt: skip
    if not allowed("confirm", found.state) or not found.accepting or found.blocked:
        return found
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(_CONFIRM_PORTABLE_SQL, [connection.ops.adapt_datetimefield_value(now), pk])
            found.confirmed = cursor.rowcount == 1
        if found.confirmed:
            tally_add(found.petition_id, shard, [("t", 1), (hour_bucket, 1), (f"v{found.village_number}", 1)])
            if found.council_ahead or found.response_ahead:
                found.total = petition_total(found.petition_id)
    return found


# --- the signature log's seal (petitions.siglog) -------------------------------------------------
# The rows the next seal appends are found through the partial index signature_unlogged_idx.
_UNLOGGED_SQL = (
    "SELECT id, salt, state, logged_state, village_number FROM petitions_signature "
    "WHERE petition_id = %s AND confirmed_at IS NOT NULL AND logged_state <> state "
    "ORDER BY COALESCE(ended_at, confirmed_at), id"
)


def unlogged(petition_id: int) -> list[tuple[int, str, str, str, int]]:
    """(id, salt, state, logged_state, village) of the petition's confirmed-once signatures whose
    state the log has not recorded, in a deterministic order (time of the move, then id)."""
    with connection.cursor() as cursor:
        cursor.execute(_UNLOGGED_SQL, [petition_id])
        return cursor.fetchall()


def unlogged_petitions() -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT petition_id FROM petitions_signature "
            "WHERE confirmed_at IS NOT NULL AND logged_state <> state ORDER BY petition_id"
        )
        return [row[0] for row in cursor.fetchall()]


def mark_logged(rows: list[tuple[int, str]]) -> None:
    """Record that the log now holds each signature's state (id, state as logged). A move made
    since the read leaves the row different from its state again, for the next seal."""
    by_state: dict[str, list[int]] = {}
    for pk, state in rows:
        by_state.setdefault(state, []).append(pk)
    for state, ids in by_state.items():
        for start in range(0, len(ids), 1000):
            Signature.objects.filter(pk__in=ids[start : start + 1000]).update(logged_state=state)
