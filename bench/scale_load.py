"""The loader of bench/scale.py: a national install's worth of data, written in a few minutes.

On top of the demo data (seed_demo) it adds organisations (each with its villages and petition
policy), accounts, petitions in every state, signatures (mostly confirmed, some pending,
withdrawn and invalidated) with the sharded tally rows that count them (bucket "t", "v<N>" and
"h<YYYYMMDDHH>", PETITION_TALLY_SHARDS shards, as petitions.signing writes them), and audit
entries that verify: each hash is computed by workflows.models.AuditEntry's own compute_hash(), in
its organisation's chain (AuditEntry.chain, begun at chain_genesis as workflows.services begins
one), so the chains' format stays what the code says.

Bulk rows are made by the database (INSERT … SELECT generate_series) with the signature table's
secondary indexes dropped and remade after (the same definitions, read from pg_indexes first) and
foreign-key triggers off for the session (session_replication_role = replica); the audit entries
are hashed here and sent with COPY. Signatures are sealed: their logged_state is their state (the
petitions' signature logs themselves are not written; verify_audit walks the main chain).
"""

from __future__ import annotations

import datetime as dt
import time

ORGANISATIONS = 50
VILLAGES = 10
USERS = 20_000
# (state, share of petitions in ‰); the public ones carry signatures.
STATES = [
    ("open", 400), ("closed", 200), ("submitted", 100), ("under_consideration", 50), ("decided", 100),
    ("rejected", 50), ("awaiting_moderation", 50), ("collecting_sponsors", 30), ("draft", 20),
]  # fmt: skip
SIGNED_STATES = ("open", "closed", "submitted", "under_consideration", "decided")
# Words the titles and texts are made of (the search target finds some of them).
WORDS = [
    "ถนน", "ไฟฟ้าส่องสว่าง", "น้ำประปา", "ขยะ", "สวนสาธารณะ", "โรงเรียน", "ตลาด", "สะพาน", "ท่อระบายน้ำ", "รถโดยสาร",
    "ศูนย์เด็กเล็ก", "ลานกีฬา", "ป้ายรถเมล์", "ทางเท้า", "สัญญาณไฟจราจร", "คลองสาธารณะ", "หอกระจายข่าว", "ห้องสมุด",
]  # fmt: skip
TITLE_HEADS = ["ขอให้ซ่อม", "ขอให้สร้าง", "ขอให้ปรับปรุง", "ขอให้เพิ่ม", "ขอคัดค้านการย้าย", "ขอให้ตรวจสอบ"]


def _log(message: str, started: float) -> None:
    print(f"  [{time.monotonic() - started:6.1f} s] {message}", flush=True)


