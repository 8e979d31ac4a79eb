"""Importing actuals from CSV (UTF-8, GB18030) and XLSX: every row's errors before anything is
written, all or nothing, idempotent re-imports, superseded values kept."""

from __future__ import annotations

import io
from datetime import datetime

from openpyxl import Workbook

from app.models import Actual, AuditEvent
from tests.actuals.conftest import HEADER, actual_rows, csv_bytes
from tests.api.helpers import count, error_of

BAD_ROWS = [
    ["NOPE", "FIN-ERR", "2026-03", "0.3", ""],  # 2: unknown department
    ["CZ-YS", "NOPE", "2026-03", "0.3", ""],  # 3: unknown indicator
    ["CZ-YS", "INS-PETITION", "2026-03", "96", ""],  # 4: not measured by a finance department
    ["CZ-YS", "FIN-ERR", "2026-13", "0.3", ""],  # 5: bad period
    ["CZ-YS", "FIN-ERR", "2026-04", "abc", ""],  # 6: not a number
    ["CZ-YS", "FIN-ERR", "2026-05", "150", ""],  # 7: a percentage over 100
    ["CZ-YS", "COM-QIN", "2026-05", "-2", ""],  # 8: negative
    ["CZ-YS", "FIN-PAY", "2026-03", "99", ""],  # 9: fine …
    ["CZ-YS", "FIN-PAY", "2026-03", "98", ""],  # 10: … but this one duplicates it
    ["", "", "", "", ""],  # 11: blank, skipped
    ["CZ-YS", "QUAL-SERVICE", "2026", "7", ""],  # 12: a BARS level is 1–5
    ["CZ-YS", "FIN-ERR", "2026-06", "1e400", ""],  # 13: huge
]
EXPECTED = {
    (2, "department"),
    (3, "indicator"),
    (4, "indicator"),
    (5, "period"),
    (6, "value"),
    (7, "value"),
    (8, "value"),
    (10, "period"),
    (12, "value"),
    (13, "value"),
}


def _import(api, data: bytes, filename: str = "stats.csv", dry_run: bool = True):
    return api.post(
        f"/api/v1/actuals/import?dry_run={str(dry_run).lower()}",
        data={"file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def test_a_dry_run_reports_every_rows_errors(api_as):
    response = _import(api_as("admin"), csv_bytes(BAD_ROWS))
    assert response.status_code == 200
    report = response.get_json()
    assert {(e["row"], e["column"]) for e in report["errors"]} == EXPECTED
    assert report["rows"] == 11 and report["dry_run"] is True
    assert any("与第9行重复" in e["message"] for e in report["errors"])
    assert count(Actual) == 0


def test_a_real_run_with_any_error_writes_nothing(api_as):
    response = _import(api_as("admin"), csv_bytes(BAD_ROWS), dry_run=False)
    error = error_of(response, 422, "validation_failed")
    assert {(e["row"], e["column"]) for e in error["report"]["errors"]} == EXPECTED
    assert count(Actual) == 0
    assert count(AuditEvent, AuditEvent.action == "actual.import") == 0


def test_missing_columns_are_header_errors(api_as):
    data = csv_bytes([["CZ-YS", "FIN-ERR"]], header=["科室编码", "指标编码"])
    report = _import(api_as("admin"), data).get_json()
    assert {(e["row"], e["column"]) for e in report["errors"]} == {(1, "period"), (1, "value")}
    error_of(_import(api_as("admin"), data, dry_run=False), 422, "validation_failed")


def test_gb18030_csv_imports_and_reimporting_changes_nothing(api_as):
    rows = [
        ["CZ-YS", "FIN-ERR", "2026年3月", "0.30", "财务核算系统导出"],
        ["CZ-YS", "COM-QIN", "2026-Q1", "2", "打卡系统：迟到两次"],
        ["DC-DC", "INS-PETITION", "202603", "96.5%", "12345热线"],
    ]
    data = csv_bytes(rows, encoding="gb18030")
    admin = api_as("admin")
    first = _import(admin, data, dry_run=False).get_json()
    assert (first["created"], first["updated"], first["unchanged"], first["errors"]) == (
        3,
        0,
        0,
        [],
    )
    before = actual_rows()
    assert ("CZ-YS", "COM-QIN", "2026-Q1", "file", "2", 1, True) in before
    assert ("DC-DC", "INS-PETITION", "2026-03", "file", "96.5", 1, True) in before
    again = _import(admin, data, dry_run=False).get_json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 3)
    assert actual_rows() == before


def test_a_changed_figure_supersedes_and_keeps_the_old_one(api_as):
    admin = api_as("admin")
    _import(admin, csv_bytes([["CZ-YS", "FIN-ERR", "2026-03", "0.3", ""]]), dry_run=False)
    report = _import(
        admin, csv_bytes([["CZ-YS", "FIN-ERR", "2026-03", "0.4", ""]]), dry_run=False
    ).get_json()
    assert (report["created"], report["updated"]) == (0, 1)
    assert actual_rows() == [
        ("CZ-YS", "FIN-ERR", "2026-03", "file", "0.3", 1, False),
        ("CZ-YS", "FIN-ERR", "2026-03", "file", "0.4", 2, True),
    ]


def test_xlsx_imports_with_excel_dates_and_numbers(api_as):
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    sheet.append(["CZ-YS", "FIN-PAY", datetime(2026, 3, 1), 98.75, "国库"])
    sheet.append(["CZ-YS", "FIN-ERR", "2026-03", 200 / 3 / 100, None])
    buffer = io.BytesIO()
    book.save(buffer)
    report = _import(api_as("admin"), buffer.getvalue(), "stats.xlsx", dry_run=False).get_json()
    assert report["errors"] == [] and report["created"] == 2
    assert actual_rows() == [
        ("CZ-YS", "FIN-PAY", "2026-03", "file", "98.75", 1, True),
        ("CZ-YS", "FIN-ERR", "2026-03", "file", "0.6667", 1, True),
    ]


def test_only_the_centre_imports_and_bad_files_are_refused(api_as):
    data = csv_bytes([["CZ-YS", "FIN-ERR", "2026-03", "0.3", ""]])
    error_of(_import(api_as("head_fin"), data), 403, "forbidden")
    admin = api_as("admin")
    error_of(_import(admin, b"\xff\xfe\x00garbage", "x.csv"), 422, "validation_failed")
    error_of(_import(admin, b"PK\x03\x04junk", "x.xlsx"), 422, "validation_failed")
    error_of(_import(admin, data, "x.txt"), 422, "validation_failed")
    missing = admin.post("/api/v1/actuals/import", data={}, content_type="multipart/form-data")
    error_of(missing, 422, "validation_failed")
    assert count(Actual) == 0


def test_the_cli_checks_and_imports_a_file(app, org, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes(BAD_ROWS))
    good = tmp_path / "good.csv"
    good.write_bytes(csv_bytes([["CZ-YS", "FIN-ERR", "2026-03", "0.3", ""]], encoding="gb18030"))
    runner = app.test_cli_runner()
    checked = runner.invoke(args=["import-actuals", str(bad), "--dry-run"])
    assert checked.exit_code == 1 and "row 2 department" in checked.output
    assert runner.invoke(args=["import-actuals", str(good), "--dry-run"]).exit_code == 0
    assert count(Actual) == 0
    done = runner.invoke(args=["import-actuals", str(good)])
    assert done.exit_code == 0, done.output
    assert "'created': 1" in done.output
    assert count(Actual) == 1
