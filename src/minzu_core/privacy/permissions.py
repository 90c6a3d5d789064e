"""Permissions as data (权限即数据): field groups, operations, the permission policy, masking.

Personal fields are grouped into :class:`FieldGroup` s. A :class:`PermissionPolicy` — data, like
the responsibility policy: :data:`DEFAULT_PERMISSION_POLICY` is the default and a host app may
replace it — grants each role :class:`Operation` s on field groups. :meth:`PermissionPolicy.access`
answers, for an actor's roles and a declared purpose (or none), which groups may be read in clear
and which written (a :class:`FieldAccess`).

The rules:

* **Least privilege by default.** An actor with no roles has no field-group permission.
* **Clear reads need a purpose.** ``READ`` lets a field be read in clear only in a unit of work that
  declared a purpose (:mod:`minzu_core.privacy.purposes`), and only a purpose the grant lists
  (a grant with no purposes accepts any declared purpose). Otherwise the field comes back masked
  — never blank and never raw: ``3601**********0014``, ``张*``, ``138****1234``.
* **Writes need the write permission of every group they change** (``WRITE``; not tied to a
  purpose). A masked value can never be written back: :func:`is_masked` recognises one and
  :func:`refuse_masked` raises ``ValidationError(code="masked_value")``.
* **Unrestricted access** (``Actor.system``: batch jobs, administration) is a flag the caller
  passes (``unrestricted=True``): every group readable and writable, the audit trail visible; it
  is audited like any other access.
* **Minors.** The fields of a person under 14 (:data:`MINOR_AGE`, PIPL Art. 28/31) and guardian
  links also belong to the ``minors`` group: reading them in clear needs both their own group
  and ``minors``.
* Indicators read no personal field in clear and need no permission.

The default policy (:data:`DEFAULT_PERMISSION_POLICY`), for the roles of a district office
(R: read in clear, for the purposes listed; W: write; A: view the audit trail)::

    role (角色)             identity contact minors narrative  audit  purposes of R
    ethnic_affairs_officer  RW       RW      RW     RW         -      service_handling, mediation,
                                                                      ledger_management,
                                                                      data_subject_request
    community_cadre         RW       RW      RW     -          -      ledger_management,
                                                                      service_handling
    window_clerk            RW       RW      R      RW         -      service_handling
    mediator                R        R       -      RW         -      mediation
    analyst                 -        -       -      -          -      -
    auditor                 -        -       -      -          A      -
    privacy_officer         R        R       R      R          A      data_subject_request,
                                                                      audit_review

The roles: ethnic_affairs_officer 民宗专干, community_cadre 社区干部, window_clerk 窗口工作人员,
mediator 调解员, analyst 统计分析 (no personal field), auditor 审计, privacy_officer
个人信息保护负责人 (PIPL Art. 52).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

import attrs

import minzu_core.fields as fields
from minzu_core.codes.masking import mask_address, mask_name
from minzu_core.codes.phone import mask_phone
from minzu_core.codes.resident_id import mask_resident_id
from minzu_core.errors import PermissionDeniedError, ValidationError
from minzu_core.labels import LabelledEnum
from minzu_core.privacy.purposes import (
    AUDIT_REVIEW,
    DATA_SUBJECT_REQUEST,
    DEFAULT_PURPOSES,
    LEDGER_MANAGEMENT,
    MEDIATION,
    SERVICE_HANDLING,
    Purpose,
    PurposeVocabulary,
)

__all__ = [
    "ANALYST",
    "AUDITOR",
    "COMMUNITY_CADRE",
    "DEFAULT_PERMISSION_POLICY",
    "ETHNIC_AFFAIRS_OFFICER",
    "MASKED_TEXT",
    "MEDIATOR",
    "MINOR_AGE",
    "PRIVACY_OFFICER",
    "WINDOW_CLERK",
    "FieldAccess",
    "FieldGroup",
    "Grant",
    "Operation",
    "PermissionPolicy",
    "PolicyRole",
    "SensitiveField",
    "groups_of",
    "is_masked",
    "is_minor",
    "mask_value",
    "refuse_masked",
    "to_field_groups",
]

#: Persons under this age (in whole years) are minors in the sense of PIPL Art. 28 and 31.
MINOR_AGE = 14

#: What a masked free text (a dispute narrative, the notes of a request) reads as.
MASKED_TEXT = "******（已脱敏 masked）"

_MASK = "*"
_MASKED_UUID = "********-****-****-****-************"
_MASKED_DATE = "****-**-**"


class FieldGroup(LabelledEnum):
    """A group of personal fields that is granted, masked and audited together."""

    IDENTITY = "identity", "身份信息", "identity"
    CONTACT = "contact", "联系方式", "contact"
    MINORS = "minors", "未成年人信息", "minors"
    NARRATIVE = "narrative", "案情与备注", "narrative"


class Operation(LabelledEnum):
    """What a grant allows: read field groups in clear, write them, or view the audit trail."""

    READ = "read", "明文查看", "read in clear"
    WRITE = "write", "写入", "write"
    AUDIT = "audit", "查阅审计记录", "view the audit trail"


class SensitiveField(LabelledEnum):
    """A kind of personal field, with the group it belongs to and how it is masked."""

    NAME = "name", "姓名", "name"
    ID_NUMBER = "id_number", "公民身份号码", "ID number"
    BIRTH_DATE = "birth_date", "出生日期", "birth date"
    PHONE = "phone", "联系电话", "phone"
    ADDRESS = "address", "地址", "address"
    GUARDIAN = "guardian", "监护人关联", "guardian link"
    NARRATIVE = "narrative", "案情与备注", "narrative or note"

    @property
    def group(self) -> FieldGroup:
        """The field group this field belongs to (for an adult's record)."""
        return _FIELD_GROUPS[self]


_FIELD_GROUPS: dict[SensitiveField, FieldGroup] = {
    SensitiveField.NAME: FieldGroup.IDENTITY,
    SensitiveField.ID_NUMBER: FieldGroup.IDENTITY,
    SensitiveField.BIRTH_DATE: FieldGroup.IDENTITY,
    SensitiveField.PHONE: FieldGroup.CONTACT,
    SensitiveField.ADDRESS: FieldGroup.CONTACT,
    SensitiveField.GUARDIAN: FieldGroup.MINORS,
    SensitiveField.NARRATIVE: FieldGroup.NARRATIVE,
}


def is_minor(birth_date: date | None, on: date) -> bool:
    """True if a person born on ``birth_date`` is under :data:`MINOR_AGE` on ``on``.

    An unknown birth date is not treated as a minor's (the ledger derives it from the ID number
    when there is one).
    """
    if birth_date is None:
        return False
    age = on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))
    return age < MINOR_AGE


