"""petitions_email_blocked(organisation, email): whether the organisation blocked the address, its
domain or a parent domain (petitions.controls; PostgreSQL only: SQLite takes the portable path,
which checks in Python). The confirm statement calls it: written out inline, the block check
pushed the statement's text past what pg_stat_activity keeps (track_activity_query_size)."""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION petitions_email_blocked(org bigint, email text) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT EXISTS (
        SELECT 1 FROM petitions_signingblock b
        WHERE b.organisation_id = org
          AND (b.value = email
               OR (b.kind = 'domain' AND (split_part(email, '@', 2) = b.value
                   OR right(split_part(email, '@', 2), length(b.value) + 1) = '.' || b.value)))
    )
$$
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS petitions_email_blocked(bigint, text)")


class Migration(migrations.Migration):
    dependencies = [("petitions", "0010_signature_restore")]
    operations = [migrations.RunPython(create, drop)]
