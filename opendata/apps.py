from django.apps import AppConfig


class OpendataConfig(AppConfig):
    """Open data, statistics and the ITA evidence report: reads of every domain app (it sits at the
    config level: it imports the domain apps' selectors and models, and no app imports it)."""

    name = "opendata"
    verbose_name = "Open data"
