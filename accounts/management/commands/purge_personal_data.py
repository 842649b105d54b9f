from django.core.management.base import BaseCommand

from accounts.privacy.services import personal_data_purge


class Command(BaseCommand):
    help = (
        "PDPA retention purge (Celery beat runs it daily): signers' names, emails and ID/IP fingerprints "
        "PDPA_SIGNATURE_RETENTION_DAYS after a petition ends, sent mail PDPA_MAIL_RETENTION_DAYS after it was "
        "sent. Counts, tallies and the audit chain stay. Safe to run again."
    )

    def handle(self, *args, **options):
        done = personal_data_purge()
        self.stdout.write(", ".join(f"{what}: {n}" for what, n in done.items()))
