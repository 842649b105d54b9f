from django.core.management.base import BaseCommand, CommandError

from accounts.models import Organisation
from surveys.services import closes_default, survey_from_template
from surveys.templates_data import TEMPLATES
from workflows.services import SYSTEM


class Command(BaseCommand):
    help = "Create a draft survey from a standard template (default: the Thai satisfaction survey of municipal services)."

    def add_arguments(self, parser):
        parser.add_argument("--organisation", required=True, help="organisation slug")
        parser.add_argument("--template", default="satisfaction", choices=sorted(TEMPLATES))

    def handle(self, *args, organisation, template, **options):
        org = Organisation.objects.filter(slug=organisation).first()
        if org is None:
            raise CommandError(f"no organisation {organisation!r}")
        survey = survey_from_template(organisation=org, actor=SYSTEM, key=template, closes_at=closes_default())
        self.stdout.write(f"created draft survey {survey.pk}: {survey.title} ({survey.questions.count()} questions)")
