from django.contrib import admin

from .models import PetitionPolicy


@admin.register(PetitionPolicy)
class PetitionPolicyAdmin(admin.ModelAdmin):
    """Admins tune every number of the petition rules per organisation here."""

    list_display = [
        "organisation",
        "sponsors_required",
        "signing_days",
        "response_threshold",
        "council_threshold",
        "ordinance_threshold",
    ]
