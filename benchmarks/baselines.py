"""Baselines for the indicator benchmark (DESIGN §8): the catalog's figures by township, computed
without minzu-core's indicator engine.

* :func:`sql_baseline` — hand-written SQL, one statement per measure (numerator or
  denominator), ``GROUP BY substr(<unit code>, 1, 9)``, through the plain :mod:`sqlite3` module;
* :func:`sql_table_baseline` — hand-written SQL written the fast way: one statement per table
  with a conditional count per measure;
* :func:`pandas_baseline` — the same figures by loading the needed columns of each table with
  :func:`pandas.read_sql` and filtering and grouping in pandas.

Both return ``{indicator id: {township prefix (9 digits): (numerator, denominator or None)}}``
with only the townships that have at least one row in a measure (a missing key means 0). The
organisation indicators (activities, officials, technicians, honours, volunteer hours,
responsibility coverage) are not computed: the province dataset leaves those tables empty.

Conventions (those of the indicator engine, DESIGN §5): a period is an inclusive pair of dates;
a date field is in it when ``start <= d <= end``; a timestamp when ``start 00:00 CST <= t <
(end + 1 day) 00:00 CST``. The SQL store keeps timestamps as naive UTC text
``YYYY-MM-DD HH:MM:SS.ffffff`` and dates as ``YYYY-MM-DD``, so the bounds are converted to UTC
text (CST is UTC+8: the period starts at 16:00 UTC of the day before). A stock is evaluated at
the period's end: present means ``arrival <= end and (departure is null or departure > end)``,
and a unit or window is valid when ``(valid_from/opened is null or <= end) and
(valid_to/closed is null or > end)``.

Run ``python benchmarks/baselines.py province.db 2019-01-01 2019-12-31`` to time both.
"""

from __future__ import annotations

import re
import sqlite3
import sys
import time
import warnings
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from typing import TYPE_CHECKING, Any, TypeAlias
from urllib.parse import unquote, urlsplit

from minzu_core.clock import CST

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "INDICATORS",
    "SQL",
    "Figures",
    "Period",
    "pandas_baseline",
    "period_bounds",
    "sql_baseline",
    "sql_table_baseline",
]

#: ``{indicator id: {township prefix: (numerator, denominator or None)}}``.
Figures: TypeAlias = dict[str, dict[str, tuple[float, float | None]]]
#: A period: an inclusive ``(start, end)`` pair of dates.
Period: TypeAlias = tuple[date, date]

#: The indicators both baselines compute, in catalog order.
INDICATORS = (
    "minority_residents",
    "minority_floating",
    "floating_arrivals",
    "floating_departures",
    "ledger_completeness",
    "window_coverage",
    "service_requests",
    "service_resolution_rate",
    "service_on_time_rate",
    "service_satisfaction_rate",
    "disputes_registered",
    "dispute_success_rate",
    "dispute_within_target_rate",
    "ethnic_factor_incidents",
)
_RATIOS = frozenset(
    {
        "ledger_completeness",
        "window_coverage",
        "service_resolution_rate",
        "service_on_time_rate",
        "service_satisfaction_rate",
        "dispute_success_rate",
        "dispute_within_target_rate",
    }
)


def _utc_text(day: date) -> str:
    """Midnight CST at the start of ``day`` as stored: naive UTC text with microseconds."""
    moment = datetime.combine(day, dtime(0), tzinfo=CST).astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat(" ", "microseconds")


def period_bounds(start: date, end: date) -> dict[str, str]:
    """The bound parameters of the statements: ``start``/``end`` dates as text, and ``t0``/``t1``
    the half-open timestamp interval in stored UTC text."""
    if end < start:
        raise ValueError("the period ends before it starts")
    return {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "t0": _utc_text(start),
        "t1": _utc_text(end + timedelta(days=1)),
    }


