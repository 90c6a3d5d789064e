"""Indicator definitions as data: validation, the field registry and JSON round trips."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minzu_core.errors import ValidationError
from minzu_core.indicators import (
    CATALOG,
    DERIVED_FIELDS,
    ENTITY_FIELDS,
    ENTITY_UNIT_FIELDS,
    ORDERED_FIELDS,
    Aggregate,
    DateRole,
    Entity,
    Filter,
    Indicator,
    IndicatorKind,
    Measure,
    Op,
    check_supported,
    definitions,
    indicator_from_json,
    indicator_to_json,
    register_entity,
)
from minzu_core.serialization import structure, unstructure

PRESENT = {"valid_from": "residence.arrival", "valid_to": "residence.departure"}
MINORITY = Filter("is_minority", "eq", True)


def catalog_examples() -> list[Indicator]:
    """The standard catalog (DESIGN §5) and variants of it: the data model can say them."""
    return [
        *CATALOG,
        Indicator(
            "minority_residents_by_code",
            "少数民族常住人口",
            "minority resident population",
            Measure.stock(
                "person",
                ("ethnicity", "ne", "01"),
                ("residence.status", "eq", "resident"),
                ("status", "eq", "active"),
                **PRESENT,
            ),
        ),
        Indicator(
            "residence_arrivals",
            "流入人数",
            "floating arrivals",
            Measure.flow("residence", "arrival", ("status", "eq", "floating")),
        ),
        Indicator(
            "units_with_windows",
            "服务窗口覆盖率",
            "service window coverage",
            Measure.stock(
                "service_window",
                valid_from="opened",
                valid_to="closed",
                aggregate="count_distinct",
                field="unit_code",
            ),
            Measure.stock(
                "unit", ("level", "eq", "township"), valid_from="valid_from", valid_to="valid_to"
            ),
            factor=100,
            decimals=1,
        ),
        Indicator(
            "dispute_success_rate_from_list",
            "调解成功率",
            "mediation success rate",
            Measure.flow("dispute", "concluded_at", ("outcome", "eq", "agreement")),
            Measure.flow("dispute", "concluded_at", ("outcome", "in", ["agreement", "terminated"])),
            factor=100,
        ),
        Indicator(
            "participants",
            "参与人次",
            "participants",
            Measure.flow("activity", "start", aggregate="sum", field="participants"),
        ),
        Indicator(
            "requests_per_thousand_minority",
            "每千名少数民族居民服务事项数",
            "requests per 1,000 minority residents",
            Measure.flow("service_request", "accepted_at"),
            Measure.stock("person", MINORITY, **PRESENT),
            factor=1000,
            description="a flow over a stock",
        ),
    ]


@pytest.fixture
def registry() -> Iterator[None]:
    """Restore the module-level registries after a test that extends them."""
    saved = (
        dict(ENTITY_FIELDS),
        dict(ENTITY_UNIT_FIELDS),
        {k: dict(v) for k, v in DERIVED_FIELDS.items()},
        {k: dict(v) for k, v in ORDERED_FIELDS.items()},
    )
    yield
    for target, original in zip(
        (ENTITY_FIELDS, ENTITY_UNIT_FIELDS, DERIVED_FIELDS, ORDERED_FIELDS), saved, strict=True
    ):
        target.clear()  # type: ignore[attr-defined]
        target.update(original)  # type: ignore[attr-defined]


def round_trip(indicator: Indicator) -> Indicator:
    return structure(json.loads(json.dumps(unstructure(indicator))), Indicator)


def error_of(build: Any) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        build()
    return info.value


# -- the catalog shapes ------------------------------------------------------------------------
@pytest.mark.parametrize("indicator", catalog_examples(), ids=lambda i: i.id)
def test_catalog_shapes_round_trip_through_json(indicator: Indicator) -> None:
    assert round_trip(indicator) == indicator
    assert indicator_from_json(indicator_to_json(indicator)) == indicator
    assert Indicator.from_dict(indicator.to_dict()) == indicator


def example(indicator_id: str) -> Indicator:
    return next(i for i in catalog_examples() if i.id == indicator_id)


def test_defaults_follow_the_numerator() -> None:
    by_id = {i.id: i for i in catalog_examples()}
    assert by_id["minority_residents"].kind is IndicatorKind.STOCK
    assert by_id["minority_residents"].decimals == 0
    assert by_id["participants"].decimals == 2
    assert by_id["dispute_success_rate"].kind is IndicatorKind.FLOW
    assert by_id["dispute_success_rate"].decimals == 2
    assert by_id["dispute_success_rate"].factor == 100.0
    assert by_id["dispute_success_rate"].is_ratio
    assert by_id["requests_per_thousand_minority"].entities == {"service_request", "person"}


def test_json_shape_is_plain_data() -> None:
    data = unstructure(example("minority_residents_by_code"))
    assert data["numerator"]["filters"][0] == {"field": "ethnicity", "op": "ne", "value": "01"}
    assert data["numerator"]["date_role"] == "present_at_end"
    assert data["kind"] == "stock"
    assert data["denominator"] is None
    assert json.loads(json.dumps(data)) == data


def test_measure_semantics_helpers() -> None:
    measure = Measure.stock("person", MINORITY, **PRESENT)
    assert measure.date_role is DateRole.PRESENT_AT_END
    assert measure.effective_unit_field == "residence.unit_code"
    assert measure.fields_used == {
        "is_minority",
        "residence.arrival",
        "residence.departure",
        "residence.unit_code",
    }
    handled = Measure.flow("dispute", "registered_at", unit_field="handling_unit")
    assert handled.effective_unit_field == "handling_unit"
    inferred = Measure("unit", valid_to_field="valid_to")
    assert inferred.date_role is DateRole.PRESENT_AT_END


def test_filter_normalises_values() -> None:
    from datetime import date

    from minzu_core.ledger import ResidenceStatus

    assert Filter("residence.status", "=", ResidenceStatus.FLOATING).value == "floating"
    assert Filter("birth_date", ">=", date(2000, 1, 1)).value == "2000-01-01"
    assert Filter("ethnicity", "in", ["02", "03"]).value == ("02", "03")
    assert Filter("phone", "not_null").value is None
    assert Filter("ethnicity", "!=", "01").op is Op.NE
    assert Filter("ethnicity", "ne", "01").describe() == (
        "ethnicity 不等于 01",
        "ethnicity differs from 01",
    )
    assert Filter("phone", "is_null").describe()[1] == "phone is empty"


@pytest.mark.parametrize(
    ("measure", "field", "parsed"),
    [
        (lambda f: Measure.flow("service_request", "received_at", f), "category", "medical"),
        (lambda f: Measure.flow("dispute", "registered_at", f), "severity", "major"),
        (lambda f: Measure.stock("unit", f, valid_to="valid_to"), "level", "township"),
        (lambda f: Measure.stock("person", f, **PRESENT), "gender", "male"),
        (lambda f: Measure.stock("official", f, valid_to="left_on"), "rank", "deputy_section"),
    ],
    ids=["category", "severity", "level", "gender", "rank"],
)
@pytest.mark.parametrize("spelling", ["value", "name", "label_zh", "label_en"])
def test_filter_values_on_enumerated_fields_are_parsed_by_the_vocabulary(
    measure: Any, field: str, parsed: str, spelling: str
) -> None:
    entity = measure(Filter(field, "not_null")).entity
    member = definitions.ENUMERATED_FIELDS[entity][field](parsed)
    given = {
        "value": member.value,
        "name": member.name,
        "label_zh": member.label_zh,
        "label_en": member.label_en.upper(),
    }[spelling]
    assert measure(Filter(field, "eq", given)).filters[0].value == parsed
    assert measure(Filter(field, "in", (given, member))).filters[0].value == (parsed, parsed)


def test_an_unknown_value_on_an_enumerated_field_is_a_typed_error() -> None:
    error = error_of(
        lambda: Indicator(
            "x",
            "某指标",
            "some indicator",
            {
                "entity": "service_request",
                "filters": [{"field": "category", "op": "in", "value": ["就医", "bogus"]}],
                "date_field": "received_at",
            },
        )
    )
    assert (error.code, error.field) == ("invalid_filter_value", "numerator.filters[0].value")
    assert error.details["name"] == "category"
    assert "medical" in error.details["allowed"]
    assert "category" in error.message_zh and "category" in error.message_en
    not_a_label = error_of(lambda: Measure.stock("person", ("gender", "eq", 1), **PRESENT))
    assert (not_a_label.code, not_a_label.field) == ("invalid_filter_value", "filters[0].value")


# -- validation --------------------------------------------------------------------------------
def test_unknown_filter_field_names_its_path() -> None:
    error = error_of(
        lambda: Indicator(
            "x",
            "某指标",
            "some indicator",
            Measure.flow("dispute", "registered_at"),
            {
                "entity": "dispute",
                "filters": [
                    {"field": "mass", "op": "eq", "value": True},
                    {"field": "no_such_field", "op": "eq", "value": 1},
                ],
                "date_field": "registered_at",
            },
        )
    )
    assert error.code == "unknown_field"
    assert error.field == "denominator.filters[1].field"
    assert error.details["name"] == "no_such_field"
    assert error.details["entity"] == "dispute"
    assert "没有字段" in error.message_zh and "has no field" in error.message_en


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"aggregate": "sum", "field": "nope", "date_field": "start"}, "field"),
        ({"date_field": "nope"}, "date_field"),
        ({"date_field": "start", "unit_field": "nope"}, "unit_field"),
        ({"filters": [("nope", "eq", 1)], "date_field": "start"}, "filters[0].field"),
    ],
)
def test_unknown_fields_elsewhere(kwargs: dict[str, Any], field: str) -> None:
    error = error_of(lambda: Measure("activity", **kwargs))
    assert (error.code, error.field) == ("unknown_field", field)


def test_a_field_of_another_entity_is_unknown() -> None:
    error = error_of(lambda: Measure.flow("activity", "registered_at"))
    assert (error.code, error.field) == ("unknown_field", "date_field")


@pytest.mark.parametrize(
    ("build", "code", "field"),
    [
        (lambda: Filter("mass", "like", 1), "invalid_op", "op"),
        (lambda: Filter("mass", "in", "abc"), "invalid_filter_value", "value"),
        (lambda: Filter("mass", "in", []), "invalid_filter_value", "value"),
        (lambda: Filter("mass", "eq"), "invalid_filter_value", "value"),
        (lambda: Filter("mass", "eq", [1]), "invalid_filter_value", "value"),
        (lambda: Filter("mass", "is_null", 1), "invalid_filter_value", "value"),
        (lambda: Filter("mass", "eq", float("nan")), "invalid_filter_value", "value"),
        (lambda: Filter("mass", "eq", object()), "invalid_filter_value", "value"),
        (lambda: Filter("Mass", "eq", 1), "invalid_field_name", "field"),
        (lambda: Filter("a..b", "eq", 1), "invalid_field_name", "field"),
        (lambda: Measure("nobody", date_field="x"), "unknown_entity", "entity"),
        (
            lambda: Measure("dispute", "avg", date_field="registered_at"),
            "invalid_aggregate",
            "aggregate",
        ),
        (
            lambda: Measure("dispute", "count", "party_count", date_field="registered_at"),
            "invalid_measure",
            "field",
        ),
        (lambda: Measure("activity", "sum", date_field="start"), "invalid_measure", "field"),
        (lambda: Measure("activity", date_role="within_period"), "invalid_measure", "date_field"),
        (
            lambda: Measure(
                "activity", date_field="start", valid_to_field="end", date_role="within_period"
            ),
            "invalid_measure",
            "valid_to_field",
        ),
        (
            lambda: Measure("activity", date_role="present_at_end"),
            "invalid_measure",
            "valid_from_field",
        ),
        (
            lambda: Measure("activity", date_field="start", date_role="present_at_end"),
            "invalid_measure",
            "date_field",
        ),
        (
            lambda: Measure("activity", date_field="start", date_role="sometime"),
            "invalid_date_role",
            "date_role",
        ),
        (
            lambda: Measure.stock("official", ("rank", "ge", "general"), valid_to="left_on"),
            "invalid_filter_value",
            "filters[0].value",
        ),
        (
            lambda: Measure.stock("official", ("rank", "xx", "section"), valid_to="left_on"),
            "invalid_op",
            "filters[0].op",
        ),
        (
            lambda: Measure.flow("activity", "start", "bad"),  # type: ignore[arg-type]
            "invalid_filter",
            "filters[0]",
        ),
        (
            lambda: Measure("activity", filters="type", date_field="start"),
            "invalid_filter",
            "filters",
        ),
    ],
)
def test_typed_errors(build: Any, code: str, field: str) -> None:
    error = error_of(build)
    assert (error.code, error.field) == (code, field)
    assert error.message_zh and error.message_en


def flow_count() -> Measure:
    return Measure.flow("dispute", "registered_at")


@pytest.mark.parametrize(
    ("kwargs", "code", "field"),
    [
        ({"id": "Bad-Id"}, "invalid_indicator_id", "id"),
        ({"id": "9lives"}, "invalid_indicator_id", "id"),
        ({"name_zh": "  "}, "required", "name_zh"),
        ({"name_en": None}, "required", "name_en"),
        ({"factor": 0}, "invalid_factor", "factor"),
        ({"factor": float("inf")}, "invalid_factor", "factor"),
        ({"factor": "100"}, "invalid_factor", "factor"),
        ({"decimals": 11}, "invalid_decimals", "decimals"),
        ({"decimals": 1.5}, "invalid_decimals", "decimals"),
        ({"kind": "stock"}, "kind_mismatch", "kind"),
        ({"kind": "liquid"}, "invalid_kind", "kind"),
        ({"breakdown": "nope"}, "unknown_field", "breakdown"),
        ({"numerator": "x"}, "invalid_measure", "numerator"),
        ({"numerator": None}, "required", "numerator"),
    ],
)
def test_indicator_errors(kwargs: dict[str, Any], code: str, field: str) -> None:
    base: dict[str, Any] = {
        "id": "disputes",
        "name_zh": "矛盾纠纷受理数",
        "name_en": "disputes registered",
        "numerator": flow_count(),
    }
    error = error_of(lambda: Indicator(**{**base, **kwargs}))
    assert (error.code, error.field) == (code, field)


def test_breakdown_must_exist_on_the_denominator_too() -> None:
    error = error_of(
        lambda: Indicator(
            "x",
            "甲",
            "a",
            Measure.flow("service_request", "accepted_at"),
            Measure.stock("person", **PRESENT),
            breakdown="category",
        )
    )
    assert (error.code, error.field) == ("unknown_field", "breakdown")
    assert error.details["entity"] == "person"


def test_errors_from_json_data_are_typed_with_paths() -> None:
    data = unstructure(example("dispute_success_rate"))
    bad_op = json.loads(json.dumps(data))
    bad_op["numerator"]["filters"][0]["op"] = "like"
    assert (error_of(lambda: structure(bad_op, Indicator)).field) == "numerator.filters[0].op"
    bad_agg = json.loads(json.dumps(data))
    bad_agg["denominator"]["aggregate"] = "median"
    error = error_of(lambda: structure(bad_agg, Indicator))
    assert (error.code, error.field) == ("invalid_aggregate", "denominator.aggregate")
    extra = {**data, "colour": "red"}
    assert error_of(lambda: Indicator.from_dict(extra)).code == "unknown_key"
    missing = {k: v for k, v in data.items() if k != "name_zh"}
    error = error_of(lambda: Indicator.from_dict(missing))
    assert (error.code, error.field) == ("required", "name_zh")
    nested_extra = json.loads(json.dumps(data))
    nested_extra["numerator"]["colour"] = 1
    error = error_of(lambda: structure(nested_extra, Indicator))
    assert (error.code, error.field) == ("unknown_key", "numerator.colour")
    assert error_of(lambda: indicator_from_json("{not json")).code == "invalid_json"
    assert error_of(lambda: Indicator.from_dict([])).code == "invalid_indicator"  # type: ignore[arg-type]


# -- the registry ------------------------------------------------------------------------------
def test_every_entity_of_the_vocabulary_is_registered() -> None:
    names = {value for key, value in vars(Entity).items() if key.isupper()}
    assert names == set(ENTITY_FIELDS) == set(ENTITY_UNIT_FIELDS) == set(DERIVED_FIELDS)
    for entity, unit_field in ENTITY_UNIT_FIELDS.items():
        assert unit_field in ENTITY_FIELDS[entity]
        assert set(DERIVED_FIELDS[entity]) <= ENTITY_FIELDS[entity]
    for entity, graded in ORDERED_FIELDS.items():
        assert set(graded) <= ENTITY_FIELDS[entity]


def _attrs_names(cls: type) -> set[str]:
    return {a.name for a in attrs.fields(cls)}


def test_stored_fields_exist_on_the_domain_classes() -> None:
    """The registry names real attributes, so the engine can read them."""
    from minzu_core.disputes import Dispute
    from minzu_core.hierarchy import Unit
    from minzu_core.ledger import Person, Residence
    from minzu_core.services import ServiceRequest, ServiceWindow

    classes: dict[str, type] = {
        "residence": Residence,
        "service_request": ServiceRequest,
        "dispute": Dispute,
        "unit": Unit,
        "service_window": ServiceWindow,
    }
    try:
        from minzu_core.activities import Activity, Enrollment, Honour, ServiceHours
        from minzu_core.organisation import Appointment, Official, Technician

        classes |= {
            "official": Official,
            "technician": Technician,
            "appointment": Appointment,
            "activity": Activity,
            "enrollment": Enrollment,
            "honour": Honour,
            "service_hours": ServiceHours,
        }
    except ImportError:  # pragma: no cover - the organisation modules are newer
        pass
    for entity, cls in classes.items():
        stored = definitions._STORED[entity]
        own = {name for name in stored if "." not in name and name != "person_id"}
        missing = own - _attrs_names(cls)
        assert not missing, (entity, missing)
    person = _attrs_names(Person)
    residence = _attrs_names(Residence)
    for name in definitions._STORED["person"]:
        head, _, tail = name.partition(".")
        if head == "residence":
            assert tail in residence, name
        elif head == "household":
            assert tail in {"division_code", "address"}, name
        else:
            assert name in person, name
    # Derived fields that mirror properties of the domain objects.
    assert all(
        hasattr(ServiceRequest, name)
        for name in ("accepted_at", "resolved_at", "time_limit_days", "satisfaction")
    )
    assert all(
        hasattr(Dispute, name)
        for name in ("handling_unit", "accepted_at", "concluded_at", "outcome", "escalations")
    )


def test_ordered_values_match_the_domain_enums() -> None:
    from minzu_core.disputes import Severity

    assert ORDERED_FIELDS["dispute"]["severity"] == tuple(m.value for m in Severity)
    try:
        from minzu_core.organisation import Rank, TitleLevel
    except ImportError:  # pragma: no cover
        return
    assert ORDERED_FIELDS["official"]["rank"] == tuple(m.value for m in Rank)
    assert ORDERED_FIELDS["technician"]["title"] == tuple(m.value for m in TitleLevel)


def test_enumerated_fields_are_known_and_agree_with_the_ordered_ones() -> None:
    for entity, vocabularies in definitions.ENUMERATED_FIELDS.items():
        assert set(vocabularies) <= ENTITY_FIELDS[entity]
    for entity, graded in ORDERED_FIELDS.items():
        for field, grades in graded.items():
            vocabulary = definitions.ENUMERATED_FIELDS[entity][field]
            assert tuple(m.value for m in vocabulary) == grades


@pytest.mark.usefixtures("registry")
def test_register_entity_extends_the_vocabulary() -> None:
    with pytest.raises(ValidationError) as info:
        register_entity("demonstration_site", ["name"])
    assert info.value.field == "unit_field"
    register_entity(
        "demonstration_site",
        ["id", "name", "since"],
        unit_field="unit_code",
        derived={"level_on": "graded text, as of the period's last day"},
        ordered={"level_on": ["district", "city", "province"]},
    )
    measure = Measure.stock("demonstration_site", ("level_on", "ge", "city"), valid_from="since")
    assert measure.effective_unit_field == "unit_code"
    register_entity("dispute", ["court_case_number"])
    Measure.flow("dispute", "registered_at", ("court_case_number", "not_null"))
    with pytest.raises(ValidationError):
        register_entity("Bad Name", ["x"], unit_field="unit_code")


def test_check_supported() -> None:
    indicator = example("requests_per_thousand_minority")
    check_supported(indicator, {"service_request", "person", "dispute"})
    with pytest.raises(ValidationError) as info:
        check_supported(indicator, ["service_request"])
    assert info.value.code == "unsupported_entity"
    assert info.value.details["missing"] == ["person"]


# -- hypothesis: any valid definition round-trips ----------------------------------------------
JSON_SCALARS = st.one_of(
    st.text(max_size=8),
    st.integers(-(10**9), 10**9),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.booleans(),
)


@st.composite
def filters_for(draw: st.DrawFn, entity: str) -> Filter:
    field = draw(st.sampled_from(sorted(ENTITY_FIELDS[entity])))
    grades = ORDERED_FIELDS.get(entity, {}).get(field)
    vocabulary = definitions.ENUMERATED_FIELDS.get(entity, {}).get(field)
    personal = field in definitions.PERSONAL_FIELDS.get(entity, ())
    op = draw(st.sampled_from([o for o in Op if o.arity == "none" or not personal]))
    if grades:
        values: st.SearchStrategy[Any] = st.sampled_from(grades)
    elif vocabulary is not None:
        values = st.sampled_from([member.value for member in vocabulary])
    else:
        values = JSON_SCALARS
    if op.arity == "none":
        return Filter(field, op)
    if op.arity == "many":
        return Filter(field, op, tuple(draw(st.lists(values, min_size=1, max_size=4))))
    return Filter(field, op, draw(values))


@st.composite
def measures(draw: st.DrawFn, role: DateRole | None = None) -> Measure:
    entity = draw(st.sampled_from(sorted(ENTITY_FIELDS)))
    fields = sorted(ENTITY_FIELDS[entity])
    measured = sorted(ENTITY_FIELDS[entity] - definitions.PERSONAL_FIELDS.get(entity, set()))
    aggregate = draw(st.sampled_from(list(Aggregate)))
    field = None if aggregate is Aggregate.COUNT else draw(st.sampled_from(measured))
    role = role or draw(st.sampled_from(list(DateRole)))
    dates: dict[str, Any] = {}
    if role is DateRole.WITHIN_PERIOD:
        dates["date_field"] = draw(st.sampled_from(fields))
    else:
        start = draw(st.none() | st.sampled_from(fields))
        end = (
            draw(st.sampled_from(fields))
            if start is None
            else draw(st.none() | st.sampled_from(fields))
        )
        dates = {"valid_from_field": start, "valid_to_field": end}
    return Measure(
        entity=entity,
        aggregate=aggregate,
        field=field,
        filters=tuple(draw(st.lists(filters_for(entity), max_size=3))),
        date_role=role,
        unit_field=draw(st.none() | st.sampled_from(fields)),
        **dates,
    )


@st.composite
def indicators(draw: st.DrawFn) -> Indicator:
    kind = draw(st.sampled_from(list(IndicatorKind)))
    numerator = draw(measures(kind.date_role))
    denominator = draw(st.none() | measures())
    shared = ENTITY_FIELDS[numerator.entity] - definitions.PERSONAL_FIELDS.get(
        numerator.entity, set()
    )
    if denominator is not None:
        shared = shared & ENTITY_FIELDS[denominator.entity]
        shared = shared - definitions.PERSONAL_FIELDS.get(denominator.entity, set())
    breakdown = draw(st.none() | st.sampled_from(sorted(shared))) if shared else None
    return Indicator(
        id=draw(st.from_regex(r"[a-z][a-z0-9_]{0,20}", fullmatch=True)),
        name_zh=draw(st.text("指标率数民族少数人口服务", min_size=1, max_size=10)),
        name_en=draw(st.text("abcdefg hij", min_size=1, max_size=12).filter(str.strip)),
        numerator=numerator,
        denominator=denominator,
        factor=draw(st.sampled_from([1, 100, 1000, 0.5, 10_000.0])),
        decimals=draw(st.integers(0, 10)),
        kind=kind,
        description=draw(st.text(max_size=20)),
        breakdown=breakdown,
    )


@given(indicators())
def test_any_definition_round_trips_through_json(indicator: Indicator) -> None:
    assert round_trip(indicator) == indicator
    assert indicator_from_json(indicator_to_json(indicator, indent=None)) == indicator


@given(measures())
def test_any_measure_round_trips(measure: Measure) -> None:
    data = json.loads(json.dumps(unstructure(measure)))
    assert structure(data, Measure) == measure
    assert structure(data["filters"], tuple[Filter, ...]) == measure.filters


@pytest.mark.parametrize(
    ("kwargs", "where"),
    [
        ({"filters": [Filter("id_number", "eq", "360102199003071234")]}, "filters[0].op"),
        ({"filters": [Filter("name", "in", ("张三",))]}, "filters[0].op"),
        ({"aggregate": "count_distinct", "field": "phone"}, "field"),
    ],
)
def test_personal_fields_are_only_tested_for_presence(kwargs: dict[str, Any], where: str) -> None:
    dated = {"date_field": "residence.arrival"}
    assert Measure(entity="person", filters=[Filter("id_number", "not_null")], **dated)
    with pytest.raises(ValidationError) as err:
        Measure(entity="person", **dated, **kwargs)
    assert (err.value.code, err.value.field) == ("personal_field", where)
