"""`manage.py petitions_check`: deadline-near reminders to staff and threshold reconciliation.
The same work runs every five minutes under Celery beat (PetitionsConfig.ready())."""

from django.core.management.base import BaseCommand

from petitions.services import petitions_check


class Command(BaseCommand):
    help = "Send 'deadline near' reminders for petitions to staff and make any missed threshold moves."

    def handle(self, *args, **options):
        result = petitions_check()
        self.stdout.write(f"reminders sent: {result['reminders']}, threshold moves: {result['thresholds']}")
