"""The ledger record as an actor may see it (脱敏视图), and the field groups a write touches.

A :class:`~minzu_core.ledger.model.Person` read through the repository comes back with every
personal field the unit of work may not read in clear replaced by its masked text
(:func:`minzu_core.privacy.mask_value`: ``张*``, ``3601**********0014``, ``138****1234``, the
first characters of an address, ``****-**-**`` for a birth date, a masked guardian link). Which
fields belong to which group is :data:`PERSON_FIELDS`; on a minor's record (under 14 on the
day read) every field needs the ``minors`` group as well.

A masked record can be changed in its other fields and saved: :func:`restore_withheld` puts the
stored values back wherever the record still holds a masked text, so a mask is never stored.
A new record holding a masked text is refused (:func:`refuse_withheld`).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import attrs

from minzu_core.fields import is_withheld
from minzu_core.ledger.model import HouseholdRegistration, Person, Residence
from minzu_core.privacy.extensions import ExtensionRegistry, Sensitivity
from minzu_core.privacy.permissions import (
    MASKED_TEXT,
    FieldAccess,
    FieldGroup,
    SensitiveField,
    groups_of,
    is_minor,
    mask_value,
    refuse_masked,
)

__all__ = [
    "EXTENSION_KIND",
    "PERSON_FIELDS",
    "refuse_withheld",
    "restore_withheld",
    "shown_person",
    "written_groups",
]

#: The personal fields of a ledger record and the kind of each (its field group follows).
PERSON_FIELDS: dict[str, SensitiveField] = {
    "name": SensitiveField.NAME,
    "id_number": SensitiveField.ID_NUMBER,
    "birth_date": SensitiveField.BIRTH_DATE,
    "phone": SensitiveField.PHONE,
    "household.address": SensitiveField.ADDRESS,
    "residences[].address": SensitiveField.ADDRESS,
    "guardian_id": SensitiveField.GUARDIAN,
}

_TOP = ("name", "id_number", "birth_date", "phone", "guardian_id")


def _minor(person: Person, today: date) -> bool:
    born = person.birth_date
    return isinstance(born, date) and is_minor(born, today)


def _values(person: Person) -> Iterator[tuple[str, SensitiveField, Any]]:
    """Every personal field of ``person`` that holds a value: (path, kind, value)."""
    for name in _TOP:
        value = getattr(person, name)
        if value is not None and value != "":
            yield name, PERSON_FIELDS[name], value
    if person.household is not None and person.household.address:
        yield "household.address", SensitiveField.ADDRESS, person.household.address
    for index, residence in enumerate(person.residences):
        if residence.address:
            yield f"residences[{index}].address", SensitiveField.ADDRESS, residence.address


#: The field kind whose groups an extension field of sensitivity ``personal`` or ``sensitive``
#: needs to be read in clear (``identity``; ``general`` ones are never masked). Its values are
#: masked as :data:`~minzu_core.privacy.MASKED_TEXT`.
EXTENSION_KIND = SensitiveField.ID_NUMBER

_NO_EXTENSIONS = ExtensionRegistry()


def _personal_extensions(person: Person, registry: ExtensionRegistry) -> list[str]:
    """The keys of ``person``'s extension values that are personal (not declared ``general``;
    an undeclared key counts as personal)."""
    general = {f.name for f in registry if f.sensitivity is Sensitivity.GENERAL}
    return [k for k, v in person.extensions.items() if k not in general and v is not None]


def shown_person(
    person: Person,
    access: FieldAccess,
    today: date,
    registry: ExtensionRegistry = _NO_EXTENSIONS,
) -> tuple[Person, frozenset[FieldGroup]]:
    """``person`` as ``access`` may see it, and the field groups it shows in clear (what the
    audit trail records as read). The stored record is judged a minor's by its own birth
    date on ``today``; ``registry`` says which extension values are personal."""
    minor = _minor(person, today)
    clear: set[FieldGroup] = set()
    masked: dict[str, Any] = {}
    for path, kind, value in _values(person):
        if access.can_read(kind, minor=minor):
            clear |= groups_of(kind, minor=minor)
        else:
            masked[path] = mask_value(kind, value)
    personal = _personal_extensions(person, registry)
    if personal:
        if access.can_read(EXTENSION_KIND, minor=minor):
            clear |= groups_of(EXTENSION_KIND, minor=minor)
        else:
            masked["extensions"] = {
                k: MASKED_TEXT if k in personal else v for k, v in person.extensions.items()
            }
    if not masked:
        return person, frozenset(clear)
    return _with_values(person, masked), frozenset(clear)


def _with_values(person: Person, values: dict[str, Any]) -> Person:
    """A copy of ``person`` with the fields at ``values``' paths replaced (no re-validation:
    the record is a view, and the converters keep masked texts anyway)."""
    top = {k: v for k, v in values.items() if "." not in k and "[" not in k}  # extensions too
    household = person.household
    if household is not None and "household.address" in values:
        household = attrs.evolve(household, address=values["household.address"])
    residences = tuple(
        attrs.evolve(r, address=values[f"residences[{i}].address"])
        if f"residences[{i}].address" in values
        else r
        for i, r in enumerate(person.residences)
    )
    return attrs.evolve(person, household=household, residences=residences, **top)


def refuse_withheld(person: Person) -> None:
    """Raise ``ValidationError(code="masked_value")`` if a new record holds a masked text."""
    for path, kind, value in _values(person):
        refuse_masked(value, field=path, kind=kind if kind is SensitiveField.NARRATIVE else None)
    for key, value in person.extensions.items():
        refuse_masked(value, field=f"extensions.{key}", kind=SensitiveField.NARRATIVE)


def restore_withheld(person: Person, stored: Person) -> Person:
    """``person`` (read masked, maybe changed) with the stored value wherever it still holds a
    masked text: the mask is never written back. A residence episode is matched by its id."""
    top: dict[str, Any] = {n: getattr(stored, n) for n in _TOP if is_withheld(getattr(person, n))}
    if any(v == MASKED_TEXT for v in person.extensions.values()):
        top["extensions"] = {
            k: stored.extensions.get(k) if v == MASKED_TEXT else v
            for k, v in person.extensions.items()
        }
    household = person.household
    if household is not None and is_withheld(household.address):
        kept = stored.household.address if stored.household is not None else None
        household = HouseholdRegistration(household.division_code, kept)
    before = {r.id: r for r in stored.residences}
    residences: list[Residence] = []
    for residence in person.residences:
        if is_withheld(residence.address):
            old = before.get(residence.id)
            residence = attrs.evolve(residence, address=None if old is None else old.address)
        residences.append(residence)
    if not top and household is person.household and residences == list(person.residences):
        return person
    return attrs.evolve(person, household=household, residences=tuple(residences), **top)


def written_groups(
    person: Person,
    previous: Person | None,
    today: date,
    registry: ExtensionRegistry = _NO_EXTENSIONS,
) -> frozenset[FieldGroup]:
    """The field groups a write of ``person`` over ``previous`` (``None``: a new record)
    changes: those of every personal field whose value differs (personal extension values
    count as ``identity``), plus ``minors`` on a minor's record (before or after the change)."""
    new = {path: (kind, value) for path, kind, value in _values(person)}
    old = {} if previous is None else {path: value for path, _, value in _values(previous)}
    kinds = {path: kind for path, (kind, _) in new.items()}
    if previous is not None:
        kinds.update({path: kind for path, kind, _ in _values(previous)})
    minor = _minor(person, today) or (previous is not None and _minor(previous, today))
    groups: set[FieldGroup] = set()
    for path, kind in kinds.items():
        if new.get(path, (kind, None))[1] != old.get(path):
            groups |= groups_of(kind, minor=minor)
    before = {} if previous is None else previous.extensions
    personal = set(_personal_extensions(person, registry))
    if previous is not None:
        personal |= set(_personal_extensions(previous, registry))
    if any(person.extensions.get(k) != before.get(k) for k in personal):
        groups |= groups_of(EXTENSION_KIND, minor=minor)
    return frozenset(groups)
