"""Exports of a campaign's results (the centre's) and of a department's scorecard (绩效考核记分卡),
as Excel and PDF, with who may download them."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from app.services import campaigns, publications, results, score_texts
from app.services.errors import NotFound
from app.services.transactions import unit_of_work
from tests.conftest import person
from tests.pages.admin_helpers import dept

SCORES = {"XF-JD": "95", "DC-DC": "93", "CZ-YS": "92", "RS-RS": "91", "CZ-KJ": "85", "XF-BX": "55"}
RESULTS_XLSX = "/admin/campaigns/2026/results.xlsx"
RESULTS_PDF = "/admin/campaigns/2026/results.pdf"
# a peer mean over two ballots: below the anonymity minimum (3), never shown
HIDDEN_MEAN = "74.37"
DETAIL = {
    "lines": [
        {
            "line": "line-1",
            "name": "财务报表差错率",
            "weight": "60",
            "value": "0.42",
            "source": "verified",
            "points": "60",
            "after_deductions": "58.5",
        },
        {
            "line": "line-2",
            "name": "预算执行进度",
            "weight": "40",
            "value": None,
            "source": "missing",
            "points": "0",
            "after_deductions": "0",
            "note": "无实际值，按0分计",
        },
    ],
    "line_sum": "58.5",
    "deductions": [{"points": "1.5", "reason": "台账缺少签字", "indicator": "line-1"}],
    "evaluation": {
        "groups": [
            {"group": "leader", "ballots": 1, "mean": "91.25", "weight": "40"},
            {"group": "peer", "ballots": 2, "mean": HIDDEN_MEAN, "weight": "30"},
            {"group": "service_recipient", "ballots": 4, "mean": "88.5", "weight": "30"},
        ],
        "void_ballots": 0,
        "notes": [],
    },
}


@pytest.fixture
def scored(org):
    """Campaign 2026 with six results (CZ-YS with a scoring detail), calibrated."""
    admin = person("admin")
    unit_of_work(lambda: campaigns.get_or_create(2026))
    for code, score in SCORES.items():
        detail = DETAIL if code == "CZ-YS" else None
        unit_of_work(
            lambda c=code, s=score, d=detail: results.record_result(
                admin, 2026, dept(c).id, s, "90", "1.5" if c == "CZ-YS" else "0", 0, d
            )
        )
    unit_of_work(lambda: results.calibrate(admin, 2026))


def publish():
    admin = person("admin")
    unit_of_work(lambda: publications.approve(admin, 2026))
    publications.publish(admin, 2026)


def scorecard_url(code: str, ext: str = "xlsx", year: int = 2026) -> str:
    suffix = f".{ext}" if ext else ""
    return f"/departments/{dept(code).id}/scorecard/{year}{suffix}"


def sheet_of(response):
    assert response.status_code == 200, response.get_data(True)[:500]
    return load_workbook(io.BytesIO(response.data)).active


def pdf_text(response) -> str:
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)


def cells(sheet) -> list[str]:
    return [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]


def test_the_centre_exports_the_ranked_results_as_excel(scored, client, login_as):
    login_as("admin")
    response = client.get(RESULTS_XLSX)
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in response.headers["Content-Disposition"]
    sheet = sheet_of(response)
    assert sheet["A1"].value == "2026年度科室绩效考核结果"
    assert sheet["A2"].value.startswith("生成时间：2026-01-05 09:00")  # Beijing time
    header = [c.value for c in sheet[4]]
    assert header[:10] == [
        "名次", "单位", "科室", "指标得分", "综合评价", "扣分", "总分", "等次表结果", "等次",
        "季度优秀",
    ]  # fmt: skip
    assert "奖金系数" in header
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=5)]
    assert [r[0] for r in rows] == [1, 2, 3, 4, 5, 6]
    stored = results.results(person("admin"), 2026)
    assert [r[2] for r in rows] == [r.department.name for r in stored]
    assert rows[0][2] == dept("XF-JD").name
    assert rows[0][1] == dept("XF-JD").unit.name
    finals = [r[6] for r in rows]
    assert finals == sorted(finals, reverse=True)
    assert finals == [
        float(r.final_score) if r.final_score % 1 else int(r.final_score) for r in stored
    ]
    # the quota is one 优秀 of six: the first keeps it, the others are capped by calibration
    assert rows[0][8] == "优秀"
    assert [r[8] for r in rows].count("优秀") == 1
    assert rows[-1][2] == dept("XF-BX").name and rows[-1][8] == "基本称职"  # 65.5
    assert rows[0][10] is not None  # the bonus coefficient of a calibrated campaign
    assert rows[3][2] == dept("CZ-YS").name and rows[3][5] == 1.5  # its deductions


def test_the_results_pdf_has_the_title_departments_and_grades(scored, client, login_as):
    login_as("admin")
    text = pdf_text(client.get(RESULTS_PDF))
    assert "2026年度科室绩效考核结果" in text
    assert dept("XF-JD").name in text and dept("XF-BX").name in text
    assert "优秀" in text and "基本称职" in text


def test_uncalibrated_results_export_without_outcomes_and_say_why(scored, client, login_as):
    unit_of_work(lambda: results.record_result(person("admin"), 2026, dept("CZ-KJ").id, "86"))
    login_as("admin")
    sheet = sheet_of(client.get(RESULTS_XLSX))
    assert "校准" in sheet["D2"].value
    rows = list(sheet.iter_rows(min_row=5, values_only=True))
    assert all(r[10] is None for r in rows)  # no bonus coefficient until calibrated again
    assert next(r for r in rows if r[2] == dept("CZ-KJ").name)[0] is None  # rank cleared


@pytest.mark.parametrize("who", ["head_fin", "leader_li", "kh_chen"])
def test_only_the_centre_exports_the_campaign_results(scored, client, login_as, who):
    publish()
    login_as(who)
    assert client.get(RESULTS_XLSX).status_code == 403
    assert client.get(RESULTS_PDF).status_code == 403


def test_exports_need_signing_in_and_a_known_year(scored, client, login_as):
    for url in (RESULTS_XLSX, scorecard_url("CZ-YS"), scorecard_url("CZ-YS", "pdf")):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    login_as("admin")
    assert client.get("/admin/campaigns/2031/results.xlsx").status_code == 404
    assert client.get("/admin/campaigns/2031/results.pdf").status_code == 404
    assert client.get(scorecard_url("CZ-YS", year=2031)).status_code == 404
    assert client.get("/departments/999999/scorecard/2026.xlsx").status_code == 404
    assert client.get("/departments/999999/scorecard/2026.pdf").status_code == 404


def test_the_scorecard_shows_lines_deductions_and_groups_but_no_small_group_mean(
    scored, client, login_as
):
    login_as("admin")
    sheet = sheet_of(client.get(scorecard_url("CZ-YS")))
    department = dept("CZ-YS")
    assert sheet["A1"].value == f"2026年度绩效考核记分卡：{department.unit.name}{department.name}"
    summary = {row[0].value: row[1].value for row in sheet.iter_rows(min_row=4, max_row=14)}
    stored = next(r for r in results.results(person("admin"), 2026) if r.department.code == "CZ-YS")
    assert summary["科室"] == department.name
    assert summary["总分"] == float(stored.final_score)
    assert summary["名次"] == stored.rank == 4  # 92 less 1.5 deducted: behind RS-RS
    assert summary["等次"] == "称职"
    texts = cells(sheet)
    for expected in (
        "财务报表差错率",
        "预算执行进度",
        "核验值",
        "无实际值，按0分计",
        "台账缺少签字",
    ):
        assert expected in texts
    rows = {r[1]: r for r in sheet.iter_rows(values_only=True) if r[0] == 1 and len(r) > 10}
    line = rows["财务报表差错率"]
    assert (line[5], line[7], line[9], line[10]) == (60, 0.42, 60, 58.5)
    names = ("分管领导评价", "民主测评", "服务对象评价")
    groups = {r[0]: r for r in sheet.iter_rows(values_only=True) if r[0] in names}
    assert groups["分管领导评价"][1:4] == (1, 91.25, 40)
    assert groups["服务对象评价"][1:4] == (4, 88.5, 30)
    assert groups["民主测评"][1:3] == (2, "票数不足，不予显示")
    assert not any(HIDDEN_MEAN in t or t == str(float(HIDDEN_MEAN)) for t in texts)
    text = pdf_text(client.get(scorecard_url("CZ-YS", "pdf")))
    assert department.name in text and "称职" in text and "财务报表差错率" in text
    assert HIDDEN_MEAN not in text
    page = client.get(scorecard_url("CZ-YS", ""))
    assert page.status_code == 200
    body = page.get_data(True)
    assert "台账缺少签字" in body and HIDDEN_MEAN not in body
    assert scorecard_url("CZ-YS", "pdf") in body


def test_a_department_head_sees_their_scorecard_only_after_publication(scored, client, login_as):
    login_as("head_fin")
    for ext in ("xlsx", "pdf", ""):
        assert client.get(scorecard_url("CZ-YS", ext)).status_code == 404
    publish()
    assert sheet_of(client.get(scorecard_url("CZ-YS")))["A1"].value.endswith(dept("CZ-YS").name)
    assert dept("CZ-YS").name in pdf_text(client.get(scorecard_url("CZ-YS", "pdf")))
    assert client.get(scorecard_url("CZ-YS", "")).status_code == 200
    # another department's scorecard is not found, not forbidden
    for ext in ("xlsx", "pdf", ""):
        assert client.get(scorecard_url("RS-RS", ext)).status_code == 404


def test_a_supervising_leader_sees_the_departments_they_supervise(scored, client, login_as):
    publish()
    login_as("leader_li")
    assert client.get(scorecard_url("RS-RS")).status_code == 200
    assert client.get(scorecard_url("XF-JD")).status_code == 404


def test_no_result_no_scorecard(scored, client, login_as):
    login_as("admin")
    for ext in ("xlsx", "pdf", ""):
        assert client.get(scorecard_url("CZ-GK", ext)).status_code == 404


def test_the_results_page_links_the_exports_and_scorecards(scored, client, login_as):
    login_as("admin")
    body = client.get("/admin/campaigns/2026/results").get_data(True)
    assert RESULTS_XLSX in body and RESULTS_PDF in body
    assert scorecard_url("CZ-YS", "") + '"' in body


def test_computed_reasons_and_notes_show_in_the_readers_language(org, client, login_as):
    """Scoring keeps each text's kind and values beside the Chinese record: pages and exports
    compose it in the reader's language (the finding's description is stored data)."""
    unit_of_work(lambda: campaigns.get_or_create(2026))
    spot = score_texts.spot_check_params(2026, 9, "L-001", "台账缺少签字")
    moved, moved_params = score_texts.off_letter("（中文原文）", spot, "HR-X")
    line = {"line": "line-1", "name": "预算执行进度", "weight": "40", "points": "0"}
    detail = {
        "lines": [
            {**line, **score_texts.note_fields("no_value")},
            {**line, "line": "line-2", **score_texts.note_fields("unscorable", error="bad bars")},
        ],
        "deductions": [
            {"points": "1", "indicator": "line-1", "reason": "中文原文", "params": spot},
            {"points": "2", "indicator": None, "reason": moved, "params": moved_params},
        ],
    }
    unit_of_work(
        lambda: results.record_result(
            person("admin"), 2026, dept("CZ-YS").id, "90", None, "3", 0, detail
        )
    )
    login_as("admin")
    english = cells(sheet_of(client.get(scorecard_url("CZ-YS"), query_string={"lang": "en"})))
    for text in (
        "No actual value: scored 0",
        "Cannot be scored (bad bars): scored 0",
        "Spot check of 9/2026 (L-001): 台账缺少签字",
        "Spot check of 9/2026 (L-001): 台账缺少签字 "
        "(indicator HR-X is not on the letter: deducted from the total)",
    ):
        assert text in english
    assert not any("中文原文" in t or "按0分计" in t for t in english)
    page = client.get(scorecard_url("CZ-YS", ""), query_string={"lang": "en"}).get_data(True)
    assert "Spot check of 9/2026 (L-001): 台账缺少签字" in page and "督查" not in page
    chinese = cells(sheet_of(client.get(scorecard_url("CZ-YS"), query_string={"lang": "zh"})))
    assert "2026年9月督查（L-001）：台账缺少签字" in chinese
    assert "2026年9月督查（L-001）：台账缺少签字（指标HR-X不在责任书中，计入总分扣分）" in chinese
    assert "无法计分（bad bars），按0分计" in chinese


def test_text_that_looks_like_a_formula_stays_text(org, client, login_as):
    unit_of_work(lambda: campaigns.get_or_create(2026))
    detail = {"deductions": [{"points": "1", "reason": '=HYPERLINK("x")', "indicator": None}]}
    unit_of_work(
        lambda: results.record_result(
            person("admin"), 2026, dept("CZ-YS").id, "90", None, "1", 0, detail
        )
    )
    login_as("admin")
    sheet = sheet_of(client.get(scorecard_url("CZ-YS")))
    assert '\'=HYPERLINK("x")' in cells(sheet)
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)


def test_a_simulated_year_gives_full_scorecards(app):
    """A whole small year (app.simulation): the scorecard joins the signed letter's lines with
    the scores the engine computed, and the results export ranks every department."""
    from sqlalchemy import select

    from app import exports
    from app.extensions import db
    from app.models import DepartmentResult, LetterLine, ResponsibilityLetter
    from app.services import definitions
    from app.simulation import YearSimulation, synthetic_city

    unit_of_work(lambda: definitions.load_directory(app.config["BPMN_DIR"]))
    summary = YearSimulation(2026, seed=3).run(lambda: synthetic_city(2, 2026))
    assert summary.errors == [] and summary.completed == 2
    db.session.expire_all()
    row = db.session.scalars(select(DepartmentResult).order_by(DepartmentResult.rank)).first()
    letter_lines = db.session.scalars(
        select(LetterLine)
        .join(ResponsibilityLetter)
        .where(
            ResponsibilityLetter.department_id == row.department_id,
            ResponsibilityLetter.status == "locked",
        )
    ).all()
    with app.test_request_context():
        centre = person("sim_centre_0")
        table = exports.campaign_results(centre, 2026)
        assert [r[0] for r in table.rows] == [1, 2]
        card = exports.scorecard(centre, 2026, row.department_id)
        assert {x.name for x in card.lines} == {x.name for x in letter_lines}
        assert all(x.weight is not None and x.points is not None for x in card.lines)
        assert sum(x.weight for x in card.lines) == 100
        assert {g.rater_group for g in card.groups} >= {"leader"}
        sheet = load_workbook(io.BytesIO(exports.scorecard_xlsx(card))).active
        texts = [str(c.value) for r in sheet.iter_rows() for c in r if c.value is not None]
        assert letter_lines[0].name in texts
        pdf = exports.scorecard_pdf(card)
        assert row.department.name in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
        # published: the department's head sees their own scorecard, not the other's
        head = person(f"sim_head_{int(row.department.code[-4:])}")
        assert exports.scorecard(head, 2026, row.department_id).result.id == row.id
        other = db.session.scalars(
            select(DepartmentResult).where(DepartmentResult.id != row.id)
        ).one()
        with pytest.raises(NotFound):
            exports.scorecard(head, 2026, other.department_id)
