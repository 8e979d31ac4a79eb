"""The file adapter: a CSV (UTF-8 or GB18030) or XLSX file with one figure per row.

Headers (Chinese, or the English keys): 科室编码 (department), 指标编码 (indicator),
期间 (period: 2026-03, 2026-Q1 or 2026), 实际值 (value), and optionally 备注 (note). Other
columns are ignored, so an export (12345 hotline statistics, attendance, finance) only needs
these columns added or renamed. Reading is `app.services.org_import.read_rows`, shared with
the organisation import.
"""

from __future__ import annotations

from app.i18n import Message
from app.services.actuals import SourceRow
from app.services.org_import import ROW_KEY, map_headers, read_rows
from handlers.sources import SourceError

HEADERS = {
    "科室编码": "department",
    "指标编码": "indicator",
    "期间": "period",
    "实际值": "value",
    "备注": "note",
}
REQUIRED = ("department", "indicator", "period", "value")


class FileSource:
    def __init__(self, filename: str, data: bytes) -> None:
        self.filename = filename
        self.data = data
        self.name = f"file:{filename}"

    def fetch(self) -> list[SourceRow]:
        """The file's rows; `Invalid` for an unreadable file, `SourceError` (kind `header`,
        with row-1 errors) for missing columns."""
        rows, header_errors = map_headers(HEADERS, REQUIRED, read_rows(self.filename, self.data))
        if header_errors:
            raise SourceError("header", Message("缺少必需的列。"), row_errors=header_errors)
        return [
            SourceRow(
                row=int(row[ROW_KEY]),
                department=row.get("department", ""),
                indicator=row.get("indicator", ""),
                period=row.get("period", ""),
                value=row.get("value", ""),
                note=row.get("note", ""),
            )
            for row in rows
        ]
