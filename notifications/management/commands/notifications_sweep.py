"""Relay what is left in the outbox and queue stranded deliveries once (what the beat sweep
does every 15 s). For installs without beat (the embedded default), run it from cron."""

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Relay pending outbox events and re-queue stranded deliveries; --digest also sends the daily digest."

    def add_arguments(self, parser):
        parser.add_argument("--digest", action="store_true", help="also send the daily digest now")

    def handle(self, *args, **options):
        from notifications.relay import sweep
        from notifications.tasks import send_daily_digest

        result = sweep()
        if options["digest"]:
            result["digests"] = send_daily_digest()
        self.stdout.write(" ".join(f"{k}={v}" for k, v in result.items()))
