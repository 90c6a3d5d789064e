"""Phone numbers and masking (USCC: ``test_codes_uscc.py``)."""

from __future__ import annotations

import pytest

from minzu_core import codes
from minzu_core.codes.masking import mask_address, mask_name, mask_phone, mask_resident_id
from minzu_core.codes.phone import is_valid_phone, parse_phone
from minzu_core.errors import ValidationError


class TestPhone:
    @pytest.mark.parametrize(
        ("text", "normal"),
        [
            ("13800138000", "13800138000"),
            (" 138 0013 8000 ", "13800138000"),
            ("138-0013-8000", "13800138000"),
            ("+86 138 0013 8000", "13800138000"),
            ("+8613800138000", "13800138000"),
            ("8613800138000", "13800138000"),
            ("0086-13800138000", "13800138000"),
            ("19912345678", "19912345678"),
            ("0791-86123456", "0791-86123456"),
            ("079186123456", "0791-86123456"),
            ("(0791) 8612 3456", "0791-86123456"),
            ("（0791）86123456", "0791-86123456"),
            ("0791-86123456-123", "0791-86123456-123"),
            ("0791-86123456转123", "0791-86123456-123"),
            ("0791-86123456 ext. 8", "0791-86123456-8"),
            ("010-62345678", "010-62345678"),
            ("01062345678", "010-62345678"),
            ("02186123456", "021-86123456"),
            ("0797-8123456", "0797-8123456"),
            ("+86 791 86123456", "0791-86123456"),
            ("+86-10-62345678", "010-62345678"),
        ],
    )
    def test_valid(self, text: str, normal: str) -> None:
        assert parse_phone(text) == normal
        assert is_valid_phone(text)

    @pytest.mark.parametrize(
        "text",
        [
            "",
            "12800138000",
            "1380013800",
            "138001380001",
            "+1 138 0013 8000",
            "0791-1234567",
            "0791-0234567",
            "0791-123456",
            "0791-861234567",
            "079-86123456",
            "86123456",
            "abcdefg",
            "0791-86123456-1234567",
        ],
    )
    def test_invalid(self, text: str) -> None:
        with pytest.raises(ValidationError) as info:
            parse_phone(text, field="contact")
        assert info.value.code == "invalid_phone"
        assert info.value.field == "contact"
        if text:
            assert text not in str(info.value)
        assert not is_valid_phone(text)

    def test_non_string(self) -> None:
        with pytest.raises(ValidationError):
            parse_phone(13800138000)  # type: ignore[arg-type]
        assert not is_valid_phone(None)

    def test_mask(self) -> None:
        assert mask_phone("13800131234") == "138****1234"
        assert mask_phone("+86 138 0013 1234") == "138****1234"
        assert mask_phone("0791-86123456") == "0791-****3456"
        assert mask_phone("0791-86123456-123") == "0791-****3456"
        assert mask_phone("0797-8123456") == "0797-****3456"
        assert mask_phone("not a phone") == "***********"
        assert mask_phone("") == ""
        assert mask_phone(None) == ""  # type: ignore[arg-type]


class TestMasking:
    @pytest.mark.parametrize(
        ("name", "masked"),
        [
            ("张三", "张*"),
            ("欧阳锋", "欧**"),
            ("李", "*"),
            (" 王小明 ", "王**"),
            ("", ""),
            ("阿卜杜拉·艾则孜", "阿*******"),
        ],
    )
    def test_name(self, name: str, masked: str) -> None:
        assert mask_name(name) == masked

    def test_address(self) -> None:
        assert mask_address("江西省南昌市西湖区桃花路1号") == "江西省南昌市********"
        assert mask_address("南昌市") == "南**"  # a short address is never shown whole
        assert mask_address("南昌市西湖区") == "南昌市***"
        assert mask_address("") == ""
        assert mask_address(None) == ""  # type: ignore[arg-type]
        assert mask_name(None) == ""  # type: ignore[arg-type]

    def test_reexports(self) -> None:
        assert mask_resident_id("360103199001010014") == "3601**********0014"
        assert mask_phone is codes.mask_phone
        assert codes.mask_name is mask_name


def test_package_exports() -> None:
    for name in codes.__all__:
        obj = getattr(codes, name)
        assert obj is not None
        if callable(obj):
            assert obj.__doc__, name
