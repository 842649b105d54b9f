import pytest

from tests.testapp.models import Ticket


@pytest.fixture
def make_ticket(org):
    def make(*, organisation=None, **fields) -> Ticket:
        fields.setdefault("title", "ถนนหมู่ 3 ชำรุด")
        return Ticket.objects.create(organisation=organisation or org, **fields)

    return make


def moved(ticket: Ticket, *names: str) -> Ticket:
    """Walk a ticket through moves as the system (for setting up a state)."""
    from workflows.services import transition

    for name in names:
        ticket = transition(ticket, name, actor=None, reason="setup")
    return ticket