def groups_of(field: SensitiveField, *, minor: bool = False) -> frozenset[FieldGroup]:
    """The field groups a field belongs to: its own, plus ``minors`` on a minor's record."""
    return frozenset({field.group, FieldGroup.MINORS} if minor else {field.group})


# -- masking ------------------------------------------------------------------------------------


def _mask_text(value: Any) -> str:
    return value if isinstance(value, str) and _MASK in value else _MASK * len(str(value).strip())


def mask_value(field: SensitiveField, value: Any) -> Any:
    """The masked form of ``value`` for ``field``: never blank (unless ``value`` is) and never raw.

    ``None`` and the empty string stay as they are (there is nothing to hide). A name becomes
    ``张*``, an ID number ``3601**********0014``, a phone ``138****1234``, an address its first six
    characters then ``*``, a birth date ``****-**-**``, a guardian link (UUID)
    ``********-****-****-****-************`` and a narrative :data:`MASKED_TEXT`.
    """
    if value is None or value == "":
        return value
    if field is SensitiveField.NARRATIVE:
        return MASKED_TEXT
    if field is SensitiveField.BIRTH_DATE:
        return _MASKED_DATE
    if field is SensitiveField.GUARDIAN:
        return _MASKED_UUID
    if not isinstance(value, str):
        return _mask_text(value)
    masked = {
        SensitiveField.NAME: mask_name,
        SensitiveField.ID_NUMBER: mask_resident_id,
        SensitiveField.PHONE: mask_phone,
        SensitiveField.ADDRESS: mask_address,
    }[field](value)
    return masked if _MASK in masked else _mask_text(value)