# -- the databases --------------------------------------------------------------------------------
_PARAM = re.compile(r":(start|end|t0|t1)\b")


class Database:
    """A plain DB-API connection (no SQLAlchemy) to the store the baselines read, and how its
    statements are written: a SQLite file (:mod:`sqlite3`), or a PostgreSQL (psycopg 3) or
    MariaDB/MySQL (PyMySQL) store given by its SQLAlchemy URL (``postgresql+psycopg://…``,
    ``mysql+pymysql://…``) and, on PostgreSQL, its ``schema``.

    The statements are the same on every dialect but for two spellings: the parameters
    (``:name`` for :mod:`sqlite3`, ``%(name)s`` for the servers' drivers) and a true flag
    (``1`` where booleans are integers, ``TRUE`` on PostgreSQL). The parameters are bound as
    the store keeps the values: text on SQLite, dates and naive UTC datetimes on the servers.
    """

    def __init__(self, target: str, *, schema: str | None = None) -> None:
        self.dialect = _dialect(target)
        self.conn: Any
        if self.dialect == "sqlite":
            self.conn = sqlite3.connect(target.partition(":///")[2] if "://" in target else target)
            return
        url = urlsplit(target)
        login: dict[str, Any] = {
            "host": url.hostname,
            "user": unquote(url.username or ""),
            "password": unquote(url.password or ""),
        }
        name = url.path.lstrip("/")
        if self.dialect == "postgresql":
            import psycopg

            self.conn = psycopg.connect(**login, port=url.port or 5432, dbname=name)
            if schema:
                self.conn.execute(f'SET search_path TO "{schema}"')
        else:
            import pymysql

            self.conn = pymysql.connect(
                **login, port=url.port or 3306, database=name, charset="utf8mb4"
            )

    def statement(self, sql: str, prefix: str) -> str:
        """``sql`` (with ``{p}`` and ``{true}`` placeholders) as this database runs it."""
        text = sql.format(p=prefix, true="TRUE" if self.dialect == "postgresql" else "1")
        return text if self.dialect == "sqlite" else _PARAM.sub(r"%(\1)s", text)

    def bounds(self, start: date, end: date) -> dict[str, Any]:
        """The bound parameters of the period (:func:`period_bounds`, typed for the server)."""
        text = period_bounds(start, end)
        if self.dialect == "sqlite":
            return dict(text)
        return {
            "start": start,
            "end": end,
            "t0": datetime.fromisoformat(text["t0"]),
            "t1": datetime.fromisoformat(text["t1"]),
        }

    def rows(self, sql: str, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """All the rows of ``sql``."""
        cursor = self.conn.cursor()
        try:
            cursor.execute(sql, params)
            return [tuple(row) for row in cursor.fetchall()]
        finally:
            cursor.close()

    def run(self, sql: str) -> None:
        """Run ``sql`` and commit (a statement without parameters)."""
        cursor = self.conn.cursor()
        try:
            cursor.execute(sql)
            if cursor.description:  # MariaDB's ANALYZE TABLE answers with rows
                cursor.fetchall()
        finally:
            cursor.close()
        self.conn.commit()

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()


def _dialect(target: str) -> str:
    if "://" not in target:
        return "sqlite"
    scheme = target.partition("://")[0].split("+")[0].lower()
    if scheme in ("sqlite", "postgresql"):
        return scheme
    if scheme in ("mysql", "mariadb"):
        return "mysql"
    raise ValueError(f"no baseline for the store {scheme!r}")


# -- hand-written SQL -----------------------------------------------------------------------------
_PRESENT = "r.arrival <= :end AND (r.departure IS NULL OR r.departure > :end)"
_PERSONS = "FROM {p}residences r JOIN {p}persons p ON p.id = r.person_id WHERE p.status = 'active'"
_COMPLETE = (
    "p.name IS NOT NULL AND p.name <> ''"
    " AND (p.id_number IS NOT NULL OR (p.birth_date IS NOT NULL AND p.gender IS NOT NULL))"
    " AND p.ethnicity IS NOT NULL AND p.phone IS NOT NULL AND r.address IS NOT NULL"
    " AND (r.status <> 'floating' OR (r.arrival IS NOT NULL AND r.origin IS NOT NULL))"
)
_T = "substr(r.unit_code, 1, 9)"
_TOWNSHIPS_AT_END = (
    "FROM {p}units u WHERE u.level = 'township'"
    " AND (u.valid_from IS NULL OR u.valid_from <= :end)"
    " AND (u.valid_to IS NULL OR u.valid_to > :end)"
)
_WINDOW_OPEN = (
    "EXISTS (SELECT 1 FROM {p}service_windows w WHERE w.unit_code = u.code"
    " AND (w.opened IS NULL OR w.opened <= :end) AND (w.closed IS NULL OR w.closed > :end))"
)
_REQ = "SELECT substr(unit_code, 1, 9), count(*) FROM {p}service_requests WHERE "
_DIS = "SELECT substr(origin_unit, 1, 9), count(*) FROM {p}disputes WHERE "
_G = " GROUP BY 1"

#: One statement per measure: ``{indicator: (numerator SQL, denominator SQL or None)}``.
SQL: Mapping[str, tuple[str, str | None]] = {
    "minority_residents": (
        f"SELECT {_T}, count(*) {_PERSONS} AND p.ethnicity <> '01' AND r.status = 'resident'"
        f" AND {_PRESENT}{_G}",
        None,
    ),
    "minority_floating": (
        f"SELECT {_T}, count(*) {_PERSONS} AND p.ethnicity <> '01' AND r.status = 'floating'"
        f" AND {_PRESENT}{_G}",
        None,
    ),
    "floating_arrivals": (
        f"SELECT {_T}, count(*) {_PERSONS} AND r.status = 'floating'"
        f" AND r.arrival >= :start AND r.arrival <= :end{_G}",
        None,
    ),
    "floating_departures": (
        f"SELECT {_T}, count(*) {_PERSONS} AND r.status = 'floating'"
        f" AND r.departure >= :start AND r.departure <= :end{_G}",
        None,
    ),
    "ledger_completeness": (
        f"SELECT {_T}, count(*) {_PERSONS} AND {_PRESENT} AND {_COMPLETE}{_G}",
        f"SELECT {_T}, count(*) {_PERSONS} AND {_PRESENT}{_G}",
    ),
    "window_coverage": (
        f"SELECT substr(u.code, 1, 9), count(*) {_TOWNSHIPS_AT_END} AND {_WINDOW_OPEN}{_G}",
        f"SELECT substr(u.code, 1, 9), count(*) {_TOWNSHIPS_AT_END}{_G}",
    ),
    "service_requests": (_REQ + "accepted_at >= :t0 AND accepted_at < :t1" + _G, None),
    "service_resolution_rate": (
        _REQ + "resolved_at >= :t0 AND resolved_at < :t1" + _G,
        _REQ + "accepted_at >= :t0 AND accepted_at < :t1" + _G,
    ),
    "service_on_time_rate": (
        _REQ + "resolved_at >= :t0 AND resolved_at < :t1 AND resolved_on_time = {true}" + _G,
        _REQ + "resolved_at >= :t0 AND resolved_at < :t1" + _G,
    ),
    "service_satisfaction_rate": (
        _REQ + "followed_up_at >= :t0 AND followed_up_at < :t1"
        " AND satisfaction IN ('satisfied', 'basically_satisfied')" + _G,
        _REQ + "followed_up_at >= :t0 AND followed_up_at < :t1 AND satisfaction IS NOT NULL" + _G,
    ),
    "disputes_registered": (_DIS + "registered_at >= :t0 AND registered_at < :t1" + _G, None),
    "dispute_success_rate": (
        _DIS + "concluded_at >= :t0 AND concluded_at < :t1 AND outcome = 'agreement'" + _G,
        _DIS + "concluded_at >= :t0 AND concluded_at < :t1"
        " AND outcome IN ('agreement', 'terminated')" + _G,
    ),
    "dispute_within_target_rate": (
        _DIS
        + "concluded_at >= :t0 AND concluded_at < :t1 AND concluded_within_target = {true}"
        + _G,
        _DIS + "concluded_at >= :t0 AND concluded_at < :t1"
        " AND concluded_within_target IS NOT NULL" + _G,
    ),
    "ethnic_factor_incidents": (
        _DIS + "registered_at >= :t0 AND registered_at < :t1"
        " AND ethnic_factor = {true} AND mass = {true}" + _G,
        None,
    ),
}


def _combine(
    numerator: Mapping[str, float], denominator: Mapping[str, float] | None
) -> dict[str, tuple[float, float | None]]:
    if denominator is None:
        return {k: (float(v), None) for k, v in sorted(numerator.items())}
    keys = sorted(set(numerator) | set(denominator))
    return {k: (float(numerator.get(k, 0)), float(denominator.get(k, 0))) for k in keys}


def sql_baseline(
    path: str, start: date, end: date, *, prefix: str = "minzu_", schema: str | None = None
) -> Figures:
    """The figures by township from hand-written SQL (one statement per measure) on the store
    at ``path`` (a SQLite file, or a server URL with ``schema``: :class:`Database`) for the
    period ``start``..``end`` (inclusive)."""
    db = Database(path, schema=schema)
    params = db.bounds(start, end)
    try:

        def run(sql: str) -> dict[str, float]:
            return {k: v for k, v in db.rows(db.statement(sql, prefix), params)}

        result: Figures = {}
        for indicator in INDICATORS:
            num_sql, den_sql = SQL[indicator]
            result[indicator] = _combine(run(num_sql), None if den_sql is None else run(den_sql))
        return result
    finally:
        db.close()


_PER_TABLE: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    # (FROM/WHERE/GROUP BY part, ((column name, conditional count), ...))
    (
        "FROM {p}residences r JOIN {p}persons p ON p.id = r.person_id"
        " WHERE p.status = 'active' GROUP BY 1",
        (
            ("residents", f"p.ethnicity <> '01' AND r.status = 'resident' AND {_PRESENT}"),
            ("floating", f"p.ethnicity <> '01' AND r.status = 'floating' AND {_PRESENT}"),
            ("arrivals", "r.status = 'floating' AND r.arrival >= :start AND r.arrival <= :end"),
            (
                "departures",
                "r.status = 'floating' AND r.departure >= :start AND r.departure <= :end",
            ),
            ("complete", f"{_PRESENT} AND {_COMPLETE}"),
            ("present", _PRESENT),
        ),
    ),
    (
        "FROM {p}service_requests GROUP BY 1",
        (
            ("accepted", "accepted_at >= :t0 AND accepted_at < :t1"),
            ("resolved", "resolved_at >= :t0 AND resolved_at < :t1"),
            ("on_time", "resolved_at >= :t0 AND resolved_at < :t1 AND resolved_on_time = {true}"),
            (
                "satisfied",
                "followed_up_at >= :t0 AND followed_up_at < :t1"
                " AND satisfaction IN ('satisfied', 'basically_satisfied')",
            ),
            (
                "followed",
                "followed_up_at >= :t0 AND followed_up_at < :t1 AND satisfaction IS NOT NULL",
            ),
        ),
    ),
    (
        "FROM {p}disputes GROUP BY 1",
        (
            ("registered", "registered_at >= :t0 AND registered_at < :t1"),
            (
                "agreements",
                "concluded_at >= :t0 AND concluded_at < :t1 AND outcome = 'agreement'",
            ),
            (
                "concluded",
                "concluded_at >= :t0 AND concluded_at < :t1"
                " AND outcome IN ('agreement', 'terminated')",
            ),
            (
                "within",
                "concluded_at >= :t0 AND concluded_at < :t1 AND concluded_within_target = {true}",
            ),
            (
                "judged",
                "concluded_at >= :t0 AND concluded_at < :t1"
                " AND concluded_within_target IS NOT NULL",
            ),
            (
                "incidents",
                "registered_at >= :t0 AND registered_at < :t1"
                " AND ethnic_factor = {true} AND mass = {true}",
            ),
        ),
    ),
    (
        f"{_TOWNSHIPS_AT_END} GROUP BY 1",
        (("covered", _WINDOW_OPEN), ("townships", "1 = 1")),
    ),
)
_UNIT_COLUMN = (
    "substr(r.unit_code, 1, 9)",
    "substr(unit_code, 1, 9)",
    "substr(origin_unit, 1, 9)",
    "substr(u.code, 1, 9)",
)
#: indicator → (numerator column, denominator column or None) of the per-table statements.
_COLUMNS: Mapping[str, tuple[str, str | None]] = {
    "minority_residents": ("residents", None),
    "minority_floating": ("floating", None),
    "floating_arrivals": ("arrivals", None),
    "floating_departures": ("departures", None),
    "ledger_completeness": ("complete", "present"),
    "window_coverage": ("covered", "townships"),
    "service_requests": ("accepted", None),
    "service_resolution_rate": ("resolved", "accepted"),
    "service_on_time_rate": ("on_time", "resolved"),
    "service_satisfaction_rate": ("satisfied", "followed"),
    "disputes_registered": ("registered", None),
    "dispute_success_rate": ("agreements", "concluded"),
    "dispute_within_target_rate": ("within", "judged"),
    "ethnic_factor_incidents": ("incidents", None),
}


