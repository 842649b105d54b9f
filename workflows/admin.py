"""Django admin for the engine's tables. The audit trail is read-only here as everywhere."""

from django.contrib import admin
from django.db import transaction

from accounts.models import Membership

from .models import AuditChainHead, AuditCheckpoint, AuditEntry, AuditWebhook, Deadline
from .services import audit_append, membership_grant, membership_revoke, policy_fields, policy_update


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["id", "created_at", "record_type", "record_id", "name", "actor_role", "from_state", "to_state"]
    list_filter = ["action", "record_type", "actor_role"]
    search_fields = ["record_id", "name", "hash"]
    date_hierarchy = "created_at"
    show_full_result_count = False

    def get_actions(self, request):
        return {}  # no "delete selected"

    def get_queryset(self, request):
        from . import registry

        # Entries of private records (integrity reports) are for their own role's pages only.
        return super().get_queryset(request).exclude(record_type__in=registry.private_labels())


@admin.register(AuditChainHead)
class AuditChainHeadAdmin(ReadOnlyAdmin):
    list_display = ["chain", "entries", "last_entry_id", "last_hash"]


@admin.register(Deadline)
class DeadlineAdmin(admin.ModelAdmin):
    list_display = ["id", "record_type", "record_id", "transition", "due_at", "done_at", "outcome"]
    list_filter = ["record_type", "transition", "outcome"]
    search_fields = ["record_id"]
    readonly_fields = ["record_type", "record_id", "transition", "created_at", "done_at", "outcome"]

    def has_add_permission(self, request):
        return False  # deadlines are scheduled by the domain services

    def save_model(self, request, obj, form, change):
        """Moving a deadline by hand changes when a record moves: audited with both dates."""
        with transaction.atomic():
            before = Deadline.objects.select_for_update().get(pk=obj.pk)
            super().save_model(request, obj, form, change)
            if before.due_at != obj.due_at:
                audit_append(
                    action=AuditEntry.Action.MODERATION, name="deadline_changed", actor=request.user,
                    record_type=obj.record_type, record_id=obj.record_id, organisation_id=_organisation_of(obj),
                    payload={"transition": obj.transition, "due_at_before": before.due_at.isoformat(),
                             "due_at": obj.due_at.isoformat()},
                )  # fmt: skip


def _organisation_of(deadline: Deadline) -> int | None:
    from . import registry

    machine = registry.machine_by_label(deadline.record_type)
    record = machine.model._default_manager.filter(pk=deadline.record_id).first() if machine else None
    return getattr(record, "organisation_id", None)


@admin.register(AuditCheckpoint)
class AuditCheckpointAdmin(ReadOnlyAdmin):
    list_display = ["id", "created_at", "entry_id", "entries", "reason"]


@admin.register(AuditWebhook)
class AuditWebhookAdmin(admin.ModelAdmin):
    """Outside parties that receive every signed checkpoint (docs/AUDIT.md)."""

    list_display = ["url", "active", "last_status", "last_sent_at"]
    readonly_fields = ["last_status", "last_sent_at", "created_at"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    """Roles change only through membership_grant / membership_revoke, so each change is audited."""

    list_display = ["user", "organisation", "role", "granted_at", "granted_by"]
    list_filter = ["organisation", "role"]
    search_fields = ["user__email", "user__full_name"]
    autocomplete_fields = ["user"]
    fields = ["user", "organisation", "role"]

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        membership = membership_grant(admin=request.user, user=obj.user, organisation=obj.organisation, role=obj.role)
        obj.pk = membership.pk

    def delete_model(self, request, obj):
        membership_revoke(admin=request.user, user=obj.user, organisation=obj.organisation, role=obj.role)

    def delete_queryset(self, request, queryset):
        for obj in queryset.select_related("user", "organisation"):
            self.delete_model(request, obj)


class AuditedPolicyAdmin(admin.ModelAdmin):
    """For a per-organisation policy (petition rules, consultation rules): every save goes through
    workflows.services.policy_update, so each change is audited with its values before and after.
    No delete: it would bring back the defaults without an entry."""

    def get_readonly_fields(self, request, obj=None):
        return ["organisation"] if obj is not None else []

    def has_delete_permission(self, request, obj=None):
        return False

    def update(self, request, obj):
        """The audited write; an app may wrap it (to drop its caches)."""
        values = {name: getattr(obj, name) for name in policy_fields(type(obj))}
        return policy_update(type(obj), organisation_id=obj.organisation_id, actor=request.user, values=values)

    def save_model(self, request, obj, form, change):
        obj.pk = self.update(request, obj).pk
