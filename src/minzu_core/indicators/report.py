"""Reports (指标报告): a result table written as a Markdown or XLSX report with charts.

:func:`write_report` takes a :class:`~minzu_core.indicators.ResultTable` (usually the whole
catalog for one unit and period, broken down by a lower level) and writes

* **Markdown** (``.md``): the title and scope, an overview of the scope unit's value of every
  indicator, then one section per indicator with its breakdown table and a bar chart by subunit
  (PNG files in ``<report name>_charts/`` beside the report, linked relatively);
* **XLSX** (``.xlsx``): the sheet ``指标结果`` with every row (the columns of
  :data:`~minzu_core.indicators.COLUMNS`) and a sheet ``图表 charts`` with the same charts.

Charts need matplotlib and a CJK font (the ``indicators`` extra); ``charts=False`` writes the
report without them. When charts were asked for but cannot be drawn (no matplotlib, no font that
shows Chinese), the report is still written, without charts, and says why: the reason is in
:attr:`Report.notes`, at the top of the Markdown report and in the ``说明 notes`` sheet of the
XLSX report, and ``minzu report`` prints it.
"""

from __future__ import annotations

import os
from pathlib import Path

import attrs

from minzu_core.errors import MinzuError
from minzu_core.indicators._common import invalid, require_module
from minzu_core.indicators.results import ResultRow, ResultTable

__all__ = ["Report", "write_report"]


@attrs.frozen
class Report:
    """What :func:`write_report` wrote: the report file, the chart files and, when charts were
    asked for and some (or all) could not be drawn, why (``notes``, Chinese / English)."""

    path: Path
    charts: tuple[Path, ...]
    notes: tuple[str, ...] = ()


def _value(row: ResultRow) -> str:
    if row.value is None:
        return f"— ({row.status.label_zh} {row.status.label_en})"
    return f"{row.value:.{row.decimals}f}"


def _count(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:g}" if value != int(value) else str(int(value))


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _note(error: MinzuError) -> str:
    return f"未绘制图表 no charts: {error.message_zh} / {error.message_en}"


def _charts(
    table: ResultTable, folder: Path, font: str | None
) -> tuple[dict[str, Path], list[str]]:
    """The charts drawn (by indicator id) and the notes on what could not be drawn."""
    try:
        from minzu_core.indicators import charts

        charts.find_cjk_font(font)  # checked once: a missing font is one note, not 23
    except MinzuError as error:  # no matplotlib, or no font that shows Chinese
        return {}, [_note(error)]
    scope = table.metadata.scope_code
    folder.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    notes: list[str] = []
    seen: list[str] = []
    for row in table.rows:
        if row.indicator_id not in seen:
            seen.append(row.indicator_id)
    for indicator_id in seen:
        rows = [
            r
            for r in table.rows
            if r.indicator_id == indicator_id and r.unit_code != scope and r.breakdown is None
        ]
        if not rows:
            continue
        path = folder / f"{indicator_id}.png"
        try:
            charts.bar_by_unit(ResultTable(rows, table.metadata), indicator_id, path, font=font)
        except MinzuError as error:
            notes.append(f"{indicator_id}: {_note(error)}")
            continue
        written[indicator_id] = path
    return written, notes


def _markdown(table: ResultTable, charts: dict[str, Path], base: Path, notes: list[str]) -> str:
    meta = table.metadata
    lines = [f"# {meta.title_zh}", "", f"*{meta.title_en}*", ""]
    if meta.scope_code:
        lines.append(f"- 统计单位 scope: {meta.scope_name} ({meta.scope_code})")
    if meta.level:
        lines.append(f"- 分组层级 breakdown level: {meta.level}")
    if meta.hierarchy_as_of:
        lines.append(f"- 区划口径 units as of: {meta.hierarchy_as_of.isoformat()}")
    if meta.suppression_threshold:
        lines.append(f"- 披露控制 suppression below: {meta.suppression_threshold}")
    if meta.generated_at:
        lines.append(f"- 生成时间 generated at: {meta.generated_at.isoformat()}")
    lines.extend(f"- {note}" for note in meta.notes)
    lines.extend(f"- **{note}**" for note in notes)
    lines += [
        "",
        "## 总览 Overview",
        "",
        "| 指标 Indicator | 值 Value | 分子 Numerator | 分母 Denominator |",
        "|---|---:|---:|---:|",
    ]
    order: list[str] = []
    for row in table.rows:
        if row.indicator_id not in order:
            order.append(row.indicator_id)
    scope_rows = {
        r.indicator_id: r
        for r in table.rows
        if r.unit_code == meta.scope_code and r.breakdown is None
    }
    for indicator_id in order:
        total = scope_rows.get(indicator_id)
        if total is None:
            continue
        lines.append(
            f"| {_cell(total.indicator_name_zh)} {_cell(total.indicator_name_en)} "
            f"| {_value(total)} | {_count(total.numerator)} | {_count(total.denominator)} |"
        )
    for indicator_id in order:
        rows = [r for r in table.rows if r.indicator_id == indicator_id]
        first = rows[0]
        lines += [
            "",
            f"## {first.indicator_name_zh} {first.indicator_name_en}",
            "",
            f"`{indicator_id}`",
            "",
            "| 单位 Unit | 分组 Group | 值 Value | 分子 Numerator | 分母 Denominator |",
            "|---|---|---:|---:|---:|",
        ]
        for row in rows:
            lines.append(
                f"| {_cell(row.unit_name)} ({row.unit_code}) | {_cell(row.breakdown or '')} "
                f"| {_value(row)} | {_count(row.numerator)} | {_count(row.denominator)} |"
            )
        chart = charts.get(indicator_id)
        if chart is not None:
            relative = os.path.relpath(chart, base)
            lines += ["", f"![{first.indicator_name_zh}]({Path(relative).as_posix()})"]
    return "\n".join(lines) + "\n"


def write_report(
    table: ResultTable,
    path: str | os.PathLike[str],
    *,
    charts: bool = True,
    font: str | None = None,
) -> Report:
    """Write ``table`` as a report at ``path`` (``.md`` or ``.xlsx``; see the module
    docstring). Raises ``ValidationError(code="invalid_report_format")`` for another suffix."""
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in (".md", ".xlsx"):
        raise invalid(
            "invalid_report_format",
            "报告文件须为 .md 或 .xlsx",
            "a report is a .md or .xlsx file",
            "output",
        )
    folder = target.with_name(f"{target.stem}_charts")
    drawn, notes = _charts(table, folder, font) if charts else ({}, [])
    if suffix == ".md":
        target.write_text(_markdown(table, drawn, target.parent, notes), encoding="utf-8")
    else:
        table.to_xlsx(target)
        if drawn or notes:
            openpyxl = require_module("openpyxl", "pip install openpyxl", "Excel 报告", "report")
            drawing = require_module(
                "openpyxl.drawing.image", "pip install openpyxl pillow", "Excel 图表", "charts"
            )
            book = openpyxl.load_workbook(target)
            if notes:
                noted = book.create_sheet("说明 notes")
                for note in notes:
                    noted.append([note])
            sheet = book.create_sheet("图表 charts")
            row = 1
            for chart in drawn.values():
                image = drawing.Image(str(chart))
                sheet.add_image(image, f"A{row}")
                row += int(image.height / 20) + 2
            book.save(target)
    return Report(path=target, charts=tuple(drawn.values()), notes=tuple(notes))
