"""Every model change comes with its migration (the suite fails otherwise, so CI does too)."""

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_no_model_change_lacks_a_migration():
    # Exits with SystemExit(1) and names the app when a migration is missing.
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
