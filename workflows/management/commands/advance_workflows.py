from django.core.management.base import BaseCommand

from workflows.services import deadlines_advance


class Command(BaseCommand):
    help = "Apply every due deadline once (the Celery beat task does the same every minute)."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=None, help="stop after this many deadlines")

    def handle(self, *args, limit=None, **options):
        counts = deadlines_advance(limit=limit)
        self.stdout.write(f"applied {counts['applied']}, skipped {counts['skipped']}")
