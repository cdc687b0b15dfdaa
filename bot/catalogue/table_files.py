"""Reading a table file as rows of text cells: CSV, XLSX or a web page saved from a browser.

The Transparencia Activa "Trámites" table reaches a municipality's IT person in whichever form
the portal or a colleague gave it: a CSV (comma or semicolon, UTF-8 with or without BOM, or
Latin-1 from an old Excel), an Excel workbook, or the portal's page saved as HTML, with its
menus, layout tables and the data table nested inside them. Every form becomes the same thing
here: a list of tables, each a list of rows of cell texts (line breaks kept, so lists written on
lines can be split later; a link's address kept after its text, so "Ir al trámite" still gives
the URL). Which row is the header is decided by the importer.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from pathlib import Path
from typing import List

Table = List[List[str]]

XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary Excel format (.xls)
DELIMITERS = (",", ";", "\t")
_HTML_START = re.compile(rb"^\s*(<!doctype html|<html|<table|<head|<body|<meta|<!--)", re.IGNORECASE)
# Elements that start a new line inside a cell (a <br>, a paragraph, an item of a list).
_BLOCKS = ("p", "div", "li", "tr", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6")


class TableFileError(ValueError):
    """A file that is no table this module can read (the message says why, in Spanish)."""


def read_tables(raw: bytes, filename: str = "") -> List[Table]:
    """Every table in the file, by its content (the file name's extension only breaks ties)."""
    suffix = Path(filename).suffix.lower()
    if raw.startswith(XLS_MAGIC) or suffix == ".xls":
        raise TableFileError("el formato .xls antiguo no se lee: ábralo en Excel y guárdelo como .xlsx o .csv")
    if raw.startswith(XLSX_MAGIC) or suffix in (".xlsx", ".xlsm"):
        return _xlsx_tables(raw)
    if suffix in (".html", ".htm") or _HTML_START.match(raw[:2048]):
        return _html_tables(decode_text(raw))
    return [_csv_table(decode_text(raw))]


def decode_text(raw: bytes) -> str:
    """UTF-8 (a BOM dropped) or, when that fails, Latin-1 (Windows-1252) as old Excel exports write it."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252")  # Latin-1 plus Windows' quotes and dashes, as Excel writes it
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _csv_table(text: str) -> Table:
    """The table read with the delimiter that gives the most rows of one same width (and then the widest).

    csv.Sniffer guesses from a sample and is misled by quoted cells over several lines with
    commas inside, which this table is full of; reading the whole text each way is sure and cheap.
    """
    first, _, rest = text.partition("\n")
    if first.strip().lower().startswith("sep=") and len(first.strip()) == 5:
        return _csv_rows(rest, first.strip()[4])  # Excel's hint line: "sep=;"
    best: Table = []
    best_score = (-1, -1)
    for delimiter in DELIMITERS:
        rows = [
            [cell.replace("\r\n", "\n") for cell in row] for row in csv.reader(io.StringIO(text), delimiter=delimiter)
        ]
        widths = Counter(len(row) for row in rows if len(row) >= 2)
        width, count = widths.most_common(1)[0] if widths else (0, 0)
        if (count, width) > best_score:
            best, best_score = rows, (count, width)
    return best


def _csv_rows(text: str, delimiter: str) -> Table:
    return [[cell.replace("\r\n", "\n") for cell in row] for row in csv.reader(io.StringIO(text), delimiter=delimiter)]


def _xlsx_tables(raw: bytes) -> List[Table]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(raw), read_only=False, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged or foreign file
        raise TableFileError(f"no se pudo leer el archivo Excel: {exc}") from exc
    tables: List[Table] = []
    for sheet in workbook.worksheets:
        table: Table = []
        for row in sheet.iter_rows():
            cells = []
            for cell in row:
                text = "" if cell.value is None else _excel_text(cell.value, cell.number_format)
                link = cell.hyperlink.target if cell.hyperlink is not None else None
                if link and link not in text:
                    text = f"{text} {link}".strip()
                cells.append(text)
            table.append(cells)
        tables.append(table)
    workbook.close()
    return tables


def _excel_text(value: object, number_format: str = "General") -> str:
    """The cell as the spreadsheet shows it: a number typed as "$3.500" is stored as 3500 with a
    currency format, and must stay an amount in pesos."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "$" in (number_format or "") and float(value).is_integer():
            return "$" + f"{int(value):,}".replace(",", ".")
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)
    return str(value).replace("\r\n", "\n").replace("_x000D_", "")


def _html_tables(text: str) -> List[Table]:
    from bs4 import BeautifulSoup
    from bs4.element import Tag

    soup = BeautifulSoup(text, "html.parser")
    for dropped in soup.find_all(["script", "style", "noscript", "template"]):
        dropped.decompose()
    for br in soup.find_all("br"):
        br.replace_with("\n")
    for anchor in soup.find_all("a", href=True):
        href = str(anchor["href"]).strip()
        if href.lower().startswith(("http://", "https://")) and href not in anchor.get_text():
            anchor.append(f" {href}")
    for block in soup.find_all(_BLOCKS):
        block.insert_before("\n")
        block.append("\n")

    tables: List[Table] = []
    for table in soup.find_all("table"):
        rows: Table = []
        for tr in table.find_all("tr"):
            if tr.find_parent("table") is not table:
                continue  # a row of a table nested in one of this table's cells
            cells: List[str] = []
            for cell in tr.find_all(["td", "th"], recursive=False):
                if not isinstance(cell, Tag):
                    continue
                if cell.find("table") is not None:
                    cells.append("")  # a layout cell holding another table: that table is read on its own
                    continue
                cells.append(_cell_text(cell.get_text()))
                span = str(cell.get("colspan") or "1")
                cells.extend([""] * (int(span) - 1 if span.isdigit() and 1 < int(span) < 50 else 0))
            rows.append(cells)
            labels = [
                str(c.get("data-label") or c.get("data-title") or "")
                for c in tr.find_all(["td", "th"], recursive=False)
            ]
            if len(rows) == 1 and sum(1 for label in labels if label) >= 2:
                rows.insert(0, labels)  # a responsive table names each cell's column instead of a header row
        tables.append(rows)
    return tables


def _cell_text(text: str) -> str:
    lines = (" ".join(line.replace("\xa0", " ").split()) for line in text.split("\n"))
    return "\n".join(line for line in lines if line)
