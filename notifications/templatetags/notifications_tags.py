from django import template
from django.conf import settings

from notifications import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def follow_state(context, record):
    """{% follow_state record as follow %}: None when the record cannot be followed."""
    if record is None or getattr(record, "_meta", None) is None:
        return None
    if record._meta.label_lower not in getattr(settings, "NOTIFICATIONS_FOLLOWABLE", []):
        return None
    return selectors.follow_state(user=context.get("user"), record=record)


@register.simple_tag(takes_context=True)
def unread_count(context) -> int:
    return selectors.unread_count(user=context.get("user"))
