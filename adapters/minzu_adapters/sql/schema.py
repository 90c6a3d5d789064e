"""The tables of the SQL store (SQLAlchemy Core), portable across SQLite, PostgreSQL and MySQL.

:func:`build_metadata` returns a fresh :class:`~sqlalchemy.MetaData` and the :class:`Tables`
on it; nothing is registered globally, so a host application can call it with its own prefix and
schema and include the metadata in its Alembic migrations.

Portability rules followed here: every ``String`` has a length (MySQL needs one for
``VARCHAR``/indexes); dates are ``Date``; timestamps are naive UTC ``DateTime`` columns behind
:class:`UTCDateTime`, which accepts and returns timezone-aware values (microsecond precision on
MySQL too); JSON is stored as text (:class:`JSONText`); no partial indexes; every constraint and
index has an explicit name of at most 63 characters (PostgreSQL's limit). Key and code columns
use a binary collation (``"C"`` on PostgreSQL, ``utf8mb4_bin`` for MySQL tables) so that ordering
and prefix comparisons behave exactly like Python string comparison.

The one-active-record-per-ID-number rule is enforced by the database itself on every dialect:
``persons.active_id_number`` holds the ID number while the person is active and NULL otherwise,
under a UNIQUE constraint (NULLs never collide).

Encryption at rest (0007, :mod:`minzu_adapters.sql.crypto`): ``persons.id_number``, ``phone``
and ``name`` are wide enough for an AES-GCM token (:func:`~minzu_core.privacy.keys.token_length`
of the longest value); with keys, ``active_id_number`` and ``id_number_bidx`` hold the keyed
blind index (64 hex characters) of the ID number and ``name_bidx`` that of the name (when names
are encrypted). A store without keys keeps the clear values and leaves both ``*_bidx`` NULL.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import attrs
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.types import TypeDecorator, TypeEngine

from minzu_core.errors import ValidationError
from minzu_core.privacy.keys import token_length

__all__ = [
    "MAX_IDENTIFIER_LENGTH",
    "MAX_PREFIX_LENGTH",
    "JSONText",
    "Tables",
    "UTCDateTime",
    "build_metadata",
]

#: Longest identifier we create (PostgreSQL truncates at 63 bytes, MySQL allows 64).
MAX_IDENTIFIER_LENGTH = 63
#: Longest accepted table-name prefix (keeps every generated name within the limit).
MAX_PREFIX_LENGTH = 20

_PREFIX_RE = re.compile(r"[a-z_][a-z0-9_]*")
_MYSQL_TABLE_OPTIONS: dict[str, Any] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_bin",
}

# Column lengths (characters). Values longer than these are refused with DataTooLongError.
ID_LENGTH = 36  # UUID text form
CODE_LENGTH = 12  # division code
UNIT_KEY_LENGTH = 24  # "<12 digits>@YYYY-MM-DD"
NAME_LENGTH = 100
ADDRESS_LENGTH = 255
TEXT_LENGTH = 200
ENUM_LENGTH = 32
ID_NUMBER_LENGTH = 18  # resident ID number
PHONE_LENGTH = 20
#: Encrypted columns (0007): the token of the longest clear value (a name in UTF-8: up to 4
#: bytes a character), and the keyed blind index (HMAC-SHA256, hex).
ID_NUMBER_TOKEN_LENGTH = token_length(ID_NUMBER_LENGTH)  # 104
PHONE_TOKEN_LENGTH = token_length(PHONE_LENGTH)  # 108
NAME_TOKEN_LENGTH = token_length(4 * NAME_LENGTH)  # 612
BLIND_INDEX_LENGTH = 64


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware timestamp stored as naive UTC (portable to every dialect).

    Binding a naive datetime raises ``ValueError``; results are aware datetimes in UTC. An
    instant outside the UTC range of ``datetime`` (the first hours of year 1 east of Greenwich,
    as in a query bound of ``compute(period="0001")``, or the last hours of 9999 west of it) is
    bound as the earliest or latest naive UTC value, which every stored timestamp lies within
    (records never hold such an instant: :func:`minzu_core.clock.require_aware` refuses it, so
    only query bounds are clamped).
    """

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        """``DATETIME(6)`` on MySQL/MariaDB (microseconds), plain ``DateTime`` elsewhere."""
        if dialect.name in ("mysql", "mariadb"):
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(DateTime())

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Convert an aware datetime to naive UTC."""
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("timestamps must be timezone-aware")
        try:
            return value.astimezone(UTC).replace(tzinfo=None)
        except OverflowError:
            return datetime.min if value.year == datetime.min.year else datetime.max

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Mark a stored naive UTC value as UTC."""
        return None if value is None else value.replace(tzinfo=UTC)


