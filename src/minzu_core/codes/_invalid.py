"""The typed errors of the national code checks (not public).

Each code module names the reasons a code can be invalid (``details["reason"]``) with their
messages; :class:`Reasons` turns a reason into the module's ``ValidationError``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import attrs

from minzu_core.errors import ValidationError

__all__ = ["Reasons"]

#: Why a text is not a valid code: a reason, or ``None`` if it is valid.
Problem = Callable[[str], str | None]


@attrs.frozen
class Reasons:
    """The reasons a code of one kind is invalid, for errors ``"<name>无效：<reason>"``.

    Attributes:
        code: the error code (``invalid_uscc`` …).
        name_zh, name_en: what the code is called (统一社会信用代码, unified social credit code).
        messages: each reason's Chinese and English message.
    """

    code: str
    name_zh: str
    name_en: str
    messages: Mapping[str, tuple[str, str]]

    def error(self, reason: str, field: str) -> ValidationError:
        """The error for ``reason``, naming ``field``; the message never shows the value."""
        zh, en = self.messages[reason]
        return ValidationError(
            f"{self.name_zh}无效：{zh}",
            f"invalid {self.name_en}: {en}",
            code=self.code,
            field=field,
            details={"reason": reason},
        )

    def check(self, problem: Problem, value: object, field: str, not_text: str = "type") -> str:
        """``value`` if it is a text without a ``problem``; else the error (reason ``not_text``
        for a value that is not a text)."""
        if not isinstance(value, str):
            raise self.error(not_text, field)
        reason = problem(value)
        if reason is not None:
            raise self.error(reason, field)
        return value

    def validator(self, problem: Problem, field: str) -> Callable[[object, object, str], None]:
        """An attrs validator: :meth:`check` of the attribute's value."""

        def validate(instance: object, attribute: object, value: str) -> None:
            self.check(problem, value, field)

        return validate
