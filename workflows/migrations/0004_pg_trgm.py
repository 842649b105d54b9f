"""pg_trgm for text search (workflows.filters, workflows.trigram): a trusted extension since
PostgreSQL 13, so the database owner may create it. Nothing happens on SQLite."""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("workflows", "0003_audit_verifiable_outside")]
    operations = [TrigramExtension()]
