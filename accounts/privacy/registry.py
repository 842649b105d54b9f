"""The apps that hold personal data, and what each does for a person's export, their erasure and
the retention purge. An app registers once, from its AppConfig.ready():

    privacy.register("petitions", export=signatures_export, erase=signatures_erase, purge=signatures_purge)

- export(user) -> JSON-able: everything the app holds about `user` (called only for a signed-in,
  active account);
- erase(user) -> {what: how many}: remove or anonymise it, inside the erasure's transaction and
  before the account itself is anonymised (so `user.email` is still the person's address). Counts,
  tallies and the audit chain must stay as they are;
- purge(now) -> {what: how many}: the app's retention rule, idempotent (run daily by beat).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Holder:
    name: str
    export: Callable[[Any], Any] | None = None
    erase: Callable[[Any], dict[str, int]] | None = None
    purge: Callable[[Any], dict[str, int]] | None = None


_holders: dict[str, Holder] = {}


def register(name: str, *, export=None, erase=None, purge=None) -> Holder:
    holder = Holder(name=name, export=export, erase=erase, purge=purge)
    _holders[name] = holder  # ready() may run twice (tests): the last one wins
    return holder


def holders() -> list[Holder]:
    """In registration order (INSTALLED_APPS order)."""
    return list(_holders.values())
