"""A scanner for personal data in log records, exception messages and reprs (个人信息泄露扫描).

Tests of minzu-core (and of third-party adapters) must never let a raw identity number, phone
or full name of their test data reach a log line, an exception message or a repr. A
:class:`PiiScanner` finds them:

* it **learns** the personal values of the test data: while installed, every constructed
  :class:`~minzu_core.ledger.model.Person` registers its name, ID number and phone, and every
  :class:`~minzu_core.disputes.model.Party` its name (a set insertion per record);
* it also **detects by pattern**, without learning, any valid 18-digit resident ID number
  (checksum and birth date checked) and any 11-digit mainland mobile number (``1[3-9]``…) that
  is not part of a longer run of letters or digits;
* it **captures** every log record of the root logger and of the ``sqlalchemy`` loggers, both
  set to ``DEBUG`` (:data:`SCAN_LEVEL`, just below it) while a scan window is open (levels
  restored afterwards; the other handlers are shielded from the extra records, see
  :meth:`PiiScanner.shield_handlers`); every message of a
  :class:`~minzu_core.errors.MinzuError` when it is constructed (``str``, ``message_zh``,
  ``message_en``, ``details``), and at the end of the window the ``repr`` of each such error,
  the messages of the causes a traceback shows (``raise … from None`` hides the context),
  and the ``repr`` of the records constructed in the window (the
  first :attr:`PiiScanner.repr_sample` of each);
* it **counts** what it scanned and what it found. A finding never carries the raw value: it
  names the kind, where it was seen and the value masked (``3601**********0014``,
  ``138****1234``, ``张*``).

Usage (pytest)::

    scanner = PiiScanner()
    scanner.install()            # once: learning and error capture (cheap)
    with scanner.window() as result:
        ...                      # the test
    assert result.occurrences == 0, result.describe()
    scanner.uninstall()

Masked values are never findings. Names are learned when they have at least two letters
(letters, ``·``, ``-``, ``.``, apostrophes and spaces only); a name written only in ASCII
letters must have at least four characters and is matched as a whole word, so random fuzz text
such as ``"ab"`` does not match every SQL statement.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, Final

import attrs

from minzu_core.codes.resident_id import is_valid_resident_id
from minzu_core.errors import MinzuError
from minzu_core.fields import masked_id_number, masked_name, masked_phone

__all__ = [
    "DEFAULT_LOGGERS",
    "SCAN_LEVEL",
    "Finding",
    "PiiScanner",
    "ScanResult",
]

#: The loggers a scan window listens to and sets to ``DEBUG``: the root logger and SQLAlchemy's
#: (which SQLAlchemy sets to ``WARNING`` itself, so a ``DEBUG`` root alone does not reach it).
DEFAULT_LOGGERS: Final = ("", "sqlalchemy")

#: An 18-character ID number or an 11-digit mobile number, not inside a longer run of letters
#: or digits.
_NUMBER: Final = re.compile(r"(?<![0-9A-Za-z])(?:[0-9]{17}[0-9Xx]|1[3-9][0-9]{9})(?![0-9A-Za-z])")
_LANDLINE: Final = re.compile(
    r"(?<![0-9A-Za-z])0[1-9][0-9]{1,2}-[2-9][0-9]{6,7}(?:-[0-9]{1,6})?(?![0-9A-Za-z])"
)
_NON_ASCII_RUN: Final = re.compile(r"[^\x00-\x7f]{2,}")
_NAME_PUNCTUATION: Final = frozenset("·•・.-' ")
_MAX_NAME: Final = 40

#: The level a scan window gives its loggers: just below ``DEBUG`` (so ``DEBUG`` records are
#: made), and distinct from it, so a level someone sets during the window (``caplog.set_level(
#: logging.DEBUG)``) is told apart from the scan's own.
SCAN_LEVEL: Final = logging.DEBUG - 1

#: The levels the loggers had before the first open window changed them (a stack per logger,
#: for nested scanners).
_ORIGINAL_LEVELS: dict[logging.Logger, list[int]] = {}


def _level_without_scan(logger: logging.Logger | None) -> int:
    """The effective level ``logger`` would have if no scan window were open."""
    while logger is not None:
        level = logger.level
        if level == SCAN_LEVEL:
            stack = _ORIGINAL_LEVELS.get(logger)
            level = stack[0] if stack else logging.NOTSET
        if level:
            return level
        logger = logger.parent
    return logging.NOTSET


#: The key of :func:`_made_without_scan`'s answer in a logger's level cache (which logging
#: clears on every ``setLevel``, so a level set during the window is seen at once).
_CACHE_KEY: Final = "minzu_pii_level_without_scan"


def _made_without_scan(record: logging.LogRecord) -> bool:
    """True if the logger of ``record`` would have made it with no scan window open."""
    logger = logging.Logger.manager.loggerDict.get(record.name)
    if not isinstance(logger, logging.Logger):
        if record.name != "root":
            return True
        logger = logging.getLogger()
    cache = getattr(logger, "_cache", None)
    if cache is None:
        return record.levelno >= _level_without_scan(logger)
    level = cache.get(_CACHE_KEY)
    if level is None:
        level = cache[_CACHE_KEY] = _level_without_scan(logger)
    return bool(record.levelno >= level)


class _Unscanned(logging.Filter):
    """Passes a record only if its logger would have made it without the scan."""

    def filter(self, record: logging.LogRecord) -> bool:
        return _made_without_scan(record)


_UNSCANNED: Final = _Unscanned()


def _shown_cause(error: BaseException) -> BaseException | None:
    """The exception a traceback of ``error`` shows next: its ``__cause__``, else its
    ``__context__`` unless suppressed (``raise … from None``)."""
    if error.__cause__ is not None:
        return error.__cause__
    return None if error.__suppress_context__ else error.__context__


_KINDS: Final[dict[str, Callable[[str], str]]] = {
    "resident_id": masked_id_number,
    "phone": masked_phone,
    "name": masked_name,
}


@attrs.frozen
class Finding:
    """One occurrence of personal data: its ``kind`` (``resident_id``, ``phone``, ``name``),
    the ``masked`` value (never the raw one) and ``where`` it was seen (channel and source)."""

    kind: str
    masked: str
    where: str

    def __str__(self) -> str:
        return f"{self.kind} {self.masked} in {self.where}"


@attrs.define
class ScanResult:
    """What a scan window scanned and found.

    Attributes:
        log_records: log records scanned.
        exception_messages: exception messages scanned (library errors and their causes).
        reprs: reprs scanned (records constructed in the window, captured errors).
        occurrences: occurrences of personal data found (distinct values per scanned item).
        findings: the first :attr:`PiiScanner.max_findings` findings, masked.
    """

    log_records: int = 0
    exception_messages: int = 0
    reprs: int = 0
    occurrences: int = 0
    findings: list[Finding] = attrs.field(factory=list)

    @property
    def scanned(self) -> int:
        """Items scanned in all channels."""
        return self.log_records + self.exception_messages + self.reprs

    def add(self, other: ScanResult, *, max_findings: int = 10) -> None:
        """Add the figures (and the first findings) of ``other`` to this result."""
        self.log_records += other.log_records
        self.exception_messages += other.exception_messages
        self.reprs += other.reprs
        self.occurrences += other.occurrences
        room = max_findings - len(self.findings)
        if room > 0:
            self.findings.extend(other.findings[:room])

    def describe(self) -> str:
        """A one-paragraph summary for a test failure (masked values only)."""
        head = (
            f"personal data found: {self.occurrences} occurrence(s) in {self.log_records} log "
            f"records, {self.exception_messages} exception messages, {self.reprs} reprs"
        )
        return "\n".join([head, *(f"  - {finding}" for finding in self.findings)])


class _Handler(logging.Handler):
    """Scans every record it is handed (once, even when it reaches several loggers).

    On a logger other than the root (``forward_from``), whose propagation the window turns off,
    it hands the ancestors' handlers the records they would have got without the scan: the
    flood of ``DEBUG`` records of SQLAlchemy then costs pytest's capture handlers nothing."""

    def __init__(self, scanner: PiiScanner, forward_from: logging.Logger | None = None) -> None:
        super().__init__(logging.NOTSET)
        self._scanner = scanner
        self._forward_from = forward_from

    def handle(self, record: logging.LogRecord) -> bool:
        # No handler lock and no filters: emit is thread-safe (the scanner counts under its own
        # lock) and this runs for every record of the scan.
        scanner = self._scanner
        if record is not scanner._last_record:  # not the same record seen on another logger
            scanner._last_record = record
            self.emit(record)
        if self._forward_from is not None and _made_without_scan(record):
            logger = self._forward_from.parent
            while logger is not None:
                for handler in logger.handlers:
                    if record.levelno >= handler.level and not isinstance(handler, _Handler):
                        handler.handle(record)
                if not logger.propagate:
                    break
                logger = logger.parent
        return True

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
        except Exception:  # a malformed record: scan its parts
            text = f"{record.msg!s} {record.args!r}"
        if record.exc_info and record.exc_info[1] is not None:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        if record.stack_info:
            text += "\n" + record.stack_info
        self._scanner._note_log(text, record.name)


