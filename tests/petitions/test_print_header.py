"""A printed record carries a header (issue 14): the record's municipality, the date printed (Thai:
Buddhist Era) and the page's address; ruamkid.css hides it on screen and hides the navigation on paper."""

import re
from pathlib import Path

CSS = Path(__file__).resolve().parents[2] / "static" / "css" / "ruamkid.css"


def test_the_record_page_has_a_print_header_with_municipality_date_and_address(client, open_petition):
    page = client.get(f"/petitions/{open_petition.pk}/", headers={"Cookie": "django_language=th"}).content.decode()
    header = re.search(r'<div class="print-header".*?</div>', page, re.S).group(0)
    assert str(open_petition.organisation) in header
    assert f"http://testserver/petitions/{open_petition.pk}/" in header
    assert re.search(r"พิมพ์เมื่อ <span data-print-date>\d{1,2} \S+ 25\d\d", header)
    assert 'src="/static/js/print.js"' in page


def test_the_print_stylesheet_hides_navigation_and_shows_the_header():
    css = CSS.read_text()
    assert re.search(r"^\.print-header \{ display:none; \}", css, re.M)
    media = css[css.index("@media print") :]
    hidden = re.search(r"\n  ([^{]+)\{ display:none !important; \}", media).group(1)
    for selector in ("header.site", "footer.site", "nav", "form"):
        assert selector in hidden
    assert ".print-header { display:block;" in media
