"""consultations_ballot_cast(...): cast or change one voter's ballot in one call (consultations.voting;
PostgreSQL only: SQLite takes the portable path in services.ballot_cast).

A PL/pgSQL function rather than one statement with CTEs, because it needs its steps in order: in
READ COMMITTED each statement of a function takes a fresh snapshot, so after the upsert has locked
the voter's ballot row (waiting for the same voter's other request to commit), the DELETE of its
choices sees the choices that request wrote. The CTEs of one statement share one snapshot and
would miss them: two choices on one ballot, a tally off by one.

The rule (states, levels, roles) comes in as parameters from consultations.rules, so it is declared
in one place. It returns no row when anything is not as the plain case needs it; the service then
asks the portable code why, so every refusal is the one the portable code gives."""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION consultations_ballot_cast(
    p_consultation bigint, p_voter bigint, p_wanted bigint[], p_now timestamptz,
    p_states text[], p_levels text[], p_roles text[], p_confirmed_roles text[], p_single text, p_published text,
    p_record_type text)
RETURNS TABLE (ballot_id bigint, village_id bigint, created_at timestamptz, changes integer)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    c_id bigint;
    c_org bigint;
    c_voting text;
    v_village bigint;
    b_id bigint;
    b_village bigint;
    b_created timestamptz;
    b_changes integer;
BEGIN
    -- FOR SHARE: many voters hold it at once; a stage move (FOR UPDATE) waits for them, and a
    -- cast that waited reads the moved row, so no ballot lands after the stage closed.
    SELECT k.id, k.organisation_id, k.voting INTO c_id, c_org, c_voting
    FROM consultations_consultation k
    WHERE k.id = p_consultation AND k.state = ANY(p_states) AND k.level = ANY(p_levels)
    FOR SHARE;
    IF NOT FOUND THEN RETURN; END IF;
    SELECT u.village_id INTO v_village FROM accounts_user u
    WHERE u.id = p_voter AND u.is_active AND EXISTS (
        SELECT 1 FROM accounts_membership m WHERE m.user_id = u.id AND m.organisation_id = c_org
            AND m.role = ANY(p_roles) AND (u.email_confirmed_at IS NOT NULL OR NOT m.role = ANY(p_confirmed_roles)));
    IF NOT FOUND THEN RETURN; END IF;
    IF c_voting = p_single AND cardinality(p_wanted) <> 1 THEN RETURN; END IF;
    IF EXISTS (SELECT 1 FROM consultations_consultation_villages cv WHERE cv.consultation_id = c_id)
       AND (v_village IS NULL OR NOT EXISTS (SELECT 1 FROM consultations_consultation_villages cv
            WHERE cv.consultation_id = c_id AND cv.village_id = v_village)) THEN
        RETURN;
    END IF;
    IF (SELECT count(*) FROM consultations_alternative a WHERE a.consultation_id = c_id
            AND a.id = ANY(p_wanted) AND a.visibility = p_published) <> cardinality(p_wanted) THEN
        RETURN;
    END IF;
    -- Run twice with the same p_now (a retry after a lost connection), it counts no extra change.
    INSERT INTO consultations_ballot AS b (consultation_id, voter_id, village_id, created_at, updated_at, changes)
    VALUES (c_id, p_voter, v_village, p_now, p_now, 0)
    ON CONFLICT (consultation_id, voter_id) DO UPDATE
        SET updated_at = EXCLUDED.updated_at,
            changes = b.changes + CASE WHEN b.updated_at = EXCLUDED.updated_at THEN 0 ELSE 1 END
    RETURNING b.id, b.village_id, b.created_at, b.changes INTO b_id, b_village, b_created, b_changes;
    DELETE FROM consultations_ballotchoice ch WHERE ch.ballot_id = b_id;
    INSERT INTO consultations_ballotchoice (ballot_id, alternative_id) SELECT b_id, w FROM unnest(p_wanted) AS w;
    INSERT INTO notifications_subscription (user_id, record_type, record_id, auto, created_at)
    VALUES (p_voter, p_record_type, c_id::text, true, p_now)
    ON CONFLICT (user_id, record_type, record_id) DO NOTHING;
    RETURN QUERY SELECT b_id, b_village, b_created, b_changes;
END
$$
"""
SIGNATURE = "bigint, bigint, bigint[], timestamptz, text[], text[], text[], text[], text, text, text"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP FUNCTION IF EXISTS consultations_ballot_cast({SIGNATURE})")


class Migration(migrations.Migration):
    dependencies = [("consultations", "0006_edit_and_withdraw"), ("notifications", "0002_subscription"), ("accounts", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
