"""People, organisations and the roles that tie them together."""

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Organisation(models.Model):
    """A local government (เทศบาล, อบต.). One install may host many."""

    slug = models.SlugField(unique=True)
    name = models.CharField(_("name (Thai)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    address = models.TextField(_("address"), blank=True)
    phone = models.CharField(_("phone"), max_length=100, blank=True)
    email = models.EmailField(_("contact email"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name

    def display_name(self, language: str = "th") -> str:
        return self.name_en if language.startswith("en") and self.name_en else self.name


class Village(models.Model):
    """หมู่ที่ N: the unit by which participation is counted and ballots may be limited."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="villages")
    number = models.PositiveSmallIntegerField(_("village number (หมู่ที่)"))
    name = models.CharField(_("village name"), max_length=200, blank=True)

    class Meta:
        ordering = ["organisation", "number"]
        constraints = [models.UniqueConstraint(fields=["organisation", "number"], name="village_unique_number")]

    def __str__(self) -> str:
        return f"หมู่ที่ {self.number} {self.name}".strip()


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra):
        if not email:
            raise ValueError("email is required")
        user = self.model(email=normalise_email(email), **extra)
        user.set_password(password)
        user.save()
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        extra.setdefault("email_confirmed_at", timezone.now())
        return self.create_user(email, password, **extra)


def normalise_email(email: str) -> str:
    """Lower-case the whole address: one person, one signature, whatever they typed."""
    return (email or "").strip().lower()


def fold_email(email: str) -> str:
    """One inbox, one address: the normalised address with what its provider ignores taken out
    (settings.PETITION_EMAIL_IGNORES_DOTS / _PLUS / _DOMAIN_ALIASES), so "J.o.h.n+x@googlemail.com"
    is "john@gmail.com". Mail to the folded address reaches the same inbox."""
    from django.conf import settings

    email = normalise_email(email)
    local, at, domain = email.rpartition("@")
    if not at or not local:
        return email
    if domain in getattr(settings, "PETITION_EMAIL_IGNORES_PLUS", ()) and "+" in local:
        local = local.split("+", 1)[0] or local
    if domain in getattr(settings, "PETITION_EMAIL_IGNORES_DOTS", ()):
        local = local.replace(".", "") or local
    domain = getattr(settings, "PETITION_EMAIL_DOMAIN_ALIASES", {}).get(domain, domain)
    return f"{local}@{domain}"


class VerificationLevel(models.TextChoices):
    """How sure we are who an account is, weakest first (accounts/verification.py ranks them).
    An organisation's policy names the level an action needs; a higher level always meets it."""

    NONE = "none", _("not verified")
    EMAIL = "email", _("email confirmed")
    IN_PERSON = "in_person", _("verified in person at the office")
    THAID = "thaid", _("verified with ThaID")


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(_("email"), unique=True)
    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    language = models.CharField(_("language"), max_length=5, choices=[("th", "ไทย"), ("en", "English")], default="th")
    village = models.ForeignKey(Village, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    email_confirmed_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(_("Django admin access"), default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    # Set when the person's data was erased (accounts/privacy/services.py:erasure_complete): the row
    # stays, without name, email or village, so counts, sponsors and ballots still add up.
    erased_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Identity (accounts/verification.py): set only by identity_verify_in_person / identity_verify_thaid,
    # each of which leaves an IdentityVerification row and an audit entry. Only the national ID's
    # keyed hash is kept (accounts.thai.national_id_hash), never the number; one ID, one account.
    identity_level = models.CharField(
        _("identity verified"), max_length=20, blank=True, editable=False,
        choices=[(VerificationLevel.IN_PERSON.value, VerificationLevel.IN_PERSON.label),
                 (VerificationLevel.THAID.value, VerificationLevel.THAID.label)],
    )  # fmt: skip
    identity_verified_at = models.DateTimeField(_("identity verified at"), null=True, blank=True, editable=False)
    national_id_hash = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        if self.erased_at is not None:
            return str(_("(erased)"))
        return self.full_name or self.email

    @property
    def email_confirmed(self) -> bool:
        return self.email_confirmed_at is not None

    @property
    def verification_level(self) -> str:
        if self.identity_level:
            return self.identity_level
        return VerificationLevel.EMAIL if self.email_confirmed else VerificationLevel.NONE


class Role(models.TextChoices):
    RESIDENT = "resident", _("resident")
    MODERATOR = "moderator", _("moderator")
    CLERK = "clerk", _("clerk")
    ADMIN = "admin", _("admin")
    # Reads and handles corruption and misconduct reports (complaints.IntegrityReport), and nothing
    # else: not a staff role, and no other role (not even admin) sees those reports.
    INTEGRITY = "integrity", _("integrity officer")


STAFF_ROLES = frozenset({Role.MODERATOR, Role.CLERK, Role.ADMIN})


class Membership(models.Model):
    """A role a person holds in one organisation. Staff roles are granted by an admin."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    granted_at = models.DateTimeField(default=timezone.now)
    granted_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "organisation", "role"], name="membership_unique_role")]

    def __str__(self) -> str:
        return f"{self.user} · {self.role} · {self.organisation.slug}"


class ErasureRequest(models.Model):
    """A person asks for their data to be erased (PDPA section 33); an admin of the organisation (or
    a superuser) completes or refuses it (accounts/privacy/services.py). After completion the row
    keeps only who decided and when: the person's account is anonymised."""

    class State(models.TextChoices):
        OPEN = "open", _("Waiting for staff")
        DONE = "done", _("Erased")
        REFUSED = "refused", _("Refused")

    user = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="erasure_requests")
    organisation = models.ForeignKey(Organisation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    note = models.TextField(_("message to staff"), max_length=2000, blank=True)  # cleared when erased
    requested_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.TextField(_("reason"), blank=True)  # why it was refused (also in the audit chain)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user"], condition=models.Q(state="open"), name="erasure_one_open_per_user")
        ]
        verbose_name = _("erasure request")
        verbose_name_plural = _("erasure requests")

    def __str__(self) -> str:
        return f"erasure request {self.pk} ({self.state})"


class IdentityVerification(models.Model):
    """One act that verified an account's identity: who (staff, or the person through ThaID), when,
    where, how. The account keeps the resulting level (User.identity_level); this is its history."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="identity_verifications")
    method = models.CharField(
        _("method"), max_length=20,
        choices=[(VerificationLevel.IN_PERSON.value, VerificationLevel.IN_PERSON.label),
                 (VerificationLevel.THAID.value, VerificationLevel.THAID.label)],
    )  # fmt: skip
    organisation = models.ForeignKey(Organisation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    verified_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("verified by")
    )
    verified_at = models.DateTimeField(_("verified at"), default=timezone.now)

    class Meta:
        ordering = ["-verified_at", "-id"]
        verbose_name = _("identity verification")
        verbose_name_plural = _("identity verifications")

    def __str__(self) -> str:
        return f"{self.user_id} · {self.method} · {self.verified_at:%Y-%m-%d}"
