"""Django admin: the per-organisation policy (minimum hearing days, auto-hide threshold, reminder
window) is set here. Consultations are read-only here: their state moves only through the engine."""

from django.contrib import admin

from workflows.admin import AuditedPolicyAdmin

from .models import Consultation, ConsultationPolicy, Stage


@admin.register(ConsultationPolicy)
class ConsultationPolicyAdmin(AuditedPolicyAdmin):
    """Changes are audited with their values before and after (workflows.services.policy_update)."""

    list_display = ["organisation", "min_hearing_days", "auto_hide_reports", "closing_soon_days"]


class StageInline(admin.TabularInline):
    model = Stage
    extra = 0
    can_delete = False
    readonly_fields = ["name", "starts_at", "ends_at", "closing_soon_sent_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Consultation)
class ConsultationAdmin(admin.ModelAdmin):
    list_display = ["title", "organisation", "level", "state", "created_at"]
    list_filter = ["level", "state", "organisation"]
    search_fields = ["title"]
    inlines = [StageInline]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Consultation._meta.concrete_fields] + ["villages"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
