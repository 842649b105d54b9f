import sys

from django.core.management.base import BaseCommand

from workflows.selectors import audit_verify


class Command(BaseCommand):
    help = "Recompute the audit hash chain. Exit 0 with 'OK: N entries', or exit 1 naming the first broken entry."

    def handle(self, *args, **options):
        report = audit_verify()
        if report.ok:
            self.stdout.write(f"OK: {report.entries} entries")
            return
        broken = report.first_broken or {}
        self.stderr.write(
            f"BROKEN at entry #{broken.get('id')} ({report.code}): {report.problem}; {report.entries} entries before it verified"
        )
        sys.exit(1)
