"""Reading an uploaded .xlsx within bounds: the archive's own sizes and each sheet's extent are checked before any
cell is read, and only the sheets a caller names are read, in openpyxl's read-only (streaming) mode.

A 24 KB workbook with one cell at A1048576 used to cost 75-80 s and 3.7 GB (every row built as cells); now it is
refused from the sheet's dimension, or, where the dimension is absent or lies, while streaming, in well under a
second. Hidden sheets are not read as data (a very hidden one can hold what no person sees).
"""
from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any, Iterable, Optional

from cpadvisor.errors import InputError

MAX_UNZIPPED = 50 * 1024 * 1024  # bytes of all the archive's members, uncompressed
MAX_MEMBERS = 1000
MAX_ROWS = 5000  # rows of one sheet (the templates use a few hundred at most)
MAX_COLS = 200  # columns of one sheet


@dataclass
class Cell:
    value: Any = None


EMPTY = Cell()


@dataclass
class Grid:
    """The values of one sheet (1-based rows and columns), with the few reads the intake needs."""

    title: str
    values: dict[tuple[int, int], Any] = field(default_factory=dict)
    max_row: int = 0
    max_column: int = 0

    def cell(self, row: int, column: int) -> Cell:
        v = self.values.get((row, column))
        return EMPTY if v is None else Cell(v)


FORMULA_START = ("=", "+", "-", "@")


def text_safe(wb: Any) -> Any:
    """Every text cell of ``wb`` that starts like a formula (= + - @) is stored as text, never run by Excel
    (a profile value such as ``=HYPERLINK(...)`` or ``=cmd|' /C calc'!A0``); it reads back as the same text."""
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, str) and c.value.startswith(FORMULA_START):
                    c.data_type = "s"
    return wb


def _refuse(msg: str, file: str) -> InputError:
    return InputError(msg, file)


def check_archive(data: bytes, file: str) -> None:
    """Refuse an archive whose members would unpack to more than MAX_UNZIPPED bytes (a zip bomb) or hold more
    than MAX_MEMBERS files, from the archive's directory alone."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = z.infolist()
    except zipfile.BadZipFile as exc:
        raise _refuse(f"not a readable .xlsx workbook / 无法读取Excel工作簿: {exc}", file) from None
    if len(infos) > MAX_MEMBERS:
        raise _refuse(f"the workbook has {len(infos)} parts, over the limit of {MAX_MEMBERS} / 工作簿结构异常", file)
    total = sum(i.file_size for i in infos)
    if total > MAX_UNZIPPED:
        raise _refuse(f"the workbook unpacks to {total / 1e6:.0f} MB, over the {MAX_UNZIPPED / 1e6:.0f} MB limit / "
                      "工作簿解压后过大", file)


def read_sheets(data: bytes, file: str, titles: Optional[Iterable[str]] = None) -> tuple[list[str], dict[str, Grid]]:
    """(every visible sheet's title, the named sheets as grids). A sheet larger than MAX_ROWS x MAX_COLS is
    refused, naming it; cells past the limits are never built."""
    from openpyxl import load_workbook

    check_archive(data, file)
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - zipfile, XML or openpyxl errors: not a workbook
        raise _refuse(f"not a readable .xlsx workbook / 无法读取Excel工作簿: {' '.join(str(exc).split())[:160]}",
                      file) from None
    try:
        visible = [ws.title for ws in wb.worksheets if getattr(ws, "sheet_state", "visible") == "visible"]
        wanted = set(visible if titles is None else titles) & set(visible)
        for t in visible:
            if t in wanted:
                _no_merged_cells(data, wb[t], file)
        grids = {t: _grid(wb[t], file) for t in visible if t in wanted}
    finally:
        wb.close()
    return visible, grids


_MERGED = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]+[0-9]+:[A-Z]+[0-9]+)"')


def _no_merged_cells(data: bytes, ws: Any, file: str) -> None:
    """A merged range keeps only its first cell's value, so the others would be dropped without a word: refuse
    it, naming the sheet and the range (read from the sheet's own XML; openpyxl's read-only mode skips merges)."""
    path = getattr(ws, "_worksheet_path", None)
    if not path:
        return
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        try:
            xml = z.read(path)
        except KeyError:
            return
    found = _MERGED.findall(xml)
    if found:
        ranges = ", ".join(r.decode() for r in found[:5]) + (" …" if len(found) > 5 else "")
        raise _refuse(f"sheet '{ws.title}' has merged cells ({ranges}): unmerge them, a merged cell keeps only its "
                      "first value / 工作表含合并单元格，请取消合并", file)


def _grid(ws: Any, file: str) -> Grid:
    rows, cols = ws.max_row or 0, ws.max_column or 0  # the sheet's own <dimension>, when it has one
    if rows > MAX_ROWS or cols > MAX_COLS:
        raise _refuse(f"sheet '{ws.title}' spans {rows} rows x {cols} columns, over the limit of {MAX_ROWS} x "
                      f"{MAX_COLS}: delete the rows and columns past the data / 工作表范围过大", file)
    g = Grid(ws.title)
    for r, row in enumerate(ws.iter_rows(max_col=MAX_COLS, values_only=True), start=1):
        if r > MAX_ROWS:  # the dimension was absent or lied: stream on, keep nothing, refuse on a value
            if any(v is not None for v in row):
                raise _refuse(f"sheet '{ws.title}' has a value in row {r}, past the limit of {MAX_ROWS} rows / "
                              "工作表行数过多", file)
            continue
        for c, v in enumerate(row, start=1):
            if v is not None:
                g.values[(r, c)] = v
                g.max_row = max(g.max_row, r)
                g.max_column = max(g.max_column, c)
    return g
