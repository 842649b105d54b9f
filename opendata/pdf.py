"""The ITA evidence report as a PDF a clerk can upload (the Thai PDF machinery: workflows.pdf)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import thai
from workflows.pdf import EvidencePDF, pdf_bytes

__all__ = ["EvidencePDF", "ita_pdf"]


def ita_pdf(report) -> bytes:
    """The report of opendata.ita.report() as PDF bytes."""
    pdf = EvidencePDF(title=report.title, organisation=report.organisation_name)
    pdf.add_page()
    pdf.para(report.organisation_name, size=16, bold=True, gap=0)
    pdf.para(report.title, size=14, bold=True, gap=0)
    pdf.para(_("Fiscal year %(year)s: %(period)s") % {"year": report.year_shown, "period": report.period}, size=10)
    pdf.para(
        _(
            "Evidence for the ITA item on stakeholder participation: for every activity the issue, who took part, the "
            "results, and how the results changed the municipality's work. Made by Ruamkid on %(date)s from the public record."
        )
        % {"date": thai.format_date(timezone.localdate())},
        size=9,
        gap=3,
    )
    if not report.activities:
        pdf.para(_("No participation activity in this fiscal year."))
    for n, a in enumerate(report.activities, start=1):
        if pdf.get_y() > pdf.h - 60:
            pdf.add_page()
        pdf.para(f"{n}. {a.title}", size=12.5, bold=True, gap=0)
        pdf.para(f"{a.type_label} · {a.period}", size=9.5, gap=1.5)
        sections = [
            (_("1. The issue"), a.issue),
            (
                _("2. Who took part"),
                [f"{a.participants:,} {a.participants_label}"]
                + ([" · ".join(f"{village}: {count:,}" for village, count in a.by_village)] if a.by_village else [])
                + [_("Channels: %(list)s") % {"list": "; ".join(a.channels)}],
            ),
            (_("3. The results"), a.results),
            (_("4. How the results changed the work"), a.changes),
        ]
        for heading, items in sections:
            pdf.para(heading, size=10.5, bold=True, gap=0.2, indent=2)
            for item in items:
                pdf.para(item, size=10, indent=6, gap=0.4, bullet=True)
        pdf.ln(3)
    if report.evidence:
        pdf.para(_("Satisfaction, complaints and integrity reports"), size=12.5, bold=True, gap=1)
        for heading, lines in report.evidence:
            pdf.para(heading, size=10.5, bold=True, gap=0.2, indent=2)
            for line in lines:
                pdf.para(line, size=10, indent=6, gap=0.4, bullet=True)
    return pdf_bytes(pdf)
