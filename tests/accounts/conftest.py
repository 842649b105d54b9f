import pytest
from django.core.cache import cache

from accounts.models import Role
from petitions.models import PetitionPolicy


@pytest.fixture(autouse=True)
def _clean_cache():
    """Sign-in and mail limits are counted in the cache (Redis on CI): none leaks between tests."""
    cache.clear()
    yield
    cache.clear()


# The real SMTP listener and the in-process relay of the notifications tests: account mails go
# through the same outbox.
from tests.notifications.conftest import eager, smtp, smtp_backend  # noqa: E402, F401


# --- for the PDPA tests, which reach into petitions ----------------------------------------------
@pytest.fixture
def policy(org):
    return PetitionPolicy.objects.create(
        organisation=org, sponsors_required=2, response_threshold=3, council_threshold=50, ordinance_threshold=50,
        ip_limit=1000, petition_limit=100000,
    )  # fmt: skip


@pytest.fixture
def sponsors(make_user, org):
    return [make_user(Role.RESIDENT, org=org, email=f"sponsor{i}@example.com") for i in range(2)]
