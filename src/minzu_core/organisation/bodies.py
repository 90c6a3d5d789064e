"""Bodies attached to units (机构): leading groups, united-front offices, service windows,
mediation committees, liaison stations, volunteer teams and partner agencies of origin areas.

A :class:`Body` is open from ``opened`` until ``closed`` (half-open: ``opened <= d < closed``).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date

import attrs

import minzu_core.fields as fields
from minzu_core.codes.divisions import DivisionCode, Level
from minzu_core.fields import check_period, in_period, invalid
from minzu_core.labels import Choice

__all__ = ["Body", "BodyKind"]


class BodyKind(Choice):
    """The kinds of body attached to a unit (机构类型)."""

    LEADING_GROUP = "leading_group", "民族工作领导小组", "ethnic affairs leading group"
    UNITED_FRONT_OFFICE = "united_front_office", "统战工作办公室", "united-front work office"
    SERVICE_WINDOW = "service_window", "民族工作服务窗口", "ethnic affairs service window"
    MEDIATION_COMMITTEE = "mediation_committee", "人民调解委员会", "people's mediation committee"
    LIAISON_STATION = (
        "liaison_station",
        "少数民族流动人口联系服务站",
        "liaison and service station for the floating minority population",
    )
    VOLUNTEER_TEAM = "volunteer_team", "志愿服务队", "volunteer team"
    PARTNER_AGENCY = "partner_agency", "流出地合作机构", "partner agency of an origin area"

    @property
    def levels(self) -> frozenset[Level]:
        """The unit levels a body of this kind may be attached to."""
        return _BODY_LEVELS.get(self.value, frozenset(Level))


_BODY_LEVELS: Mapping[str, frozenset[Level]] = {
    "leading_group": frozenset({Level.PROVINCE, Level.PREFECTURE, Level.COUNTY}),
    "united_front_office": frozenset({Level.TOWNSHIP}),
    "service_window": frozenset({Level.TOWNSHIP}),
    "mediation_committee": frozenset({Level.TOWNSHIP, Level.VILLAGE}),
}


@attrs.frozen
class Body:
    """A body attached to a unit (机构), open on ``opened <= d < closed``.

    Attributes:
        unit_code: the unit the body belongs to. A leading group sits at a county or higher
            unit, a united-front office and a service window at a township, a mediation
            committee at a township or a community/village; the other kinds anywhere.
        kind: see :class:`BodyKind`.
        origin_code: for a partner agency (流出地合作机构, e.g. 新疆驻赣工作组): the division code
            of the origin area it represents (required for that kind, refused for others).
        window_id: for a service window: optionally the id of the
            :class:`~minzu_core.services.ServiceWindow` that runs its requests (the window
            must exist at the same unit). A window body without it is a plain body.
    """

    unit_code: DivisionCode = attrs.field(converter=fields.to_code)
    kind: BodyKind = attrs.field(converter=fields.to_choice)
    name: str = attrs.field(converter=fields.to_text)
    opened: date = attrs.field(converter=fields.to_date)
    closed: date | None = attrs.field(default=None, converter=fields.to_date_or_none)
    origin_code: DivisionCode | None = attrs.field(default=None, converter=fields.to_code_or_none)
    window_id: uuid.UUID | None = attrs.field(default=None, converter=fields.to_uuid_or_none)
    note: str = attrs.field(default="", converter=fields.to_text_or_empty)
    id: uuid.UUID = attrs.field(factory=uuid.uuid4, converter=fields.to_uuid)
    version: int = 0

    def __attrs_post_init__(self) -> None:
        check_period(self.opened, self.closed, "closed")
        if self.unit_code.level not in self.kind.levels:
            raise invalid(
                "body_level",
                f"「{self.kind.label_zh}」不能设在{self.unit_code.level.label_zh}单位",
                f"a {self.kind.label_en} cannot belong to a {self.unit_code.level.label_en} unit",
                "unit_code",
            )
        if (self.kind is BodyKind.PARTNER_AGENCY) != (self.origin_code is not None):
            raise invalid(
                "origin_code",
                "流出地区划代码仅用于且必须用于流出地合作机构",
                "origin_code is required for a partner agency and only for it",
                "origin_code",
            )
        if self.window_id is not None and self.kind is not BodyKind.SERVICE_WINDOW:
            raise invalid(
                "window_id",
                "仅服务窗口可关联窗口标识",
                "only a service window body may reference a window",
                "window_id",
            )

    def open_on(self, day: date) -> bool:
        """True if the body exists on ``day`` (``opened <= day < closed``)."""
        return in_period(day, self.opened, self.closed)
