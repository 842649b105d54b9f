"""GIN trigram indexes for searching consultations, their problems and alternatives
(consultations.filters.ConsultationFilter, ?q=)."""

from django.db import migrations

from workflows.trigram import trigram_indexes


class Migration(migrations.Migration):
    dependencies = [("consultations", "0001_initial"), ("workflows", "0004_pg_trgm")]
    operations = [
        trigram_indexes("consultations_consultation", ["title", "summary", "body"]),
        trigram_indexes("consultations_problem", ["title", "body"]),
        trigram_indexes("consultations_alternative", ["title", "body"]),
    ]
