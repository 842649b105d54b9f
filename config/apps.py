from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectConfig(AppConfig):
    """The project itself as an app: project-wide management commands (seed_demo) and tasks
    (the worker heartbeat of /healthz)."""

    name = "config"
    verbose_name = _("Ruamkid")

    def ready(self) -> None:
        from django.conf import settings

        # Mutated in place, like every app's entries: Celery reads this dict when beat starts.
        # A heartbeat that waited a whole period in the queue is dropped (the next one is due).
        every = float(settings.HEALTH_HEARTBEAT_SECONDS)
        settings.CELERY_BEAT_SCHEDULE["health-heartbeat"] = {
            "task": "config.heartbeat",
            "schedule": every,
            "options": {"expires": every},
        }
