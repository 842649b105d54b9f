"""No personal data anywhere the public can read (docs/OPEN_DATA.md, PDPA).

The demo data plus one resident who does everything a resident can do without being shown by name
(raises and supports a problem, votes, signs two petitions with an ID number, from a known client
address, one signature left pending). Then every public page is crawled from / in Thai and in
English (same-site links), every public API list and detail is read (each route with each record's
id, lists to their last page), and every export; each response is searched for the seeded people's
emails, national ID numbers and their hashes, client addresses and their hashes, and the names of
residents the site does not show by design.

By design the site shows, and this test allows: the names of staff acting in office, the name a
petition's author gives (petitions/detail.html, the API's author_name) and the name of a comment's
author (consultations/_comment.html). Signers', supporters', voters' and problem authors' names are
never shown.
"""

from __future__ import annotations

import io
import json
import re
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlsplit

from django.core.management import call_command
from django.test import Client, TestCase
from django.urls import get_resolver
from django.utils import timezone

from accounts.models import STAFF_ROLES, Membership, Role, User, Village
from consultations import services as consultation_services
from consultations.models import Comment, Consultation
from petitions import services as petition_services
from petitions.demo import _national_id
from petitions.models import Petition, Signature

# The routes that take a record id, read with every consultation's and petition's id.
API_PREFIX = "api/v1/"
MAX_FETCHES = 3000
PRIVATE_ID = _national_id(424242)  # a valid 13-digit number (check digit)
MAX_QUERY_VARIANTS = 4  # per path: the calendar's "next month" would go on for ever
SKIP = ("/admin/", "/static/", "/i18n/", "/jsi18n/", "/accounts/logout/")


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.hrefs.append(value)


def same_site(href: str) -> str | None:
    href = urldefrag(href)[0]
    parts = urlsplit(href)
    if parts.scheme in ("http", "https") and parts.netloc == "testserver":
        href = parts.path + (f"?{parts.query}" if parts.query else "")
    elif parts.scheme or parts.netloc or not href.startswith("/"):
        return None
    return None if href.startswith(SKIP) else href


def api_routes() -> list[str]:
    def walk(resolver, prefix=""):
        for p in resolver.url_patterns:
            if hasattr(p, "url_patterns"):
                yield from walk(p, prefix + str(p.pattern))
            else:
                yield prefix + str(p.pattern)

    return [route for route in walk(get_resolver()) if route.startswith(API_PREFIX)]


def api_urls() -> list[str]:
    """Every API route filled with every record id (public or not: the hidden ones must be 404s)."""
    records = {
        "consultations": list(Consultation.objects.values_list("pk", flat=True)),
        "petitions": list(Petition.objects.values_list("pk", flat=True)),
    }
    urls = []
    for route in api_routes():
        params = re.findall(r"<(\w+:)?(\w+)>", route)
        names = {name for _conv, name in params}
        if not names:
            urls.append("/" + route)
        elif names == {"pk"}:
            collection = route[len(API_PREFIX) :].split("/")[0]
            for pk in records.get(collection, []):
                urls.append("/" + route.replace("<int:pk>", str(pk)))
        elif names == {"records", "pk"}:
            for collection, ids in records.items():
                urls += ["/" + route.replace("<slug:records>", collection).replace("<int:pk>", str(pk)) for pk in ids]
        elif names == {"record_type", "record_id"}:
            for label, collection in (("consultations.consultation", "consultations"), ("petitions.petition", "petitions")):
                for pk in records[collection]:
                    urls.append("/" + route.replace("<str:record_type>", label).replace("<str:record_id>", str(pk)))
    return urls


def json_links(value) -> list[str]:
    if isinstance(value, dict):
        return [link for v in value.values() for link in json_links(v)]
    if isinstance(value, list):
        return [link for v in value for link in json_links(v)]
    if isinstance(value, str) and (value.startswith("http://testserver/") or value.startswith("/api/")):
        return [value]
    return []


