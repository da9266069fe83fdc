"""CSV (UTF-8 with a BOM, so Excel in China opens it right) and XLSX writers for export tables."""

import csv
import io
import math

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

BOM = "\ufeff"
# A cell starting with one of these is a formula to a spreadsheet; prefix it so it stays text (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
INVALID_SHEET_CHARS = str.maketrans({c: " " for c in "[]:*?/\\"})


def safe_text(value):
    """Text that a spreadsheet will not run as a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def csv_cell(value):
    """One CSV cell: empty for None, fractions to 6 decimals, text protected from formula injection."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        if not math.isfinite(value):
            return ""
        rounded = round(value, 6)
        return str(int(rounded)) if rounded.is_integer() and abs(rounded) >= 1 else repr(rounded)
    if isinstance(value, int):
        return str(value)
    return safe_text(str(value))


def write_csv(tables):
    """The tables one after another (a blank line between), as CSV text starting with a BOM."""
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, lineterminator="\r\n")
    for index, table in enumerate(tables):
        if index:
            writer.writerow([])
        writer.writerow([csv_cell(h) for h in table.headers])
        for row in table.rows:
            writer.writerow([csv_cell(cell) for cell in row])
    return buffer.getvalue()


def _sheet_title(title, used):
    base = (str(title).translate(INVALID_SHEET_CHARS).strip() or "Sheet")[:28]
    name, number = base, 2
    while name in used:
        name, number = f"{base} {number}", number + 1
    used.add(name)
    return name


def write_xlsx(tables):
    """One worksheet per table (write-only mode: rows are streamed into the file); returns the bytes."""
    workbook = Workbook(write_only=True)
    used = set()
    for table in tables:
        sheet = workbook.create_sheet(_sheet_title(table.title, used))
        header = []
        for text in table.headers:
            cell = WriteOnlyCell(sheet, value=str(text))
            cell.font = Font(bold=True)
            header.append(cell)
        sheet.append(header)
        for row_index, row in enumerate(table.rows):
            cells = []
            for column_index, value in enumerate(row):
                if isinstance(value, str):
                    value = safe_text(value)
                elif isinstance(value, float) and not math.isfinite(value):
                    value = None
                cell = WriteOnlyCell(sheet, value=value)
                if isinstance(value, float) and table.is_percent(row_index, column_index):
                    cell.number_format = "0.0%"
                cells.append(cell)
            sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
