"""Django admin: categories (with their service levels) and divisions. Complaints themselves are
handled on the staff pages, where every move is audited; integrity reports are deliberately not
registered here at all (only the integrity role sees them, on their own pages)."""

from django.contrib import admin

from .models import Category, Division


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "name_en", "code", "organisation", "sla_days", "warn_hours", "active", "order"]
    list_filter = ["organisation", "active"]
    list_editable = ["sla_days", "warn_hours", "active", "order"]


@admin.register(Division)
class DivisionAdmin(admin.ModelAdmin):
    list_display = ["name", "name_en", "organisation", "active"]
    list_filter = ["organisation", "active"]