def is_masked(value: object, field: SensitiveField | None = None) -> bool:
    """True if ``value`` is (or contains) a masked value.

    Every masked form contains ``*``, which no valid name, ID number, phone, address, date or
    UUID does; a narrative (where ``*`` may be real text) counts as masked only if it contains
    :data:`MASKED_TEXT`. With ``field`` ``None`` any ``*`` counts.
    """
    if not isinstance(value, str):
        return False
    if field is SensitiveField.NARRATIVE:
        return MASKED_TEXT in value
    return _MASK in value


def refuse_masked(value: object, *, field: str, kind: SensitiveField | None = None) -> None:
    """Raise ``ValidationError(code="masked_value")`` if ``value`` is masked: a masked value
    read from the store can never be written back over the clear one."""
    if is_masked(value, kind):
        raise ValidationError(
            f"不能写入脱敏后的值: {field}",
            f"a masked value cannot be written back: {field}",
            code="masked_value",
            field=field,
        )


# -- the policy ---------------------------------------------------------------------------------

ETHNIC_AFFAIRS_OFFICER = "ethnic_affairs_officer"
COMMUNITY_CADRE = "community_cadre"
WINDOW_CLERK = "window_clerk"
MEDIATOR = "mediator"
ANALYST = "analyst"
AUDITOR = "auditor"
PRIVACY_OFFICER = "privacy_officer"


def to_field_groups(values: Any) -> frozenset[FieldGroup]:
    """A set of field groups from an iterable of members, values or labels (an attrs
    converter; ``ValidationError(code="invalid_choice", field="field_groups")``)."""
    return frozenset(
        FieldGroup.parse(v, field="field_groups") for v in fields.as_items(values, "field_groups")
    )


def _operations(values: Any) -> frozenset[Operation]:
    return frozenset(
        Operation.parse(v, field="operations") for v in fields.as_items(values, "operations")
    )


def _purpose_codes(values: Any) -> frozenset[str]:
    return frozenset(
        fields.as_vocabulary_code(v, "purposes") for v in fields.as_items(values, "purposes")
    )


@attrs.frozen
class PolicyRole:
    """A role of the permission policy: a code (as in :attr:`Actor.roles`) and its labels."""

    code: str = attrs.field(converter=fields.to_vocabulary_code)
    label_zh: str = attrs.field(converter=fields.to_text)
    label_en: str = attrs.field(converter=fields.to_text)


@attrs.frozen
class Grant:
    """What one role may do.

    Attributes:
        role: the role code.
        operations: ``read`` (in clear), ``write``, ``audit`` (view the audit trail).
        field_groups: the groups ``read`` and ``write`` apply to.
        purposes: the purpose codes for which ``read`` reveals the groups in clear; empty means
            any declared purpose. ``write`` and ``audit`` do not depend on the purpose.
    """

    role: str = attrs.field(converter=fields.to_vocabulary_code)
    operations: frozenset[Operation] = attrs.field(converter=_operations)
    field_groups: frozenset[FieldGroup] = attrs.field(
        default=frozenset(), converter=to_field_groups
    )
    purposes: frozenset[str] = attrs.field(default=frozenset(), converter=_purpose_codes)


_ALL_GROUPS = frozenset(FieldGroup)


