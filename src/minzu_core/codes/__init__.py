"""National code standards (国家标准代码): divisions, ethnicity, resident ID, USCC, phone, masking.

Every parser raises :class:`minzu_core.errors.ValidationError` with a stable ``code`` and never
puts personal data in its message.
"""

from __future__ import annotations

from minzu_core.codes.divisions import (
    PROVINCE_PREFIXES,
    URBAN_RURAL_CODES,
    DivisionCode,
    Level,
    UnitKind,
    is_valid_division_code,
    parse_division_code,
    validate_urban_rural_code,
)
from minzu_core.codes.ethnicity import (
    HAN,
    Ethnicity,
    all_ethnicities,
    get_ethnicity,
    is_minority,
    normalize_ethnicity_code,
)
from minzu_core.codes.masking import mask_address, mask_name
from minzu_core.codes.phone import is_valid_phone, mask_phone, parse_phone
from minzu_core.codes.resident_id import (
    MIN_BIRTH_YEAR,
    Gender,
    ResidentId,
    birthplace_advisory,
    is_valid_resident_id,
    make_resident_id,
    mask_resident_id,
    normalize_resident_id,
    parse_resident_id,
    resident_id_check_character,
    resident_id_from_15,
)
from minzu_core.codes.uscc import (
    REGISTRATION_AUTHORITIES,
    REGISTRATION_TYPES,
    USCC_ALPHABET,
    UsccParts,
    is_individual_business,
    is_valid_uscc,
    make_uscc,
    organisation_code_check_character,
    parse_uscc,
    split_uscc,
    uscc_check_character,
)

__all__ = [
    "HAN",
    "MIN_BIRTH_YEAR",
    "PROVINCE_PREFIXES",
    "REGISTRATION_AUTHORITIES",
    "REGISTRATION_TYPES",
    "URBAN_RURAL_CODES",
    "USCC_ALPHABET",
    "DivisionCode",
    "Ethnicity",
    "Gender",
    "Level",
    "ResidentId",
    "UnitKind",
    "UsccParts",
    "all_ethnicities",
    "birthplace_advisory",
    "get_ethnicity",
    "is_individual_business",
    "is_minority",
    "is_valid_division_code",
    "is_valid_phone",
    "is_valid_resident_id",
    "is_valid_uscc",
    "make_resident_id",
    "make_uscc",
    "mask_address",
    "mask_name",
    "mask_phone",
    "mask_resident_id",
    "normalize_ethnicity_code",
    "normalize_resident_id",
    "organisation_code_check_character",
    "parse_division_code",
    "parse_phone",
    "parse_resident_id",
    "parse_uscc",
    "resident_id_check_character",
    "resident_id_from_15",
    "split_uscc",
    "uscc_check_character",
    "validate_urban_rural_code",
]
