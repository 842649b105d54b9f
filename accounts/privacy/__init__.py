"""Personal data (PDPA): what is said where it is collected, what a person can download and have
erased, and how long signers' data is kept.

accounts knows no domain app, so each app that holds personal data registers a Holder here from
its AppConfig.ready() (registry.register): what it exports for a person, how it erases them, and
its retention purge. docs/OPERATIONS.md#personal-data-pdpa says how an operator runs it.
"""

from .notices import Notice, notice
from .registry import Holder, holders, register

__all__ = ["Holder", "Notice", "holders", "notice", "register"]
