"""Charts of indicator results (指标图表), saved as PNG.

Two common views: :func:`bar_by_unit` (one indicator, one period, a bar per unit) and
:func:`line_over_periods` (one indicator, one unit, a point per period). Labels are Chinese
with English beside them; a unit without a value shows its status (分母为零, 已隐藏, 无数据)
instead of a bar or a point — a missing value is never drawn as 0.

matplotlib is an optional dependency (``pip install matplotlib``). Chinese text needs a font
with CJK glyphs, which matplotlib does not ship: :func:`find_cjk_font` looks for one among the
fonts matplotlib knows and at the usual file locations (Noto Sans CJK / Source Han Sans,
WenQuanYi, Microsoft YaHei, SimHei, PingFang, …; on Debian/Ubuntu ``apt-get install
fonts-noto-cjk`` or ``fonts-wqy-zenhei``). Pass ``font=`` (a family name or a font file) or set
the environment variable ``MINZU_CJK_FONT`` to choose one. With none found the chart functions
raise :class:`MissingFontError` — or, with ``strict=False``, warn and draw anyway (Chinese then
shows as empty boxes).

Figures are built with the object-oriented API on the Agg canvas (no ``pyplot`` state, safe in
servers and threads).
"""

from __future__ import annotations

import functools
import os
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Final

import attrs

from minzu_core.codes.divisions import DivisionCode
from minzu_core.errors import MinzuError
from minzu_core.indicators._common import MissingDependencyError, invalid, require_module
from minzu_core.indicators.periods import parse_period
from minzu_core.indicators.results import ResultRow, ResultTable

__all__ = [
    "CJK_FONT_FAMILIES",
    "CJK_FONT_FILES",
    "Chart",
    "DrawnText",
    "FontChoice",
    "MissingDependencyError",
    "MissingFontError",
    "bar_by_unit",
    "find_cjk_font",
    "line_over_periods",
]

#: Font families tried in order (Simplified Chinese first).
CJK_FONT_FAMILIES: Final = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "Hiragino Sans GB",
    "Heiti SC",
    "Noto Serif CJK SC",
    "Source Han Serif SC",
    "AR PL UMing CN",
    "Droid Sans Fallback",
)

#: Font files tried when matplotlib's font list has no CJK family (e.g. a font installed after
#: matplotlib built its cache).
CJK_FONT_FILES: Final = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/System/Library/Fonts/PingFang.ttc",
    "/System/Library/Fonts/STHeiti Light.ttc",
    "C:\\Windows\\Fonts\\msyh.ttc",
    "C:\\Windows\\Fonts\\simhei.ttf",
)

#: Characters a CJK font must have to be chosen (common in every label).
_PROBE: Final = "指标单位值率民族少数期间年月日季度分母为零已隐藏无数据"


class MissingFontError(MinzuError):
    """No font able to show Chinese was found (未找到中文字体)."""

    default_code = "missing_cjk_font"


@attrs.frozen
class FontChoice:
    """The font used for a chart: its family name, file and face index (in a ``.ttc``)."""

    family: str
    path: str
    face_index: int = 0


@attrs.frozen
class DrawnText:
    """A text drawn on a chart and the font file (and face) matplotlib rendered it with."""

    text: str
    font_path: str
    face_index: int = 0


def _font_file(found: Any) -> tuple[str, int]:
    """``(path, face index)`` of what ``findfont`` returned (a ``FontPath`` since matplotlib
    3.10, a plain path before)."""
    return str(getattr(found, "path", found)), int(getattr(found, "face_index", 0) or 0)


@attrs.frozen
class Chart:
    """A chart written to ``path``.

    Attributes:
        path: the PNG file.
        font: the CJK font chosen (``None`` if none was found and ``strict=False``).
        texts: every non-empty text drawn, with the font file matplotlib actually used for it —
            what a check for missing glyphs needs.
    """

    path: Path
    font: FontChoice | None
    texts: tuple[DrawnText, ...]


def _matplotlib() -> Any:
    mpl = require_module("matplotlib", "pip install matplotlib", "绘制图表", "drawing charts")
    return mpl


