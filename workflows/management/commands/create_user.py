"""manage.py create_user EMAIL --role moderator --org SLUG --password ... [--name ...]

For operators and scripts. Idempotent: an existing user keeps their password (unless
--password is given) and gets the role added. Role grants are audited (actor: system).
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email
from django.utils import timezone

from accounts.models import Organisation, Role, User, normalise_email
from workflows.services import SYSTEM, membership_grant


class Command(BaseCommand):
    help = "Create a user (or add a role to an existing one) in an organisation."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--role", required=True, help=f"one of: {', '.join(Role.values)}")
        parser.add_argument("--org", required=True, help="organisation slug")
        parser.add_argument("--password", default=None, help="required for a new user; replaces an existing password")
        parser.add_argument("--name", default=None, help="full name")

    def handle(self, *args, email, role, org, password, name, **options):
        email = normalise_email(email)
        try:
            validate_email(email)
        except ValidationError as exc:
            raise CommandError(f"not a valid email address: {email!r}") from exc
        if role not in Role.values:
            raise CommandError(f"unknown role {role!r}: use one of {', '.join(Role.values)}")
        organisation = Organisation.objects.filter(slug=org).first()
        if organisation is None:
            known = ", ".join(Organisation.objects.values_list("slug", flat=True)) or "none yet"
            raise CommandError(f"unknown organisation {org!r} (known: {known})")

        user = User.objects.filter(email=email).first()
        created = user is None
        if created:
            if not password:
                raise CommandError("--password is required to create a new user")
            user = User.objects.create_user(email, password, full_name=name or "", email_confirmed_at=timezone.now())
        else:
            fields = []
            if password:
                user.set_password(password)
                fields.append("password")
            if name is not None and name != user.full_name:
                user.full_name = name
                fields.append("full_name")
            if fields:
                user.save(update_fields=fields)
        had_role = user.memberships.filter(organisation=organisation, role=role).exists()
        membership_grant(admin=SYSTEM, user=user, organisation=organisation, role=role)
        verb = "created" if created else "updated"
        role_note = "already had" if had_role else "granted"
        self.stdout.write(f"{verb} {email}; {role_note} role {role} in {organisation.slug}")
