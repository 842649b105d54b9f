"""{% load privacy %}{% privacy_notice "signature" petition.organisation %}: the PDPA notice at a
point of collection (accounts/privacy/notices.py holds the text of each kind)."""

from django import template

from accounts.privacy import notice

register = template.Library()


@register.inclusion_tag("accounts/_privacy_notice.html")
def privacy_notice(kind: str, organisation=None):
    return {"notice": notice(kind, organisation)}
