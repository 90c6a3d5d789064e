"""One lifecycle mechanism for every case type (统一的案件生命周期机制).

A :class:`Lifecycle` is a declarative transition table: ``(state, action) → next state``, with
the data each action requires and optional guards. A case keeps an append-only history of
:class:`Event` s (action, at, actor, note, data); its current state is *derived* by replaying the
history through the table, and a case whose stored state disagrees with its history cannot be
built. Service requests and disputes both run on this mechanism through :class:`Case`;
:meth:`Lifecycle.mermaid` draws any lifecycle as a Mermaid state diagram.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, ClassVar, Self

import attrs

from minzu_core.checks import storable_text
from minzu_core.clock import CST, require_aware
from minzu_core.errors import TransitionError, ValidationError

__all__ = ["Case", "Event", "Guard", "Lifecycle", "State", "Transition", "replay"]


def _aware(value: datetime) -> datetime:
    return require_aware(value, "at").astimezone(CST)


def _frozen(values: Iterable[str]) -> frozenset[str]:
    return frozenset(values)


def _data(value: Mapping[str, Any] | None) -> dict[str, Any]:
    if value is not None and not isinstance(value, Mapping):
        raise ValidationError(
            "事件数据须为键值对", "event data must be a mapping", code="invalid_type", field="data"
        )
    data = dict(value or {})
    _json_ready(data, "data")
    return data


def _json_ready(value: Any, field: str) -> None:
    """Refuse what no store can keep as JSON the same way (``code="invalid_data"``): only text,
    integers, finite floats, booleans and ``None``, in lists and text-keyed mappings."""
    if isinstance(value, str):
        storable_text(value, field)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise _not_json(field)
            _json_ready(item, f"{field}.{storable_text(key, field)}")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _json_ready(item, f"{field}[{index}]")
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise _not_json(field)
    elif value is not None and not isinstance(value, int):
        raise _not_json(field)


def _not_json(field: str) -> ValidationError:
    return ValidationError(*_NOT_JSON, code="invalid_data", field=field)


#: the message of ``code="invalid_data"`` (Chinese, English)
_NOT_JSON = (
    "事件数据须为文本、数字、布尔值及其列表和键值对",
    "event data must be text, numbers and booleans, in lists and mappings",
)


def _text(value: Any, field: str) -> str:
    if not isinstance(value, str):
        raise ValidationError(
            f"{field} 须为文本", f"{field} must be text", code="invalid_type", field=field
        )
    return storable_text(value, field)


def _action(value: Any) -> str:
    return _text(value, "action")


def _actor_id(value: Any) -> str:
    return _text(value, "actor_id")


def _note(value: Any) -> str:
    return _text(value, "note")


@attrs.frozen
class Event:
    """One entry of a case's history (append-only).

    Attributes:
        action: the action taken (a key of the lifecycle's transition table).
        at: when it happened (timezone-aware; kept in China Standard Time).
        actor_id: who took it.
        note: free text (may be confidential: not shown in reprs).
        data: JSON-ready values the action carries (reason, outcome, satisfaction …).
    """

    action: str = attrs.field(converter=_action)
    at: datetime = attrs.field(converter=_aware)
    actor_id: str = attrs.field(converter=_actor_id)
    note: str = attrs.field(default="", repr=False, converter=_note)
    data: dict[str, Any] = attrs.field(factory=dict, converter=_data, repr=False)


Guard = Callable[[Sequence[Event], Event], "tuple[str, str, str] | None"]
"""A guard sees the history so far and the new event; it returns ``None`` to allow the action,
or ``(code, message_zh, message_en)`` to refuse it."""


@attrs.frozen
class State:
    """A state with its Chinese and English labels; ``terminal`` states allow no action."""

    name: str
    label_zh: str
    label_en: str
    terminal: bool = False


@attrs.frozen
class Transition:
    """``action`` moves a case from any of ``sources`` to ``target``.

    ``required`` names the ``data`` keys the action must carry (non-empty); ``guards`` refuse
    the action with a rule-specific error.
    """

    action: str
    sources: frozenset[str] = attrs.field(converter=_frozen)
    target: str
    label_zh: str
    label_en: str
    required: tuple[str, ...] = ()
    guards: tuple[Guard, ...] = ()


@attrs.frozen
class Lifecycle:
    """A declarative lifecycle: states, an initial action, and the transition table."""

    name: str
    states: tuple[State, ...]
    transitions: tuple[Transition, ...]
    #: the action that opens a case (its source is the pseudo-state ``"new"``)
    initial_action: str

    def __attrs_post_init__(self) -> None:
        names = {s.name for s in self.states}
        seen: set[tuple[str, str]] = set()
        for t in self.transitions:
            for source in t.sources:
                if source != "new" and source not in names:
                    raise ValueError(f"{self.name}: unknown source state {source!r}")
                if (source, t.action) in seen:
                    raise ValueError(f"{self.name}: ambiguous ({source}, {t.action})")
                seen.add((source, t.action))
            if t.target not in names:
                raise ValueError(f"{self.name}: unknown target state {t.target!r}")
        if not any(
            "new" in t.sources and t.action == self.initial_action for t in self.transitions
        ):
            raise ValueError(f"{self.name}: no transition for the initial action")

    def state(self, name: str) -> State:
        """The state called ``name``."""
        for s in self.states:
            if s.name == name:
                return s
        raise KeyError(name)

    def allowed(self, state: str) -> tuple[str, ...]:
        """The actions allowed in ``state``, in table order."""
        return tuple(t.action for t in self.transitions if state in t.sources)

    def transition(self, state: str, action: str) -> Transition:
        """The transition for ``action`` in ``state``; raises :class:`TransitionError`."""
        for t in self.transitions:
            if t.action == action and state in t.sources:
                return t
        known = any(t.action == action for t in self.transitions)
        label = self.state(state).label_zh if state != "new" else "新建"
        raise TransitionError(
            f"当前状态「{label}」不允许操作 {action}",
            f"action {action!r} is not allowed in state {state!r}",
            code="transition_not_allowed" if known else "unknown_action",
            field="action",
            details={"state": state, "action": action, "allowed": list(self.allowed(state))},
        )

    def apply(self, history: Sequence[Event], state: str, event: Event) -> str:
        """Check ``event`` against the table, its required data, its guards and the order of
        time; return the next state. Raises :class:`TransitionError` / :class:`ValidationError`.
        """
        t = self.transition(state, event.action)
        if history and event.at < history[-1].at:
            raise ValidationError(
                "操作时间不能早于上一次操作",
                "an event cannot be earlier than the previous event",
                code="event_before_previous",
                field="at",
            )
        for key in t.required:
            value = event.data.get(key)
            if value is None or (isinstance(value, str) and not value.strip()):
                raise ValidationError(
                    f"操作「{t.label_zh}」须提供 {key}",
                    f"action {t.action!r} requires {key!r}",
                    code="required",
                    field=key,
                )
        for guard in t.guards:
            refusal = guard(history, event)
            if refusal is not None:
                code, zh, en = refusal
                raise TransitionError(
                    zh, en, code=code, field="action", details={"action": t.action}
                )
        return t.target

    def replay(self, events: Iterable[Event]) -> str:
        """The state a history leads to (every event re-checked)."""
        state = "new"
        done: list[Event] = []
        for event in events:
            state = self.apply(done, state, event)
            done.append(event)
        return state

    def mermaid(self) -> str:
        """The lifecycle as a Mermaid ``stateDiagram-v2`` (labels in Chinese and English)."""
        lines = ["stateDiagram-v2"]
        for s in self.states:
            lines.append(f'    state "{s.label_zh} {s.label_en}" as {s.name}')
        for t in self.transitions:
            for source in sorted(t.sources):
                src = "[*]" if source == "new" else source
                lines.append(f"    {src} --> {t.target}: {t.label_zh} {t.action}")
        for s in self.states:
            if s.terminal:
                lines.append(f"    {s.name} --> [*]")
        return "\n".join(lines) + "\n"


def replay(lifecycle: Lifecycle, events: Iterable[Event]) -> str:
    """Shorthand for ``lifecycle.replay(events)``."""
    return lifecycle.replay(events)


class Case:
    """The lifecycle glue of a case type (a frozen attrs class with an ``events`` history and a
    derived ``state``): replaying the history when the case is built, taking an action, and
    reading the events of the history. Service requests and disputes are cases.

    A subclass sets :attr:`LIFECYCLE`, declares ``events: tuple[Event, ...]`` and
    ``state: str = attrs.field(init=False)``, and calls :meth:`_start` from its
    ``__attrs_post_init__``.
    """

    __slots__ = ()

    #: the lifecycle the case runs on
    LIFECYCLE: ClassVar[Lifecycle]
    events: tuple[Event, ...]
    state: str

    def _start(self, opened_at: datetime, *, first_fits: bool = True) -> None:
        """Check that the history opens with the initial action at ``opened_at`` (and that the
        first event fits the case's facts: ``first_fits``), then derive ``state`` by replaying
        it. Raises ``ValidationError(code="invalid_history", field="events")``."""
        first = self.events[0] if self.events else None
        action = self.LIFECYCLE.initial_action
        if first is None or first.action != action or first.at != opened_at or not first_fits:
            raise ValidationError(
                f"第一条记录须为「{action}」, 时间与案件登记时间一致",
                f"the first event must be {action!r}, at the time the case was opened",
                code="invalid_history",
                field="events",
            )
        object.__setattr__(self, "state", self.LIFECYCLE.replay(self.events))

    def act(self, action: str, *, at: datetime, actor_id: str, note: str = "", **data: Any) -> Self:
        """The case after ``action`` (checked against the lifecycle and its rules; nothing
        changes on error). ``data`` carries what the action needs (reason, outcome …)."""
        event = Event(action, at, actor_id, note, data)
        self.LIFECYCLE.apply(self.events, self.state, event)
        # attrs.evolve through Any: the mypy attrs plugin cannot see that Self is an attrs class.
        changed: Self = attrs.evolve(_any(self), events=(*self.events, event))
        return changed

    def last(self, *actions: str) -> Event | None:
        """The latest event of any of ``actions``."""
        return next((e for e in reversed(self.events) if e.action in actions), None)

    def first(self, *actions: str) -> Event | None:
        """The earliest event of any of ``actions``."""
        return next((e for e in self.events if e.action in actions), None)

    def last_at(self, *actions: str) -> datetime | None:
        """When the latest event of any of ``actions`` happened."""
        event = self.last(*actions)
        return None if event is None else event.at

    def count(self, action: str) -> int:
        """How many times ``action`` was taken."""
        return sum(1 for e in self.events if e.action == action)


def _any(value: Any) -> Any:
    return value
