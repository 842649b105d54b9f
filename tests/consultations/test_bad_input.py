"""Bad input anywhere gets a clear 4xx in the one error shape, and changes nothing."""

import pytest

from consultations.models import (
    Alternative,
    Ballot,
    BallotChoice,
    Comment,
    Consultation,
    Decision,
    Document,
    Problem,
    ProgressUpdate,
    Report,
    Stage,
    State,
    Support,
)
from tests.conftest import error_of
from workflows.models import AuditEntry

from .conftest import add_alternative, add_problem

MODELS = (
    Consultation,
    Stage,
    Document,
    Problem,
    Support,
    Alternative,
    Comment,
    Report,
    Ballot,
    BallotChoice,
    Decision,
    ProgressUpdate,
    AuditEntry,
)


def counts():
    return {m.__name__: m.objects.count() for m in MODELS}


# (who, state, method, path, body, status)
CASES = [
    ("moderator", "draft", "post", "", {"organisation": "ban-song", "title": "", "level": "consult"}, 400),
    ("moderator", "draft", "post", "", {"organisation": "ban-song", "title": "x", "level": "shout"}, 400),
    ("moderator", "draft", "post", "", {"organisation": "nowhere", "title": "x", "level": "consult"}, 400),
    ("resident", "draft", "post", "", {"organisation": "ban-song", "title": "x", "level": "consult"}, 403),
    ("moderator", "draft", "put", "schedule/", {"stages": []}, 400),
    (
        "moderator",
        "draft",
        "put",
        "schedule/",
        {"stages": [{"name": "informing", "starts_at": "yesterday", "ends_at": "x"}]},
        400,
    ),
    (
        "moderator",
        "draft",
        "put",
        "schedule/",
        {"stages": [{"name": "informing", "starts_at": "2026-01-10T00:00:00+07:00", "ends_at": "2026-01-01T00:00:00+07:00"}]},
        400,
    ),
    ("resident", "problem_identification", "post", "problems/", {"title": ""}, 400),
    ("resident", "problem_identification", "post", "problems/", {"title": "x" * 301}, 400),
    ("resident", "problem_identification", "post", "problems/", "not json at all", 400),
    ("anonymous", "problem_identification", "post", "problems/", {"title": "ถนน"}, 401),
    ("resident", "problem_identification", "post", "problems/999999/support/", {}, 404),
    ("moderator", "problem_identification", "post", "problems/{problem}/merge/", {"into": "abc"}, 400),
    ("moderator", "problem_identification", "post", "problems/{problem}/merge/", {"into": "{problem}"}, 400),
    ("resident", "alternatives", "post", "alternatives/", {"title": "ทาง", "problem_ids": [999999]}, 400),
    ("resident", "alternatives", "post", "alternatives/", {"title": "ทาง", "problem_ids": "abc"}, 400),
    ("resident", "deliberation", "post", "comments/", {"body": ""}, 400),
    ("resident", "deliberation", "post", "comments/", {"body": "ok", "parent_id": 999999}, 400),
    (
        "resident",
        "deliberation",
        "post",
        "comments/",
        {"body": "ok", "problem_id": "{problem}", "alternative_id": "{alternative}"},
        400,
    ),
    ("resident", "deliberation", "post", "reports/", {"kind": "petition", "object_id": 1, "reason_code": "spam"}, 400),
    ("resident", "deliberation", "post", "reports/", {"kind": "problem", "object_id": "{problem}", "reason_code": "ugly"}, 400),
    ("resident", "deliberation", "post", "reports/", {"kind": "problem", "object_id": 999999, "reason_code": "spam"}, 404),
    ("moderator", "deliberation", "post", "moderation/", {"kind": "problem", "object_id": "{problem}", "outcome": "remove"}, 400),
    (
        "moderator",
        "deliberation",
        "post",
        "moderation/",
        {"kind": "problem", "object_id": "{problem}", "outcome": "explode"},
        400,
    ),
    ("resident", "deliberation", "put", "ballot/", {"alternative_ids": []}, 400),
    ("resident", "deliberation", "put", "ballot/", {"alternative_ids": ["abc"]}, 400),
    ("resident", "deliberation", "put", "ballot/", {"alternative_ids": [999999]}, 400),
    ("resident", "deliberation", "put", "ballot/", {"alternative_ids": ["{alternative}", "{alternative}"]}, 400),
    ("resident", "deliberation", "put", "ballot/", {}, 400),
    ("clerk", "deciding", "put", "decision/", {"chosen_ids": [999999], "rationale": "x", "council_resolution": "y"}, 400),
    ("clerk", "deciding", "put", "decision/", {"chosen_ids": [], "rationale": "", "council_resolution": "y"}, 400),
    (
        "clerk",
        "deciding",
        "put",
        "decision/",
        {"chosen_ids": [], "rationale": "x", "council_resolution": "y", "problem_answers": {"abc": "x"}},
        400,
    ),
    (
        "clerk",
        "deciding",
        "put",
        "decision/",
        {"chosen_ids": [], "rationale": "x", "council_resolution": "y", "alternative_answers": {"999999": "x"}},
        400,
    ),
    ("moderator", "implementing", "post", "progress/", {"body": "x", "percent_complete": 101}, 400),
    ("moderator", "implementing", "post", "progress/", {"body": ""}, 400),
    ("moderator", "deliberation", "post", "transitions/nonsense/", {}, 409),
    ("moderator", "deliberation", "post", "transitions/publish/", {}, 409),
    ("resident", "deliberation", "get", "results/", None, 403),
]


