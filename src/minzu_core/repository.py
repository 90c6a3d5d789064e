"""What every repository is given (仓储的上下文), and the helpers they share.

A repository does not receive the whole unit of work: it receives a
:class:`RepositoryContext` — the actor, the clock, the current storage session (typed by the
port the repository needs, e.g. ``RepositoryContext[LedgerPort]``), a way to append a history
record, and today's date. :class:`~minzu_core.store.UnitOfWork` is one such context; so is
anything else that offers the same members (a test double, a batch loader). This keeps the
dependencies one-way: ``store`` → the contexts' repositories → this module.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Protocol, TypeAlias, TypeVar

from minzu_core.clock import Clock
from minzu_core.codes.divisions import DivisionCode
from minzu_core.history import ChangeKind, ChangeRecord
from minzu_core.privacy.actor import Actor

__all__ = ["List", "RepositoryContext", "as_code", "scope_prefixes"]

#: Repositories have a method called ``list``; annotations inside them use this alias.
List: TypeAlias = list

S_co = TypeVar("S_co", covariant=True)


class RepositoryContext(Protocol[S_co]):
    """The members a repository uses: ``actor``, ``clock``, ``session`` (the storage session
    of the current transaction, begun lazily), ``record`` and ``today``."""

    @property
    def actor(self) -> Actor:
        """Who is acting: recorded in every change; their scope limits every read and write."""
        ...

    @property
    def clock(self) -> Clock:
        """The injected clock (timezone-aware now)."""
        ...

    @property
    def session(self) -> S_co:
        """The storage session of the current transaction."""
        ...

    def record(
        self,
        entity_type: str,
        entity_id: str,
        version: int,
        kind: ChangeKind,
        reason: str,
        snapshot: Any,
    ) -> ChangeRecord:
        """Append a history record (who, when, why) for a change made in this transaction."""
        ...

    def today(self) -> date:
        """Today's date (China Standard Time) by the injected clock."""
        ...


def as_code(value: DivisionCode | str, field: str = "code") -> DivisionCode:
    """``value`` as a :class:`DivisionCode` (a typed ``ValidationError`` naming ``field``)."""
    return value if isinstance(value, DivisionCode) else DivisionCode.parse(value, field=field)


def scope_prefixes(roots: tuple[DivisionCode, ...] | None) -> tuple[str, ...] | None:
    """The code prefixes of scope roots (``None``: unrestricted) for a storage query."""
    return None if roots is None else tuple(r.short for r in roots)