def table_statements() -> list[str]:
    """The four statements of :func:`sql_table_baseline`, with ``{p}`` and ``{true}`` left for
    :meth:`Database.statement`."""
    statements = []
    for (body, measures), unit in zip(_PER_TABLE, _UNIT_COLUMN, strict=True):
        sums = ", ".join(f"sum(CASE WHEN {cond} THEN 1 ELSE 0 END)" for _, cond in measures)
        statements.append(f"SELECT {unit}, {sums} {body}")
    return statements


def sql_table_baseline(
    path: str, start: date, end: date, *, prefix: str = "minzu_", schema: str | None = None
) -> Figures:
    """The same figures from hand-written SQL written the fast way: **one statement per table**
    with a conditional count per measure (``sum(CASE WHEN … THEN 1 ELSE 0 END)``), four
    statements in all. This is the baseline the engine is held to."""
    db = Database(path, schema=schema)
    params = db.bounds(start, end)
    columns: dict[str, dict[str, float]] = {}
    try:
        for (_, measures), sql in zip(_PER_TABLE, table_statements(), strict=True):
            for row in db.rows(db.statement(sql, prefix), params):
                for (name, _), value in zip(measures, row[1:], strict=True):
                    if value:
                        columns.setdefault(name, {})[row[0]] = float(value)
    finally:
        db.close()
    result: Figures = {}
    for indicator in INDICATORS:
        num, den = _COLUMNS[indicator]
        result[indicator] = _combine(
            columns.get(num, {}), None if den is None else columns.get(den, {})
        )
    return result


