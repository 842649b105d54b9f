from django.contrib import admin

from .models import ChannelAddress, Delivery, Notification, OutboxEvent, SendCounter, WebhookEndpoint


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


@admin.register(ChannelAddress)
class ChannelAddressAdmin(admin.ModelAdmin):
    """Office staff add a resident's phone number here (seen on the ID card or given in person)."""

    list_display = ["user", "channel", "verified_at", "created_at"]
    list_filter = ["channel"]
    raw_id_fields = ["user"]

    def save_model(self, request, obj, form, change):
        from .push import normalise_phone

        if obj.channel == "sms":
            obj.address = normalise_phone(obj.address) or obj.address
        super().save_model(request, obj, form, change)


@admin.register(SendCounter)
class SendCounterAdmin(admin.ModelAdmin):
    list_display = ["channel", "scope", "window", "count"]
    list_filter = ["channel"]
    readonly_fields = ["channel", "scope", "window", "count"]
