"""Unified social credit codes (统一社会信用代码, GB 32100-2015), validated by python-stdnum.

18 characters: registering authority, entity type, 6-digit region code, 9-character organisation
code and a check character. Individual businesses (个体工商户) start with ``92``.
"""

from __future__ import annotations

import re
from typing import Final

from stdnum import exceptions as stdnum_exceptions
from stdnum.cn import uscc as stdnum_uscc

from minzu_core.errors import ValidationError

__all__ = ["is_individual_business", "is_valid_uscc", "make_uscc", "parse_uscc"]

_ORG_WEIGHTS: Final = (3, 7, 9, 10, 5, 8, 4, 2)


def parse_uscc(text: str, *, field: str = "uscc") -> str:
    """Validate a USCC and return it normalized (upper case, spaces and dashes removed).

    Raises:
        ValidationError: ``code="invalid_uscc"`` with ``details["reason"]`` (``"length"``,
            ``"format"``, ``"checksum"``).
    """
    reason = "format"
    if isinstance(text, str):
        try:
            return str(stdnum_uscc.validate(text))
        except stdnum_exceptions.InvalidLength:
            reason = "length"
        except stdnum_exceptions.InvalidChecksum:
            reason = "checksum"
        except stdnum_exceptions.ValidationError:
            reason = "format"
    raise ValidationError(
        "统一社会信用代码无效",
        "invalid unified social credit code",
        code="invalid_uscc",
        field=field,
        details={"reason": reason},
    )


def is_valid_uscc(text: object) -> bool:
    """True if ``text`` is a valid USCC (never raises)."""
    return isinstance(text, str) and bool(stdnum_uscc.is_valid(text))


def is_individual_business(uscc: str) -> bool:
    """True if the (valid) code belongs to an individual business (个体工商户, prefix ``92``).

    Raises:
        ValidationError: ``code="invalid_uscc"`` for an invalid code.
    """
    return parse_uscc(uscc).startswith("92")


def make_uscc(region_code: str, serial: int, *, individual: bool = False) -> str:
    """Build a valid USCC (for tests and demo data).

    ``region_code`` is a 6-digit division code, ``serial`` 0–99,999,999 becomes the organisation
    code (with its GB 11714 check character). ``individual`` makes a 个体工商户 code (``92``),
    otherwise an enterprise (``91``).
    """
    if not re.fullmatch(r"[0-9]{6}", region_code) or not 0 <= serial <= 99_999_999:
        raise ValueError("region_code must be 6 digits and serial 0-99999999")
    body = f"{serial:08d}"
    remainder = 11 - sum(int(c) * w for c, w in zip(body, _ORG_WEIGHTS, strict=True)) % 11
    org_check = {10: "X", 11: "0"}.get(remainder, str(remainder))
    first17 = f"9{'2' if individual else '1'}{region_code}{body}{org_check}"
    return first17 + str(stdnum_uscc.calc_check_digit(first17))