# -- pandas -------------------------------------------------------------------------------------
def _counts(frame: pd.DataFrame, mask: Any, unit: str) -> dict[str, float]:
    selected = frame.loc[mask, unit]
    return {str(k): float(v) for k, v in selected.str[:9].value_counts().items()}


def _read(
    db: Database, sql: str, timestamps: tuple[str, ...] = (), dates: tuple[str, ...] = ()
) -> pd.DataFrame:
    """``read_sql`` of ``sql`` on the plain connection; ``timestamps`` parsed, and on a server
    (whose driver returns :class:`~datetime.date` objects) ``dates`` too (SQLite's ISO text
    compares as the dates do)."""
    import pandas as pd

    with warnings.catch_warnings():  # pandas supports other DB-API connections, with a warning
        warnings.simplefilter("ignore", UserWarning)
        frame = pd.read_sql(sql, db.conn)
    for column in timestamps:
        frame[column] = pd.to_datetime(frame[column], format="ISO8601")
    if db.dialect != "sqlite":
        for column in dates:
            frame[column] = pd.to_datetime(frame[column])
    return frame


def pandas_baseline(
    path: str, start: date, end: date, *, prefix: str = "minzu_", schema: str | None = None
) -> Figures:
    """The same figures as :func:`sql_baseline`, computed by loading the needed columns of each
    table into pandas (``read_sql`` on the plain connection of :class:`Database`) and filtering
    and grouping there."""
    import pandas as pd

    if end < start:
        raise ValueError("the period ends before it starts")
    p = prefix
    db = Database(path, schema=schema)
    start_s: Any = start.isoformat()
    end_s: Any = end.isoformat()
    if db.dialect != "sqlite":
        start_s, end_s = pd.Timestamp(start), pd.Timestamp(end)
    t0 = pd.Timestamp(period_bounds(start, end)["t0"])
    t1 = pd.Timestamp(period_bounds(start, end)["t1"])
    try:
        people = _read(
            db,
            f"SELECT r.unit_code, r.status AS r_status, r.arrival, r.departure, r.address,"
            f" r.origin, p.status, p.name, p.ethnicity, p.id_number, p.birth_date, p.gender,"
            f" p.phone FROM {p}residences r JOIN {p}persons p ON p.id = r.person_id",
            dates=("arrival", "departure"),
        )
        units = _read(
            db,
            f"SELECT code, level, valid_from, valid_to FROM {p}units",
            dates=("valid_from", "valid_to"),
        )
        windows = _read(
            db,
            f"SELECT unit_code, opened, closed FROM {p}service_windows",
            dates=("opened", "closed"),
        )
        requests = _read(
            db,
            f"SELECT unit_code, accepted_at, resolved_at, resolved_on_time, followed_up_at,"
            f" satisfaction FROM {p}service_requests",
            ("accepted_at", "resolved_at", "followed_up_at"),
        )
        disputes = _read(
            db,
            f"SELECT origin_unit, registered_at, concluded_at, outcome, concluded_within_target,"
            f" ethnic_factor, mass FROM {p}disputes",
            ("registered_at", "concluded_at"),
        )
    finally:
        db.close()

    result: Figures = {}
    # Dates are ISO text on SQLite (comparing the text compares the dates), timestamps on a server.
    active = people["status"] == "active"
    present = (people["arrival"] <= end_s) & (
        people["departure"].isna() | (people["departure"] > end_s)
    )
    minority = people["ethnicity"] != "01"
    floating = people["r_status"] == "floating"
    u = "unit_code"
    result["minority_residents"] = _combine(
        _counts(people, active & minority & (people["r_status"] == "resident") & present, u),
        None,
    )
    result["minority_floating"] = _combine(
        _counts(people, active & minority & floating & present, u), None
    )
    arrival = people["arrival"]
    result["floating_arrivals"] = _combine(
        _counts(people, active & floating & (arrival >= start_s) & (arrival <= end_s), u), None
    )
    departure = people["departure"]
    result["floating_departures"] = _combine(
        _counts(
            people,
            active & floating & departure.notna() & (departure >= start_s) & (departure <= end_s),
            u,
        ),
        None,
    )
    name = people["name"]
    complete = (
        name.notna()
        & (name != "")
        & (people["id_number"].notna() | (people["birth_date"].notna() & people["gender"].notna()))
        & people["ethnicity"].notna()
        & people["phone"].notna()
        & people["address"].notna()
        & (~floating | (people["arrival"].notna() & people["origin"].notna()))
    )
    result["ledger_completeness"] = _combine(
        _counts(people, active & present & complete, u), _counts(people, active & present, u)
    )

    valid = (
        (units["level"] == "township")
        & (units["valid_from"].isna() | (units["valid_from"] <= end_s))
        & (units["valid_to"].isna() | (units["valid_to"] > end_s))
    )
    open_windows = windows[
        (windows["opened"].isna() | (windows["opened"] <= end_s))
        & (windows["closed"].isna() | (windows["closed"] > end_s))
    ]
    covered = units["code"].isin(open_windows["unit_code"])
    result["window_coverage"] = _combine(
        _counts(units, valid & covered, "code"), _counts(units, valid, "code")
    )

    def within(frame: pd.DataFrame, column: str) -> Any:
        return (frame[column] >= t0) & (frame[column] < t1)

    r = requests
    accepted = within(r, "accepted_at")
    resolved = within(r, "resolved_at")
    followed = within(r, "followed_up_at")
    result["service_requests"] = _combine(_counts(r, accepted, u), None)
    result["service_resolution_rate"] = _combine(_counts(r, resolved, u), _counts(r, accepted, u))
    result["service_on_time_rate"] = _combine(
        _counts(r, resolved & (r["resolved_on_time"] == 1), u), _counts(r, resolved, u)
    )
    result["service_satisfaction_rate"] = _combine(
        _counts(r, followed & r["satisfaction"].isin(["satisfied", "basically_satisfied"]), u),
        _counts(r, followed & r["satisfaction"].notna(), u),
    )

    d, o = disputes, "origin_unit"
    registered = within(d, "registered_at")
    concluded = within(d, "concluded_at")
    result["disputes_registered"] = _combine(_counts(d, registered, o), None)
    result["dispute_success_rate"] = _combine(
        _counts(d, concluded & (d["outcome"] == "agreement"), o),
        _counts(d, concluded & d["outcome"].isin(["agreement", "terminated"]), o),
    )
    result["dispute_within_target_rate"] = _combine(
        _counts(d, concluded & (d["concluded_within_target"] == 1), o),
        _counts(d, concluded & d["concluded_within_target"].notna(), o),
    )
    result["ethnic_factor_incidents"] = _combine(
        _counts(d, registered & (d["ethnic_factor"] == 1) & (d["mass"] == 1), o), None
    )
    return {indicator: result[indicator] for indicator in INDICATORS}


