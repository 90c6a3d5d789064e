"""The 台账 import engine (台账导入): a ledger spreadsheet into the store, every row accounted for.

:func:`import_ledger` streams a CSV (UTF-8 with or without BOM; GB18030 when the file is not
UTF-8, or the ``encoding`` given) or an XLSX sheet (openpyxl's read-only mode) row by row in
constant memory. The header is found by :func:`~minzu_core.interchange.columns.split_header`
(title and note rows above it are skipped), every row is parsed by
:func:`~minzu_core.interchange.cells.parse_row`, and the record is built by the domain's own
constructors (:class:`~minzu_core.ledger.model.Person`, :class:`~minzu_core.ledger.model.Residence`)
and stored through the repository, whose rules (scope, the stored hierarchy, one active record
per ID number, write permissions) are the rest of the validation. A row any of them refuses is
*rejected* with the error's code, column and messages.

Matching:

* a row with an ID number is matched by it (``uow.people.find_by_id_number``): not found →
  *created*; found and equal on every imported field → *unchanged*; otherwise *updated* with
  history — a changed community is a move (a new residence episode, :meth:`Person.move`); a
  changed name, gender, birth date, ethnicity or household division is a *correction* (those
  facts do not change in the world: the ledger had them wrong); any other change (a new phone,
  address, occupation, employer, language level) is a real change (``updated``);
* a row without an ID number is compared with the likely duplicates in scope (same name, birth
  date and ethnicity, :meth:`PersonRepository.likely_duplicates`): one equal on every imported
  field → *unchanged*; a likely match that differs → *held* for a decision (neither merged nor
  created); none → *created*. A second row of the file with the same name, birth date and
  ethnicity is held too;
* the same ID number twice in one file: the second row is *rejected* (``duplicate_in_file``).

A blank cell never clears a stored value (an import loses nothing); the 序号 and 备注 columns are
read and checked but not stored (the ledger record has no such fields).

Rows are committed in batches of ``batch``: an import interrupted halfway and run again finds
the rows already stored unchanged and ends with the same store as one clean run. ``dry_run``
computes everything and rolls every batch back.

Every row read is accounted for: ``read == created + updated + unchanged + rejected + held``
(:class:`ImportSummary` checks it); blank rows are not read. Each rejected or held row is written
to the error file (``errors_path``, CSV UTF-8 with BOM) in the template's own columns with its
original cells, followed by 行号, 列, 原因 and ``error`` (English), so the user can fix the file
and import it again.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any, Final

import attrs

from minzu_core.codes.divisions import DivisionCode, Level
from minzu_core.errors import MinzuError, ValidationError
from minzu_core.interchange.cells import (
    CellDate,
    CellError,
    CellNotice,
    CommunityRef,
    ParsedRow,
    parse_name,
    parse_row,
)
from minzu_core.interchange.columns import COLUMNS, HeaderMap, column_letter, split_header
from minzu_core.ledger.model import HouseholdRegistration, Person, Residence
from minzu_core.privacy.actor import Actor
from minzu_core.store.uow import UnitOfWork

__all__ = [
    "ERROR_COLUMNS",
    "ImportSummary",
    "RowOutcome",
    "import_ledger",
]

#: The columns the error file adds after the template's own: the row number, the column(s)
#: (header text as in the file), the reason in Chinese and in English.
ERROR_COLUMNS: Final[tuple[str, ...]] = ("行号", "列", "原因", "error")

#: The outcomes a row read can have (:attr:`RowOutcome.kind`).
_KINDS: Final[tuple[str, ...]] = ("created", "updated", "unchanged", "rejected", "held")

_XLSX_SUFFIXES: Final[frozenset[str]] = frozenset({".xlsx", ".xlsm"})
_ZIP_MAGIC: Final[bytes] = b"PK\x03\x04"
_CHUNK: Final[int] = 1 << 16

#: Person attributes set from the column of the same key.
_PERSON_KEYS: Final[tuple[str, ...]] = (
    "name",
    "ethnicity",
    "gender",
    "birth_date",
    "phone",
    "language",
)
#: Residence attribute → column key.
_RESIDENCE_KEYS: Final[Mapping[str, str]] = {
    "status": "status",
    "arrival": "arrival",
    "departure": "departure",
    "address": "address",
    "reason": "reason",
    "occupation": "occupation",
    "employer": "employer",
    "employer_uscc": "employer_uscc",
}
#: The field names of the domain's errors → the column key they concern.
_FIELD_KEYS: Final[Mapping[str, str]] = {
    "unit_code": "community",
    "residences": "arrival",
    "household.division_code": "household_code",
    "household": "household_code",
    "division_code": "household_code",
    "person": "name",
}
_COLUMN_KEYS: Final[frozenset[str]] = frozenset(c.key for c in COLUMNS)


def _check_counts(summary: ImportSummary) -> None:
    total = summary.created + summary.updated + summary.unchanged + summary.rejected + summary.held
    if total != summary.read:
        raise MinzuError(
            "导入统计不一致: 读取行数不等于各结果之和",
            "import counts do not add up: rows read differ from the sum of the outcomes",
            code="summary_mismatch",
            details={"read": summary.read, "accounted": total},
        )


#: The fields whose change is the correction of a recording mistake, not a change in the world.
_IDENTITY_FACTS = ("name", "gender", "birth_date", "ethnicity")


def _identity_changed(before: Person, after: Person) -> bool:
    """Whether ``after`` corrects an identity fact of ``before`` (see :data:`_IDENTITY_FACTS`),
    or its household division."""
    if any(getattr(before, name) != getattr(after, name) for name in _IDENTITY_FACTS):
        return True
    old = before.household.division_code if before.household else None
    new = after.household.division_code if after.household else None
    return old != new


@attrs.frozen
class ImportSummary:
    """What an import did with every row read (blank rows are not read).

    ``read == created + updated + unchanged + rejected + held`` always holds (checked when the
    summary is made: ``MinzuError(code="summary_mismatch")`` otherwise).

    Attributes:
        read: non-blank data rows read.
        created: new records stored.
        updated: stored records changed (with history).
        unchanged: rows equal to the stored record on every imported field.
        rejected: rows refused (written to the error file).
        held: rows matching a stored record without an ID number, held for a duplicate
            decision (written to the error file).
        notices: facts recorded about accepted cells (a 15-digit ID number converted, a
            month-only date).
        dry_run: True if nothing was written.
    """

    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    held: int = 0
    notices: int = 0
    dry_run: bool = False

    def __attrs_post_init__(self) -> None:
        _check_counts(self)

    def to_dict(self) -> dict[str, int | bool]:
        """The summary as a JSON-ready mapping (integer counts and ``dry_run``)."""
        return attrs.asdict(self)


@attrs.frozen
class RowOutcome:
    """What became of one row: ``kind`` (created/updated/unchanged/rejected/held), its row
    number and, for a rejected or held row, the reasons (one :class:`CellError` each)."""

    row: int
    kind: str
    errors: tuple[CellError, ...] = ()


# -- reading ----------------------------------------------------------------------------------


def _bad_file(code: str, zh: str, en: str) -> ValidationError:
    return ValidationError(zh, en, code=code, field="file")


def _is_utf8(path: Path) -> bool:
    """True if the whole file decodes as UTF-8 (read in chunks: constant memory)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as handle:
        try:
            while chunk := handle.read(_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


def _csv_rows(path: Path, encoding: str | None) -> Iterator[list[str]]:
    chosen = encoding or ("utf-8-sig" if _is_utf8(path) else "gb18030")
    if chosen.replace("_", "-").lower() in ("utf-8", "utf8"):
        chosen = "utf-8-sig"  # a BOM is not part of the first header
    try:
        handle: IO[str] = path.open(encoding=chosen, newline="")
    except LookupError:
        raise ValidationError(
            "未知的文件编码",
            "unknown file encoding",
            code="unknown_encoding",
            field="encoding",
        ) from None
    with handle:
        try:
            for record in csv.reader(handle):
                if any("\x00" in cell for cell in record):
                    raise _bad_file(
                        "not_a_spreadsheet",
                        "文件不是CSV或XLSX表格",
                        "the file is not a CSV or XLSX spreadsheet",
                    )
                yield record
        except UnicodeDecodeError:
            raise ValidationError(
                f"文件不是 {chosen} 编码; 请用 --encoding 指定编码",
                f"the file is not encoded in {chosen}; give the encoding with --encoding",
                code="invalid_encoding",
                field="encoding",
            ) from None
        except csv.Error:
            raise _bad_file(
                "not_a_spreadsheet",
                "文件不是CSV或XLSX表格",
                "the file is not a CSV or XLSX spreadsheet",
            ) from None


def _xlsx_rows(path: Path) -> Iterator[tuple[Any, ...]]:
    from minzu_core.interchange.template import load_openpyxl

    openpyxl = load_openpyxl()[0]  # untyped optional dependency (Any); ConfigurationError if absent
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception:  # openpyxl raises zipfile, KeyError and its own errors for bad files
        raise _bad_file(
            "not_a_spreadsheet",
            "文件不是有效的XLSX工作簿",
            "the file is not a valid XLSX workbook",
        ) from None
    try:
        sheet = workbook.worksheets[0]
        yield from sheet.iter_rows(values_only=True)
    finally:
        workbook.close()


def _rows(path: Path, encoding: str | None) -> Iterator[Sequence[Any]]:
    """The file's rows, streamed."""
    if not path.is_file():
        raise _bad_file("file_not_found", "文件不存在", "the file does not exist")
    with path.open("rb") as handle:
        head = handle.read(len(_ZIP_MAGIC))
    if not head:
        raise _bad_file("empty_file", "文件为空 (0 字节)", "the file is empty (0 bytes)")
    if head == _ZIP_MAGIC or path.suffix.lower() in _XLSX_SUFFIXES:
        return _xlsx_rows(path)
    return _csv_rows(path, encoding)


# -- the error file ---------------------------------------------------------------------------


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


class _ErrorFile:
    """The error file, written as rows are rejected or held (CSV, UTF-8 with BOM)."""

    def __init__(self, path: Path, header: HeaderMap) -> None:
        self._header = header
        self._handle = path.open("w", encoding="utf-8-sig", newline="")
        self._writer = csv.writer(self._handle)
        self._writer.writerow([c.header_zh for c in COLUMNS] + list(ERROR_COLUMNS))

    def _column(self, key: str) -> str:
        index = self._header.index_of(key)
        if index is None:
            return key if key not in _COLUMN_KEYS else _header_zh(key)
        text = self._header.headers[index] if index < len(self._header.headers) else ""
        return text or column_letter(index)

    def write(self, raw: Mapping[str, Any], outcome: RowOutcome) -> None:
        cells = [_cell_text(raw.get(c.key)) for c in COLUMNS]
        columns: list[str] = []
        for error in outcome.errors:
            name = self._column(error.key) if error.key else ""
            if name and name not in columns:
                columns.append(name)
        self._writer.writerow(
            [
                *cells,
                str(outcome.row),
                "、".join(columns),
                "；".join(_labelled(e, zh=True) for e in outcome.errors),
                "; ".join(_labelled(e, zh=False) for e in outcome.errors),
            ]
        )

    def close(self) -> None:
        self._handle.close()


def _header_zh(key: str) -> str:
    for col in COLUMNS:
        if col.key == key:
            return col.header_zh
    return key  # pragma: no cover - keys come from COLUMNS


def _labelled(error: CellError, *, zh: bool) -> str:
    message = error.message_zh if zh else error.message_en
    if error.key in _COLUMN_KEYS:
        col = next(c for c in COLUMNS if c.key == error.key)
        return f"{col.header_zh if zh else col.header_en}: {message}"
    return message


# -- building records -------------------------------------------------------------------------


def _key_of_field(field: str | None) -> str:
    """The column key a domain error's field concerns (``""`` if none)."""
    if not field:
        return ""
    name = field
    for prefix in ("residence.", "person."):
        if name.startswith(prefix):
            name = name[len(prefix) :]
    if name.startswith("residences[") and "]." in name:
        name = name.split("].", 1)[1]
    name = _FIELD_KEYS.get(name, name)
    return name if name in _COLUMN_KEYS else ""


def _rejection(error: MinzuError, row: int) -> RowOutcome:
    key = _key_of_field(error.field)
    return RowOutcome(row, "rejected", (CellError.from_error(error, key=key, row=row),))


def _plain(value: Any) -> Any:
    """A parsed cell value as the domain takes it."""
    if isinstance(value, CellDate):
        return value.value
    if hasattr(value, "number") and hasattr(value, "converted_from_15"):
        return value.number  # a ResidentId
    return value


class _Communities:
    """Resolves 现居住社区 cells within the import's unit: a code must lie in its subtree; a
    name must name exactly one community/village unit there (valid today)."""

    def __init__(self, uow: UnitOfWork, unit: DivisionCode) -> None:
        self._unit = unit
        self._names: dict[str, set[DivisionCode]] = {}
        for found in uow.units.subtree(unit, as_of=uow.today()):
            if found.level is not Level.VILLAGE:
                continue
            try:
                name = parse_name(found.name, key="community")
            except MinzuError:  # pragma: no cover - stored unit names are valid text
                continue
            if name is not None:
                self._names.setdefault(name, set()).add(found.code)

    def resolve(self, ref: CommunityRef) -> DivisionCode:
        if ref.code is not None:
            if not self._unit.contains(ref.code):
                raise ValidationError(
                    "现居住社区不在本次导入的单位范围内",
                    "the community is not within the unit of this import",
                    code="community_outside_unit",
                    field="community",
                )
            return ref.code
        codes = self._names.get(ref.name or "", set())
        if not codes:
            raise ValidationError(
                "本单位范围内没有这个名称的社区/村",
                "no community or village of this name within the unit",
                code="unknown_community",
                field="community",
            )
        if len(codes) > 1:
            raise ValidationError(
                "本单位范围内有多个同名社区/村; 请填写区划代码",
                "several communities or villages of this name within the unit; give the code",
                code="ambiguous_community",
                field="community",
                details={"codes": sorted(c.value for c in codes)},
            )
        return next(iter(codes))


def _given(values: Mapping[str, Any], key: str) -> Any:
    return _plain(values.get(key))


def _household(values: Mapping[str, Any], base: HouseholdRegistration | None) -> Any:
    code = _given(values, "household_code")
    address = _given(values, "household_address")
    if code is None and address is None:
        return base
    return HouseholdRegistration(
        division_code=code if code is not None else (base.division_code if base else None),
        address=address if address is not None else (base.address if base else None),
    )


def _residence_changes(values: Mapping[str, Any]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for attribute, key in _RESIDENCE_KEYS.items():
        value = _given(values, key)
        if value is not None:
            changes[attribute] = value
    return changes


def _new_person(values: Mapping[str, Any], community: DivisionCode) -> Person:
    kwargs: dict[str, Any] = {}
    for key in _PERSON_KEYS:
        value = _given(values, key)
        if value is not None:
            kwargs[key] = value
    number = _given(values, "id_number")
    if number is not None:
        kwargs["id_number"] = number
    household = _household(values, None)
    if household is not None:
        kwargs["household"] = household
    residence = Residence(unit_code=community, **_residence_changes(values))
    return Person(residences=(residence,), **kwargs)


def _merged(
    existing: Person, values: Mapping[str, Any], community: DivisionCode
) -> tuple[Person, bool]:
    """``existing`` with the row's non-blank values, and whether the change is a move."""
    changes: dict[str, Any] = {}
    for key in _PERSON_KEYS:
        value = _given(values, key)
        if value is not None:
            changes[key] = value
    household = _household(values, existing.household)
    if household != existing.household:
        changes["household"] = household
    episode = _residence_changes(values)
    latest = existing.latest_residence
    moved = False
    if latest is None:
        changes["residences"] = (Residence(unit_code=community, **episode),)
        moved = True
    elif latest.unit_code == community:
        corrected = attrs.evolve(latest, **episode)
        if corrected != latest:
            changes["residences"] = tuple(
                corrected if r.id == latest.id else r for r in existing.residences
            )
    else:
        moved = True
    person = attrs.evolve(existing, **changes) if changes else existing
    if moved and latest is not None:
        person = person.move(Residence(unit_code=community, **episode))
    return person, moved


def _notes(reason: str, notices: Sequence[CellNotice]) -> str:
    if not notices:
        return reason
    seen: list[str] = []
    for notice in notices:
        text = notice.message_zh
        if text not in seen:
            seen.append(text)
    return f"{reason} ({'; '.join(seen)})"


# -- the import ---------------------------------------------------------------------------------


@attrs.define
class _Counts:
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    held: int = 0
    notices: int = 0

    def add(self, kind: str) -> None:
        setattr(self, kind, getattr(self, kind) + 1)


def _held(row: int) -> RowOutcome:
    return RowOutcome(
        row,
        "held",
        (
            CellError(
                "name",
                row,
                "likely_duplicate",
                "与已有记录的姓名、出生日期和民族相同但没有公民身份号码，已暂缓导入，待确认是否为同一人",
                "same name, birth date and ethnicity as another record and no ID number: held "
                "for a decision whether it is the same person",
            ),
        ),
    )


class _Importer:
    """One import: the state carried across batches (what the file already matched)."""

    def __init__(
        self, uow: UnitOfWork, communities: _Communities, reason: str, counts: _Counts
    ) -> None:
        self.uow = uow
        self.communities = communities
        self.reason = reason
        self.counts = counts
        self.seen_ids: set[str] = set()
        self.seen_keys: set[tuple[str, dt.date | None, str]] = set()

    def row(self, parsed: ParsedRow) -> tuple[RowOutcome | None, Person | None]:
        """The outcome of one parsed row, or ``(None, person)`` for a record to create."""
        number = parsed.row
        if not parsed.ok:
            return RowOutcome(number, "rejected", parsed.errors), None
        values = parsed.values
        try:
            community = self.communities.resolve(values["community"])
            candidate = _new_person(values, community)
        except MinzuError as error:
            return _rejection(error, number), None
        reason = _notes(self.reason, parsed.notices)
        people = self.uow.people
        try:
            if candidate.id_number is not None:
                if candidate.id_number in self.seen_ids:
                    return self._duplicate_in_file(number), None
                existing = people.find_by_id_number(candidate.id_number)
                if existing is None:
                    self.seen_ids.add(candidate.id_number)
                    return None, candidate
                merged, moved = _merged(existing, values, community)
                self.seen_ids.add(candidate.id_number)
                if merged == existing:
                    return RowOutcome(number, "unchanged"), None
                correction = not moved and _identity_changed(existing, merged)
                people.save(merged, reason=reason, correction=correction)
                return RowOutcome(number, "updated"), None
            return self._without_id(candidate, values, community, number)
        except MinzuError as error:
            if candidate.id_number is not None:
                self.seen_ids.discard(candidate.id_number)
            return _rejection(error, number), None

    def _duplicate_in_file(self, row: int) -> RowOutcome:
        error = CellError(
            "id_number",
            row,
            "duplicate_in_file",
            "同一公民身份号码在文件中已出现过; 本行未导入",
            "the same ID number appears on an earlier row of the file; this row was not imported",
        )
        return RowOutcome(row, "rejected", (error,))

    def _without_id(
        self,
        candidate: Person,
        values: Mapping[str, Any],
        community: DivisionCode,
        row: int,
    ) -> tuple[RowOutcome | None, Person | None]:
        matches = self.uow.people.likely_duplicates(candidate)
        for match in matches:
            if match.id_number is None and _merged(match, values, community)[0] == match:
                return RowOutcome(row, "unchanged"), None
        key = (candidate.name, candidate.birth_date, candidate.ethnicity)
        if matches or key in self.seen_keys:
            return _held(row), None
        self.seen_keys.add(key)
        return None, candidate

    def create(self, row: int, person: Person, reason: str) -> RowOutcome:
        """Add ``person`` (inside the batch's bulk block)."""
        try:
            self.uow.people.add(person, reason=reason)
        except MinzuError as error:
            if person.id_number is not None:
                self.seen_ids.discard(person.id_number)
            return _rejection(error, row)
        return RowOutcome(row, "created")


def _data_rows(
    header: HeaderMap, rows: Iterator[tuple[Any, ...]], today: dt.date
) -> Iterator[tuple[dict[str, Any], ParsedRow]]:
    """The non-blank data rows: the raw cells by column key and the parsed row."""
    for number, cells in enumerate(rows, start=header.data_start):
        raw = header.values(cells)
        parsed = parse_row(raw, row=number, today=today)
        if parsed.blank:
            continue
        yield raw, parsed


def import_ledger(
    store: Any,
    path: str | Path,
    *,
    actor: Actor,
    unit: DivisionCode | str,
    purpose: str = "台账管理",
    reason: str,
    dry_run: bool = False,
    errors_path: str | Path | None = None,
    encoding: str | None = None,
    batch: int = 500,
    progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Import the ledger file at ``path`` into ``store`` for ``unit`` (see the module's
    docstring for the rules) and return what became of every row.

    Args:
        store: an opened :class:`~minzu_core.store.Store`.
        path: a CSV or XLSX file (the first sheet is read).
        actor: who imports (their scope and write permissions apply).
        unit: the unit the file belongs to: communities given by name are looked up in its
            subtree, and a community given by code must lie in it.
        purpose: the purpose of processing declared for the reads of stored records.
        reason: recorded on every change (with the facts of converted cells, e.g. a 15-digit
            ID number converted).
        dry_run: compute everything, store nothing (every batch is rolled back).
        errors_path: where to write the rejected and held rows (CSV, UTF-8 with BOM).
        encoding: the CSV's encoding (default: UTF-8, else GB18030).
        batch: rows per transaction.
        progress: called with the number of rows read after each batch is committed.

    Raises:
        ValidationError: the file is missing, empty (``empty_file``), not a spreadsheet
            (``not_a_spreadsheet``), in another encoding (``invalid_encoding``), or has no
            header (``no_header``), a duplicated or missing required column; the unit is
            unknown. Nothing is stored then.
    """
    if batch < 1:
        raise ValidationError(
            "批大小须为正数", "batch must be positive", code="invalid_batch", field="batch"
        )
    source = Path(path)
    rows = _rows(source, encoding)
    header, data = split_header(rows)
    header.raise_for_errors()
    counts = _Counts()
    errors = _ErrorFile(Path(errors_path), header) if errors_path is not None else None
    try:
        with store.unit_of_work(actor, purpose=purpose, reason=reason) as uow:
            code = uow.units.get(unit).code
            importer = _Importer(uow, _Communities(uow, code), reason, counts)
            stream = _data_rows(header, data, uow.today())
            while True:
                chunk = _take(stream, batch)
                if not chunk:
                    break
                _run_batch(importer, chunk, errors)
                if dry_run:
                    uow.rollback()
                else:
                    uow.commit()
                if progress is not None:
                    progress(counts.read)
    finally:
        if errors is not None:
            errors.close()
    return ImportSummary(
        read=counts.read,
        created=counts.created,
        updated=counts.updated,
        unchanged=counts.unchanged,
        rejected=counts.rejected,
        held=counts.held,
        notices=counts.notices,
        dry_run=dry_run,
    )


def _take(
    stream: Iterator[tuple[dict[str, Any], ParsedRow]], size: int
) -> list[tuple[dict[str, Any], ParsedRow]]:
    chunk: list[tuple[dict[str, Any], ParsedRow]] = []
    for item in stream:
        chunk.append(item)
        if len(chunk) >= size:
            break
    return chunk


def _run_batch(
    importer: _Importer,
    chunk: Sequence[tuple[dict[str, Any], ParsedRow]],
    errors: _ErrorFile | None,
) -> None:
    """Match every row of one batch, save the updates, then add the new records in one bulk
    write; count every row and write the rejected and held ones to the error file."""
    outcomes: dict[int, RowOutcome] = {}
    pending: list[tuple[ParsedRow, Person]] = []
    for _, parsed in chunk:
        outcome, person = importer.row(parsed)
        if outcome is not None:
            outcomes[parsed.row] = outcome
        elif person is not None:
            pending.append((parsed, person))
    if pending:
        with importer.uow.bulk():
            for parsed, person in pending:
                why = _notes(importer.reason, parsed.notices)
                outcomes[parsed.row] = importer.create(parsed.row, person, why)
    counts = importer.counts
    for raw, parsed in chunk:
        outcome = outcomes[parsed.row]
        counts.read += 1
        counts.add(outcome.kind)
        if outcome.kind in ("created", "updated"):
            counts.notices += len(parsed.notices)
        if errors is not None and outcome.kind in ("rejected", "held"):
            errors.write(raw, outcome)
