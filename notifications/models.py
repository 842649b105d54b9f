"""Transactional outbox. Rows are written in the same transaction as the change they
announce; the relay (notifications.tasks) claims and fans them out after commit."""

from django.db import models
from django.utils import timezone


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
