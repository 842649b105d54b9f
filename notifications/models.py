"""Transactional outbox. Rows are written in the same transaction as the change they
announce; the relay (notifications.tasks) claims and fans them out after commit."""

import secrets

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def _new_secret() -> str:
    return secrets.token_urlsafe(32)


class OutboxEvent(models.Model):
    event = models.CharField(max_length=100)  # e.g. "petition.opened"
    organisation = models.ForeignKey("accounts.Organisation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # The record the event is about ("petitions.petition", "12"): followers of it are an audience.
    record_type = models.CharField(max_length=100, blank=True)
    record_id = models.CharField(max_length=64, blank=True)
    data = models.JSONField(default=dict)  # everything a message needs; the relay reads no domain table
    audience = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    relayed_at = models.DateTimeField(null=True, blank=True, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.event}"


class Subscription(models.Model):
    """A person follows a record (a consultation, a petition). `auto` marks follows made
    because they took part; the page says so and one click removes it."""

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="subscriptions")
    record_type = models.CharField(max_length=100)
    record_id = models.CharField(max_length=64)
    auto = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "record_type", "record_id"], name="subscription_unique")]
        indexes = [models.Index(fields=["record_type", "record_id"], name="subscription_record_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} follows {self.record_type}:{self.record_id}"


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    INAPP = "inapp", _("In this site (inbox)")
    WEBHOOK = "webhook", _("Webhook")
    LINE = "line", _("LINE")
    SMS = "sms", _("SMS (text message)")


# Channels that reach a person at an address of their own (ChannelAddress), by push.
PUSH_CHANNELS = (Channel.LINE, Channel.SMS)


class Mode(models.TextChoices):
    IMMEDIATE = "immediate", _("Immediately")
    DIGEST = "digest", _("Daily digest")
    OFF = "off", _("Off")


class Preference(models.Model):
    """How one person wants one channel: immediately, in a daily digest, or not at all, for one
    event type (`event`) or for every event type they did not choose for (`event` empty).
    No row means the channel's default (email and inbox: immediately; LINE and SMS: off).
    Transactional mail ignores it (see conf.TRANSACTIONAL)."""

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="notification_preferences")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    event = models.CharField(max_length=100, blank=True, default="")
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.IMMEDIATE)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "channel", "event"], name="preference_unique_channel_event")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.channel}{'/' + self.event if self.event else ''}={self.mode}"


class ChannelAddress(models.Model):
    """Where one person is reached on LINE (their LINE user id, filled by the LINE Login link)
    or by SMS (a phone number). Only verified addresses get messages."""

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="channel_addresses")
    channel = models.CharField(max_length=10, choices=[(c.value, c.label) for c in PUSH_CHANNELS])
    address = models.CharField(max_length=100)
    verified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "channel"], name="channel_address_unique"),
            # A LINE account reaches one person of the site (a phone may be a household's).
            models.UniqueConstraint(fields=["address"], condition=models.Q(channel="line"), name="channel_address_line_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.channel}"


class SendCounter(models.Model):
    """Messages sent on a paid channel in one window: per recipient per hour, per organisation per
    day (channels.Throttle). Taken with a conditional UPDATE, so two workers never both pass a full one."""

    channel = models.CharField(max_length=10)
    scope = models.CharField(max_length=120)  # "to:<address>" or "org:<id>"
    window = models.DateTimeField()  # start of the hour or the day
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["channel", "scope", "window"], name="send_counter_unique")]

    def __str__(self) -> str:
        return f"{self.channel} {self.scope} {self.window:%Y-%m-%d %H}: {self.count}"


class Delivery(models.Model):
    """One message of one event to one recipient on one channel. `key` (event + channel +
    recipient) is unique, so a relay run twice, or two relays at once, create nothing twice.

    pending → sending (claimed with a lease) → sent | failed; digest → sent by the daily digest.
    A claim whose lease ran out (worker killed) is taken again by the sweep."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")
        DIGEST = "digest", _("waiting for the daily digest")
        REFUSED = "refused", _("refused: over the sending limit")

    event = models.ForeignKey(OutboxEvent, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    key = models.CharField(max_length=300, unique=True)
    user = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    email = models.CharField(max_length=254, blank=True)  # for email: the address used
    address = models.CharField(max_length=100, blank=True)  # for LINE: the user id; for SMS: the phone number
    counted = models.BooleanField(default=False)  # LINE/SMS: taken from the sending limits (once per delivery)
    name = models.CharField(max_length=200, blank=True)
    language = models.CharField(max_length=5, default="th")
    endpoint = models.ForeignKey(
        "notifications.WebhookEndpoint", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    claim = models.CharField(max_length=32, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["status", "channel"], name="delivery_status_idx"),
            models.Index(fields=["claim"], name="delivery_claim_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.status}"


class Notification(models.Model):
    """An in-app inbox entry. One per (event, user)."""

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="notifications")
    source = models.ForeignKey(OutboxEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    event = models.CharField(max_length=100)
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["source", "user"], name="notification_unique_event_user")]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_unread_idx")]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.title}"


class WebhookEndpoint(models.Model):
    """An integrator's URL for one organisation. Each POST carries
    X-Ruamkid-Signature: sha256=HMAC(secret, "<timestamp>.<body>") and X-Ruamkid-Timestamp."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.URLField(max_length=500)
    secret = models.CharField(max_length=100, default=_new_secret)
    events = models.JSONField(default=list, blank=True)  # empty: every public event
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.organisation_id} → {self.url}"

    def wants(self, event: str) -> bool:
        return self.active and (not self.events or event in self.events)


class AddressOptOut(models.Model):
    """Someone without an account (a petition's signer by email) stopped update mail about one record
    from the link in a mail. The relay leaves the address out of that record's update events;
    transactional mail (a confirmation they ask for) still goes."""

    email = models.CharField(max_length=254)
    record_type = models.CharField(max_length=100)
    record_id = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["record_type", "record_id", "email"], name="address_optout_unique")]

    def __str__(self) -> str:
        return f"{self.email} stopped {self.record_type}:{self.record_id}"
