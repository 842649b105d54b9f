"""Share (copy link, LINE, Facebook), the light count endpoint and the embeddable count widget."""

from urllib.parse import quote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from petitions.models import Petition
from workflows.services import transition

from .conftest import make_petition, sign_and_confirm

pytestmark = pytest.mark.django_db


def test_the_count_endpoint_is_light_and_cacheable(api, open_petition):
    for n in range(2):
        sign_and_confirm(open_petition, n)
    url = f"/api/v1/petitions/{open_petition.pk}/count/"
    with CaptureQueriesContext(connection) as first:
        response = api().get(url)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2 and body["state"] == "open" and body["accepting_signatures"] is True
    assert body["council_threshold"] == 5 and body["response_threshold"] == 3 and body["as_of"]
    assert "public" in response["Cache-Control"] and "max-age=5" in response["Cache-Control"]
    assert len(first) <= 2  # the petition's row and the tally sum
    with CaptureQueriesContext(connection) as again:
        assert api().get(url).json()["count"] == 2
    assert len(again) == 0  # cached


def test_the_count_of_a_petition_not_public_is_a_404(api, org, policy, resident):
    draft = make_petition(org, resident)
    assert api().get(f"/api/v1/petitions/{draft.pk}/count/").status_code == 404
    assert api().get("/api/v1/petitions/999999/count/").status_code == 404
    assert api(resident).get(f"/api/v1/petitions/{draft.pk}/count/").status_code == 404  # not even for its author


def test_the_widget_may_be_framed_by_any_site_and_only_it(client, open_petition):
    sign_and_confirm(open_petition, 1)
    widget = client.get(f"/petitions/{open_petition.pk}/widget/")
    assert widget.status_code == 200
    assert "X-Frame-Options" not in widget
    csp = widget["Content-Security-Policy"]
    assert "frame-ancestors *" in csp and "script-src 'self'" in csp and "'unsafe-inline'" not in csp
    html = widget.content.decode()
    assert 'data-testid="widget-count"' in html and "<script" not in html and "csrf" not in html.lower()
    assert not widget.cookies
    page = client.get(f"/petitions/{open_petition.pk}/")
    assert page["X-Frame-Options"] == "DENY" and "frame-ancestors 'none'" in page["Content-Security-Policy"]


def test_the_widget_of_a_hidden_petition_is_a_404(client, open_petition, moderator):
    transition(Petition.objects.get(pk=open_petition.pk), "hide", actor=moderator, reason="ข้อมูลส่วนบุคคล",
               payload={"reason_code": "personal_data"})  # fmt: skip
    from django.core.cache import cache

    cache.clear()
    assert client.get(f"/petitions/{open_petition.pk}/widget/").status_code == 404


def test_the_petition_page_offers_share_links_and_the_embed_snippet(client, open_petition):
    html = client.get(f"/petitions/{open_petition.pk}/").content.decode()
    link = f"http://testserver/petitions/{open_petition.pk}/"
    assert f'data-copy="{link}"' in html
    assert f"https://social-plugins.line.me/lineit/share?url={quote(link, safe='')}" in html
    assert f"https://www.facebook.com/sharer/sharer.php?u={quote(link, safe='')}" in html
    assert f'&lt;iframe src="http://testserver/petitions/{open_petition.pk}/widget/"' in html
    assert "/static/js/share.js" in html


def test_a_consultation_page_offers_share_links(client, org, moderator):
    from consultations import services

    c = services.consultation_create(organisation=org, actor=moderator, title="แผนพัฒนา", level="inform")
    from consultations.models import Consultation

    Consultation.objects.filter(pk=c.pk).update(state="informing")
    html = client.get(f"/consultations/{c.pk}/").content.decode()
    assert 'data-testid="share-line"' in html and 'data-testid="copy-link"' in html and 'data-testid="embed-snippet"' not in html