@attrs.define
class _Window:
    result: ScanResult
    records: list[object] = attrs.field(factory=list)
    errors: list[BaseException] = attrs.field(factory=list)


class PiiScanner:
    """Finds raw personal data of the test data in logs, exception messages and reprs.

    Args:
        loggers: names of the loggers a window attaches to and sets to ``DEBUG``.
        repr_sample: how many constructed records (and how many errors) per window get their
            ``repr`` scanned.
        max_findings: how many findings a result describes (all are counted).
    """

    def __init__(
        self,
        *,
        loggers: Iterable[str] = DEFAULT_LOGGERS,
        repr_sample: int = 200,
        max_findings: int = 5,
    ) -> None:
        self.loggers = tuple(loggers)
        self.repr_sample = repr_sample
        self.max_findings = max_findings
        self.names: set[str] = set()
        self.id_numbers: set[str] = set()
        self.phones: set[str] = set()
        self._landlines = False
        self._wide_names: set[str] = set()
        self._wide_lengths: set[int] = set()
        self._ascii_names: set[str] = set()
        self._ascii_pattern: re.Pattern[str] | None = None
        self._restore: list[Callable[[], None]] = []
        self._window: _Window | None = None
        self._window_levels: list[tuple[logging.Logger, int, bool, _Handler]] = []
        self._last_record: logging.LogRecord | None = None
        self._shielded: list[logging.Handler] = []
        self._lock = threading.Lock()

    # -- learning ---------------------------------------------------------------------------
    def learn(
        self, *, name: str | None = None, id_number: str | None = None, phone: str | None = None
    ) -> None:
        """Register personal values of the test data (what a constructed record does)."""
        if id_number:
            self.id_numbers.add(id_number.upper())
        if phone:
            self.phones.add(phone)
            if "-" in phone:
                self._landlines = True
        if name:
            self._learn_name(name)

    def _learn_name(self, name: str) -> None:
        text = name.strip()
        if text in self.names or len(text) > _MAX_NAME:
            return
        letters = sum(ch.isalpha() for ch in text)
        if letters < 2 or any(not ch.isalpha() and ch not in _NAME_PUNCTUATION for ch in text):
            return
        if text.isascii():
            if len(text) < 4:
                return
            self._ascii_names.add(text)
            self._ascii_pattern = None
        elif not _NON_ASCII_RUN.fullmatch(text):
            self._ascii_names.add(text)  # mixed scripts: matched as a whole
            self._ascii_pattern = None
        else:
            self._wide_names.add(text)
            self._wide_lengths.add(len(text))
        self.names.add(text)

    def _register(self, record: object, **values: str | None) -> None:
        self.learn(**values)
        window = self._window
        if window is not None and len(window.records) < self.repr_sample:
            window.records.append(record)

    # -- install / uninstall ----------------------------------------------------------------
    def install(self) -> None:
        """Wrap the constructors: ``Person``/``Party`` learn their values, ``MinzuError``
        messages are scanned while a window is open. Undo with :meth:`uninstall`."""
        if self._restore:
            return
        from minzu_core.disputes.model import Party
        from minzu_core.ledger.model import Person

        scanner = self

        def person_hook(record: Any) -> None:
            scanner._register(
                record, name=record.name, id_number=record.id_number, phone=record.phone
            )

        def party_hook(record: Any) -> None:
            scanner._register(record, name=record.name)

        self._wrap_post_init(Person, person_hook)
        self._wrap_post_init(Party, party_hook)

        original_init = MinzuError.__init__

        def init(error: MinzuError, *args: Any, **kwargs: Any) -> None:
            original_init(error, *args, **kwargs)
            if scanner._window is not None:
                scanner._note_error(error)

        setattr(MinzuError, "__init__", init)  # noqa: B010 - mypy refuses the plain assignment

        def restore_init() -> None:
            setattr(MinzuError, "__init__", original_init)  # noqa: B010

        self._restore.append(restore_init)

    def _wrap_post_init(self, cls: type, hook: Callable[[Any], None]) -> None:
        original = cls.__dict__.get("__attrs_post_init__")

        def post_init(record: Any) -> None:
            hook(record)
            if original is not None:
                original(record)

        post_init.__wrapped__ = original  # type: ignore[attr-defined]
        cls.__attrs_post_init__ = post_init  # type: ignore[attr-defined]

        def restore() -> None:
            if original is None:
                del cls.__attrs_post_init__  # type: ignore[attr-defined]
            else:
                cls.__attrs_post_init__ = original  # type: ignore[attr-defined]

        self._restore.append(restore)

    def uninstall(self) -> None:
        """Undo :meth:`install` (in reverse order, so nested scanners unwind correctly)."""
        while self._restore:
            self._restore.pop()()

    def __enter__(self) -> PiiScanner:
        self.install()
        return self

    def __exit__(self, *exc: object) -> None:
        self.uninstall()

    # -- windows ----------------------------------------------------------------------------
    @contextmanager
    def window(self) -> Iterator[ScanResult]:
        """Scan everything logged, raised and constructed inside the ``with`` block. The
        yielded :class:`ScanResult` is complete when the block ends."""
        result = ScanResult()
        self.open(result)
        try:
            yield result
        finally:
            self.close()

    def open(self, result: ScanResult | None = None) -> ScanResult:
        """Open a scan window (see :meth:`window`); returns the result it fills."""
        if self._window is not None:
            raise RuntimeError("a scan window is already open")
        window = _Window(result if result is not None else ScanResult())
        saved: list[tuple[logging.Logger, int, bool, _Handler]] = []
        for name in self.loggers:
            logger = logging.getLogger(name)
            is_root = logger is logging.getLogger()
            handler = _Handler(self, None if is_root or not logger.propagate else logger)
            saved.append((logger, logger.level, logger.propagate, handler))
            if logger.level != SCAN_LEVEL:
                _ORIGINAL_LEVELS.setdefault(logger, []).append(logger.level)
            logger.setLevel(SCAN_LEVEL)
            logger.addHandler(handler)
            if not is_root:
                logger.propagate = False  # the handler forwards what would have propagated
        self._window = window
        self._window_levels = saved
        self.shield_handlers()
        return window.result

    def shield_handlers(self) -> None:
        """Give every other handler now attached to a logger (pytest's capture handlers, an
        application's file handler …) a filter that passes only the records it would have got
        without the scan, so that turning the loggers to ``DEBUG`` costs them nothing and
        changes nothing they show. :meth:`open` calls it; call it again for handlers attached
        later (the test hooks do, at each test phase). Undone by :meth:`close`."""
        if self._window is None:
            return
        loggers: list[Any] = [logging.getLogger()]
        loggers.extend(logging.Logger.manager.loggerDict.values())
        for logger in loggers:
            for handler in getattr(logger, "handlers", ()):
                if isinstance(handler, _Handler) or _UNSCANNED in handler.filters:
                    continue
                handler.addFilter(_UNSCANNED)
                self._shielded.append(handler)

    def close(self) -> ScanResult:
        """Close the window: scan the sampled reprs, restore the loggers; the result."""
        window = self._window
        if window is None:
            raise RuntimeError("no scan window is open")
        try:
            for record in window.records:
                self._scan(repr(record), f"repr of {type(record).__name__}", "reprs")
            for error in window.errors:
                self._scan(repr(error), f"repr of {type(error).__name__}", "reprs")
                seen = {id(error)}
                cause = _shown_cause(error)
                while cause is not None and id(cause) not in seen and len(seen) < 6:
                    seen.add(id(cause))
                    self._scan(
                        f"{cause!s}\n{cause!r}",
                        f"cause {type(cause).__name__} of {type(error).__name__}",
                        "exception_messages",
                    )
                    cause = _shown_cause(cause)
        finally:
            for shielded in self._shielded:
                shielded.removeFilter(_UNSCANNED)
            self._shielded.clear()
            for logger, level, propagate, handler in reversed(self._window_levels):
                logger.removeHandler(handler)
                logger.propagate = propagate
                if level != SCAN_LEVEL:
                    stack = _ORIGINAL_LEVELS.get(logger)
                    if stack:
                        stack.pop()
                    if not stack:
                        _ORIGINAL_LEVELS.pop(logger, None)
                logger.setLevel(level)  # after the pop: clears the cached levels
            self._window_levels = []
            self._window = None
            window.records.clear()
            window.errors.clear()
        return window.result

    # -- scanning ---------------------------------------------------------------------------
    def _note_log(self, text: str, logger: str) -> None:
        self._scan(text, f"log record of {logger or 'root'}", "log_records")

    def _note_error(self, error: MinzuError) -> None:
        window = self._window
        if window is None:
            return
        text = f"{error!s}\n{error.message_zh}\n{error.message_en}\n{error.details!r}"
        self._scan(text, f"message of {type(error).__name__}({error.code})", "exception_messages")
        if len(window.errors) < self.repr_sample:
            window.errors.append(error)

    def _scan(self, text: str, where: str, channel: str) -> None:
        found = self.find(text)
        with self._lock:
            window = self._window
            if window is None:
                return
            result = window.result
            setattr(result, channel, getattr(result, channel) + 1)
            result.occurrences += len(found)
            for kind, value in found:
                if len(result.findings) >= self.max_findings:
                    break
                result.findings.append(Finding(kind, _KINDS[kind](value), where))

    def find(self, text: str) -> list[tuple[str, str]]:
        """The distinct ``(kind, raw value)`` pairs of personal data in ``text``.

        The raw values are for the caller's checks only: never print them."""
        found: dict[tuple[str, str], None] = {}
        for match in _NUMBER.finditer(text):
            number = match.group().upper()
            if len(number) == 11:
                found["phone", number] = None
            elif number in self.id_numbers or is_valid_resident_id(number):
                found["resident_id", number] = None
        if self._landlines:
            for match in _LANDLINE.finditer(text):
                if match.group() in self.phones:
                    found["phone", match.group()] = None
        if self._wide_names and not text.isascii():
            names, lengths = self._wide_names, sorted(self._wide_lengths)
            for run in _NON_ASCII_RUN.findall(text):
                size = len(run)
                for length in lengths:
                    if length > size:
                        break
                    for start in range(size - length + 1):
                        piece = run[start : start + length]
                        if piece in names:
                            found["name", piece] = None
        if self._ascii_names:
            pattern = self._ascii_pattern
            if pattern is None:
                ordered = sorted(self._ascii_names, key=len, reverse=True)
                pattern = re.compile(
                    "(?<![0-9A-Za-z])(?:" + "|".join(map(re.escape, ordered)) + ")(?![0-9A-Za-z])"
                )
                self._ascii_pattern = pattern
            for match in pattern.finditer(text):
                found["name", match.group()] = None
        return list(found)
