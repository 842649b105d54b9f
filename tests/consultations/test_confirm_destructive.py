"""Destructive acts need a confirmation (issue 14): publishing or cancelling a consultation without
the ticked box (page) or `"confirm": true` (API) is 400 confirmation_required and changes nothing;
the buttons are red `.danger`, apart from the forward moves, at 4.5:1 or more."""

import re
from pathlib import Path

import pytest

from consultations import services
from consultations.models import Consultation, State
from workflows.confirm import ConfirmationRequired
from workflows.models import AuditEntry

from ..conftest import error_of

CSS = Path(__file__).resolve().parents[2] / "static" / "css" / "ruamkid.css"


def _state(c) -> str:
    return Consultation.objects.get(pk=c.pk).state


def test_the_service_refuses_an_unconfirmed_cancel_and_lets_the_system_through(make_consultation, moderator):
    c = make_consultation("consult", State.INFORMING)
    before = AuditEntry.objects.count()
    with pytest.raises(ConfirmationRequired) as refused:
        services.consultation_move(consultation=c, actor=moderator, name="cancel", reason="งบประมาณไม่พอ", confirm=False)
    assert refused.value.status == 400 and refused.value.code == "confirmation_required"
    assert _state(c) == State.INFORMING and AuditEntry.objects.count() == before
    services.consultation_move(consultation=c, actor=moderator, name="cancel", reason="งบประมาณไม่พอ", confirm=True)
    assert _state(c) == State.CANCELLED


def test_the_api_needs_confirm_for_publish_and_cancel(api, make_consultation, moderator):
    c = make_consultation("consult")
    moves = {m["name"]: m for m in api(moderator).get(f"/api/v1/consultations/{c.pk}/transitions/").json()["transitions"]}
    assert moves["publish"]["confirm_required"] and moves["cancel"]["confirm_required"]
    response = api(moderator).post(f"/api/v1/consultations/{c.pk}/transitions/publish/", {}, format="json")
    assert response.status_code == 400 and error_of(response)["code"] == "confirmation_required"
    assert "confirm" in error_of(response)["details"] and _state(c) == State.DRAFT
    response = api(moderator).post(f"/api/v1/consultations/{c.pk}/transitions/publish/", {"confirm": True}, format="json")
    assert response.status_code == 200 and _state(c) == State.INFORMING
    refused = api(moderator).post(f"/api/v1/consultations/{c.pk}/transitions/cancel/", {"reason": "x"}, format="json")
    assert refused.status_code == 400 and _state(c) == State.INFORMING
    cancel = f"/api/v1/consultations/{c.pk}/transitions/cancel/"
    done = api(moderator).post(cancel, {"reason": "x", "confirm": True}, format="json")
    assert done.status_code == 200 and _state(c) == State.CANCELLED


def test_the_page_asks_with_a_checkbox_and_answers_400_without_it(client, make_consultation, moderator):
    c = make_consultation("consult", State.INFORMING)
    client.force_login(moderator)
    client.cookies["django_language"] = "en"
    page = client.get(f"/consultations/{c.pk}/").content.decode()
    cancel = re.search(r'<form[^>]*data-testid="move-cancel".*?</form>', page, re.S).group(0)
    assert 'type="checkbox" name="confirm"' in cancel and "required" in cancel and 'class="danger"' in cancel
    assert "I understand: this cannot be undone." in cancel
    refused = client.post(f"/consultations/{c.pk}/move/", {"name": "cancel", "reason": "งบไม่พอ"})
    assert refused.status_code == 400 and 'data-code="confirmation_required"' in refused.content.decode()
    assert f'href="/consultations/{c.pk}/#staff"' in refused.content.decode()
    assert _state(c) == State.INFORMING
    done = client.post(f"/consultations/{c.pk}/move/", {"name": "cancel", "reason": "งบไม่พอ", "confirm": "on"})
    assert done.status_code == 302 and _state(c) == State.CANCELLED


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def test_danger_is_red_not_the_forward_green_at_aa_contrast():
    css = CSS.read_text()
    bad = re.search(r"--bad:(#[0-9a-fA-F]{6})", css).group(1)
    brand = re.search(r"--brand:(#[0-9a-fA-F]{6})", css).group(1)
    assert re.search(r"button\.danger[^{]*\{[^}]*background:var\(--bad\)[^}]*color:#fff", css)
    assert bad.lower() != brand.lower()
    white = _luminance("#ffffff")
    assert (white + 0.05) / (_luminance(bad) + 0.05) >= 4.5  # white on red, and red on white (the outlined one)
