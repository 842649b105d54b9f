"""GIN trigram indexes for searching petitions (petitions.filters.PetitionFilter, ?q=)."""

from django.db import migrations

from workflows.trigram import trigram_indexes


class Migration(migrations.Migration):
    dependencies = [("petitions", "0003_signature_outcome_and_member"), ("workflows", "0004_pg_trgm")]
    operations = [trigram_indexes("petitions_petition", ["title", "body", "background"])]
