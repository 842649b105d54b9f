"""The event types a resident can choose a channel for, one by one, on the settings page.
Any other event type follows the person's choice for the channel as a whole."""

from django.utils.translation import gettext_lazy as _

CHOOSABLE_EVENTS = {
    "petition.opened": _("A petition I follow opens for signing"),
    "petition.council_threshold_reached": _("A petition I follow reaches its signature threshold"),
    "petition.responded": _("A petition I follow gets its response"),
    "petition.council_outcome": _("The council decides on a petition I follow"),
    "petition.rejected": _("A petition I follow is rejected"),
    "consultation.stage_opened": _("A consultation I follow opens a new stage"),
    "consultation.closing_soon": _("A consultation I follow closes soon"),
    "consultation.decision_published": _("A consultation I follow publishes its decision"),
    "consultation.progress_update": _("Progress on a decision I follow"),
    "consultation.comment_reply": _("Someone replies to my comment in a consultation"),
    "moderation.outcome": _("A moderator decides on what I wrote"),
    "complaint.resolved": _("My complaint is resolved or answered"),
}
