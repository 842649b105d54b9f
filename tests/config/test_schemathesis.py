"""Schemathesis against the live schema: every operation of /api/schema/, anonymous and as staff,
with data that fits the schema and data that breaks it, must answer no 5xx and nothing the schema
does not describe (status, content type, body, headers).

The requests go through the production WSGI application (config.wsgi: the client-address layer,
the signing lane, Django) in this process, on the demo municipality (seed_demo), outside a test
transaction as in production. Bounded: a fixed seed (derandomize) and EXAMPLES cases per operation
and mode, so a run takes about two minutes here and finds the same cases every time. The figures of
the last run are in docs/API.md#fuzzing.

Not checked: whether schema-valid data is accepted and schema-breaking data refused
(positive_data_acceptance, negative_data_rejection). Business rules refuse valid-looking data (an
unknown organisation slug), and DRF ignores parameters it does not know; neither is a broken answer.
"""

import collections
import io
import re

import pytest
import schemathesis
from django.core.management import call_command
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.models import User
from consultations.models import Consultation, Problem
from petitions.models import Petition

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

EXAMPLES = 15
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
SETTINGS = settings(
    max_examples=EXAMPLES,
    derandomize=True,  # the fixed seed: the same cases on every run
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: failures are collected, not raised
    suppress_health_check=list(HealthCheck),
)


class Tally:
    def __init__(self):
        self.operations = 0
        self.cases = 0
        self.statuses = collections.Counter()
        self.failures: dict[tuple, str] = {}  # (operation, status, failure) → how to reproduce it

    def record(self, case, response, failures) -> None:
        self.cases += 1
        self.statuses[response.status_code] += 1
        for failure in failures:
            key = (case.operation.label, response.status_code, failure.title)
            why = " ".join(str(getattr(failure, "message", "")).split())[:400]
            self.failures.setdefault(key, f"{case.as_curl_command()[:300]}\n    {why}\n    → {response.text[:300]}")

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)

    def summary(self, who: str) -> str:
        return (
            f"schemathesis ({who}): {self.operations} operations, {self.cases} cases, {self.server_errors} 5xx, "
            f"{len(self.failures)} schema failures; statuses {dict(sorted(self.statuses.items()))}"
        )


def known_ids(operation) -> dict:
    """Path parameters naming demo records, so that half of the cases reach a real record (random
    ids mostly find nothing)."""
    path = operation.path
    petition = Petition.objects.order_by("pk").values_list("pk", flat=True).last()
    consultation = Consultation.objects.filter(problems__isnull=False).order_by("pk").first()
    values = {"id": petition, "org": "ban-song", "role": "moderator", "user_id": 1}
    if path.startswith("/api/v1/consultations/"):
        values["id"] = consultation.pk
        values["problem_pk"] = Problem.objects.filter(consultation=consultation).values_list("pk", flat=True).first()
    elif "{records}" in path:
        values |= {"records": "petitions", "name": "close"}
    elif "{record_type}" in path:
        values |= {"record_type": "petitions.petition", "record_id": str(petition)}
    names = set(re.findall(r"{(\w+)}", path))
    return {name: value for name, value in values.items() if name in names}


def fuzz(operation, mode, headers: dict, tally: Tally) -> None:
    strategy = operation.as_strategy(generation_mode=mode)
    ids = known_ids(operation)
    if ids:
        strategy = st.one_of(strategy, operation.as_strategy(generation_mode=mode, path_parameters=ids))

    @SETTINGS
    @given(strategy)
    def run(case):
        response = case.call(headers=headers)
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except FailureGroup as group:
            tally.record(case, response, group.exceptions)
        else:
            tally.record(case, response, [])

    try:
        run()
    except Unsatisfiable:
        pass  # nothing breaks the schema of an operation without parameters or body


@pytest.fixture
def demo():
    call_command("seed_demo", stdout=io.StringIO())


@pytest.mark.parametrize("who", ["anonymous", "staff"])
def test_the_api_answers_every_generated_request_as_its_schema_says(demo, who):
    from config.wsgi import application

    headers = {}
    if who == "staff":  # an administrator of the demo municipality, with an API token
        token = Token.objects.create(user=User.objects.get(email="admin@example.com"))
        headers = {"Authorization": f"Token {token.key}"}
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
    tally = Tally()
    for result in schema.get_all_operations():
        operation = result.ok()
        tally.operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            fuzz(operation, mode, headers, tally)
    print(tally.summary(who))
    assert tally.operations >= 55
    assert tally.cases >= tally.operations * EXAMPLES
    report = "\n".join(f"{op} {status} {title}\n    {how}" for (op, status, title), how in sorted(tally.failures.items()))
    assert not tally.failures, f"{tally.summary(who)}\n{report}"
    assert tally.server_errors == 0
