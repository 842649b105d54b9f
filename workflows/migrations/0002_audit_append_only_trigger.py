"""On PostgreSQL, refuse UPDATE and DELETE of audit entries in the database itself.

TRUNCATE (used by test flushes and by a deliberate operator reset) is a statement, not a
row change, and is not blocked.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION workflows_audit_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'workflows_auditentry is append-only (% refused)', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER workflows_auditentry_append_only
  BEFORE UPDATE OR DELETE ON workflows_auditentry
  FOR EACH ROW EXECUTE FUNCTION workflows_audit_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS workflows_auditentry_append_only ON workflows_auditentry;
DROP FUNCTION IF EXISTS workflows_audit_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)  # no placeholders: "%" is PL/pgSQL


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("workflows", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