class PersonalDataCrawl(TestCase):
    @classmethod
    def setUpTestData(cls):
        call_command("seed_demo", stdout=io.StringIO())
        cls.private = cls.resident_who_does_everything()

    @classmethod
    def resident_who_does_everything(cls) -> User:
        village = Village.objects.get(number=4)
        person = User.objects.create_user(
            "private.person@example.net",
            "x-" * 8,
            full_name="ลับเฉพาะ ไม่เปิดเผย",
            village=village,
            language="th",
            email_confirmed_at=timezone.now(),
        )
        Membership.objects.create(user=person, organisation=village.organisation, role=Role.RESIDENT)
        open_now = Consultation.objects.get(level="involve")
        problem = consultation_services.problem_submit(consultation=open_now, actor=person, title="ปัญหาของผู้ไม่เปิดเผยชื่อ")
        consultation_services.problem_support(problem=problem, actor=User.objects.get(email="resident3@example.com"))
        ordinance = Petition.objects.get(kind="ordinance")
        lights = Petition.objects.get(title__startswith="ขอติดตั้งไฟ")
        for petition, national_id, ip in ((ordinance, PRIVATE_ID, "198.51.100.23"), (lights, "", "2001:db8::77")):
            signature, _ = petition_services.signature_sign(
                petition_id=petition.pk, name=person.full_name, email=person.email, village_number=4,
                consent=True, national_id=national_id, ip=ip,
            )  # fmt: skip
            petition_services.signature_confirm(token=petition_services.signature_token(signature))
        petition_services.signature_sign(
            petition_id=lights.pk, name="รอยืนยัน ยังไม่ยืนยัน", email="pending.signer@example.org", village_number=2,
            consent=True, ip="192.0.2.200",
        )  # fmt: skip
        return person

    def forbidden(self) -> dict[str, str]:
        """text → what it is, for every piece of personal data the public must never read."""
        found: dict[str, str] = {}
        for email in User.objects.values_list("email", flat=True):
            found[email] = "a user's email"
        for s in Signature.objects.all():
            found[s.email] = "a signer's email"
            found[s.name] = "a signer's name"
            for value, what in ((s.national_id_hash, "an ID number's hash"), (s.ip_hash, "an address hash")):
                if value:
                    found[value] = what
        for ip in ("198.51.100.23", "2001:db8::77", "192.0.2.200"):
            found[ip] = "a client address"
        found[PRIVATE_ID] = "a national ID number"
        for n in range(1000, 1037):  # the demo's ordinance signers (petitions/demo.py:_national_id)
            found[_national_id(n)] = "a national ID number"
        staff = set(Membership.objects.filter(role__in=STAFF_ROLES).values_list("user_id", flat=True))
        for user in User.objects.exclude(pk__in=staff).filter(is_staff=False):
            if user.full_name:
                found[user.full_name] = "a resident's name"
        shown_by_design = set(Petition.objects.values_list("author__full_name", flat=True))
        shown_by_design |= set(Comment.objects.filter(visibility="published").values_list("author__full_name", flat=True))
        shown_by_design |= set(User.objects.filter(pk__in=staff).values_list("full_name", flat=True))
        for name in shown_by_design:
            found.pop(name, None)
        assert "ลับเฉพาะ ไม่เปิดเผย" in found and "private.person@example.net" in found and len(found) > 200
        return found

    def test_no_public_page_api_response_or_export_shows_personal_data(self):
        forbidden = self.forbidden()
        pattern = re.compile("|".join(re.escape(text) for text in sorted(forbidden, key=len, reverse=True)))
        fetched: dict[str, int] = {}
        leaks: list[str] = []

        def read(client: Client, url: str, language: str) -> None:
            response = client.get(url)
            fetched[f"{language} {url}"] = response.status_code
            raw = b"".join(response.streaming_content) if response.streaming else response.content  # files are streamed
            body = raw.decode("utf-8", errors="replace")
            texts = [body]
            if response.get("Content-Type", "").startswith("application/json"):
                try:
                    texts.append(json.dumps(json.loads(body), ensure_ascii=False))
                except ValueError:
                    pass
            for text in texts:
                for match in set(pattern.findall(text)):
                    leaks.append(f"{url} ({language}, {response.status_code}): {forbidden[match]}: {match}")
            return response, body

        for language in ("th", "en"):
            client = Client(HTTP_ACCEPT_LANGUAGE=language)  # the API follows the header
            client.cookies["django_language"] = language  # pages follow the language switch's cookie
            queue, seen, variants = ["/", "/open-data/", "/statistics/", "/api/v1/"], set(), {}
            queue += [f"/petitions/{pk}/" for pk in Petition.objects.values_list("pk", flat=True)]
            queue += [f"/consultations/{pk}/" for pk in Consultation.objects.values_list("pk", flat=True)]
            queue += api_urls()
            while queue and len(fetched) < MAX_FETCHES:
                url = queue.pop(0)
                path = url.split("?")[0]
                if url in seen or ("?" in url and variants.get(path, 0) >= MAX_QUERY_VARIANTS):
                    continue
                seen.add(url)
                if "?" in url:
                    variants[path] = variants.get(path, 0) + 1
                response, body = read(client, url, language)
                if response.status_code != 200:
                    continue
                content_type = response.get("Content-Type", "")
                if content_type.startswith("text/html"):
                    parser = Links()
                    parser.feed(body)
                    links = parser.hrefs
                elif content_type.startswith("application/json"):
                    links = json_links(json.loads(body))
                else:
                    links = []
                queue += [u for u in (same_site(link) for link in links) if u and u not in seen]

        assert leaks == []
        english = Client()
        english.cookies["django_language"] = "en"
        assert '<html lang="en">' in english.get("/").content.decode()
        visited = {key.split(" ", 1)[1] for key, status in fetched.items() if status == 200}
        # The crawl reached what it must have read: pages in both languages, records, API details, exports.
        for must in (
            "/",
            "/open-data/",
            "/open-data/audit.csv",
            "/open-data/signatures-by-village.json",
            "/audit/",
            "/api/v1/audit/",
        ):
            assert must in visited, must
        assert any(re.fullmatch(r"/petitions/\d+/", u) for u in visited)
        assert any(re.fullmatch(r"/consultations/\d+/record/", u) for u in visited)
        assert any(re.fullmatch(r"/api/v1/petitions/\d+/", u) for u in visited)
        assert any(re.fullmatch(r"/api/v1/consultations/\d+/problems/", u) for u in visited)
        assert sum(1 for key in fetched if key.startswith("en ")) > 50 and sum(1 for key in fetched if key.startswith("th ")) > 50
        assert len(fetched) < MAX_FETCHES, "the crawl was cut short"

    def test_the_crawl_would_see_a_leak(self):
        """The search itself works: a page that did show a signer's email would be caught."""
        forbidden = self.forbidden()
        Petition.objects.filter(kind="ordinance").update(background="ติดต่อ private.person@example.net")
        page = Client().get(f"/petitions/{Petition.objects.get(kind='ordinance').pk}/").content.decode()
        assert any(text in page for text in forbidden)
