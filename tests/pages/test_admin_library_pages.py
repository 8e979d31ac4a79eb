"""The centre's pages for the indicator library, the category templates and department plans:
each change goes through the same services as the API and lands in the database; bad input is
shown beside its field and writes nothing; only the centre may use the pages."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, DepartmentPlan, Indicator, IndicatorTemplate
from app.rules.templates import LIBRARY, TEMPLATES
from app.services import plans
from app.services.transactions import unit_of_work
from tests.conftest import person
from tests.pages.admin_helpers import count, dept, error_beside, invalid, post

NEW = "/admin/indicators/new?year=2026"


def indicator(code: str, year: int = 2026) -> Indicator:
    db.session.expire_all()
    return db.session.scalars(
        select(Indicator).where(Indicator.year == year, Indicator.code == code)
    ).one()


def template(category: str, year: int = 2026) -> IndicatorTemplate:
    db.session.expire_all()
    return db.session.scalars(
        select(IndicatorTemplate).where(
            IndicatorTemplate.year == year, IndicatorTemplate.category == category
        )
    ).one()


@pytest.fixture
def admin(client, login_as):
    assert login_as("centre_liu").status_code == 302
    return client


QUANTITATIVE = {
    "code": "DYN-GOV",
    "name": "一网通办事项占比",
    "kind": "dynamic",
    "nature": "quantitative",
    "method": "linear",
    "direction": "higher",
    "unit": "%",
    "target": "90",
    "threshold": "60",
    "categories": "finance",
    "data_source": "政务服务平台",
    "evidence": "平台导出的办件统计",
}


# --- the library -----------------------------------------------------------------------------


def test_the_library_lists_the_year_and_filters_by_kind_and_category(admin):
    body = admin.get("/admin/indicators?year=2026").get_data(True)
    assert 'data-code="COM-DE"' in body and 'data-code="FIN-ERR"' in body
    assert f'id="indicator-count">{len(LIBRARY)}<' in body
    common = admin.get("/admin/indicators?year=2026&kind=common").get_data(True)
    assert 'data-code="COM-DE"' in common and 'data-code="FIN-ERR"' not in common
    hr = admin.get("/admin/indicators?year=2026&category=hr").get_data(True)
    assert 'data-code="HR-HIRE"' in hr and 'data-code="COM-DE"' in hr  # applies to all
    assert 'data-code="FIN-ERR"' not in hr
    bad = admin.get("/admin/indicators?year=2026&kind=bogus")
    assert bad.status_code == 400 and error_beside(bad.get_data(True), "kind")


def test_the_current_year_is_the_default_and_impossible_years_are_unknown(admin):
    assert 'data-code="COM-DE"' in admin.get("/admin/indicators").get_data(True)
    for year in ("1999", "abcd", "20261", "2101"):
        assert admin.get(f"/admin/indicators?year={year}").status_code == 404


def test_create_a_quantitative_indicator(admin):
    response = post(admin, NEW, QUANTITATIVE)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/indicators?year=2026")
    row = indicator("DYN-GOV")
    assert (row.name, row.kind, row.method, row.direction) == (
        "一网通办事项占比", "dynamic", "linear", "higher",
    )  # fmt: skip
    assert (row.target, row.threshold, row.categories) == (Decimal(90), Decimal(60), ["finance"])
    assert row.data_source == "政务服务平台"
    assert count(AuditEvent, AuditEvent.action == "indicator.create") == 1
    assert "已新增指标 DYN-GOV" in admin.get(response.headers["Location"]).get_data(True)


def test_create_a_qualitative_indicator_with_five_anchors(admin):
    form = {
        "code": "QUAL-COOP",
        "name": "协作配合",
        "kind": "individual",
        "nature": "qualitative",
        "method": "bars",
        "direction": "higher",
        "evidence": "协作案例材料",
    }
    for level, ratio in enumerate(("0.2", "0.4", "0.6", "0.8", "1"), start=1):
        form[f"anchors-{level - 1}-description"] = f"第{level}级行为"
        form[f"anchors-{level - 1}-ratio"] = ratio
    assert post(admin, NEW, form).status_code == 302
    row = indicator("QUAL-COOP")
    assert [a["level"] for a in row.anchors] == [1, 2, 3, 4, 5]
    assert row.anchors[4] == {"level": 5, "description": "第5级行为", "ratio": "1"}


def test_bad_indicator_input_is_shown_beside_each_field_and_writes_nothing(admin):
    before = count(Indicator), count(AuditEvent)
    form = {
        **QUANTITATIVE,
        "name": "",
        "target": "abc",
        "cap": "1e999999",
        "code": "bad code!",
        "method": "guess",
        "anchors-2-ratio": "0.5",
    }
    response = post(admin, NEW, form)
    assert response.status_code == 422
    body = response.get_data(True)
    assert error_beside(body, "name") == "此项必填"
    assert error_beside(body, "target") == "请输入有效的数字"
    assert error_beside(body, "cap")
    assert error_beside(body, "code")
    assert error_beside(body, "method") == "请选择一个有效选项"
    assert error_beside(body, "anchors.2.description") == "此项必填"
    assert invalid(body, "target") and invalid(body, "anchors-2-description")
    assert 'value="abc"' in body  # the form comes back as it was filled in
    assert (count(Indicator), count(AuditEvent)) == before


def test_the_rules_of_a_definition_come_back_beside_their_field(admin):
    response = post(admin, NEW, {**QUANTITATIVE, "threshold": "95"})  # above the target
    assert response.status_code == 422
    assert "门槛值必须低于目标值" in error_beside(response.get_data(True), "threshold")
    qualitative = {**QUANTITATIVE, "nature": "qualitative", "method": "bars", "code": "Q-1"}
    body = post(admin, NEW, qualitative).get_data(True)
    assert "五个行为锚定等级" in error_beside(body, "anchors")
    assert count(Indicator, Indicator.code.in_(["DYN-GOV", "Q-1"])) == 0


def test_a_code_used_that_year_is_a_conflict_beside_the_code(admin):
    response = post(admin, NEW, {**QUANTITATIVE, "code": "FIN-ERR"})
    assert response.status_code == 409
    assert "已有编码为 FIN-ERR" in error_beside(response.get_data(True), "code")
    assert indicator("FIN-ERR").name == "财务报表差错率"


def test_edit_an_indicator(admin):
    row = indicator("FIN-ERR")
    page = admin.get(f"/admin/indicators/{row.id}").get_data(True)
    assert 'id="code">FIN-ERR<' in page and 'value="0.5"' in page
    form = {
        "name": "财务报表差错率（修订）",
        "kind": "individual",
        "nature": "quantitative",
        "method": "linear",
        "direction": "lower",
        "unit": "%",
        "target": "0.3",
        "threshold": "1",
        "categories": "finance",
        "tags": "economic",
    }
    response = post(admin, f"/admin/indicators/{row.id}", form)
    assert response.status_code == 302
    row = indicator("FIN-ERR")
    assert (row.name, row.target, row.tags) == (
        "财务报表差错率（修订）",
        Decimal("0.3"),
        ["economic"],
    )
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "indicator.update")
    ).one()
    assert event.detail["changed"]["target"] == {"from": "0.5", "to": "0.3"}

    bad = post(admin, f"/admin/indicators/{row.id}", {**form, "target": "", "threshold": "x"})
    assert bad.status_code == 422
    assert error_beside(bad.get_data(True), "threshold") == "请输入有效的数字"
    assert indicator("FIN-ERR").target == Decimal("0.3")


def test_retire_and_restore(admin):
    row = indicator("DYN-AI")
    unit_of_work(lambda: plans.save_template(person("admin"), 2026, "hr", "人事部门", [
        {"indicator": code, "weight": Decimal(w)}
        for code, w in (("COM-DE", 6), ("COM-NENG", 6), ("COM-QIN", 6), ("COM-JI", 6),
                        ("COM-LIAN", 6), ("HR-HIRE", 20), ("HR-SAT", 15), ("HR-TRAIN", 25),
                        ("QUAL-SERVICE", 10))
    ]))  # fmt: skip
    response = post(admin, f"/admin/indicators/{row.id}/retire", {}, "/admin/indicators")
    assert response.status_code == 303
    assert indicator("DYN-AI").retired is True
    body = admin.get("/admin/indicators?year=2026").get_data(True)
    assert "已停用指标 DYN-AI" in body and f"/admin/indicators/{row.id}/restore" in body
    assert (
        post(admin, f"/admin/indicators/{row.id}/restore", {}, "/admin/indicators").status_code
        == 303
    )
    assert indicator("DYN-AI").retired is False

    used = indicator("HR-HIRE")  # in the hr template: refused, nothing changes
    post(admin, f"/admin/indicators/{used.id}/retire", {}, "/admin/indicators")
    assert indicator("HR-HIRE").retired is False
    assert "仍在指标模板中使用" in admin.get("/admin/indicators").get_data(True)


def test_review_and_roll_over_with_chosen_drops(admin):
    page = admin.get("/admin/indicator-years/2026/review").get_data(True)
    assert 'name="to_year"' in page and 'value="2027"' in page and 'data-code="DYN-AI"' in page
    response = post(
        admin,
        "/admin/indicator-years/2026/roll-over",
        [("to_year", "2027"), ("drop", "DYN-AI"), ("drop", "DYN-DIGITAL")],
        "/admin/indicator-years/2026/review",
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/indicators?year=2027")
    codes = set(db.session.scalars(select(Indicator.code).where(Indicator.year == 2027)))
    assert len(codes) == len(LIBRARY) - 2 and "DYN-AI" not in codes and "FIN-ERR" in codes
    assert count(IndicatorTemplate, IndicatorTemplate.year == 2027) == len(TEMPLATES)

    again = post(admin, "/admin/indicator-years/2026/roll-over", {"to_year": "2027"},
                 "/admin/indicator-years/2026/review")  # fmt: skip
    assert again.status_code == 409
    assert "2027 年度的指标库已存在" in error_beside(again.get_data(True), "to_year")
    for bad in ("abc", "2026", "99999", ""):
        response = post(admin, "/admin/indicator-years/2026/roll-over", {"to_year": bad},
                        "/admin/indicator-years/2026/review")  # fmt: skip
        assert response.status_code == 422, bad
        assert error_beside(response.get_data(True), "to_year"), bad
    assert count(Indicator, Indicator.year > 2027) == 0
    assert admin.get("/admin/indicator-years/2031/review").status_code == 404


# --- templates and plans ---------------------------------------------------------------------


def _lines_form(lines, name=None):
    form = [] if name is None else [("name", name)]
    for i, (code, weight, target) in enumerate(lines):
        form += [(f"lines-{i}-indicator", code), (f"lines-{i}-weight", weight)]
        form += [(f"lines-{i}-target", target)]
    return form


FINANCE = [
    ("COM-DE", "6", ""), ("COM-NENG", "6", ""), ("COM-QIN", "6", ""), ("COM-JI", "6", ""),
    ("COM-LIAN", "6", ""), ("FIN-ERR", "25", "0.4"), ("FIN-COST", "10", ""),
    ("FIN-BUDGET", "15", ""), ("FIN-PAY", "20", ""),
]  # fmt: skip


def test_edit_a_template(admin):
    found = template("finance")
    url = f"/admin/templates/{found.id}"
    assert "财务部门" in admin.get("/admin/templates?year=2026").get_data(True)
    page = admin.get(url).get_data(True)
    assert 'value="FIN-ERR" selected' in page
    # blank rows in between are skipped
    form = _lines_form([*FINANCE[:5], ("", "", ""), *FINANCE[5:]], "财务部门（2026）")
    response = post(admin, url, form)
    assert response.status_code == 302
    found = template("finance")
    assert found.name == "财务部门（2026）"
    assert [(ln.indicator.code, ln.weight) for ln in found.lines][-4:] == [
        ("FIN-ERR", Decimal(25)), ("FIN-COST", Decimal(10)), ("FIN-BUDGET", Decimal(15)),
        ("FIN-PAY", Decimal(20)),
    ]  # fmt: skip
    assert found.lines[5].target == Decimal("0.4")


def test_bad_template_lines_are_shown_beside_their_row_and_write_nothing(admin):
    found = template("finance")
    url = f"/admin/templates/{found.id}"
    before = [(ln.indicator_id, ln.weight) for ln in found.lines], count(AuditEvent)
    # row 6 left blank; row 7 has a bad weight: its error lands on row 7, not on row 6
    lines = [*FINANCE[:5], ("", "", ""), ("FIN-ERR", "abc", ""), *FINANCE[6:]]
    body = post(admin, url, _lines_form(lines, "x")).get_data(True)
    assert error_beside(body, "lines.6.weight") == "请输入有效的数字"
    assert invalid(body, "lines-6-weight") and not invalid(body, "lines-5-weight")

    response = post(admin, url, _lines_form([*FINANCE[:-1], ("FIN-PAY", "25", "")], "x"))
    assert response.status_code == 422
    assert "当前为 105" in error_beside(response.get_data(True), "weight_total")

    body = post(admin, url, _lines_form([("NOPE", "100", "")], "x")).get_data(True)
    assert "NOPE" in error_beside(body, "lines.0.indicator")
    body = post(admin, url, _lines_form(FINANCE, "")).get_data(True)
    assert error_beside(body, "name") == "此项必填"
    response = post(admin, url, _lines_form([("HR-HIRE", "100", "")], "x"))  # not for finance
    assert response.status_code == 422 and error_beside(response.get_data(True), "lines")
    found = template("finance")
    assert ([(ln.indicator_id, ln.weight) for ln in found.lines], count(AuditEvent)) == before


def test_more_rows_saves_nothing(admin):
    found = template("finance")
    form = [*_lines_form(FINANCE[:2], "x"), ("action", "more")]
    response = post(admin, f"/admin/templates/{found.id}", form)
    assert response.status_code == 200
    assert 'id="lines-4-indicator"' in response.get_data(True)  # 2 rows + 3 blank
    assert template("finance").name == "财务部门"


def test_bulk_assign_keeps_adjusted_plans_unless_overwritten(admin):
    found = template("finance")
    url = f"/admin/templates/{found.id}/assign"
    page = admin.get(url).get_data(True)
    ys, kj, gk = dept("CZ-YS").id, dept("CZ-KJ").id, dept("CZ-GK").id
    assert f'value="{ys}" checked' in page and f'value="{dept("RS-RS").id}" checked' not in page
    response = post(admin, url, [("department_ids", str(ys)), ("department_ids", str(kj))])
    assert response.status_code == 302
    assert {p.department_id for p in db.session.scalars(select(DepartmentPlan))} == {ys, kj}

    adjust = _lines_form(FINANCE)
    assert post(admin, f"/admin/plans/2026/{ys}", adjust).status_code == 302
    assert plans.plan(2026, ys).adjusted is True
    response = post(admin, url, [("department_ids", str(ys)), ("department_ids", str(gk))])
    assert "1 个科室的方案经过手工调整，已保留" in admin.get(response.headers["Location"]).get_data(
        True
    )
    db.session.expire_all()
    assert plans.plan(2026, ys).adjusted is True and plans.plan(2026, gk) is not None
    post(admin, url, [("department_ids", str(ys)), ("overwrite", "yes")])
    db.session.expire_all()
    assert plans.plan(2026, ys).adjusted is False


def test_bad_assignments_write_nothing(admin):
    found = template("finance")
    url = f"/admin/templates/{found.id}/assign"
    hr = dept("RS-RS").id
    for form, path in (
        ([], "department_ids"),
        ([("department_ids", "abc")], "department_ids"),
        ([("department_ids", "99999")], "department_ids"),
        ([("department_ids", str(hr))], f"department_ids.{hr}"),  # a finance template for HR
    ):
        response = post(admin, url, form)
        assert response.status_code == 422, form
        assert error_beside(response.get_data(True), path), (form, response.get_data(True)[:200])
    assert count(DepartmentPlan) == 0


def test_adjust_a_department_plan(admin):
    ys = dept("CZ-YS")
    assert "预算科" in admin.get("/admin/plans/2026").get_data(True)
    assert "尚无方案" in admin.get("/admin/plans/2026").get_data(True)
    response = post(admin, f"/admin/plans/2026/{ys.id}", _lines_form(FINANCE))
    assert response.status_code == 302
    plan = plans.plan(2026, ys.id)
    assert plan.adjusted and [ln.indicator.code for ln in plan.lines][-1] == "FIN-PAY"
    assert "手工调整" in admin.get("/admin/plans/2026").get_data(True)
    bad = post(admin, f"/admin/plans/2026/{ys.id}", _lines_form([("COM-DE", "100", "")]))
    assert bad.status_code == 422
    assert error_beside(bad.get_data(True), "lines")  # common share above 40
    db.session.expire_all()
    assert len(plans.plan(2026, ys.id).lines) == 9


# --- who may use the pages -------------------------------------------------------------------


def _urls():
    found = template("finance")
    row = indicator("FIN-ERR")
    ys = dept("CZ-YS").id
    gets = [
        "/admin/indicators?year=2026", NEW, f"/admin/indicators/{row.id}",
        "/admin/indicator-years/2026/review", "/admin/templates", f"/admin/templates/{found.id}",
        f"/admin/templates/{found.id}/assign", "/admin/plans/2026", f"/admin/plans/2026/{ys}",
    ]  # fmt: skip
    posts = [
        NEW, f"/admin/indicators/{row.id}", f"/admin/indicators/{row.id}/retire",
        f"/admin/indicators/{row.id}/restore", "/admin/indicator-years/2026/roll-over",
        f"/admin/templates/{found.id}", f"/admin/templates/{found.id}/assign",
        f"/admin/plans/2026/{ys}",
    ]  # fmt: skip
    return gets, posts


def test_others_get_403_and_nothing_changes(client, login_as):
    assert login_as("head_fin").status_code == 302
    gets, posts = _urls()
    for url in gets:
        assert client.get(url).status_code == 403, url
    before = count(AuditEvent), count(Indicator), count(DepartmentPlan)
    for url in posts:
        assert post(client, url, QUANTITATIVE, "/account").status_code == 403, url
    assert (count(AuditEvent), count(Indicator), count(DepartmentPlan)) == before
    assert "/admin/indicators" not in client.get("/").get_data(True)


def test_anonymous_is_sent_to_sign_in(client, org):
    gets, _posts = _urls()
    for url in gets:
        response = client.get(url)
        assert response.status_code == 302 and "/login?next=" in response.headers["Location"]


def test_posts_without_the_csrf_token_are_refused(admin):
    _, posts = _urls()
    for url in posts:
        assert admin.post(url, data=QUANTITATIVE).status_code == 400, url
    assert (
        indicator("FIN-ERR").retired is False and count(Indicator, Indicator.code == "DYN-GOV") == 0
    )


def test_unknown_ids_are_404(admin):
    for url in (
        "/admin/indicators/999999", "/admin/indicators/0", "/admin/templates/999999",
        "/admin/templates/999999/assign", "/admin/plans/2026/999999", "/admin/plans/1999",
        "/admin/plans/2026/99999999999", "/admin/indicator-years/2026/review/x",
    ):  # fmt: skip
        assert admin.get(url).status_code == 404, url
    assert post(admin, "/admin/indicators/999999/retire", {}, "/account").status_code == 404


def test_the_centre_sees_the_links(admin):
    body = admin.get("/").get_data(True)
    assert 'href="/admin/indicators"' in body and 'href="/admin/campaigns/settings"' in body
    english = admin.get("/admin/indicators?year=2026&lang=en").get_data(True)
    assert "Indicator library" in english
