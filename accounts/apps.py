from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

PURGE_HOUR = 3  # the retention purge runs daily at 03:00 Bangkok time, away from the day's traffic


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts and organisations")

    def ready(self):
        from celery.schedules import crontab
        from django.conf import settings

        # PDPA retention purge of every app that registered one (accounts/privacy; also
        # `manage.py purge_personal_data`).
        settings.CELERY_BEAT_SCHEDULE.setdefault(
            "accounts-purge-personal-data",
            {"task": "accounts.purge_personal_data", "schedule": crontab(hour=PURGE_HOUR, minute=17)},
        )
