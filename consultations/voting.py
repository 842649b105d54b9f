"""The SQL of a ballot: casting or changing it in one call on PostgreSQL (the function
consultations_ballot_cast, migration 0007), in autocommit, with the rule of consultations.rules.

Casting is what a consultation's voters do all at once when voting opens or is about to close,
so the plain case is one round trip: the function checks the stage and level, the voter's role
(a resident needs a confirmed email), the eligible villages, the single-choice rule and that
every chosen alternative is published, then upserts the ballot, replaces its choices and follows
the consultation for the voter. When anything is not so it writes nothing and returns None; the
service (services.ballot_cast) then runs the portable code, which says why (or casts, if a race
made the case plain since). The tally needs no counter: it is counted from the choices
(selectors.tally), one ballot per voter (a unique constraint) with its choices replaced under the
ballot's row lock, so concurrent casts and changes leave it exact.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import connection

from workflows.sql import one_statement

from .models import LEVEL_RANK, Consultation, Visibility
from .rules import RESIDENT, RULES

_SQL = "SELECT * FROM consultations_ballot_cast(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
_BIGINT = 2**63


@dataclass(frozen=True)
class Cast:
    ballot_id: int
    village_id: int | None
    created_at: dt.datetime
    changes: int


def available() -> bool:
    return connection.vendor == "postgresql"


def plain(wanted) -> bool:
    """Whether `wanted` (validated alternative numbers) can take the one-call path at all."""
    return bool(wanted) and len(set(wanted)) == len(wanted) and all(0 < a < _BIGINT for a in wanted)


def _rule(action: str) -> tuple[list[str], list[str], list[str], list[str]]:
    rule = RULES[action]
    levels = [level for level, rank in LEVEL_RANK.items() if rank >= LEVEL_RANK[rule.min_level]]
    # rules.effective_roles: a resident membership counts only with a confirmed email.
    return sorted(rule.states), levels, sorted(rule.roles), sorted(rule.roles & RESIDENT)


def cast(*, consultation_id: int, voter_id: int, wanted: list[int], now: dt.datetime) -> Cast | None:
    """Cast or change the ballot in one call; None when the plain case does not hold (nothing
    written). Safe to run twice with the same `now` (workflows.sql.one_statement retries once on a
    lost connection): the second run counts no extra change."""
    states, levels, roles, confirmed = _rule("vote")
    row = one_statement(
        _SQL,
        [
            consultation_id, voter_id, list(wanted), now, states, levels, roles, confirmed,
            Consultation.Voting.SINGLE.value, Visibility.PUBLISHED.value, Consultation._meta.label_lower,
        ],
    )  # fmt: skip
    return Cast(*row) if row is not None else None
