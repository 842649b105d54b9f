"""Django admin for people and organisations. Roles are granted in workflows' admin (audited)."""

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from workflows.admin import ReadOnlyAdmin

from .forms import ThrottledLogin
from .models import IdentityVerification, Organisation, User, Village


class AdminLoginForm(ThrottledLogin, AdminAuthenticationForm):
    """The admin's sign-in, paused against guessing like the site's (staff accounts most of all)."""


admin.site.login_form = AdminLoginForm


class VillageInline(admin.TabularInline):
    model = Village
    extra = 0


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "name_en", "slug", "email", "phone"]
    search_fields = ["name", "name_en", "slug"]
    prepopulated_fields = {"slug": ["name_en"]}
    inlines = [VillageInline]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "language", "email_confirmed_at", "is_active", "is_staff"]
    list_filter = ["is_active", "is_staff", "is_superuser", "language"]
    search_fields = ["email", "full_name"]
    readonly_fields = ["date_joined", "last_login", "identity_level", "identity_verified_at"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Person"), {"fields": ["full_name", "language", "village", "email_confirmed_at"]}),
        (_("Django admin"), {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        (_("Identity"), {"fields": ["identity_level", "identity_verified_at"]}),
        (_("Dates"), {"fields": ["date_joined", "last_login"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "full_name", "password1", "password2"]})]
    filter_horizontal = ["groups", "user_permissions"]


@admin.register(IdentityVerification)
class IdentityVerificationAdmin(ReadOnlyAdmin):
    """Who verified whom, when and where: read only (staff verify on /accounts/verification/office/,
    audited; ThaID verifications are the person's own)."""

    list_display = ["user", "method", "organisation", "verified_by", "verified_at"]
    list_filter = ["method", "organisation"]
    search_fields = ["user__email"]
