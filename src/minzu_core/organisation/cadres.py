"""Cadres and talent (干部与人才): officials with a dated rank history (职级) and professional
technicians with a dated title history (职称). Neither need be a ledger person; names are
personal data, masked in every repr.

:class:`Official` and :class:`Technician` are one implementation, :class:`GradedHolder`: a
person at a unit with a dated history of grades (oldest first, one entry per date) that ends on
``left_on``.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Sequence
from datetime import date
from typing import ClassVar, Generic, Protocol, TypeVar

import attrs

import minzu_core.fields as fields
from minzu_core.codes.divisions import DivisionCode
from minzu_core.codes.ethnicity import HAN
from minzu_core.codes.resident_id import Gender
from minzu_core.fields import in_period, invalid, masked_name
from minzu_core.labels import Graded

__all__ = [
    "GradedHolder",
    "Official",
    "Rank",
    "RankEntry",
    "Technician",
    "TitleEntry",
    "TitleLevel",
    "periods_of",
]


class Rank(Graded):
    """职级 of an official, lowest first (科员级 < 副科级 < … < 正厅级及以上)."""

    STAFF = "staff", "科员级", "staff level"
    DEPUTY_SECTION = "deputy_section", "副科级", "deputy section-chief level"
    SECTION = "section", "正科级", "section-chief level"
    DEPUTY_DIVISION = "deputy_division", "副处级", "deputy division-chief level"
    DIVISION = "division", "正处级", "division-chief level"
    DEPUTY_BUREAU = "deputy_bureau", "副厅级", "deputy bureau-director level"
    BUREAU_AND_ABOVE = "bureau_and_above", "正厅级及以上", "bureau-director level and above"


class TitleLevel(Graded):
    """专业技术职称 level, lowest first (初级 < 中级 < 副高级 < 正高级)."""

    JUNIOR = "junior", "初级", "junior"
    INTERMEDIATE = "intermediate", "中级", "intermediate"
    ASSOCIATE_SENIOR = "associate_senior", "副高级", "associate senior"
    SENIOR = "senior", "正高级", "senior"


@attrs.frozen
class RankEntry:
    """An official holds ``rank`` from ``since`` until the next entry (or leaving)."""

    rank: Rank = attrs.field(converter=fields.to_choice)
    since: date = attrs.field(converter=fields.to_date)
    basis: str = attrs.field(default="", converter=fields.to_text_or_empty)


@attrs.frozen
class TitleEntry:
    """A technician holds ``title`` from ``since`` until the next entry (or leaving)."""

    title: TitleLevel = attrs.field(converter=fields.to_choice)
    since: date = attrs.field(converter=fields.to_date)
    basis: str = attrs.field(default="", converter=fields.to_text_or_empty)


class _Dated(Protocol):
    @property
    def since(self) -> date: ...


E = TypeVar("E", RankEntry, TitleEntry)


def periods_of(
    entries: Sequence[_Dated], left_on: date | None
) -> list[tuple[int, date, date | None]]:
    """``(index, since, until)`` of each entry: it holds on ``since <= d < until``."""
    result = []
    for index, entry in enumerate(entries):
        until = entries[index + 1].since if index + 1 < len(entries) else left_on
        result.append((index, entry.since, until))
    return result


class GradedHolder(Generic[E]):
    """What officials and technicians share: the ethnicity, the dated grade history named by
    ``HISTORY`` (checked: in date order without repeated dates, ended by ``left_on``) and the
    entry in effect on a day."""

    __slots__ = ()

    #: the name of the attribute holding the history (``ranks``, ``titles``)
    HISTORY: ClassVar[str]
    ethnicity: str
    left_on: date | None

    @property
    def history(self) -> tuple[E, ...]:
        """The grade history, oldest first."""
        entries: tuple[E, ...] = getattr(self, self.HISTORY)
        return entries

    def __attrs_post_init__(self) -> None:
        entries, field = self.history, self.HISTORY
        for index, (earlier, later) in enumerate(itertools.pairwise(entries), start=1):
            if later.since <= earlier.since:
                raise invalid(
                    "history_order",
                    "记录须按日期先后排列且日期不能重复",
                    "entries must be in date order without repeated dates",
                    f"{field}[{index}].since",
                )
        if self.left_on is not None and entries and self.left_on <= entries[-1].since:
            raise invalid(
                "left_before_since",
                "离任日期须晚于最后一条记录的日期",
                "left_on must be after the last entry",
                "left_on",
            )

    @property
    def is_minority(self) -> bool:
        """True unless the person is 汉族."""
        return self.ethnicity != HAN

    def entry_on(self, day: date) -> E | None:
        """The entry in effect on ``day`` (``None`` before the first entry or after leaving)."""
        for index, since, until in periods_of(self.history, self.left_on):
            if in_period(day, since, until):
                return self.history[index]
        return None


@attrs.frozen
class Official(GradedHolder[RankEntry]):
    """A cadre (干部): not necessarily a ledger person. ``name`` is masked in reprs.

    Attributes:
        unit_code: the unit the official serves in (scope and subtree queries use it).
        ethnicity: GB/T 3304 code (any accepted form is normalised).
        ranks: the dated rank history (职级), oldest first; empty for cadres without a civil
            service rank (e.g. community cadres).
        position: the post held, free text (e.g. 党工委书记).
        person_id: the ledger person, if the official is also in the ledger.
        left_on: the first day the official is no longer in service (ends the last rank).
    """

    HISTORY: ClassVar[str] = "ranks"

    unit_code: DivisionCode = attrs.field(converter=fields.to_code)
    name: str = attrs.field(converter=fields.to_text, repr=masked_name)
    ethnicity: str = attrs.field(converter=fields.to_ethnicity)
    ranks: tuple[RankEntry, ...] = attrs.field(default=(), converter=fields.to_records)
    gender: Gender | None = attrs.field(default=None, converter=fields.to_gender_or_none)
    position: str = attrs.field(default="", converter=fields.to_text_or_empty)
    person_id: uuid.UUID | None = attrs.field(default=None, converter=fields.to_uuid_or_none)
    left_on: date | None = attrs.field(default=None, converter=fields.to_date_or_none)
    id: uuid.UUID = attrs.field(factory=uuid.uuid4, converter=fields.to_uuid)
    version: int = 0

    def rank_on(self, day: date) -> Rank | None:
        """The rank held on ``day`` (``None`` before the first entry or after leaving)."""
        entry = self.entry_on(day)
        return None if entry is None else entry.rank

    def with_rank(self, rank: Rank | str, since: date, basis: str = "") -> Official:
        """A copy with a new rank from ``since`` (after every existing entry)."""
        return attrs.evolve(self, ranks=(*self.ranks, RankEntry(rank, since, basis)))


@attrs.frozen
class Technician(GradedHolder[TitleEntry]):
    """A professional technician (专业技术人员) with a dated title history (职称).

    Attributes:
        unit_code: the unit the technician works in (scope and subtree queries use it).
        specialty: the professional field, free text (e.g. 临床医学).
        titles: the dated title history, oldest first.
        left_on: the first day the technician no longer counts (ends the last title).
    """

    HISTORY: ClassVar[str] = "titles"

    unit_code: DivisionCode = attrs.field(converter=fields.to_code)
    name: str = attrs.field(converter=fields.to_text, repr=masked_name)
    ethnicity: str = attrs.field(converter=fields.to_ethnicity)
    titles: tuple[TitleEntry, ...] = attrs.field(default=(), converter=fields.to_records)
    gender: Gender | None = attrs.field(default=None, converter=fields.to_gender_or_none)
    specialty: str = attrs.field(default="", converter=fields.to_text_or_empty)
    person_id: uuid.UUID | None = attrs.field(default=None, converter=fields.to_uuid_or_none)
    left_on: date | None = attrs.field(default=None, converter=fields.to_date_or_none)
    id: uuid.UUID = attrs.field(factory=uuid.uuid4, converter=fields.to_uuid)
    version: int = 0

    def title_on(self, day: date) -> TitleLevel | None:
        """The title held on ``day`` (``None`` before the first entry or after leaving)."""
        entry = self.entry_on(day)
        return None if entry is None else entry.title

    def with_title(self, title: TitleLevel | str, since: date, basis: str = "") -> Technician:
        """A copy with a new title from ``since`` (after every existing entry)."""
        return attrs.evolve(self, titles=(*self.titles, TitleEntry(title, since, basis)))