def _fill(value, ids):
    if isinstance(value, str):
        for key, pk in ids.items():
            if value == "{" + key + "}":
                return pk
            value = value.replace("{" + key + "}", str(pk))
        return value
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


@pytest.mark.parametrize(("who", "state", "method", "path", "body", "status"), CASES)
def test_it_refuses_bad_input_and_changes_nothing(
    who, state, method, path, body, status, make_consultation, resident, moderator, clerk, residents, api
):
    c = make_consultation("collaborate", state)
    ids = {"problem": add_problem(c, residents[0]).pk, "alternative": add_alternative(c).pk}
    user = {"resident": resident, "moderator": moderator, "clerk": clerk, "anonymous": None}[who]
    base = "/api/v1/consultations/" + ("" if path == "" and state == "draft" and method == "post" else f"{c.pk}/")
    url = base + _fill(path, ids)
    before = counts()
    client = api(user)
    if isinstance(body, str):
        response = getattr(client, method)(url, body, content_type="application/json")
    else:
        response = getattr(client, method)(url, _fill(body, ids), format="json")
    assert response.status_code == status, response.content
    error_of(response)
    assert counts() == before


def test_pages_refuse_bad_input_with_a_message_and_change_nothing(make_consultation, resident, residents, client):
    c = make_consultation("collaborate", State.DELIBERATION)
    add_alternative(c)
    client.force_login(resident)
    before = counts()
    for path, data in [
        ("ballot/", {"alternative_ids": ["x"]}),
        ("comments/", {"body": ""}),
        ("problems/", {"title": "x"}),
        ("report/", {"kind": "x", "object_id": "y"}),
        ("problems/12345/support/", {}),
    ]:
        response = client.post(f"/consultations/{c.pk}/{path}", data, follow=True)
        assert response.status_code in (200, 400, 404, 409)  # a writing form comes back with its text (test_kept_forms)
        if response.status_code != 404:
            page = response.content.decode()
            assert 'class="msg error"' in page or 'data-testid="form-errors"' in page
    assert counts() == before
    assert client.get(f"/consultations/{c.pk}/ballot/").status_code == 405
    assert client.get("/consultations/abc/").status_code == 404
    bad_month = client.get("/consultations/?month=2021-13")  # said, not silently replaced by this month
    assert bad_month.status_code == 400 and 'data-testid="filter-errors"' in bad_month.content.decode()
