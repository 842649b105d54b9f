from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from workflows.admin import AuditedPolicyAdmin

from . import controls, services
from .models import Petition, PetitionPolicy


class PetitionPolicyForm(forms.ModelForm):
    """The signing limits' floors (controls.limit_floor) as form errors, before the audited save."""

    class Meta:
        model = PetitionPolicy
        fields = ["organisation", *services.POLICY_FIELDS]

    def clean(self):
        cleaned = super().clean()
        organisation = cleaned.get("organisation") or getattr(self.instance, "organisation", None)
        current = PetitionPolicy.for_organisation(organisation.pk) if organisation else PetitionPolicy()
        before = {name: getattr(current, name) for name in controls.SIGNING_LIMIT_FIELDS}
        values = {name: cleaned[name] for name in controls.SIGNING_LIMIT_FIELDS if name in cleaned}
        errors, _below = controls.limit_errors(before, values)
        for name, problems in errors.items():
            self.add_error(name, problems)
        return cleaned


@admin.register(PetitionPolicy)
class PetitionPolicyAdmin(AuditedPolicyAdmin):
    """Admins tune every number of the petition rules per organisation here (audited)."""

    form = PetitionPolicyForm

    list_display = [
        "organisation",
        "sponsors_required",
        "signing_days",
        "response_threshold",
        "council_threshold",
        "ordinance_threshold",
    ]

    def update(self, request, obj):
        values = {name: getattr(obj, name) for name in services.POLICY_FIELDS}
        return services.petition_policy_update(actor=request.user, organisation_id=obj.organisation_id, values=values)


class ThresholdsForm(forms.ModelForm):
    reason = forms.CharField(label=_("reason for the change (public)"), widget=forms.Textarea, max_length=2000)

    class Meta:
        model = Petition
        fields = ["sponsors_required", "response_threshold", "council_threshold"]


@admin.register(Petition)
class PetitionAdmin(admin.ModelAdmin):
    """Petitions are read here; only the thresholds of one petition can be changed, with a public
    reason, through services.petition_thresholds_set (audited with both values). States move only
    through the engine."""

    form = ThresholdsForm
    list_display = ["title", "organisation", "kind", "state", "council_threshold", "opened_at"]
    list_filter = ["kind", "state", "organisation"]
    search_fields = ["title"]
    fields = ["title", "kind", "state", "sponsors_required", "response_threshold", "council_threshold", "reason"]
    readonly_fields = ["title", "kind", "state"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        services.petition_thresholds_set(
            petition=obj, actor=request.user, reason=form.cleaned_data["reason"],
            values={name: form.cleaned_data[name] for name in ThresholdsForm.Meta.fields},
        )  # fmt: skip