def _timed(label: str, run: Callable[[], Figures]) -> Figures:
    began = time.perf_counter()
    figures = run()
    print(f"{label:<8} {time.perf_counter() - began:8.2f} s")
    return figures


def main(argv: list[str]) -> int:
    """``baselines.py DB [START END]``: time both baselines (default period: 2019) and check
    that they agree."""
    if not 1 <= len(argv) <= 3:
        print(__doc__)
        return 2
    path = argv[0]
    start = date.fromisoformat(argv[1]) if len(argv) > 1 else date(2019, 1, 1)
    end = date.fromisoformat(argv[2]) if len(argv) > 2 else date(2019, 12, 31)
    sql = _timed("sql", lambda: sql_baseline(path, start, end))
    table = _timed("sql/table", lambda: sql_table_baseline(path, start, end))
    frame = _timed("pandas", lambda: pandas_baseline(path, start, end))
    same = sql == frame == table
    print("agree" if same else "DISAGREE")
    for indicator in INDICATORS:
        num = sum(v[0] for v in sql[indicator].values())
        den = sum(v[1] or 0 for v in sql[indicator].values())
        shown = f"{num:.0f}" + (f" / {den:.0f}" if indicator in _RATIOS else "")
        print(f"  {indicator:<28} {len(sql[indicator]):5d} townships  {shown}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
