"""Helpers for complaint tests: the standard categories and divisions, a complaint in any state,
and photos made in memory."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from complaints import services
from complaints.models import Category, Complaint, Division, State
from tests.notifications.conftest import smtp, smtp_backend  # noqa: F401 (fixtures)


@pytest.fixture
def setup(org):
    services.defaults_ensure(organisation=org)
    return org


@pytest.fixture
def road(setup):
    return Category.objects.get(organisation=setup, code="road")


@pytest.fixture
def works(setup):
    return Division.objects.get(organisation=setup, name="กองช่าง")


def force_state(c: Complaint, state: str, **fields) -> Complaint:
    """Tests only: put a complaint in a state without walking the machine (the field is protected)."""
    Complaint.objects.filter(pk=c.pk).update(state=state, **fields)
    return Complaint.objects.get(pk=c.pk)


@pytest.fixture
def make_complaint(setup, road):
    def make(state=State.RECEIVED, *, actor=None, **fields):
        fields.setdefault("title", "ไฟถนนดับหน้าโรงเรียน")
        fields.setdefault("body", "ไฟดับมาสามคืนแล้ว มืดมาก")
        c = services.complaint_file(organisation=setup, actor=actor, category=fields.pop("category", road), **fields)
        if state != State.RECEIVED:
            division = Division.objects.filter(organisation=setup).first()
            c = force_state(c, state, division=division)
        return c

    return make


def image_bytes(kind="JPEG", size=(64, 48), exif_gps=False) -> bytes:
    from PIL import Image

    image = Image.new("RGB", size, (200, 40, 40))
    out = io.BytesIO()
    kwargs = {}
    if exif_gps:
        exif = Image.Exif()
        exif[0x010F] = "PhoneMaker"  # Make
        exif[0x8825] = {1: "N", 2: (13.0, 45.0, 0.0), 3: "E", 4: (101.0, 20.0, 0.0)}  # GPS IFD
        kwargs["exif"] = exif
    image.save(out, format=kind, **kwargs)
    return out.getvalue()


def upload(data: bytes, name="photo.jpg", content_type="image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """The filing limit counts per client address in the cache (Redis db of this checkout)."""
    from django.core.cache import cache

    cache.clear()
