"""Trigram indexes for the apps' text search (workflows.filters): a migration operation that, on
PostgreSQL, creates a GIN index with pg_trgm's `gin_trgm_ops` on UPPER(column) — the expression
Django's `icontains` compares — so `LIKE '%ไฟส่องสว่าง%'` is an index scan, not a table scan.
On SQLite (the embedded default) it does nothing: a small install scans its few rows.

The pg_trgm extension itself comes from workflows migration 0004 (django.contrib.postgres's
TrigramExtension); an app's migration that adds indexes depends on it.
"""

from __future__ import annotations

from django.db import migrations


def index_name(table: str, column: str) -> str:
    return f"{table}_{column}_trgm"[:63]


def trigram_indexes(table: str, columns: list[str]) -> migrations.RunPython:
    def forwards(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        quote = schema_editor.quote_name
        for column in columns:
            schema_editor.execute(
                f"CREATE INDEX IF NOT EXISTS {quote(index_name(table, column))} ON {quote(table)} "
                f"USING gin (UPPER({quote(column)}::text) gin_trgm_ops)"
            )

    def backwards(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for column in columns:
            schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(index_name(table, column))}")

    return migrations.RunPython(forwards, backwards, elidable=False)
