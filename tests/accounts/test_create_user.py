"""manage.py create_user: operators create users with a role; idempotent; clear errors."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Membership, User
from workflows.models import AuditEntry


def run(*args) -> str:
    out = StringIO()
    call_command("create_user", *args, stdout=out)
    return out.getvalue()


def test_it_creates_a_confirmed_user_with_the_role_and_audits_the_grant(org):
    out = run("Mod@Example.com", "--role", "moderator", "--org", "ban-song", "--password", "pw-long-enough-1", "--name", "มานี")
    assert out.strip() == "created mod@example.com; granted role moderator in ban-song"
    user = User.objects.get(email="mod@example.com")
    assert user.check_password("pw-long-enough-1") and user.full_name == "มานี" and user.email_confirmed
    assert list(user.memberships.values_list("organisation__slug", "role")) == [("ban-song", "moderator")]
    entry = AuditEntry.objects.get()
    assert (entry.name, entry.actor_role, entry.to_state, entry.organisation_id) == (
        "membership_grant",
        "system",
        "moderator",
        org.pk,
    )


def test_running_it_again_adds_a_role_and_changes_nothing_else(org):
    run("clerk@example.com", "--role", "clerk", "--org", "ban-song", "--password", "first-password-1")
    out = run("clerk@example.com", "--role", "clerk", "--org", "ban-song")
    assert out.strip() == "updated clerk@example.com; already had role clerk in ban-song"
    assert Membership.objects.count() == 1 and AuditEntry.objects.count() == 1
    run("clerk@example.com", "--role", "admin", "--org", "ban-song")
    user = User.objects.get()
    assert sorted(user.memberships.values_list("role", flat=True)) == ["admin", "clerk"]
    assert user.check_password("first-password-1")  # not given: kept


@pytest.mark.parametrize(
    "args,message",
    [
        (["x@example.com", "--role", "mayor", "--org", "ban-song", "--password", "p"], "unknown role 'mayor'"),
        (
            ["x@example.com", "--role", "clerk", "--org", "nowhere", "--password", "p"],
            "unknown organisation 'nowhere' (known: ban-song)",
        ),
        (["not-an-email", "--role", "clerk", "--org", "ban-song", "--password", "p"], "not a valid email"),
        (["x@example.com", "--role", "clerk", "--org", "ban-song"], "--password is required"),
    ],
)
def test_it_explains_bad_arguments_and_creates_nothing(org, args, message):
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
        run(*args)
    assert not User.objects.exists() and not AuditEntry.objects.exists()