def _covers(path: str, text: str) -> bool:
    ft2font = require_module(
        "matplotlib.ft2font", "pip install matplotlib", "绘制图表", "drawing charts"
    )
    try:
        charmap = ft2font.FT2Font(path).get_charmap()
    except (OSError, RuntimeError, ValueError):
        return False
    return all(ord(ch) in charmap for ch in text if not ch.isspace())


def _from_file(path: str) -> FontChoice | None:
    if not os.path.isfile(path):
        return None
    font_manager = require_module(
        "matplotlib.font_manager", "pip install matplotlib", "绘制图表", "drawing charts"
    )
    try:
        font_manager.fontManager.addfont(path)
        family = font_manager.FontProperties(fname=path).get_name()
    except (OSError, RuntimeError, ValueError):
        return None
    if not _covers(path, _PROBE):
        return None
    # A collection (.ttc) holds several families: prefer a Simplified Chinese one.
    real = os.path.realpath(path)
    in_file = {
        entry.name
        for entry in font_manager.fontManager.ttflist
        if os.path.realpath(str(getattr(entry.fname, "path", entry.fname))) == real
    }
    family = next((name for name in CJK_FONT_FAMILIES if name in in_file), family)
    found = _from_family(family)
    return found if found is not None else FontChoice(family, path)


def _from_family(family: str) -> FontChoice | None:
    font_manager = require_module(
        "matplotlib.font_manager", "pip install matplotlib", "绘制图表", "drawing charts"
    )
    try:
        path = font_manager.findfont(
            font_manager.FontProperties(family=family), fallback_to_default=False
        )
    except ValueError:
        return None
    known = {entry.name for entry in font_manager.fontManager.ttflist}
    if family not in known or not _covers(path, _PROBE):
        return None
    file, face = _font_file(path)
    return FontChoice(family, file, face)


@functools.lru_cache(maxsize=16)
def _search(preferred: str | None) -> FontChoice | None:
    if preferred:
        return (
            _from_file(preferred)
            if os.path.sep in preferred or os.path.isfile(preferred)
            else _from_family(preferred)
        )
    for family in CJK_FONT_FAMILIES:
        choice = _from_family(family)
        if choice is not None:
            return choice
    font_manager = require_module(
        "matplotlib.font_manager", "pip install matplotlib", "绘制图表", "drawing charts"
    )
    for entry in font_manager.fontManager.ttflist:
        if "CJK" in entry.name or "Hei" in entry.name or "Han Sans" in entry.name:
            choice = _from_family(entry.name)
            if choice is not None:
                return choice
    for path in CJK_FONT_FILES:
        choice = _from_file(path)
        if choice is not None:
            return choice
    return None


def find_cjk_font(font: str | None = None) -> FontChoice:
    """A font that shows Chinese: ``font`` (a family name or a font file) if given, else
    ``$MINZU_CJK_FONT``, else the first of :data:`CJK_FONT_FAMILIES` matplotlib knows, else any
    known family with CJK in its name, else the first of :data:`CJK_FONT_FILES` that exists.

    The font must contain the glyphs of common Chinese labels. Raises
    :class:`MissingFontError` (code ``missing_cjk_font``) if none is found, and
    :class:`MissingDependencyError` without matplotlib.
    """
    _matplotlib()
    preferred = font or os.environ.get("MINZU_CJK_FONT") or None
    choice = _search(preferred)
    if choice is None:
        asked = f" ({preferred})" if preferred else ""
        raise MissingFontError(
            f"未找到可显示中文的字体{asked}; 请安装, 如 apt-get install fonts-noto-cjk, "
            "或用 font= / MINZU_CJK_FONT 指定字体文件",
            f"no font able to show Chinese was found{asked}; install one (e.g. apt-get "
            "install fonts-noto-cjk) or name a font file with font= or MINZU_CJK_FONT",
            details={"font": preferred, "families": list(CJK_FONT_FAMILIES)},
        )
    return choice


def _font_or_warn(font: str | None, strict: bool) -> FontChoice | None:
    try:
        return find_cjk_font(font)
    except MissingFontError as error:
        if strict:
            raise
        warnings.warn(f"{error}; Chinese text will not render", RuntimeWarning, stacklevel=3)
        return None


