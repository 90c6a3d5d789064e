"""Charts: PNGs whose Chinese labels are drawn with a font that has every glyph.

matplotlib and a CJK font are optional for the library. These tests skip without them — except
in CI (``MINZU_CI=1``, set by ``.ci/run``), where they are required and a skip is a failure.
"""

from __future__ import annotations

import functools
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest

from minzu_core.errors import ValidationError
from minzu_core.indicators import (
    CATALOG_BY_ID,
    MissingDependencyError,
    ResultRow,
    ResultTable,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def charts(chart_support: None) -> Any:
    from minzu_core.indicators import charts as module

    return module


RATE = CATALOG_BY_ID["service_satisfaction_rate"]
UNITS = [
    ("530102001000", "华山街道"),
    ("530102002000", "护国街道"),
    ("530102003000", "大观街道"),
    ("530102004000", "龙翔街道"),
    ("530102005000", "丰宁街道"),
]


def row(code: str, name: str, period: str, num: float | None, den: float | None) -> ResultRow:
    return ResultRow.compute(
        RATE, unit_code=code, unit_name=name, period=period, numerator=num, denominator=den
    )


def by_unit() -> ResultTable:
    inputs = [(45, 50), (0, 0), (30, 40), (None, None), (12, 12)]
    return ResultTable(
        [row(c, n, "2019Q4", a, b) for (c, n), (a, b) in zip(UNITS, inputs, strict=True)]
    )


def over_time() -> list[ResultTable]:
    code, name = UNITS[0]
    inputs = {"2019Q1": (30, 40), "2019Q2": (0, 0), "2019Q3": (41, 50), "2019Q4": (45, 50)}
    # One table per quarter, given out of order: the chart sorts by period.
    return [ResultTable([row(code, name, p, *v)]) for p, v in reversed(inputs.items())]


@functools.cache
def cmap_of(font_path: str, face_index: int) -> frozenset[int]:
    from fontTools.ttLib import TTFont  # type: ignore[import-untyped]

    kwargs = {"fontNumber": face_index} if font_path.lower().endswith((".ttc", ".otc")) else {}
    with TTFont(font_path, lazy=True, **kwargs) as font:
        return frozenset(font.getBestCmap())


def missing_glyphs(text: str, font_path: str, face_index: int) -> set[str]:
    """The characters of ``text`` the font (face) has no glyph for (fontTools reads its cmap)."""
    cmap = cmap_of(font_path, face_index)
    return {ch for ch in text if not ch.isspace() and ord(ch) not in cmap}


def check_png(path: Path) -> None:
    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    assert len(data) > 10_000  # a real drawing, not an empty canvas
    width = int.from_bytes(data[16:20], "big")
    height = int.from_bytes(data[20:24], "big")
    assert width >= 400 and height >= 200


def check_glyphs(chart: Any, expected: list[str]) -> None:
    drawn = [t.text for t in chart.texts]
    for text in expected:
        assert any(text in d for d in drawn), (text, drawn)
    chinese = [t for t in chart.texts if any("\u4e00" <= ch <= "\u9fff" for ch in t.text)]
    assert chinese, "the chart has Chinese text"
    for item in chart.texts:
        assert not missing_glyphs(item.text, item.font_path, item.face_index), item


def test_oracle_detects_missing_glyphs() -> None:
    """The glyph check is not vacuous: the default Latin font lacks Chinese glyphs."""
    pytest.importorskip("fontTools")
    matplotlib = pytest.importorskip("matplotlib")
    from matplotlib import font_manager

    dejavu = font_manager.findfont(font_manager.FontProperties(family="DejaVu Sans"))
    assert missing_glyphs("满意率 Value", str(dejavu), 0) == {"满", "意", "率"}
    del matplotlib


def test_bar_by_unit(charts: Any, tmp_path: Path) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        chart = charts.bar_by_unit(by_unit(), "service_satisfaction_rate", tmp_path / "bar.png")
    assert not [w for w in caught if "missing from font" in str(w.message)]
    assert chart.path == tmp_path / "bar.png"
    check_png(chart.path)
    assert chart.font is not None
    check_glyphs(
        chart,
        [
            "满意率 satisfaction rate · 2019年第4季度",
            "华山街道",
            "丰宁街道",
            "90.00",
            "100.00",
            "分母为零 zero denominator",  # no bar, the reason instead
            "无数据 no data",
            "单位 Unit",
            "指标值 Value",
        ],
    )


def test_line_over_periods(charts: Any, tmp_path: Path) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        chart = charts.line_over_periods(
            over_time(), "service_satisfaction_rate", UNITS[0][0], tmp_path / "line.png"
        )
    assert not [w for w in caught if "missing from font" in str(w.message)]
    check_png(chart.path)
    check_glyphs(
        chart,
        ["2019年第1季度", "2019年第4季度", "75.00", "90.00", "分母为零", "统计期间 Period"],
    )
    ticks = [t.text for t in chart.texts if t.text.startswith("2019年")]
    assert ticks == ["2019年第1季度", "2019年第2季度", "2019年第3季度", "2019年第4季度"]


def test_line_accepts_rows_and_a_single_table(charts: Any, tmp_path: Path) -> None:
    rows = [r for table in over_time() for r in table]
    chart = charts.line_over_periods(
        rows, "service_satisfaction_rate", "530102001", tmp_path / "a.png"
    )
    check_png(chart.path)
    table = ResultTable.concat(over_time())
    chart = charts.line_over_periods(
        table, "service_satisfaction_rate", UNITS[0][0], tmp_path / "b.png"
    )
    check_png(chart.path)


def test_font_can_be_named(charts: Any, tmp_path: Path) -> None:
    chosen = charts.find_cjk_font()
    by_file = charts.find_cjk_font(chosen.path)
    assert (by_file.path, by_file.family) == (chosen.path, chosen.family)
    by_family = charts.find_cjk_font(chosen.family)
    assert by_family.family == chosen.family
    chart = charts.bar_by_unit(
        by_unit(),
        "service_satisfaction_rate",
        tmp_path / "c.png",
        font=chosen.path,
        title="标题 Title",
    )
    check_glyphs(chart, ["标题 Title"])


@pytest.mark.filterwarnings("ignore:Glyph .* missing from font")
def test_missing_font(charts: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(charts.MissingFontError) as info:
        charts.find_cjk_font("/nonexistent/font.ttf")
    assert info.value.code == "missing_cjk_font"
    assert "fonts-noto-cjk" in info.value.message_en
    monkeypatch.setenv("MINZU_CJK_FONT", "No Such Font Family")
    with pytest.raises(charts.MissingFontError):
        charts.bar_by_unit(by_unit(), "service_satisfaction_rate", tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()
    with pytest.warns(RuntimeWarning, match="no font able to show Chinese"):
        chart = charts.bar_by_unit(
            by_unit(), "service_satisfaction_rate", tmp_path / "y.png", strict=False
        )
    assert chart.font is None and chart.path.exists()


def test_chart_errors(charts: Any, tmp_path: Path) -> None:
    two_periods = ResultTable([*by_unit(), *over_time()[-1]])
    with pytest.raises(ValidationError) as info:
        charts.bar_by_unit(two_periods, "service_satisfaction_rate", tmp_path / "x.png")
    assert info.value.code == "ambiguous_period"
    chart = charts.bar_by_unit(
        two_periods, "service_satisfaction_rate", tmp_path / "x.png", period="2019Q4"
    )
    check_png(chart.path)
    with pytest.raises(ValidationError) as info:
        charts.bar_by_unit(by_unit(), "nothing", tmp_path / "x.png")
    assert info.value.code == "no_rows"
    with pytest.raises(ValidationError) as info:
        charts.line_over_periods(
            by_unit(), "service_satisfaction_rate", "110101", tmp_path / "x.png"
        )
    assert info.value.code == "no_rows"


def test_without_matplotlib_a_typed_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from minzu_core.indicators import charts

    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(MissingDependencyError) as info:
        charts.bar_by_unit(by_unit(), "service_satisfaction_rate", tmp_path / "x.png")
    assert info.value.details["module"] == "matplotlib"
    assert "pip install matplotlib" in info.value.message_en