class JSONText(TypeDecorator[Any]):
    """JSON-ready data stored as text (``MEDIUMTEXT`` on MySQL/MariaDB)."""

    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        """``MEDIUMTEXT`` on MySQL/MariaDB (``TEXT`` is only 64 KB there)."""
        if dialect.name in ("mysql", "mariadb"):
            return dialect.type_descriptor(mysql.MEDIUMTEXT())
        return super().load_dialect_impl(dialect)

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        """Serialise to compact JSON (non-ASCII kept as is)."""
        if value is None:
            return None
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        """Parse the stored JSON text."""
        return None if value is None else json.loads(value)


def _key(length: int) -> TypeEngine[str]:
    """A key/code column: binary collation on PostgreSQL (MySQL tables are ``utf8mb4_bin``)."""
    return String(length).with_variant(String(length, collation="C"), "postgresql")


@attrs.frozen
class Tables:
    """The tables of one SQL store (one prefix and schema).

    Attributes:
        units: one row per unit version, keyed by :func:`minzu_core.hierarchy.unit_key`.
        unit_changes: recorded unit changes (``seq`` keeps insertion order for equal dates).
        unit_change_successors: the successor codes of each change, in order.
        persons: ledger records (``active_id_number`` enforces one active record per number;
            ``id_number_bidx`` and ``name_bidx``: blind indexes of an encrypting store).
        residences: residence episodes of persons (deleted with their person).
        history: the change history, one row per (entity_type, entity_id, version).
        service_windows: service windows (categories and time limits as JSON).
        service_requests: service requests with the index values derived from their history
            (state, accepted/resolved times, due base, pause start) for queries in the database.
        case_events: the append-only event history of every case (service requests, disputes),
            one row per (case_id, seq).
        disputes: disputes with the index values derived from their history.
        audit_entries: the hash-chained audit trail (0006), one row per ``seq``; no personal
            data, only ids, codes and labels.
        audit_subjects: the persons each audit entry concerns (entity and subjects), for "who
            saw this person's data" (PIPL Art. 45).
        audit_head: one row (``id = 1``): the ``seq`` and ``hash`` of the last entry. Appending
            locks it, so concurrent transactions append one after the other (one chain).
        bodies … volunteer_hours: the organisation section (bodies, officials and technicians
            with their dated rank/title rows, appointments, the stored policy, activity types,
            activities, training, demonstration sites and their statuses, honours, volunteer
            memberships and hours); see :mod:`minzu_adapters.sql.organisation`.
    """

    units: Table
    unit_changes: Table
    unit_change_successors: Table
    persons: Table
    residences: Table
    history: Table
    service_windows: Table
    service_requests: Table
    case_events: Table
    bodies: Table
    officials: Table
    official_ranks: Table
    technicians: Table
    technician_titles: Table
    appointments: Table
    org_settings: Table
    activity_types: Table
    activities: Table
    training_courses: Table
    enrollments: Table
    demonstration_sites: Table
    site_statuses: Table
    honours: Table
    volunteer_members: Table
    volunteer_hours: Table
    disputes: Table
    audit_entries: Table
    audit_subjects: Table
    audit_head: Table

    def all(self) -> tuple[Table, ...]:
        """Every table, parents before children (the order of the attributes)."""
        return tuple(getattr(self, field.name) for field in attrs.fields(Tables))


def _check_prefix(prefix: str) -> None:
    if prefix and (len(prefix) > MAX_PREFIX_LENGTH or not _PREFIX_RE.fullmatch(prefix)):
        raise ValidationError(
            "表名前缀不合法 (小写字母、数字、下划线, 最多 20 个字符)",
            f"table prefix must match [a-z_][a-z0-9_]* and have at most "
            f"{MAX_PREFIX_LENGTH} characters",
            code="invalid_table_prefix",
            field="prefix",
        )


