from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from celery.schedules import crontab
        from django.conf import settings

        from . import conf

        # Mutated in place: Celery reads the same dict object when beat starts.
        schedule = settings.CELERY_BEAT_SCHEDULE
        schedule["notifications-sweep"] = {"task": "notifications.sweep", "schedule": float(conf.SWEEP_SECONDS)}
        schedule["notifications-daily-digest"] = {
            "task": "notifications.send_daily_digest",
            "schedule": crontab(hour=conf.DIGEST_HOUR, minute=0),
        }
