"""Template filters for Thai dates; loaded as a builtin (config.settings TEMPLATES)."""

from django import template

from accounts import thai

register = template.Library()


@register.filter
def thaidate(value, arg: str = ""):
    """{{ value|thaidate }} → 16 ตุลาคม 2564; {{ value|thaidate:"short" }} → 16 ต.ค. 2564."""
    return thai.format_date(value, short=arg == "short")


@register.filter
def thaidatetime(value):
    return thai.format_datetime(value)


@register.simple_tag
def thainow():
    """The date and time now, as a page prints it (the print header in base.html)."""
    from django.utils import timezone

    return thai.format_datetime(timezone.now())


@register.filter
def fiscalyear(value):
    return thai.fiscal_year(value) if value else ""