def _array(values) -> str:
    return "ARRAY[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def load(url: str, *, petitions: int, signatures: int, audit: int, hot_petition: int, hot_share: float = 0.05) -> dict:
    """Load the sizes into the (migrated, seeded) database at `url`. `hot_petition` (the demo's open
    petition the hot reads measure) gets `hot_share` of the signatures. Returns timings."""
    import psycopg
    from django.conf import settings

    shards = getattr(settings, "PETITION_TALLY_SHARDS", 8)
    started = time.monotonic()
    timings: dict[str, float] = {}
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET session_replication_role = replica")  # no FK triggers for the bulk rows
        conn.execute("SET maintenance_work_mem = '512MB'")
        conn.execute("SET synchronous_commit = off")

        def step(name, sql, params=None):
            t = time.monotonic()
            cur = conn.execute(sql, params)
            timings[name] = timings.get(name, 0) + time.monotonic() - t
            return cur

        org = conn.execute("SELECT id, slug FROM accounts_organisation ORDER BY id LIMIT 1").fetchone()
        base_org = org[0]
        # Organisations, their villages and policies: copies of the demo's.
        step(
            "organisations",
            f"""
            INSERT INTO accounts_organisation (slug, name, name_en, address, phone, email, created_at)
            SELECT 'bench-' || g, 'เทศบาลทดสอบที่ ' || g, 'Bench municipality ' || g, address, phone, email, created_at
            FROM accounts_organisation o, generate_series(2, {ORGANISATIONS}) g WHERE o.id = {base_org}""",
        )  # noqa: S608
        step(
            "organisations",
            f"""
            INSERT INTO accounts_village (number, name, organisation_id)
            SELECT n, 'หมู่บ้าน ' || n, o.id FROM accounts_organisation o, generate_series(1, {VILLAGES}) n
            WHERE o.slug LIKE 'bench-%'""",
        )  # noqa: S608
        cols = [
            r[0]
            for r in conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'petitions_petitionpolicy' "
                "AND column_name NOT IN ('id', 'organisation_id') ORDER BY ordinal_position"
            )
        ]
        step(
            "organisations",
            f"""
            INSERT INTO petitions_petitionpolicy (organisation_id, {", ".join(cols)})
            SELECT o.id, {", ".join("p." + c for c in cols)} FROM accounts_organisation o, petitions_petitionpolicy p
            WHERE o.slug LIKE 'bench-%' AND p.organisation_id = {base_org}""",
        )  # noqa: S608
        orgs = [r[0] for r in conn.execute("SELECT id FROM accounts_organisation ORDER BY id")]
        _log(f"{len(orgs)} organisations, {VILLAGES} villages each", started)

        # Accounts: residents (the petitions' authors), each in a village of an organisation.
        step(
            "accounts",
            f"""
            INSERT INTO accounts_user (password, is_superuser, email, full_name, language, email_confirmed_at, is_active,
                is_staff, date_joined, village_id, identity_level)
            SELECT u.password, false, 'bench-user-' || g || '@bench.example.org', 'ผู้ใช้ทดสอบ ' || g,
                CASE WHEN g % 5 = 0 THEN 'en' ELSE 'th' END, now(), true, false, now() - (g % 900) * interval '1 day',
                (SELECT v.id FROM accounts_village v ORDER BY v.id OFFSET (g % (SELECT count(*) FROM accounts_village)) LIMIT 1),
                u.identity_level
            FROM accounts_user u, generate_series(1, {USERS}) g WHERE u.email = 'resident@example.com'""",
        )  # noqa: S608
        users = conn.execute("SELECT min(id), max(id) FROM accounts_user WHERE email LIKE 'bench-user-%'").fetchone()
        _log(f"{USERS:,} accounts", started)

        # Petitions: a share of each state, spread over three years and the organisations (the
        # demo's organisation has its share too), thresholds as a policy gives them.
        cases = []
        edge = 0
        for state, share in STATES:
            edge += share
            cases.append(f"WHEN g % 1000 < {edge} THEN '{state}'")
        state_sql = "CASE " + " ".join(cases) + " END"
        org_array = "ARRAY[" + ",".join(map(str, orgs)) + "]"
        step(
            "petitions",
            f"""
            INSERT INTO petitions_petition (version, created_at, updated_at, kind, title, body, background, state,
                response_state, sponsor_token, sponsors_required, response_threshold, council_threshold, moderation_requested_at,
                opened_at, closes_at, closed_at, response_threshold_reached_at, council_threshold_reached_at, report_due_at,
                submitted_at, council_due_at, rejection_code, rejection_reason, author_id, organisation_id,
                collection_regulation, draft_ordinance, objection_closes_at, objection_opens_at, moderated_from,
                municipal_edit_at, municipal_edit_reason)
            SELECT 3, t.created, t.created, CASE WHEN g % 10 = 0 THEN 'ordinance' ELSE 'general' END,
                h[1 + g % array_length(h, 1)] || w[1 + g % array_length(w, 1)] || ' หมู่ที่ ' || (1 + g % {VILLAGES}) || ' #' || g,
                'ประชาชนในพื้นที่ขอให้เทศบาลดำเนินการเรื่อง' || w[1 + g % array_length(w, 1)] || ' และ'
                    || w[1 + (g / 7) % array_length(w, 1)] || ' เพื่อความปลอดภัยของผู้สูงอายุและเด็ก (' || g || ')',
                'ปัญหานี้เกิดขึ้นมาตั้งแต่ปี ' || (2560 + g % 8) || ' เรื่อง' || w[1 + (g / 3) % array_length(w, 1)],
                t.state,
                CASE WHEN t.state IN ('open', 'closed', 'submitted') AND g % 7 = 0 THEN 'awaiting_response'
                     WHEN t.state IN ('open', 'closed', 'submitted', 'decided') AND g % 7 = 1 THEN 'responded'
                     ELSE 'not_required' END,
                md5(g::text), 5, CASE WHEN g % 10 = 0 THEN NULL ELSE 500 END, 2000, t.created,
                CASE WHEN t.state IN {SIGNED_STATES} THEN t.created + interval '3 days' END,
                CASE WHEN t.state IN {SIGNED_STATES} THEN t.created + interval '93 days' END,
                CASE WHEN t.state IN ('closed', 'submitted', 'under_consideration', 'decided')
                     THEN t.created + interval '93 days' END,
                CASE WHEN t.state IN {SIGNED_STATES} AND g % 7 IN (0, 1) THEN t.created + interval '20 days' END,
                CASE WHEN t.state IN ('submitted', 'under_consideration', 'decided') OR (t.state = 'open' AND g % 11 = 0)
                     THEN t.created + interval '40 days' END,
                NULL,
                CASE WHEN t.state IN ('submitted', 'under_consideration', 'decided') THEN t.created + interval '95 days' END,
                CASE WHEN t.state IN ('submitted', 'under_consideration') THEN t.created + interval '155 days' END,
                CASE WHEN t.state = 'rejected' THEN 'outside_powers' ELSE '' END,
                CASE WHEN t.state = 'rejected' THEN 'อยู่นอกอำนาจหน้าที่ของเทศบาล' ELSE '' END,
                {users[0]} + g % {USERS}, o[1 + g % array_length(o, 1)], '', '', NULL, NULL, '', NULL, ''
            FROM generate_series(1, {petitions}) g,
                LATERAL (SELECT {state_sql} AS state,
                    CASE WHEN {state_sql} = 'open' THEN now() - ((g * 7919) % (80 * 24)) * interval '1 hour' - interval '4 days'
                         ELSE now() - interval '100 days' - ((g * 7919) % (900 * 24)) * interval '1 hour' END AS created) t,
                (SELECT {_array(WORDS)} AS w, {_array(TITLE_HEADS)} AS h, {org_array} AS o) a""",
        )  # noqa: S608
        _log(f"{petitions:,} petitions", started)

        # Signatures. The table's secondary indexes are dropped and remade after the load.
        indexes = conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'petitions_signature' "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = 'petitions_signature'::regclass)"
        ).fetchall()
        for name, _definition in indexes:
            conn.execute(f'DROP INDEX "{name}"')
        signed = [
            r[0]
            for r in conn.execute(
                f"SELECT id FROM petitions_petition WHERE state IN {SIGNED_STATES} AND id <> %s ORDER BY id",  # noqa: S608
                [hot_petition],
            )
        ]
        hot = int(signatures * hot_share)
        first_new = conn.execute("SELECT COALESCE(max(id), 0) + 1 FROM petitions_signature").fetchone()[0]
        # n = -1 is the hot petition; `minutes` is how long each has collected (at most its 88 days).
        conn.execute("CREATE TEMP TABLE bench_signed (n int PRIMARY KEY, petition_id bigint, opened timestamptz, minutes int)")
        window = (
            "LEAST(88 * 24 * 60, GREATEST(60, floor(extract(epoch FROM now() - COALESCE(opened_at, created_at)) / 60)::int - 60))"
        )
        conn.execute(
            f"INSERT INTO bench_signed SELECT row_number() OVER (ORDER BY id) - 1, id, COALESCE(opened_at, created_at), {window} "
            f"FROM petitions_petition WHERE id = ANY(%s)",  # noqa: S608
            [signed],
        )
        conn.execute(
            f"INSERT INTO bench_signed SELECT -1, id, COALESCE(opened_at, created_at), {window} FROM petitions_petition "  # noqa: S608
            f"WHERE id = {int(hot_petition)}"
        )
        # Each signature's petition: skewed (a few petitions gather most), as real ones do; the first
        # `hot` go to the hot petition. state: 90% confirmed, 6% pending, 2.5% withdrawn, 1.5% invalidated.
        t = time.monotonic()
        batch = 1_000_000
        for first in range(1, signatures + 1, batch):
            last = min(signatures, first + batch - 1)
            conn.execute(f"""
                INSERT INTO petitions_signature (state, name, email, village_number, national_id_hash, national_id_last4,
                    ip_hash, language, salt, consented_at, created_at, last_sent_at, confirmed_at, ended_at, petition_id,
                    notify_outcome, user_id, logged_state, channel, sheet_line, paper_sheet_id)
                SELECT x.state, 'ผู้ลงชื่อ ' || g, 's' || g || '@bench.example.org', 1 + (g * 31) % {VILLAGES}, NULL, '',
                    md5('ip' || (g % 200000)), CASE WHEN g % 6 = 0 THEN 'en' ELSE 'th' END, md5('salt' || g),
                    x.at, x.at, x.at,
                    CASE WHEN x.state IN ('confirmed', 'withdrawn', 'invalidated') THEN x.at + interval '3 minutes' END,
                    CASE WHEN x.state IN ('withdrawn', 'invalidated') THEN x.at + interval '10 minutes' END,
                    x.petition_id, g % 4 <> 0, NULL,
                    CASE WHEN x.state = 'pending' THEN '' ELSE x.state END, 'online', NULL, NULL
                FROM generate_series({first}::bigint, {last}::bigint) g,
                    LATERAL (SELECT CASE WHEN g % 1000 < 900 THEN 'confirmed' WHEN g % 1000 < 960 THEN 'pending'
                                         WHEN g % 1000 < 985 THEN 'withdrawn' ELSE 'invalidated' END AS state,
                                    b.petition_id, b.opened + ((g * 2654435761) % b.minutes) * interval '1 minute' AS at
                             FROM bench_signed b
                             WHERE b.n = CASE WHEN g <= {hot} THEN -1
                                 ELSE floor({len(signed)} * power(((g * 2654435761) % 1000003) / 1000003.0, 3))::int END) x
            """)  # noqa: S608
            _log(f"signatures {last:,} / {signatures:,}", started)
        timings["signatures"] = time.monotonic() - t
        t = time.monotonic()
        for _name, definition in indexes:
            conn.execute(definition)
        timings["signature indexes"] = time.monotonic() - t
        _log(f"signature indexes remade ({len(indexes)})", started)

        # The tally rows, consistent with the confirmed signatures: per shard (id % shards).
        t = time.monotonic()
        # Summed in a temporary table (the new signatures' buckets, plus the rows the hot petition's demo
        # signatures already have), then written without ON CONFLICT, the table's indexes remade after.
        conn.execute("SET work_mem = '256MB'")
        conn.execute(f"""
            CREATE TEMP TABLE bench_tally AS
            SELECT s.petition_id, b.bucket, (s.id % {int(shards)})::smallint AS shard, count(*)::int AS n
            FROM petitions_signature s CROSS JOIN LATERAL (VALUES ('t'), ('v' || s.village_number),
                ('h' || to_char(s.confirmed_at AT TIME ZONE 'UTC', 'YYYYMMDDHH24'))) AS b(bucket)
            WHERE s.state = 'confirmed' AND s.id >= {int(first_new)}
            GROUP BY 1, 2, 3""")  # noqa: S608
        conn.execute(
            "INSERT INTO bench_tally SELECT petition_id, bucket, shard, count FROM petitions_signaturetally "
            "WHERE petition_id IN (SELECT DISTINCT petition_id FROM bench_tally)"  # noqa: S608
        )
        conn.execute("DELETE FROM petitions_signaturetally WHERE petition_id IN (SELECT DISTINCT petition_id FROM bench_tally)")
        tally_indexes = conn.execute(
            "SELECT i.indexname, i.indexdef, c.conname, pg_get_constraintdef(c.oid) FROM pg_indexes i "
            "LEFT JOIN pg_constraint c ON c.conname = i.indexname AND c.conrelid = 'petitions_signaturetally'::regclass "
            "WHERE i.tablename = 'petitions_signaturetally' AND i.indexname <> 'petitions_signaturetally_pkey'"
        ).fetchall()
        for name, _definition, constraint, _cdef in tally_indexes:
            if constraint:
                conn.execute(f'ALTER TABLE petitions_signaturetally DROP CONSTRAINT "{constraint}"')
            else:
                conn.execute(f'DROP INDEX "{name}"')
        conn.execute(
            "INSERT INTO petitions_signaturetally (petition_id, bucket, shard, count) "
            "SELECT petition_id, bucket, shard, sum(n) FROM bench_tally GROUP BY 1, 2, 3"
        )
        for _name, definition, constraint, cdef in tally_indexes:
            if constraint:
                conn.execute(f'ALTER TABLE petitions_signaturetally ADD CONSTRAINT "{constraint}" {cdef}')
            else:
                conn.execute(definition)
        timings["tallies"] = time.monotonic() - t
        tallies = conn.execute("SELECT count(*) FROM petitions_signaturetally").fetchone()[0]
        _log(f"{tallies:,} tally rows", started)
        # Thresholds reached as the counts say (the response and council marks the pages show).
        conn.execute("""
            UPDATE petitions_petition p
                SET council_threshold_reached_at = COALESCE(p.council_threshold_reached_at, p.opened_at + interval '30 days')
            FROM (SELECT petition_id, sum(count) AS n FROM petitions_signaturetally WHERE bucket = 't' GROUP BY petition_id) c
            WHERE c.petition_id = p.id AND c.n >= p.council_threshold AND p.id IN (SELECT petition_id FROM bench_signed)""")

        # Audit entries: moves of the loaded petitions, hashed by the model, chained, sent by COPY.
        t = time.monotonic()
        span = (signed[0], signed[-1]) if signed else (hot_petition, hot_petition)
        entries = _audit(conn, audit, petitions_range=span,
                         orgs=orgs, started=started)  # fmt: skip
        timings["audit"] = time.monotonic() - t
        conn.execute("SET session_replication_role = DEFAULT")
        t = time.monotonic()
        conn.execute("VACUUM ANALYZE")
        timings["vacuum analyze"] = time.monotonic() - t
        _log("vacuum analyze", started)
    timings["total"] = time.monotonic() - started
    return {"timings": timings, "audit_entries": entries, "tally_rows": tallies}


