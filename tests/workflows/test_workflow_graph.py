"""manage.py workflow_graph and {% workflow_diagram %} draw every FSM field of a machine."""

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.template import Context, Template

from tests.workflows.conftest import moved


def graph(*args) -> str:
    out = StringIO()
    call_command("workflow_graph", *args, stdout=out)
    return out.getvalue()


def test_it_draws_mermaid_with_every_field_and_labelled_moves(db):
    text = graph("testapp.Ticket", "--format", "mermaid")
    assert text.startswith("%% testapp.Ticket\nstateDiagram-v2\n")
    assert 'state "status" as field_status {' in text and 'state "priority" as field_priority {' in text
    assert "[*] --> status_new" in text and "[*] --> priority_normal" in text
    assert "status_new --> status_open : submit" in text
    assert "status_resolved --> status_open : reopen *" in text  # * = needs a reason
    assert "priority_normal --> priority_escalated : escalate" in text
    # close has three sources: each is drawn
    assert len(re.findall(r"--> status_closed : close \*", text)) == 3
    assert "status_open --> status_open : remind" in text  # a move that stays in its state
    assert len(re.findall(r" --> ", text)) == 2 + 9 + 2  # two initial arrows + 9 status moves + 2 priority moves


def test_it_draws_graphviz_dot(db):
    text = graph("testapp.Ticket", "--format", "dot")
    assert text.startswith('digraph "testapp.Ticket" {')
    assert 'subgraph "cluster_status"' in text and 'subgraph "cluster_priority"' in text
    assert '"status_open" -> "status_in_progress" [label="assign"];' in text
    assert '"status_new" [label="new", peripheries=2];' in text
    assert text.count("{") == text.count("}")


def test_it_explains_an_unknown_or_unregistered_model(db):
    with pytest.raises(CommandError, match="unknown model"):
        graph("nowhere.Thing")
    with pytest.raises(CommandError, match="no registered workflow"):
        graph("accounts.Organisation")


def test_the_template_tag_lists_states_and_marks_the_current_one(make_ticket):
    ticket = moved(make_ticket(), "submit")
    html = Template("{% load workflow %}{% workflow_diagram ticket %}").render(Context({"ticket": ticket}))
    assert "<script" not in html
    assert html.count('aria-current="step"') == 2  # one per FSM field
    current = re.findall(r'<li aria-current="step" class="wf-current" data-state="(\w+)">', html)
    assert current == ["open", "normal"]
    assert html.index('data-state="new"') < html.index('data-state="open"') < html.index('data-state="closed"')
    assert "Assign" in html  # moves carry their labels


def test_the_template_tag_can_draw_one_field_and_ignores_unregistered_objects(make_ticket, org):
    ticket = make_ticket()
    html = Template('{% load workflow %}{% workflow_diagram ticket "priority" %}').render(Context({"ticket": ticket}))
    assert 'data-field="priority"' in html and 'data-field="status"' not in html
    assert Template("{% load workflow %}{% workflow_diagram org %}").render(Context({"org": org})).strip() == ""
