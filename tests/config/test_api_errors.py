"""Errors of the API as docs/API.md lists them: anonymous writes are 401 with a challenge (403 is
for a signed-in person without the right), and every code the error handler gives is documented."""

import re
from pathlib import Path

import pytest

from tests.conftest import error_of
from tests.petitions.conftest import make_petition

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def records(org, resident, moderator, make_user):
    from consultations import services
    from petitions.models import PetitionPolicy
    from tests.consultations.conftest import force_state

    PetitionPolicy.objects.create(organisation=org, sponsors_required=1, response_threshold=3, council_threshold=5)
    consultation = services.consultation_create(organisation=org, actor=moderator, title="แผนพัฒนา", level="involve")
    consultation = force_state(consultation, "problem_identification")  # public: anonymous people may read it
    sponsor = make_user("resident", org=org, email="sponsor@example.com")
    petition = make_petition(org, resident, state="open", sponsors=[sponsor], moderator=moderator)
    return {"c": consultation.pk, "p": petition.pk}


ANONYMOUS_WRITES = [
    ("post", "/api/v1/consultations/", {"organisation": "ban-song", "title": "x", "level": "consult"}),
    ("post", "/api/v1/consultations/{c}/problems/", {"title": "ถนน"}),
    ("post", "/api/v1/consultations/{c}/comments/", {"body": "เห็นด้วย"}),
    ("put", "/api/v1/consultations/{c}/ballot/", {"alternative_ids": [1]}),
    ("post", "/api/v1/consultations/{c}/transitions/cancel/", {"reason": "x"}),
    ("post", "/api/v1/petitions/", {"kind": "general", "title": "x", "body": "y"}),
    ("post", "/api/v1/petitions/{p}/signatures/invalidate/", {"reason": "x", "email_domain": "spam.example"}),
    ("post", "/api/v1/petitions/{p}/transitions/close/", {}),
]


@pytest.mark.parametrize(("method", "path", "body"), ANONYMOUS_WRITES)
def test_an_anonymous_write_is_401_with_a_token_challenge(api, records, method, path, body):
    response = getattr(api(), method)(path.format(**records), body, format="json")
    assert response.status_code == 401, response.content
    assert response["WWW-Authenticate"] == "Token"
    assert error_of(response)["code"] == "not_authenticated"


def test_a_signed_in_person_without_the_right_still_gets_403(api, records, resident):
    response = api(resident).post(f"/api/v1/consultations/{records['c']}/transitions/cancel/", {"reason": "x"}, format="json")
    assert response.status_code == 403
    assert error_of(response)["code"] == "forbidden"


def test_docs_api_md_lists_every_error_code_the_code_gives():
    """Each "code" that config/api.py, workflows/errors.py, the parsers and the services raise has
    a row in the table of docs/API.md."""
    sources = [*ROOT.glob("*/api.py"), *ROOT.glob("*/services.py"), *ROOT.glob("*/errors.py"), *ROOT.glob("*/parsers.py")]
    sources += [ROOT / "workflows" / "jsonviews.py", ROOT / "config" / "views.py", ROOT / "config" / "auth_api.py"]
    codes = set()
    for path in sources:
        text = path.read_text()
        codes |= set(re.findall(r'code(?:\s*=\s*|": )"([a-z_]+)"', text))
        codes |= set(re.findall(r'error_body\(\s*"([a-z_]+)"', text))
        codes |= set(re.findall(r'exceptions\.\w+: "([a-z_]+)"', text))
    table = (ROOT / "docs" / "API.md").read_text()
    documented = set(re.findall(r"^\| \d{3} \| `([a-z_]+)`", table, re.M))
    assert len(codes) > 15, codes
    assert codes - {"error"} <= documented, sorted(codes - documented)


def test_the_schema_documents_the_errors_of_every_operation(client):
    schema = client.get("/api/schema/?format=json").json()
    assert schema["components"]["schemas"]["Error"]["required"] == ["error"]
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            assert {"400", "401", "403", "404", "429"} <= codes, (method, path)
            if method != "get":
                assert {"409", "413", "415"} <= codes, (method, path)
            error = operation["responses"]["404"]["content"]["application/json"]["schema"]
            assert error == {"$ref": "#/components/schemas/Error"}


def test_the_schema_says_what_the_lists_and_the_csv_really_are(client):
    schema = client.get("/api/schema/?format=json").json()
    components = schema["components"]["schemas"]

    def ok_schema(path, media="application/json"):
        ref = schema["paths"][path]["get"]["responses"]["200"]["content"][media]["schema"]
        return components[ref["$ref"].rsplit("/", 1)[-1]] if "$ref" in ref else ref

    assert set(ok_schema("/api/v1/consultations/")["properties"]) == {"next", "previous", "results"}
    for nested in ("problems", "alternatives", "comments"):
        assert ok_schema(f"/api/v1/consultations/{{id}}/{nested}/")["properties"]["results"]["type"] == "array"
    assert ok_schema("/api/v1/consultations/{id}/record.csv", "text/csv")["type"] == "string"
