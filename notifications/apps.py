from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from celery.schedules import crontab
        from django.conf import settings

        from accounts import privacy

        from . import conf
        from . import privacy as notification_privacy

        # Personal data (PDPA): follows, preferences, inbox and mail; sent mail is purged after a while.
        privacy.register(
            "notifications",
            export=notification_privacy.export,
            erase=notification_privacy.erase,
            purge=notification_privacy.purge,
        )
        # Mutated in place: Celery reads the same dict object when beat starts.
        schedule = settings.CELERY_BEAT_SCHEDULE
        schedule["notifications-sweep"] = {"task": "notifications.sweep", "schedule": float(conf.SWEEP_SECONDS)}
        schedule["notifications-daily-digest"] = {
            "task": "notifications.send_daily_digest",
            "schedule": crontab(hour=conf.DIGEST_HOUR, minute=0),
        }