def _render(fig: Any, path: str | os.PathLike[str], font: FontChoice | None) -> Chart:
    """Save ``fig`` to ``path`` (PNG) and report the font used for every text."""
    font_manager = require_module(
        "matplotlib.font_manager", "pip install matplotlib", "绘制图表", "drawing charts"
    )
    text_type = require_module("matplotlib.text", "pip install matplotlib", "绘制图表", "charts")
    target = Path(path)
    fig.savefig(target, format="png", dpi=120)
    texts = []
    for artist in fig.findobj(text_type.Text):
        content = artist.get_text()
        if not content.strip() or not artist.get_visible():
            continue
        file, face = _font_file(font_manager.findfont(artist.get_fontproperties()))
        texts.append(DrawnText(content, os.path.realpath(file), face))
    return Chart(target, font, tuple(texts))


def _figure(font: FontChoice | None, size: tuple[float, float]) -> tuple[Any, Any]:
    figure_module = require_module(
        "matplotlib.figure", "pip install matplotlib", "绘制图表", "drawing charts"
    )
    agg = require_module(
        "matplotlib.backends.backend_agg", "pip install matplotlib", "绘制图表", "charts"
    )
    fig = figure_module.Figure(figsize=size, layout="constrained")
    agg.FigureCanvasAgg(fig)
    return fig, fig.add_subplot()


def _rc(font: FontChoice | None) -> dict[str, Any]:
    families = [font.family, "DejaVu Sans"] if font else ["DejaVu Sans"]
    return {"font.family": "sans-serif", "font.sans-serif": families, "axes.unicode_minus": False}


def _rows_of(
    source: ResultTable | ResultRow | Iterable[ResultTable | ResultRow],
) -> list[ResultRow]:
    if isinstance(source, ResultTable):
        return list(source.rows)
    if isinstance(source, ResultRow):
        return [source]
    rows: list[ResultRow] = []
    for item in source:
        rows.extend(_rows_of(item))
    return rows


def _no_rows(what_zh: str, what_en: str) -> MinzuError:
    return invalid("no_rows", f"没有可绘制的结果: {what_zh}", f"nothing to chart: {what_en}", None)


def _status_text(row: ResultRow) -> str:
    return f"{row.status.label_zh} {row.status.label_en}"


def _value_text(row: ResultRow) -> str:
    assert row.value is not None
    return f"{row.value:.{row.decimals}f}"


def bar_by_unit(
    table: ResultTable,
    indicator_id: str,
    path: str | os.PathLike[str],
    *,
    period: str | None = None,
    breakdown: str | None = None,
    title: str | None = None,
    font: str | None = None,
    strict: bool = True,
) -> Chart:
    """A horizontal bar per unit for one indicator and one period, saved as PNG at ``path``.

    ``period`` is required when the table holds several periods for the indicator. Units keep
    the table's order (top to bottom) and are labelled with their names; a unit without a value
    gets no bar but its status (e.g. ``分母为零 zero denominator``). The title defaults to
    ``"<名称> <name> · <期间>"``. See :func:`find_cjk_font` for ``font``; ``strict=False``
    draws with a warning when no CJK font exists.
    """
    font_choice = _font_or_warn(font, strict)
    rows = [
        r
        for r in table.rows
        if r.indicator_id == indicator_id
        and r.breakdown == breakdown
        and (period is None or r.period == parse_period(period).label)
    ]
    if not rows:
        raise _no_rows(f"指标 {indicator_id}", f"indicator {indicator_id}")
    periods = list(dict.fromkeys(r.period for r in rows))
    if len(periods) > 1:
        raise invalid(
            "ambiguous_period",
            "结果含多个期间, 请指定 period",
            "the rows span several periods; pass period=",
            "period",
            periods=periods,
        )
    mpl = _matplotlib()
    shown = parse_period(periods[0])
    with mpl.rc_context(_rc(font_choice)):
        fig, ax = _figure(font_choice, (8.0, 1.6 + 0.45 * len(rows)))
        labels = [r.unit_name or r.unit_code for r in rows]
        positions = list(range(len(rows)))
        values = [r.value if r.value is not None else 0.0 for r in rows]
        bars = ax.barh(
            positions, values, color=["#c0392b" if r.value is not None else "none" for r in rows]
        )
        ax.set_yticks(positions, labels)
        ax.invert_yaxis()
        top = max((abs(r.value) for r in rows if r.value is not None), default=1.0) or 1.0
        for bar, row in zip(bars, rows, strict=True):
            note = _value_text(row) if row.value is not None else _status_text(row)
            x = bar.get_width() if row.value is not None else 0.0
            ax.text(x + top * 0.01, bar.get_y() + bar.get_height() / 2, note, va="center")
        ax.set_xlim(0, top * 1.25)
        first = rows[0]
        ax.set_title(
            title or f"{first.indicator_name_zh} {first.indicator_name_en} · {shown.label_zh}"
        )
        ax.set_xlabel("指标值 Value")
        ax.set_ylabel("单位 Unit")
        return _render(fig, path, font_choice)


