import sys

from django.core.management.base import BaseCommand, CommandError

from workflows.selectors import audit_verify, organisation_chain


class Command(BaseCommand):
    help = (
        "Recompute the audit hash chains (every chain, or one organisation's with --organisation). Exit 0 with "
        "'OK: N entries in C chains', or exit 1 naming the first broken entry."
    )

    def add_arguments(self, parser):
        parser.add_argument("--organisation", help="only this organisation's chain: its id or slug ('site': the site's)")

    def handle(self, *args, organisation=None, **options):
        chain = None
        if organisation:
            chain = organisation_chain(organisation)
            if chain is None:
                raise CommandError(f"no organisation {organisation!r}")
        report = audit_verify(organisation=chain)
        chains = report.extra.get("chains", {})
        if report.ok:
            self.stdout.write(f"OK: {report.entries} entries in {len(chains)} chain{'' if len(chains) == 1 else 's'}")
            for name, entries in chains.items():
                self.stdout.write(f"  {name}: {entries}")
            return
        broken = report.first_broken or {}
        self.stderr.write(
            f"BROKEN at entry #{broken.get('id')} ({report.code}): {report.problem}; {report.entries} entries before it verified"
        )
        sys.exit(1)
