"""`manage.py consultations_closing_soon`: send the "closing soon" reminders now (beat runs it every 15 minutes)."""

from django.core.management.base import BaseCommand

from consultations.services import closing_soon_send


class Command(BaseCommand):
    help = "Announce consultation stages that end within the organisation's reminder window (default 2 days)."

    def handle(self, *args, **options):
        self.stdout.write(f"closing-soon reminders sent: {closing_soon_send()}")
