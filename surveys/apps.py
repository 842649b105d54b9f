from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = _("Surveys")

    def ready(self):
        from workflows import registry

        from . import services
        from .models import Survey
        from .rules import can_see

        registry.register(
            Survey,
            api_name="surveys",
            notify=services.survey_on_move,
            title=lambda s: s.title,
            public_url=lambda s: s.get_absolute_url(),
            visible_to=lambda s, user: can_see(s, user),
        )
