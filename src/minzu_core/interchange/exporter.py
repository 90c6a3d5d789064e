"""The 台账 export (台账导出): the persons of a unit in the ledger template, as the actor sees them.

:func:`export_ledger` writes the template's own columns and layout
(:func:`~minzu_core.interchange.template.write_ledger`: the same sheets, header rows, drop-down
lists and 说明 sheet as the blank template, or the CSV with its two header rows), one row per
person of the unit's subtree:

* without ``as_of``: every active record whose latest residence episode
  (:attr:`~minzu_core.ledger.model.Person.latest_residence`, the one that places the person
  now) lies in the unit — a person who moved to another unit is in that unit's ledger, not in
  this one; the row shows that episode (with its 离开时间 if the person has left);
* with ``as_of``: every active record present in the unit on that day, with the episode that
  covers the day.

The persons are read page by page (``uow.people.list(within=…, limit=…, offset=…)``) and the
file is written as they come, so memory does not grow with the ledger. Values are those the
unit of work shows: the repository masks every personal field the actor's roles may not read
in clear for the declared purpose (``张*``, ``6531**********0011``, ``138****1234``,
``****-**-**``) and records each record read in clear in the audit trail — the entries are
appended when the unit of work commits or ends. Nothing here unmasks a value.

An unrestricted export (clear values) is a valid ledger file: imported into an empty store
(:func:`~minzu_core.interchange.importer.import_ledger`) it gives back the same records on the
fields the template carries; imported into the store it came from, every row is unchanged. A
masked export cannot be imported (a masked value is never stored).

Columns: 序号 counts the rows from 1; 民族 is the group's Chinese name (``维吾尔族``); 性别,
人员类别, 流动原因 and 国家通用语言水平 their Chinese labels; 户籍地区划代码 the code in its short
form (``653101``); 现居住社区 the community's 12-digit code (unambiguous, and checked against
the hierarchy on import); dates are date cells in XLSX and ``2019-03-01`` in CSV; 备注 is blank
(the record has no such field).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import attrs

import minzu_core.fields as fields
from minzu_core.codes.divisions import DivisionCode
from minzu_core.codes.ethnicity import get_ethnicity
from minzu_core.errors import ValidationError
from minzu_core.labels import LabelledEnum
from minzu_core.ledger.model import Person, Residence
from minzu_core.store.uow import UnitOfWork

__all__ = [
    "DEFAULT_PAGE",
    "ExportSummary",
    "export_ledger",
    "person_row",
]

#: Persons read per page.
DEFAULT_PAGE: Final = 500


@attrs.frozen
class ExportSummary:
    """What an export wrote.

    Attributes:
        path: the file written.
        format: ``"xlsx"`` or ``"csv"``.
        unit: the unit exported (its 12-digit code).
        as_of: the day the ledger shows, or ``None`` for the persons placed in the unit now.
        rows: the data rows written (one per person).
        masked_rows: rows holding at least one masked value (0 for an export in clear).
    """

    path: Path
    format: str
    unit: str
    as_of: dt.date | None
    rows: int
    masked_rows: int

    def to_dict(self) -> dict[str, Any]:
        """The summary as a JSON-ready mapping."""
        return {
            "path": str(self.path),
            "format": self.format,
            "unit": self.unit,
            "as_of": None if self.as_of is None else self.as_of.isoformat(),
            "rows": self.rows,
            "masked_rows": self.masked_rows,
        }


def _label(value: LabelledEnum | None) -> str | None:
    return None if value is None else value.label_zh


def person_row(person: Person, residence: Residence | None, seq: int) -> dict[str, Any]:
    """The ledger row (column key → cell value) of ``person`` placed by ``residence``, with the
    序号 ``seq``. Values are taken as the record holds them (masked where it was read masked).
    """
    household = person.household
    row: dict[str, Any] = {
        "seq": seq,
        "name": person.name,
        "gender": _label(person.gender),
        "ethnicity": get_ethnicity(person.ethnicity).name_zh,
        "id_number": person.id_number,
        "birth_date": person.birth_date,  # a date, or its masked text ****-**-**
        "phone": person.phone,
        "household_address": None if household is None else household.address,
        "household_code": (
            None
            if household is None or household.division_code is None
            else household.division_code.short
        ),
        "language": _label(person.language),
    }
    if residence is not None:
        row.update(
            {
                "community": residence.unit_code.value,
                "address": residence.address,
                "status": _label(residence.status),
                "arrival": residence.arrival,
                "departure": residence.departure,
                "reason": _label(residence.reason),
                "occupation": residence.occupation,
                "employer": residence.employer,
                "employer_uscc": residence.employer_uscc,
            }
        )
    return row


def _masked(row: dict[str, Any]) -> bool:
    return any(fields.is_withheld(value) for value in row.values())


def _check_page(page: int) -> int:
    if isinstance(page, bool) or not isinstance(page, int) or page < 1:
        raise ValidationError(
            "每页人数须为正整数",
            "the page size must be a positive integer",
            code="invalid_page",
            field="page",
        )
    return page


def export_ledger(
    uow: UnitOfWork,
    path: str | os.PathLike[str],
    *,
    unit: DivisionCode | str,
    as_of: dt.date | str | None = None,
    format: str = "xlsx",
    overwrite: bool = False,
    page: int = DEFAULT_PAGE,
) -> ExportSummary:
    """Write the ledger of ``unit`` as ``uow`` sees it to ``path`` and return what was written
    (see the module's docstring for the rows and columns).

    Args:
        uow: an open unit of work; its actor's scope limits the persons and its permissions
            and declared purpose decide which values are in clear. The clear reads are
            recorded in its audit trail (appended when it commits or ends).
        path: the file to write.
        unit: the unit whose subtree is exported (a code; it must be stored and in scope).
        as_of: the persons present on this day (a date or ``YYYY-MM-DD``; default: those
            placed in the unit now).
        format: ``"xlsx"`` (default) or ``"csv"``.
        overwrite: replace an existing file (default: refuse).
        page: persons read per query.

    Raises:
        ValidationError: ``invalid_format``, ``output_exists``, ``invalid_output`` (as
            :func:`~minzu_core.interchange.template.write_template`), ``invalid_page``,
            ``invalid_date``.
        NotFoundError: the unit is not stored.
        PermissionDeniedError: the unit is outside the actor's scope.
        ConfigurationError: ``missing_dependency`` for XLSX without openpyxl.
    """
    from minzu_core.interchange.template import write_ledger

    size = _check_page(page)
    day = None if as_of is None else fields.as_date(as_of, "as_of")
    code = uow.units.get(unit).code
    counts = {"rows": 0, "masked": 0}

    def rows() -> Iterator[dict[str, Any]]:
        offset = 0
        while True:
            found = uow.people.list(within=code, as_of=day, limit=size, offset=offset)
            for person in found:
                residence = person.latest_residence if day is None else person.residence_on(day)
                if residence is None or not code.contains(residence.unit_code):
                    continue  # moved to another unit: in that unit's ledger
                counts["rows"] += 1
                row = person_row(person, residence, counts["rows"])
                if _masked(row):
                    counts["masked"] += 1
                yield row
            if len(found) < size:
                return
            offset += size

    target = Path(path)
    write_ledger(target, rows(), format=format, overwrite=overwrite)
    return ExportSummary(
        path=target,
        format=format,
        unit=code.value,
        as_of=day,
        rows=counts["rows"],
        masked_rows=counts["masked"],
    )
