from django.contrib import admin

from .models import Delivery, Notification, OutboxEvent, WebhookEndpoint


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ["organisation", "url", "active", "created_at"]
    list_filter = ["active", "organisation"]


@admin.register(OutboxEvent)
class OutboxEventAdmin(admin.ModelAdmin):
    list_display = ["id", "event", "record_type", "record_id", "created_at", "relayed_at", "attempts"]
    list_filter = ["event"]
    readonly_fields = [f.name for f in OutboxEvent._meta.fields]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["id", "event", "channel", "status", "attempts", "sent_at", "last_error"]
    list_filter = ["status", "channel"]
    raw_id_fields = ["event", "user", "endpoint"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["id", "user", "event", "title", "created_at", "read_at"]
    raw_id_fields = ["user", "source"]
