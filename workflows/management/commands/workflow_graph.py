from django.apps import apps
from django.core.management.base import BaseCommand, CommandError

from workflows import registry
from workflows.graph import to_dot, to_mermaid


class Command(BaseCommand):
    help = "Draw the state machine(s) of a workflow model: workflow_graph petitions.Petition --format mermaid|dot"

    def add_arguments(self, parser):
        parser.add_argument("model", help="app_label.Model, e.g. petitions.Petition")
        parser.add_argument("--format", choices=["mermaid", "dot"], default="mermaid")

    def handle(self, *args, model: str, format: str, **options):  # noqa: A002 (the option's name)
        try:
            model_cls = apps.get_model(model)
        except (LookupError, ValueError) as exc:
            raise CommandError(f"unknown model {model!r} (expected app_label.Model)") from exc
        try:
            registry.machine_for(model_cls)
        except LookupError as exc:
            known = ", ".join(sorted(m.model._meta.label for m in registry.machines())) or "none"
            raise CommandError(f"{model_cls._meta.label} has no registered workflow (registered: {known})") from exc
        self.stdout.write(to_mermaid(model_cls) if format == "mermaid" else to_dot(model_cls), ending="")
