"""The notice shown at every point where personal data is collected (PDPA sections 23 and 19):
why it is collected, on what legal basis, how long it is kept and who receives it.

One template renders every notice (`{% privacy_notice "signature" organisation %}`, from
accounts/templatetags/privacy.py); the text of each kind of collection is here, so pages, the API
(`GET /api/v1/privacy/notices/`) and the docs say the same thing. Retention periods come from the
settings the purge uses (PDPA_SIGNATURE_RETENTION_DAYS, PDPA_MAIL_RETENTION_DAYS), so the notice
never promises something the purge does not do.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _

from ..selectors import default_organisation

# Each kind of collection, with the heading it has on the privacy page.
TITLES = {
    "registration": gettext_lazy("Your account"),
    "petition": gettext_lazy("Starting a petition"),
    "sponsor": gettext_lazy("Sponsoring a petition"),
    "signature": gettext_lazy("Signing a petition"),
    "signature_ordinance": gettext_lazy("Signing a local ordinance initiative"),
    "consultation": gettext_lazy("Taking part in a consultation"),
    "notifications": gettext_lazy("Following and notifications"),
}
KINDS = tuple(TITLES)


@dataclass(frozen=True)
class Notice:
    kind: str
    title: str
    purpose: str
    basis: str
    retention: str
    recipients: str
    controller: str  # the municipality responsible for the data (PDPA: ผู้ควบคุมข้อมูลส่วนบุคคล)
    contact: str  # how to reach it, when the organisation has an email or phone

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "title": self.title,
            "purpose": self.purpose,
            "legal_basis": self.basis,
            "retention": self.retention,
            "recipients": self.recipients,
            "controller": self.controller,
            "contact": self.contact,
        }


def signature_retention_days() -> int:
    return int(settings.PDPA_SIGNATURE_RETENTION_DAYS)


def mail_retention_days() -> int:
    return int(settings.PDPA_MAIL_RETENTION_DAYS)


def _days(n: int) -> str:
    return ngettext("%(n)d day", "%(n)d days", n) % {"n": n}


def _texts(kind: str, org: str) -> tuple[str, str, str, str]:
    """(purpose, legal basis, retention, recipients) of one kind of collection, in the active language."""
    sig_days, mail_days = _days(signature_retention_days()), _days(mail_retention_days())
    erase = _("You can download your data or ask for its erasure on the “Your personal data” page.")
    if kind == "registration":
        return (
            _(
                "To run your account: to sign you in, to let you start and sign petitions and take part in "
                "consultations, and to send you the emails you ask for. We ask only for your email, your name "
                "and your village (หมู่ที่)."
            ),
            _("Your consent (Personal Data Protection Act B.E. 2562, section 19), given by registering."),
            _(
                "As long as you keep the account. When you ask for erasure your name, email and village are "
                "removed and the account is closed. %(erase)s"
            )
            % {"erase": erase},
            _(
                "Staff of %(org)s who run petitions and consultations, and the mail service that delivers our "
                "emails. Your email is never published or given to anyone else."
            )
            % {"org": org},
        )
    if kind == "petition":
        return (
            _("To publish your petition with your name as its author and to tell you what happens to it."),
            _(
                "Your consent (PDPA section 19), given by starting the petition; answering it is a public task "
                "of the municipality (section 24(4))."
            ),
            _(
                "As long as the petition is published: it is part of the public record. If you ask for erasure, "
                "your name on it is replaced by “a resident”."
            ),
            _("Everyone: your name is shown as the author. Staff of %(org)s see your account to check and answer the petition.")
            % {"org": org},
        )
    if kind == "sponsor":
        return (
            _("To count you as one of the sponsors the petition needs before the municipality checks it."),
            _("Your consent (PDPA section 19), given by pressing the button."),
            _("With the petition's record. If you ask for erasure your name is removed; the number of sponsors stays."),
            _("Only staff of %(org)s see who sponsored; the public sees only the number.") % {"org": org},
        )
    if kind == "signature":
        return (
            _(
                "To count your signature once, confirm it by email and show the number of signatures by village. "
                "Your name and email are never published."
            ),
            _("Your consent (PDPA section 19), given with the box below. Without it you cannot sign."),
            _(
                "Your name, email and a protected fingerprint of your internet address are deleted %(days)s after "
                "the petition ends; the counts by village stay."
            )
            % {"days": sig_days},
            _(
                "Staff of %(org)s, who check signatures for fraud, and the mail service that sends your "
                "confirmation link. Only counts are published."
            )
            % {"org": org},
        )
    if kind == "signature_ordinance":
        return (
            _(
                "To count and verify your signature on a local ordinance initiative, which only voters of the "
                "municipality may sign, and to file it with the local council."
            ),
            _(
                "A legal obligation (PDPA section 24(6)) under the Local Ordinance Initiative Act B.E. 2565, and "
                "your consent given with the box below. Your national ID number is kept only as a protected "
                "fingerprint and its last 4 digits."
            ),
            _(
                "Your name, email and ID fingerprint are deleted %(days)s after the initiative ends (the council "
                "decides it, or it closes without enough signatures); the counts by village stay. You may "
                "withdraw your signature until it is submitted."
            )
            % {"days": sig_days},
            _(
                "Staff of %(org)s and the local council, who check that signers are voters, and the mail service "
                "that sends your confirmation link. Never published."
            )
            % {"org": org},
        )
    if kind == "consultation":
        return (
            _(
                "To take part in this consultation: the problems, alternatives and comments you write, your "
                "support, your vote and your reports, counted by village for the published summary."
            ),
            _(
                "The municipality's public task of hearing residents (PDPA section 24(4)); you choose what to "
                "write and whether to vote."
            ),
            _(
                "What you write is part of the consultation's public record and is kept with it. If you ask for "
                "erasure your name is removed from it; the text, your village and the counts stay. Your vote is "
                "secret and kept only as part of the tally."
            ),
            _(
                "Everyone sees what you publish, with your name on comments; staff of %(org)s moderate it. "
                "Nobody sees how you voted."
            )
            % {"org": org},
        )
    if kind == "notifications":
        return (
            _("To tell you about what you follow, the way you choose here."),
            _("Your consent (PDPA section 19), given by following and choosing here."),
            _(
                "Until you change it, unfollow or ask for erasure. Messages we sent you (with your email) are "
                "deleted %(days)s after they were sent."
            )
            % {"days": mail_days},
            _("Only you, and the mail service that delivers email."),
        )
    raise AssertionError(kind)


def notice(kind: str, organisation=None) -> Notice:
    """The notice for `kind` (one of KINDS) as collected by `organisation` (default: the site's first)."""
    if kind not in TITLES:
        raise ValueError(f"unknown privacy notice {kind!r}; one of {', '.join(KINDS)}")
    if organisation is None:
        organisation = default_organisation()
    org = organisation.display_name(get_language() or "th") if organisation else _("the municipality")
    contact = ""
    if organisation is not None and (organisation.email or organisation.phone):
        contact = " · ".join(part for part in (organisation.email, organisation.phone) if part)
    purpose, basis, retention, recipients = _texts(kind, org)
    return Notice(kind, str(TITLES[kind]), purpose, basis, retention, recipients, controller=org, contact=contact)
