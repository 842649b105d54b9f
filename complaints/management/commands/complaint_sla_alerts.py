from django.core.management.base import BaseCommand

from complaints.services import complaint_sla_alerts


class Command(BaseCommand):
    help = "Alert staff once about complaints whose deadline is near or has passed (the beat task does this every 15 minutes)."

    def handle(self, *args, **options):
        counts = complaint_sla_alerts()
        self.stdout.write(f"warned {counts['warned']}, overdue {counts['overdue']}")
