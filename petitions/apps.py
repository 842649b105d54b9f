from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PetitionsConfig(AppConfig):
    name = "petitions"
    verbose_name = _("Petitions")

    def ready(self):
        from django.conf import settings

        from accounts import privacy
        from notifications.services import audience_source
        from workflows import registry

        from . import machine, selectors, where
        from . import privacy as petition_privacy
        from .models import Petition, Signature

        registry.register(
            Petition,
            api_name="petitions",
            notify=machine.on_move,
            title=machine.title,
            public_url=machine.public_url,
            visible_to=machine.visible_to,
            published=machine.published,
            attach_parts=machine.attach_parts,
            may_attach=machine.may_attach,
            step_help=where.step_help,
            confirm={"reject", "hide"},  # a rejection is public; hiding takes it from the public
        )
        # Signatures: a declared machine whose moves petitions.signing makes (the hot path), with
        # no chain entry per move; their own log is sealed in batches (petitions.siglog).
        registry.register(Signature, api_name="signatures", lean=True)
        from workflows import anchoring
        from workflows.selectors import register_check

        from . import siglog

        anchoring.before_checkpoint(siglog.seal_all)  # hourly, by beat's "workflows.checkpoint"
        register_check(siglog.verify)  # manage.py verify_audit and /api/v1/audit/verify/
        # Personal data (PDPA): signers in a person's export and erasure, and the retention purge.
        privacy.register("petitions", export=petition_privacy.export, erase=petition_privacy.erase, purge=petition_privacy.purge)
        # "Close the loop": the outcome events name this audience; the relay asks for it at fan-out.
        audience_source(machine.SIGNERS, selectors.signers_audience)
        # The periodic check: "deadline near" reminders and threshold reconciliation.
        settings.CELERY_BEAT_SCHEDULE.setdefault("petitions-check", {"task": "petitions.check", "schedule": 300.0})