def build_metadata(prefix: str = "minzu_", schema: str | None = None) -> tuple[MetaData, Tables]:
    """Build the store's tables on a new ``MetaData``.

    Args:
        prefix: prepended to every table, constraint and index name (lowercase letters, digits
            and ``_``, at most 20 characters; may be empty).
        schema: the database schema the tables live in (PostgreSQL schema / MySQL database);
            ``None`` for the connection's default.

    Returns:
        ``(metadata, tables)``.
    """
    _check_prefix(prefix)
    md = MetaData(schema=schema)
    p = prefix

    made: dict[str, Table] = {}

    def table(name: str, *columns: Any) -> Table:
        """The table ``<prefix><name>`` (InnoDB, utf8mb4 with binary collation on MySQL), the
        attribute ``name`` of :class:`Tables`."""
        made[name] = Table(f"{p}{name}", md, *columns, **_MYSQL_TABLE_OPTIONS)
        return made[name]

    def ref(parent: str, name: str, ondelete: str | None = None) -> ForeignKey:
        """A reference to the ``id`` of ``parent``, constraint ``fk_<prefix><name>``."""
        target = f"{p}{parent}.id"
        return ForeignKey(
            f"{schema}.{target}" if schema else target, name=f"fk_{p}{name}", ondelete=ondelete
        )

    table(
        "units",
        Column("unit_key", _key(UNIT_KEY_LENGTH), nullable=False),
        Column("code", _key(CODE_LENGTH), nullable=False),
        Column("valid_from", Date, nullable=True),
        Column("valid_to", Date, nullable=True),
        Column("name", String(NAME_LENGTH), nullable=False),
        Column("level", String(ENUM_LENGTH), nullable=False),
        Column("kind", String(ENUM_LENGTH), nullable=False),
        Column("urban_rural_code", String(3), nullable=True),
        Column("version", Integer, nullable=False),
        PrimaryKeyConstraint("unit_key", name=f"pk_{p}units"),
        Index(f"ix_{p}units_code", "code"),
        Index(f"ix_{p}units_level_code", "level", "code"),
    )
    table(
        "unit_changes",
        Column("seq", Integer, autoincrement=True, nullable=False),
        Column("id", _key(ID_LENGTH), nullable=False),
        Column("kind", String(ENUM_LENGTH), nullable=False),
        Column("effective", Date, nullable=False),
        Column("code", _key(CODE_LENGTH), nullable=False),
        Column("old_name", String(NAME_LENGTH), nullable=True),
        Column("new_name", String(NAME_LENGTH), nullable=True),
        Column("note", Text, nullable=False),
        PrimaryKeyConstraint("seq", name=f"pk_{p}unit_changes"),
        UniqueConstraint("id", name=f"uq_{p}unit_changes_id"),
        Index(f"ix_{p}unit_changes_code", "code"),
    )
    table(
        "unit_change_successors",
        Column(
            "change_id",
            _key(ID_LENGTH),
            ref("unit_changes", "unit_change_succ_change", "CASCADE"),
            nullable=False,
        ),
        Column("position", Integer, nullable=False),
        Column("code", _key(CODE_LENGTH), nullable=False),
        PrimaryKeyConstraint("change_id", "position", name=f"pk_{p}unit_change_successors"),
        Index(f"ix_{p}unit_change_succ_code", "code"),
    )
    table(
        "persons",
        Column("id", _key(ID_LENGTH), nullable=False),
        Column("name", String(NAME_TOKEN_LENGTH), nullable=False),
        Column("ethnicity", _key(2), nullable=False),
        Column("id_number", _key(ID_NUMBER_TOKEN_LENGTH), nullable=True),
        Column("active_id_number", _key(BLIND_INDEX_LENGTH), nullable=True),
        Column("gender", String(ENUM_LENGTH), nullable=True),
        Column("birth_date", Date, nullable=True),
        Column("phone", String(PHONE_TOKEN_LENGTH), nullable=True),
        Column("has_household", Boolean(), nullable=False),
        Column("household_code", _key(CODE_LENGTH), nullable=True),
        Column("household_address", String(ADDRESS_LENGTH), nullable=True),
        Column("language", String(ENUM_LENGTH), nullable=True),
        Column("guardian_id", _key(ID_LENGTH), nullable=True),
        Column("status", String(ENUM_LENGTH), nullable=False),
        Column("merged_into", _key(ID_LENGTH), nullable=True),
        Column("version", Integer, nullable=False),
        # 0007 (added last, where ALTER TABLE … ADD COLUMN puts them): the blind indexes.
        Column("id_number_bidx", _key(BLIND_INDEX_LENGTH), nullable=True),
        Column("name_bidx", _key(BLIND_INDEX_LENGTH), nullable=True),
        # 0008: the values of the deployment's declared extension fields (JSON object).
        Column("extensions", JSONText(), nullable=True),
        PrimaryKeyConstraint("id", name=f"pk_{p}persons"),
        UniqueConstraint("active_id_number", name=f"uq_{p}persons_active_id_number"),
        Index(f"ix_{p}persons_id_number", "id_number"),
        Index(f"ix_{p}persons_id_number_bidx", "id_number_bidx"),
        Index(f"ix_{p}persons_name_bidx", "name_bidx", "birth_date"),
    )
    table(
        "residences",
        Column("id", _key(ID_LENGTH), nullable=False),
        Column(
            "person_id",
            _key(ID_LENGTH),
            ref("persons", "residences_person", "CASCADE"),
            nullable=False,
        ),
        Column("unit_code", _key(CODE_LENGTH), nullable=False),
        Column("status", String(ENUM_LENGTH), nullable=False),
        Column("arrival", Date, nullable=False),
        Column("departure", Date, nullable=True),
        Column("address", String(ADDRESS_LENGTH), nullable=True),
        Column("origin", _key(CODE_LENGTH), nullable=True),
        Column("reason", String(ENUM_LENGTH), nullable=True),
        Column("occupation", String(NAME_LENGTH), nullable=True),
        Column("employer", String(TEXT_LENGTH), nullable=True),
        Column("employer_uscc", _key(18), nullable=True),
        PrimaryKeyConstraint("id", name=f"pk_{p}residences"),
        Index(f"ix_{p}residences_unit_arrival", "unit_code", "arrival"),
        Index(f"ix_{p}residences_person", "person_id"),
    )
    table(
        "history",
        Column("id", _key(ID_LENGTH), nullable=False),
        Column("entity_type", _key(ENUM_LENGTH), nullable=False),
        Column("entity_id", _key(64), nullable=False),
        Column("version", Integer, nullable=False),
        Column("at", UTCDateTime(), nullable=False),
        Column("actor_id", String(128), nullable=False),
        Column("kind", String(ENUM_LENGTH), nullable=False),
        Column("reason", Text, nullable=False),
        Column("snapshot", JSONText(), nullable=False),
        PrimaryKeyConstraint("id", name=f"pk_{p}history"),
        # Also serves lookups by (entity_type, entity_id): no separate index is needed.
        UniqueConstraint(
            "entity_type", "entity_id", "version", name=f"uq_{p}history_entity_version"
        ),
    )
    table(
        "service_windows",
        Column("id", _key(ID_LENGTH), nullable=False),
        Column("unit_code", _key(CODE_LENGTH), nullable=False),
        Column("name", String(TEXT_LENGTH), nullable=False),
        Column("opened", Date, nullable=False),
        Column("closed", Date, nullable=True),
        Column("categories", JSONText(), nullable=False),
        Column("time_limits", JSONText(), nullable=False),
        Column("version", Integer, nullable=False),
        PrimaryKeyConstraint("id", name=f"pk_{p}service_windows"),
        Index(f"ix_{p}service_windows_unit", "unit_code"),
    )
    table(
        "service_requests",
        Column("id", _key(ID_LENGTH), nullable=False),
        Column(
            "window_id",
            _key(ID_LENGTH),
            ref("service_windows", "service_requests_window"),
            nullable=False,
        ),
        Column("unit_code", _key(CODE_LENGTH), nullable=False),
        Column(
            "applicant_id",
            _key(ID_LENGTH),
            ref("persons", "service_requests_applicant"),
            nullable=False,
        ),
        Column("category", String(ENUM_LENGTH), nullable=False),
        Column("received_at", UTCDateTime(), nullable=False),
        Column("description", Text, nullable=False),
        Column("state", String(ENUM_LENGTH), nullable=False),
        Column("accepted_at", UTCDateTime(), nullable=True),
        Column("resolved_at", UTCDateTime(), nullable=True),
        Column("due_base", UTCDateTime(), nullable=True),
        Column("paused_since", UTCDateTime(), nullable=True),
        Column("version", Integer, nullable=False),
        # 0005: derived values the indicator engine filters and groups on.
        Column("time_limit_days", Integer, nullable=True),
        Column("resolved_on_time", Boolean(), nullable=True),
        Column("followed_up_at", UTCDateTime(), nullable=True),
        Column("satisfaction", String(ENUM_LENGTH), nullable=True),
        Column("closed_at", UTCDateTime(), nullable=True),
        PrimaryKeyConstraint("id", name=f"pk_{p}service_requests"),
        Index(f"ix_{p}service_requests_unit_received", "unit_code", "received_at"),
        Index(f"ix_{p}service_requests_window_state", "window_id", "state"),
        Index(f"ix_{p}service_requests_state_due", "state", "due_base"),
        Index(f"ix_{p}service_requests_applicant", "applicant_id"),
        Index(f"ix_{p}service_requests_accepted", "accepted_at", "unit_code"),
        Index(f"ix_{p}service_requests_resolved", "resolved_at", "unit_code"),
    )
    table(
        "case_events",
        Column("case_id", _key(ID_LENGTH), nullable=False),
        Column("seq", Integer, autoincrement=False, nullable=False),
        Column("case_type", _key(ENUM_LENGTH), nullable=False),
        Column("action", String(ENUM_LENGTH), nullable=False),
        Column("at", UTCDateTime(), nullable=False),
        Column("actor_id", String(128), nullable=False),
        Column("note", Text, nullable=False),
        Column("data", JSONText(), nullable=False),
        PrimaryKeyConstraint("case_id", "seq", name=f"pk_{p}case_events"),
    )
    table(
        "disputes",
        Column("id", _key(ID_LENGTH), nullable=False),
        Column("origin_unit", _key(CODE_LENGTH), nullable=False),
        Column("handling_unit", _key(CODE_LENGTH), nullable=False),
        Column("category", String(ENUM_LENGTH), nullable=False),
        Column("severity", String(ENUM_LENGTH), nullable=False),
        Column("source", String(ENUM_LENGTH), nullable=False),
        Column("referred_by", String(TEXT_LENGTH), nullable=True),
        Column("ethnic_factor", Boolean(), nullable=False),
        Column("mass", Boolean(), nullable=False),
        Column("narrative", Text, nullable=True),
        Column("parties", JSONText(), nullable=False),
        Column("mediators", JSONText(), nullable=False),
        Column("registered_at", UTCDateTime(), nullable=False),
        Column("state", String(ENUM_LENGTH), nullable=False),
        Column("accepted_at", UTCDateTime(), nullable=True),
        Column("due_at", UTCDateTime(), nullable=True),
        Column("concluded_at", UTCDateTime(), nullable=True),
        Column("outcome", String(ENUM_LENGTH), nullable=True),
        Column("escalations", Integer, nullable=False),
        Column("version", Integer, nullable=False),
        # 0005: derived values the indicator engine filters on.
        Column("target_days", Integer, nullable=True),
        Column("concluded_within_target", Boolean(), nullable=True),
        Column("party_count", Integer, nullable=False),
        PrimaryKeyConstraint("id", name=f"pk_{p}disputes"),
        Index(f"ix_{p}disputes_handling_state", "handling_unit", "state"),
        Index(f"ix_{p}disputes_origin", "origin_unit"),
        Index(f"ix_{p}disputes_state_due", "state", "due_at"),
        Index(f"ix_{p}disputes_registered", "registered_at"),
        Index(f"ix_{p}disputes_concluded", "concluded_at"),
    )
    # -- organisation section (bodies, cadres, appointments, activities, recognition) ---------
    table(
        "bodies",
        Column("id", _key(ID_LENGTH), nullable=False),
        Column("unit_code", _key(CODE_LENGTH), nullable=False),
        Column("kind", String(ENUM_LENGTH), nullable=False),
        Column("name", String(TEXT_LENGTH), nullable=False),
        Column("opened", Date, nullable=False),
        Column("closed", Date, nullable=True),
        Column("origin_code", _key(CODE_LENGTH), nullable=True),
        Column(
            "window_id",
            _key(ID_LENGTH),
            ref("service_windows", "bodies_window"),
            nullable=True,
        ),
        Column("note", Text, nullable=False),
        Column("version", Integer, nullable=False),
        PrimaryKeyConstraint("id", name=f"pk_{p}bodies"),
        Index(f"ix_{p}bodies_unit_kind", "unit_code", "kind"),
    )

    def cadre(name: str, duty: str) -> Table:
        """Officials and technicians: a cadre of a unit (``duty``: position or specialty)."""
        return table(
            name,
            Column("id", _key(ID_LENGTH), nullable=False),
            Column("unit_code", _key(CODE_LENGTH), nullable=False),
            Column("name", String(NAME_LENGTH), nullable=False),
            Column("ethnicity", _key(2), nullable=False),
            Column("gender", String(ENUM_LENGTH), nullable=True),
            Column(duty, String(TEXT_LENGTH), nullable=False),
            Column("person_id", _key(ID_LENGTH), ref("persons", f"{name}_person"), nullable=True),
            Column("left_on", Date, nullable=True),
            Column("version", Integer, nullable=False),
            PrimaryKeyConstraint("id", name=f"pk_{p}{name}"),
            Index(f"ix_{p}{name}_unit", "unit_code"),
        )

    def dated(
        name: str, parent: str, parent_column: str, entry: tuple[Column[Any], ...], *extra: Any
    ) -> Table:
        """The dated history of a record of ``parent``: entry ``seq`` is in force from
        ``since`` until ``until`` (derived: the next entry's date, or the day of leaving)."""
        owner = parent_column.removesuffix("_id")
        return table(
            name,
            Column(
                parent_column,
                _key(ID_LENGTH),
                ref(parent, f"{name}_{owner}", "CASCADE"),
                nullable=False,
            ),
            Column("seq", Integer, autoincrement=False, nullable=False),
            *entry,
            Column("since", Date, nullable=False),
            Column("until", Date, nullable=True),
            Column("basis", String(TEXT_LENGTH), nullable=False),
            PrimaryKeyConstraint(parent_column, "seq", name=f"pk_{p}{name}"),
            *extra,
        )

    def grades(name: str, parent: str, parent_column: str, grade: str) -> Table:
        """The rank (title) history of an official (technician), searchable by order."""
        return dated(
            name,
            parent,
            parent_column,
            (
                Column(grade, String(ENUM_LENGTH), nullable=False),
                Column(f"{grade}_order", Integer, nullable=False),
            ),
            Index(f"ix_{p}{name}_order_since", f"{grade}_order", "since"),
        )

    cadre("officials", "position")
    grades("official_ranks", "officials", "official_id", "rank")
    cadre("technicians", "specialty")
    grades("technician_titles", "technicians", "technician_id", "title")
    table(
        "appointments",
        Column("id", _key(ID_LENGTH), nullable=False),
        Column(
            "official_id",
            _key(ID_LENGTH),
            ref("officials", "appointments_official"),
            nullable=False,
        ),
        Column("role", _key(ENUM_LENGTH), nullable=False),
        Column("unit_code", _key(CODE_LENGTH), nullable=False),
        Column("start", Date, nullable=False),
        Column("end", Date, nullable=True),
        Column("basis", String(TEXT_LENGTH), nullable=False),
        Column("body_id", _key(ID_LENGTH), ref("bodies", "appointments_body"), nullable=True),
        Column("version", Integer, nullable=False),
        PrimaryKeyConstraint("id", name=f"pk_{p}appointments"),
        Index(f"ix_{p}appointments_unit_role_start", "unit_code", "role", "start"),
        Index(f"ix_{p}appointments_official", "official_id"),
    )
    table(
        "org_settings",
        Column("key", _key(64), nullable=False),
        Column("data", JSONText(), nullable=False),
        Column("version", Integer, nullable=False),
        PrimaryKeyConstraint("key", name=f"pk_{p}org_settings"),
    )
    table(
        "activity_types",
        Column("code", _key(ENUM_LENGTH), nullable=False),
        Column("label_zh", String(NAME_LENGTH), nullable=False),
        Column("label_en", String(NAME_LENGTH), nullable=False),
        Column("version", Integer, nullable=False),
        PrimaryKeyConstraint("code", name=f"pk_{p}activity_types"),
    )
    table(
        "activities",
        Column("id", _key(ID_LENGTH), nullable=False),
        Column("type", _key(ENUM_LENGTH), nullable=False),
        Column("organiser_code", _key(CODE_LENGTH), nullable=False),
        Column("title", String(TEXT_LENGTH), nullable=False),
        Column("start", Date, nullable=False),
        Column("end", Date, nullable=False),
        Column("participants", Integer, nullable=False),
        Column("minority_participants", Integer, nullable=False),
        Column("materials", Integer, nullable=False),
        Column("attendee_ids", JSONText(), nullable=False),
        Column("body_id", _key(ID_LENGTH), ref("bodies", "activities_body"), nullable=True),
        Column("note", Text, nullable=False),
        Column("version", Integer, nullable=False),
        PrimaryKeyConstraint("id", name=f"pk_{p}activities"),
        Index(f"ix_{p}activities_organiser_start", "organiser_code", "start"),
        Index(f"ix_{p}activities_type_start", "type", "start"),
    )
    table(
        "training_courses",
        Column("id", _key(ID_LENGTH), nullable=False),
        Column("type", _key(ENUM_LENGTH), nullable=False),
        Column("organiser_code", _key(CODE_LENGTH), nullable=False),
        Column("title", String(TEXT_LENGTH), nullable=False),
        Column("start", Date, nullable=False),
        Column("end", Date, nullable=True),
        Column(
            "activity_id",
            _key(ID_LENGTH),
            ref("activities", "training_courses_activity"),
            nullable=True,
        ),
        Column("version", Integer, nullable=False),
        PrimaryKeyConstraint("id", name=f"pk_{p}training_courses"),
        Index(f"ix_{p}training_courses_organiser", "organiser_code", "start"),
    )
    table(
        "enrollments",
        Column("id", _key(ID_LENGTH), nullable=False),
        Column(
            "course_id",
            _key(ID_LENGTH),
            ref("training_courses", "enrollments_course"),
            nullable=False,
        ),
        Column("person_id", _key(ID_LENGTH), ref("persons", "enrollments_person"), nullable=True),
        Column(
            "official_id",
            _key(ID_LENGTH),
            ref("officials", "enrollments_official"),
            nullable=True,
        ),
        Column("enrolled_on", Date, nullable=False),
        Column("completed_on", Date, nullable=True),
        Column("version", Integer, nullable=False),
        PrimaryKeyConstraint("id", name=f"pk_{p}enrollments"),
        UniqueConstraint("course_id", "person_id", name=f"uq_{p}enrollments_course_person"),
        UniqueConstraint("course_id", "official_id", name=f"uq_{p}enrollments_course_official"),
        Index(f"ix_{p}enrollments_completed", "completed_on"),
    )
    table(
        "demonstration_sites",
        Column("id", _key(ID_LENGTH), nullable=False),
        Column("unit_code", _key(CODE_LENGTH), nullable=False),
        Column("name", String(TEXT_LENGTH), nullable=False),
        Column("body_id", _key(ID_LENGTH), ref("bodies", "sites_body"), nullable=True),
        Column("version", Integer, nullable=False),
        PrimaryKeyConstraint("id", name=f"pk_{p}demonstration_sites"),
        Index(f"ix_{p}demonstration_sites_unit", "unit_code"),
    )
    dated(
        "site_statuses",
        "demonstration_sites",
        "site_id",
        (
            Column("status", String(ENUM_LENGTH), nullable=False),
            Column("level", String(ENUM_LENGTH), nullable=False),
            Column("level_order", Integer, nullable=False),
        ),
    )
    table(
        "honours",
        Column("id", _key(ID_LENGTH), nullable=False),
        Column("title", String(TEXT_LENGTH), nullable=False),
        Column("unit_code", _key(CODE_LENGTH), nullable=False),
        Column("awarded_on", Date, nullable=False),
        Column("person_id", _key(ID_LENGTH), ref("persons", "honours_person"), nullable=True),
        Column("business_name", String(TEXT_LENGTH), nullable=False),
        Column("business_uscc", _key(18), nullable=True),
        Column(
            "ceremony_id", _key(ID_LENGTH), ref("activities", "honours_ceremony"), nullable=True
        ),
        Column("basis", String(TEXT_LENGTH), nullable=False),
        Column("version", Integer, nullable=False),
        PrimaryKeyConstraint("id", name=f"pk_{p}honours"),
        Index(f"ix_{p}honours_unit_awarded", "unit_code", "awarded_on"),
    )
    table(
        "volunteer_members",
        Column("id", _key(ID_LENGTH), nullable=False),
        Column("team_id", _key(ID_LENGTH), ref("bodies", "volunteer_members_team"), nullable=False),
        Column(
            "person_id",
            _key(ID_LENGTH),
            ref("persons", "volunteer_members_person"),
            nullable=False,
        ),
        Column("start", Date, nullable=False),
        Column("end", Date, nullable=True),
        Column("duty", String(NAME_LENGTH), nullable=False),
        Column("version", Integer, nullable=False),
        PrimaryKeyConstraint("id", name=f"pk_{p}volunteer_members"),
        Index(f"ix_{p}volunteer_members_team_start", "team_id", "start"),
        Index(f"ix_{p}volunteer_members_person", "person_id"),
    )
    table(
        "volunteer_hours",
        Column("id", _key(ID_LENGTH), nullable=False),
        Column("team_id", _key(ID_LENGTH), ref("bodies", "volunteer_hours_team"), nullable=False),
        Column("kind", String(ENUM_LENGTH), nullable=False),
        Column("served_on", Date, nullable=False),
        Column("hours", Numeric(10, 2, asdecimal=False), nullable=False),
        Column(
            "member_id",
            _key(ID_LENGTH),
            ref("persons", "volunteer_hours_member"),
            nullable=True,
        ),
        Column("note", Text, nullable=False),
        Column("version", Integer, nullable=False),
        PrimaryKeyConstraint("id", name=f"pk_{p}volunteer_hours"),
        Index(f"ix_{p}volunteer_hours_team_served", "team_id", "served_on"),
    )
    # -- audit trail (0006) ----------------------------------------------------------------
    table(
        "audit_entries",
        Column("seq", BigInteger, autoincrement=False, nullable=False),
        Column("at", UTCDateTime(), nullable=False),
        Column("actor_id", String(128), nullable=False),
        Column("operation", String(ENUM_LENGTH), nullable=False),
        Column("entity_type", _key(ENUM_LENGTH), nullable=False),
        Column("entity_id", _key(64), nullable=False),
        Column("field_groups", String(TEXT_LENGTH), nullable=False),
        Column("purpose", String(64), nullable=True),
        Column("reason", Text, nullable=False),
        Column("subject_ids", JSONText(), nullable=False),
        Column("prev_hash", String(64), nullable=False),
        Column("hash", String(64), nullable=False),
        PrimaryKeyConstraint("seq", name=f"pk_{p}audit_entries"),
        Index(f"ix_{p}audit_entries_actor", "actor_id", "seq"),
        Index(f"ix_{p}audit_entries_entity", "entity_type", "entity_id"),
        Index(f"ix_{p}audit_entries_at", "at"),
    )
    table(
        "audit_subjects",
        Column("seq", BigInteger, autoincrement=False, nullable=False),
        Column("person_id", _key(64), nullable=False),
        PrimaryKeyConstraint("seq", "person_id", name=f"pk_{p}audit_subjects"),
        Index(f"ix_{p}audit_subjects_person", "person_id", "seq"),
    )
    table(
        "audit_head",
        Column("id", Integer, autoincrement=False, nullable=False),
        Column("seq", BigInteger, autoincrement=False, nullable=False),
        Column("hash", String(64), nullable=False),
        PrimaryKeyConstraint("id", name=f"pk_{p}audit_head"),
    )
    tables = Tables(**made)
    _check_identifiers(tables)
    return md, tables


def _check_identifiers(tables: Tables) -> None:
    names: list[str] = []
    for table in tables.all():
        names.append(table.name)
        names.extend(str(c.name) for c in table.constraints if isinstance(c.name, str))
        names.extend(str(i.name) for i in table.indexes if isinstance(i.name, str))
    too_long = [n for n in names if len(n) > MAX_IDENTIFIER_LENGTH]
    if too_long:  # pragma: no cover - guarded by the prefix length limit
        raise ValueError(f"identifiers too long: {too_long}")