@attrs.frozen
class FieldAccess:
    """What one unit of work may do with personal fields (the answer of
    :meth:`PermissionPolicy.access`).

    Attributes:
        readable: the groups that may be read in clear.
        writable: the groups that may be written.
        purpose: the declared purpose, if any (recorded in the audit entries).
        can_view_audit: whether the audit trail may be read.
        unrestricted: full access was requested (``Actor.system``); still audited.
    """

    readable: frozenset[FieldGroup] = frozenset()
    writable: frozenset[FieldGroup] = frozenset()
    purpose: Purpose | None = None
    can_view_audit: bool = False
    unrestricted: bool = False

    def can_read(self, field: SensitiveField, *, minor: bool = False) -> bool:
        """True if ``field`` (on a minor's record if ``minor``) may be read in clear."""
        return groups_of(field, minor=minor) <= self.readable

    def can_write(self, field: SensitiveField, *, minor: bool = False) -> bool:
        """True if ``field`` (on a minor's record if ``minor``) may be written."""
        return groups_of(field, minor=minor) <= self.writable

    def reveal(self, field: SensitiveField, value: Any, *, minor: bool = False) -> Any:
        """``value`` itself if it may be read in clear, else its masked form."""
        return value if self.can_read(field, minor=minor) else mask_value(field, value)

    def require_write(self, groups: Iterable[FieldGroup], *, field: str) -> None:
        """Raise ``PermissionDeniedError(code="field_group_denied")`` unless every group of
        ``groups`` (those a write changes) may be written."""
        missing = sorted(g.value for g in frozenset(groups) - self.writable)
        if missing:
            raise PermissionDeniedError(
                f"无权修改以下字段组: {', '.join(missing)}",
                f"no permission to write the field groups: {', '.join(missing)}",
                code="field_group_denied",
                field=field,
                details={"field_groups": missing},
            )

    def require_audit_view(self) -> None:
        """Raise ``PermissionDeniedError(code="audit_denied")`` unless the audit trail may be
        read."""
        if not self.can_view_audit:
            raise PermissionDeniedError(
                "无权查阅审计记录",
                "no permission to view the audit trail",
                code="audit_denied",
                field="audit",
            )


@attrs.frozen
class PermissionPolicy:
    """Roles and their grants (权限策略). Replace :data:`DEFAULT_PERMISSION_POLICY` by passing
    another policy; round-trip one through JSON with :meth:`to_json` / :meth:`from_json`."""

    roles: tuple[PolicyRole, ...] = attrs.field(converter=fields.to_records)
    grants: tuple[Grant, ...] = attrs.field(converter=fields.to_records)
    name: str = ""

    def __attrs_post_init__(self) -> None:
        known = {r.code for r in self.roles}
        if len(known) != len(self.roles):
            raise ValidationError(
                "权限策略中的角色重复",
                "a role is declared twice in the permission policy",
                code="duplicate_role",
                field="roles",
            )
        for grant in self.grants:
            if grant.role not in known:
                raise ValidationError(
                    f"授权引用了未声明的角色: {grant.role}",
                    f"a grant names an undeclared role: {grant.role}",
                    code="unknown_role",
                    field="grants",
                    details={"role": grant.role},
                )

    def grants_for(self, roles: Iterable[str]) -> tuple[Grant, ...]:
        """The grants of any of ``roles``, in policy order."""
        wanted = frozenset(roles)
        return tuple(g for g in self.grants if g.role in wanted)

    def check_purposes(self, vocabulary: PurposeVocabulary = DEFAULT_PURPOSES) -> None:
        """Raise ``ValidationError(code="unknown_purpose")`` if a grant names a purpose the
        vocabulary does not hold (call it once when a host installs its policy)."""
        for grant in self.grants:
            for code in sorted(grant.purposes):
                vocabulary.get(code, field="grants.purposes")

    def access(
        self,
        roles: Iterable[str],
        purpose: Purpose | str | None = None,
        *,
        unrestricted: bool = False,
        vocabulary: PurposeVocabulary = DEFAULT_PURPOSES,
    ) -> FieldAccess:
        """Which field groups may be read in clear and which written, for an actor with
        ``roles`` in a unit of work that declared ``purpose`` (or none).

        ``purpose`` is looked up in ``vocabulary`` (``ValidationError(code="unknown_purpose")``
        if it is not there). ``unrestricted`` (``Actor.system``) grants everything.
        """
        declared = None if purpose is None else vocabulary.get(purpose)
        if unrestricted:
            return FieldAccess(_ALL_GROUPS, _ALL_GROUPS, declared, True, True)
        readable: set[FieldGroup] = set()
        writable: set[FieldGroup] = set()
        audit = False
        for grant in self.grants_for(roles):
            purpose_ok = declared is not None and (
                not grant.purposes or declared.code in grant.purposes
            )
            if Operation.READ in grant.operations and purpose_ok:
                readable |= grant.field_groups
            if Operation.WRITE in grant.operations:
                writable |= grant.field_groups
            audit = audit or Operation.AUDIT in grant.operations
        return FieldAccess(frozenset(readable), frozenset(writable), declared, audit, False)

    def to_data(self) -> dict[str, Any]:
        """JSON-ready data (through the library's cattrs converter)."""
        from minzu_core.serialization import unstructure

        data: dict[str, Any] = unstructure(self)
        return data

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> PermissionPolicy:
        """The policy described by :meth:`to_data` output."""
        from minzu_core.serialization import structure

        return structure(dict(data), cls)

    def to_json(self) -> str:
        """The policy as JSON text (sorted keys, UTF-8 labels kept readable)."""
        return json.dumps(self.to_data(), ensure_ascii=False, sort_keys=True, indent=2)

    @classmethod
    def from_json(cls, text: str) -> PermissionPolicy:
        """The policy described by :meth:`to_json` output."""
        return cls.from_data(json.loads(text))