def line_over_periods(
    tables_or_rows: ResultTable | ResultRow | Iterable[ResultTable | ResultRow],
    indicator_id: str,
    unit_code: str,
    path: str | os.PathLike[str],
    *,
    breakdown: str | None = None,
    title: str | None = None,
    font: str | None = None,
    strict: bool = True,
) -> Chart:
    """A line over periods for one indicator and one unit, saved as PNG at ``path``.

    ``tables_or_rows`` is a table, rows, or several of them (e.g. one table per quarter).
    Periods are sorted by their start and labelled in Chinese (``2019年第4季度``); a period
    without a value leaves a gap marked with its status — never a 0.
    """
    code = DivisionCode.parse(unit_code, field="unit_code").value
    font_choice = _font_or_warn(font, strict)
    rows = [
        r
        for r in _rows_of(tables_or_rows)
        if r.indicator_id == indicator_id and r.unit_code == code and r.breakdown == breakdown
    ]
    if not rows:
        raise _no_rows(f"指标 {indicator_id} 单位 {code}", f"indicator {indicator_id} unit {code}")
    rows.sort(key=lambda r: (r.period_obj.start, r.period_obj.end))
    mpl = _matplotlib()
    with mpl.rc_context(_rc(font_choice)):
        fig, ax = _figure(font_choice, (max(6.0, 1.2 * len(rows) + 2), 4.5))
        xs = list(range(len(rows)))
        ys = [r.value if r.value is not None else float("nan") for r in rows]
        ax.plot(xs, ys, marker="o", color="#c0392b")
        known = [r.value for r in rows if r.value is not None]
        low, high = (min(known), max(known)) if known else (0.0, 1.0)
        bottom = min(0.0, low - 0.1 * ((high - low) or abs(low) or 1.0))
        ax.set_ylim(bottom, high + 0.18 * ((high - bottom) or 1.0))
        transforms = require_module(
            "matplotlib.transforms", "pip install matplotlib", "绘图", "charts"
        )
        below = transforms.blended_transform_factory(ax.transData, ax.transAxes)
        for x, row in zip(xs, rows, strict=True):
            if row.value is not None:
                ax.annotate(
                    _value_text(row),
                    (x, row.value),
                    textcoords="offset points",
                    xytext=(0, 6),
                    ha="center",
                )
            else:
                # No value: say why at the foot of the axis, never plot a 0.
                ax.text(
                    x,
                    0.04,
                    f"{row.status.label_zh}\n{row.status.label_en}",
                    transform=below,
                    ha="center",
                    va="bottom",
                    fontsize=8,
                    color="#555555",
                )
        ax.set_xticks(xs, [r.period_obj.label_zh for r in rows], rotation=30, ha="right")
        first = rows[0]
        ax.set_title(
            title or f"{first.indicator_name_zh} {first.indicator_name_en} · {first.unit_name}"
        )
        ax.set_xlabel("统计期间 Period")
        ax.set_ylabel("指标值 Value")
        ax.grid(axis="y", alpha=0.3)
        return _render(fig, path, font_choice)
