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


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(_("email"), unique=True)
    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    language = models.CharField(_("language"), max_length=5, choices=[("th", "ไทย"), ("en", "English")], default="th")
    village = models.ForeignKey(Village, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    email_confirmed_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(_("Django admin access"), default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.full_name or self.email

    @property
    def email_confirmed(self) -> bool:
        return self.email_confirmed_at is not None


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
