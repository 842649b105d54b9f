from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectConfig(AppConfig):
    """The project itself as an app: it holds project-wide management commands (seed_demo)."""

    name = "config"
    verbose_name = _("Ruamkid")