AUDIT_MOVES = [
    ("transition", "request_moderation", "draft", "awaiting_moderation", "resident"),
    ("moderation", "approve", "awaiting_moderation", "open", "moderator"),
    ("transition", "close", "open", "closed", "system"),
    ("transition", "submit", "closed", "submitted", "clerk"),
    ("transition", "consider", "submitted", "under_consideration", "clerk"),
    ("transition", "decide", "under_consideration", "decided", "clerk"),
    ("system", "response_threshold_reached", "", "", "system"),
]


def _audit(conn, n: int, *, petitions_range: tuple[int, int], orgs: list[int], started: float) -> int:
    """n entries on the petitions of `petitions_range`, each in its organisation's chain (the model's
    `chain`, its genesis as workflows.services starts a chain), hashed by AuditEntry.compute_hash."""
    from workflows.models import LEGACY_CHAIN, AuditEntry, chain_genesis, payload_digest

    heads = {
        chain: [last_hash, last_id, entries]
        for chain, last_hash, last_id, entries in conn.execute(
            "SELECT chain, last_hash, last_entry_id, entries FROM workflows_auditchainhead"
        )
    }
    legacy = heads.get(LEGACY_CHAIN)

    def head(chain: int) -> list:
        if chain not in heads:
            genesis = chain_genesis(
                chain, legacy_hash=legacy[0] if legacy else "0" * 64, legacy_entries=legacy[2] if legacy else 0
            )
            heads[chain] = [genesis, None, 0]
        return heads[chain]

    next_id = conn.execute("SELECT COALESCE(max(id), 0) + 1 FROM workflows_auditentry").fetchone()[0]
    low, high = petitions_range
    organisation_of = dict(
        conn.execute("SELECT id, organisation_id FROM petitions_petition WHERE id BETWEEN %s AND %s", [low, high])
    )
    records = sorted(organisation_of)
    digest = payload_digest({})
    begin = dt.datetime.now(dt.UTC) - dt.timedelta(days=365)
    step = dt.timedelta(days=360) / max(n, 1)
    columns = (
        "id, organisation_id, record_type, record_id, action, name, actor_id, actor_role, created_at, from_state, to_state, "
        "reason, payload_digest, format, payload, actor_ref, prev_hash, hash"
    )
    changed = set()
    with conn.cursor() as cur, cur.copy(f"COPY workflows_auditentry ({columns}) FROM STDIN") as copy:  # noqa: S608
        for i in range(n):
            action, name, from_state, to_state, role = AUDIT_MOVES[i % len(AUDIT_MOVES)]
            record = records[(i * 7919) % len(records)]
            entry = AuditEntry(
                id=next_id + i, organisation_id=organisation_of[record], record_type="petitions.petition",
                record_id=str(record), action=action, name=name, actor_id=None, actor_role=role,
                created_at=begin + step * i, from_state=from_state, to_state=to_state,
                reason="" if i % 5 else "ตามมติที่ประชุม", payload_digest=digest, format=AuditEntry.FORMAT,
                payload={}, actor_ref="" if role == "system" else f"p{(i * 31) % 5000:05d}",
            )  # fmt: skip
            chain_head = head(entry.chain)
            entry.prev_hash = chain_head[0]
            entry.hash = entry.compute_hash()
            copy.write_row((
                entry.id, entry.organisation_id, entry.record_type, entry.record_id, entry.action, entry.name, None,
                entry.actor_role, entry.created_at, entry.from_state, entry.to_state, entry.reason, entry.payload_digest,
                entry.format, "{}", entry.actor_ref, entry.prev_hash, entry.hash,
            ))  # fmt: skip
            chain_head[0], chain_head[1], chain_head[2] = entry.hash, entry.id, chain_head[2] + 1
            changed.add(entry.chain)
            if (i + 1) % 250_000 == 0:
                _log(f"audit entries {i + 1:,} / {n:,}", started)
    for chain in changed:
        last_hash, last_id, entries = heads[chain]
        conn.execute(
            "INSERT INTO workflows_auditchainhead (chain, last_hash, last_entry_id, entries) VALUES (%s, %s, %s, %s) "
            "ON CONFLICT (chain) DO UPDATE SET last_hash = EXCLUDED.last_hash, last_entry_id = EXCLUDED.last_entry_id, "
            "entries = EXCLUDED.entries",
            [chain, last_hash, last_id, entries],
        )
    if n:
        conn.execute("SELECT setval(pg_get_serial_sequence('workflows_auditentry', 'id'), %s)", [next_id + n - 1])
    _log(f"{n:,} audit entries", started)
    return n
