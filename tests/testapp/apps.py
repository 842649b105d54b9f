from django.apps import AppConfig


class TestAppConfig(AppConfig):
    """A test-only workflow app: the engine's tests never depend on petitions or consultations."""

    name = "tests.testapp"
    label = "testapp"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from workflows import registry

        from .models import Ticket, ticket_events

        registry.register(
            Ticket,
            api_name="tickets",
            notify=ticket_events,
            title=lambda t: t.title,
            public_url=lambda t: f"/tickets/{t.pk}/",
            visible_to=lambda t, user: not t.secret or _is_staff(user, t),
        )


def _is_staff(user, ticket) -> bool:
    from accounts.selectors import is_staff_of

    return is_staff_of(user, ticket.organisation_id)