_CASE_WORK = frozenset({SERVICE_HANDLING, MEDIATION, LEDGER_MANAGEMENT, DATA_SUBJECT_REQUEST})
_LOCAL_WORK = frozenset({LEDGER_MANAGEMENT, SERVICE_HANDLING})
_PERSONAL = frozenset(FieldGroup)
_R, _W, _A = Operation.READ, Operation.WRITE, Operation.AUDIT
_ID, _CONTACT, _MINORS, _NARR = (
    FieldGroup.IDENTITY,
    FieldGroup.CONTACT,
    FieldGroup.MINORS,
    FieldGroup.NARRATIVE,
)

#: The default permission policy of a district office (see the module docstring for the table).
DEFAULT_PERMISSION_POLICY = PermissionPolicy(
    roles=(
        PolicyRole(ETHNIC_AFFAIRS_OFFICER, "民宗专干", "ethnic affairs officer"),
        PolicyRole(COMMUNITY_CADRE, "社区干部", "community cadre"),
        PolicyRole(WINDOW_CLERK, "窗口工作人员", "service window clerk"),
        PolicyRole(MEDIATOR, "调解员", "mediator"),
        PolicyRole(ANALYST, "统计分析", "analyst"),
        PolicyRole(AUDITOR, "审计", "auditor"),
        PolicyRole(
            PRIVACY_OFFICER, "个人信息保护负责人", "personal information protection officer"
        ),
    ),
    grants=(
        Grant(ETHNIC_AFFAIRS_OFFICER, {_R}, _PERSONAL, _CASE_WORK),
        Grant(ETHNIC_AFFAIRS_OFFICER, {_W}, _PERSONAL),
        Grant(
            COMMUNITY_CADRE, {_R}, {_ID, _CONTACT, _MINORS}, {LEDGER_MANAGEMENT, SERVICE_HANDLING}
        ),
        Grant(COMMUNITY_CADRE, {_W}, {_ID, _CONTACT, _MINORS}),
        Grant(WINDOW_CLERK, {_R}, _PERSONAL, {SERVICE_HANDLING}),
        Grant(WINDOW_CLERK, {_W}, {_ID, _CONTACT, _NARR}),
        Grant(MEDIATOR, {_R}, {_ID, _CONTACT, _NARR}, {MEDIATION}),
        Grant(MEDIATOR, {_W}, {_NARR}),
        Grant(AUDITOR, {_A}),
        Grant(PRIVACY_OFFICER, {_R}, _PERSONAL, {DATA_SUBJECT_REQUEST, AUDIT_REVIEW}),
        Grant(PRIVACY_OFFICER, {_A}),
    ),
    name="默认权限策略 default permission policy",
)
