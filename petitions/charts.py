"""Server-side SVG for the petition page: signatures over time, no JavaScript chart library."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from accounts.thai import format_date

WIDTH, HEIGHT = 400, 190
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 40, 10, 14, 24


def _series(hours: list[tuple[dt.datetime, int]]) -> list[tuple[dt.datetime, int]]:
    """Cumulative counts, by hour for up to three days of data, by day beyond that."""
    if not hours:
        return []
    hours = sorted(hours)
    span = hours[-1][0] - hours[0][0]
    if span > dt.timedelta(days=3):
        by_day: dict[dt.datetime, int] = {}
        for hour, n in hours:
            local = timezone.localtime(hour)
            day = local.replace(hour=0, minute=0, second=0, microsecond=0)
            by_day[day] = by_day.get(day, 0) + n
        hours = sorted(by_day.items())
    total, points = 0, []
    for when, n in hours:
        total += n
        points.append((when, total))
    return points


def signatures_chart(hours: list[tuple[dt.datetime, int]], *, threshold: int | None = None) -> SafeString:
    """An inline <svg> line chart of the cumulative confirmed signatures."""
    points = _series(hours)
    if not points:
        return mark_safe("")  # noqa: S308 (a constant)
    top = max(points[-1][1], threshold or 0, 1)
    start, end = points[0][0], points[-1][0]
    span = max((end - start).total_seconds(), 1.0)
    inner_w, inner_h = WIDTH - PAD_LEFT - PAD_RIGHT, HEIGHT - PAD_TOP - PAD_BOTTOM

    def x(when):
        return PAD_LEFT + (0 if len(points) == 1 else inner_w * (when - start).total_seconds() / span)

    def y(n):
        return PAD_TOP + inner_h * (1 - n / top)

    coords = [(PAD_LEFT, y(0))] + [(x(when), y(n)) for when, n in points]
    if len(points) == 1:
        coords.append((PAD_LEFT + inner_w, y(points[0][1])))
    polyline = " ".join(f"{cx:.1f},{cy:.1f}" for cx, cy in coords)
    guide = ""
    if threshold:
        guide = format_html(
            '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#a40e26" stroke-dasharray="4 3"/>'
            '<text x="{}" y="{}">{}</text>',
            PAD_LEFT, WIDTH - PAD_RIGHT, f"{y(threshold):.1f}", f"{y(threshold):.1f}",
            PAD_LEFT + 4, f"{y(threshold) - 3:.1f}", _("goal %(n)s") % {"n": f"{threshold:,}"},
        )  # fmt: skip
    labels = format_html_join(
        "",
        '<text x="{}" y="{}" text-anchor="{}">{}</text>',
        [
            (PAD_LEFT, HEIGHT - 8, "start", format_date(start, short=True)),
            (WIDTH - PAD_RIGHT, HEIGHT - 8, "end", format_date(end, short=True)),
        ],
    )
    summary = _("Confirmed signatures over time: %(n)s by %(date)s") % {
        "n": f"{points[-1][1]:,}",
        "date": format_date(end),
    }
    return format_html(
        '<svg class="chart chart-line" viewBox="0 0 {w} {h}" width="100%" role="img" aria-label="{label}"'
        ' data-testid="signature-chart">'
        "<title>{label}</title>"
        '<line x1="{pl}" x2="{pl}" y1="{pt}" y2="{base}" stroke="#aab2bf"/>'
        '<line x1="{pl}" x2="{right}" y1="{base}" y2="{base}" stroke="#aab2bf"/>'
        '<text x="{tx}" y="{ty}" text-anchor="end">{top}</text><text x="{tx}" y="{base}" text-anchor="end">0</text>'
        "{guide}"
        '<polyline fill="none" stroke="#0b5e55" stroke-width="2.5" points="{points}"/>'
        "{labels}</svg>",
        w=WIDTH, h=HEIGHT, label=summary, pl=PAD_LEFT, pt=PAD_TOP, base=HEIGHT - PAD_BOTTOM, right=WIDTH - PAD_RIGHT,
        tx=PAD_LEFT - 4, ty=PAD_TOP + 8, top=f"{top:,}", guide=guide, points=polyline, labels=labels,
    )  # fmt: skip
