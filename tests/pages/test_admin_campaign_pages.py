"""The centre's campaign pages: the settings form over the settings document, and the results
page with calibration (and its quota approval), grade overrides, the log and the outcomes."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, CalibrationEntry, Campaign, DepartmentResult
from app.rules.campaign_settings import DEFAULTS
from app.services import campaigns, results
from app.services.transactions import unit_of_work
from tests.conftest import person
from tests.pages.admin_helpers import count, dept, error_beside, invalid, post

SETTINGS = "/admin/campaigns/2026/settings"
APPROVAL = {"approved_by": "市绩效考核委员会", "approval_ref": "纪要5号"}
RESULTS = "/admin/campaigns/2026/results"
SCORES = {"XF-JD": "95", "DC-DC": "93", "CZ-YS": "92", "RS-RS": "91", "CZ-KJ": "85", "XF-BX": "55"}


@pytest.fixture
def admin(client, login_as):
    assert login_as("admin").status_code == 302
    return client


@pytest.fixture
def scored(org):
    """Campaign 2026 with six results: quota 1 (6 x 20 %, floor)."""
    unit_of_work(lambda: campaigns.get_or_create(2026))
    for code, score in SCORES.items():
        unit_of_work(
            lambda c=code, s=score: results.record_result(person("admin"), 2026, dept(c).id, s)
        )


def stored(year: int = 2026) -> dict | None:
    db.session.expire_all()
    campaign = db.session.scalars(select(Campaign).where(Campaign.year == year)).first()
    return None if campaign is None else campaign.settings


def form_of(document) -> dict:
    """The settings form as the page fills it in from a document."""
    form = {}
    for section, values in document.items():
        if isinstance(values, dict):
            for key, value in values.items():
                if isinstance(value, dict):
                    form.update({f"{section}.{key}.{k}": str(v) for k, v in value.items()})
                elif isinstance(value, bool):
                    if value:
                        form[f"{section}.{key}"] = "yes"
                elif value is not None:
                    form[f"{section}.{key}"] = str(value)
        elif values is True:
            form[section] = "yes"
    return form


def test_the_settings_form_shows_the_defaults_and_saves_the_whole_document(admin):
    page = admin.get(SETTINGS).get_data(True)
    assert 'name="rater_weights.leader" type="text" value="40"' in page
    assert 'id="quarterly_rule" name="quarterly_rule" value="yes" checked' in page
    form = form_of(DEFAULTS)
    form.update({
        "rater_weights.leader": "50", "rater_weights.peer": "25",
        "rater_weights.service_recipient": "25", "quota.share": "15",
        "quota.rounding": "ceiling", "appeal.window_days": "10",
        "outcomes.bottom_share": "10", "outcomes.bonus_percent.excellent": "20",
    })  # fmt: skip
    form.pop("quarterly_rule")  # unticked
    form.pop("ballots.void_if_all_same")
    response = post(admin, SETTINGS, form)
    assert response.status_code == 302, response.get_data(True)[:2000]
    saved = stored()
    assert saved["rater_weights"] == {"leader": "50", "peer": "25", "service_recipient": "25"}
    assert saved["quota"] == {"share": "15", "rounding": "ceiling", "approval": None}
    assert saved["quarterly_rule"] is False and saved["ballots"]["void_if_all_same"] is False
    assert saved["appeal"] == {"window_days": 10, "decision_days": 7}
    assert saved["outcomes"]["bottom_share"] == "10"
    assert saved["outcomes"]["bonus_percent"]["excellent"] == "20"
    assert campaigns.read_settings(person("admin"), 2026) == saved
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "campaign.settings")
    ).one()
    assert event.detail["after"] == saved
    page = admin.get(SETTINGS).get_data(True)
    assert "2026 年度考核设置已保存" in page and 'value="50"' in page
    assert 'id="quarterly_rule" name="quarterly_rule" value="yes">' in page  # not checked


@pytest.mark.parametrize(
    ("change", "paths"),
    [
        ({"rater_weights.leader": "41"}, {"rater_weights"}),
        ({"rater_weights.leader": "abc"}, {"rater_weights.leader"}),
        ({"composition.indicators": "9" * 200}, {"composition.indicators"}),
        ({"composition.indicators": ""}, {"composition.indicators"}),
        ({"quota.share": "25"}, {"quota.share"}),
        ({"quota.rounding": "sideways"}, {"quota.rounding"}),
        ({"appeal.window_days": "31", "appeal.decision_days": "2.5"},
         {"appeal.window_days", "appeal.decision_days"}),
        ({"ballots.trim_above": "99999999999999999999"}, {"ballots.trim_above"}),
        ({"outcomes.bonus_percent.excellent": "25"}, {"outcomes.bonus_percent.excellent"}),
        ({"grade_table.decision": "no_such_table"}, {"grade_table.decision"}),
        ({"grade_table.version": "99"}, {"grade_table.version"}),
    ],
)  # fmt: skip
def test_bad_settings_are_shown_beside_each_field_and_write_nothing(admin, change, paths):
    before = stored(), count(AuditEvent)
    response = post(admin, SETTINGS, {**form_of(DEFAULTS), **change})
    assert response.status_code == 422
    body = response.get_data(True)
    for path in paths:
        assert error_beside(body, path), (path, body[:3000])
    for path, value in change.items():
        if path != "quota.rounding":  # a select: only its options are shown
            assert f'value="{value[:100]}"' in body  # the form comes back as filled in
    assert (stored(), count(AuditEvent)) == before


def test_a_missing_field_is_an_error_not_a_default(admin):
    form = form_of(DEFAULTS)
    del form["appeal.window_days"]
    body = post(admin, SETTINGS, form).get_data(True)
    assert error_beside(body, "appeal.window_days") == "须为整数。"
    assert invalid(body, "appeal-window_days")
    assert stored() is None


# --- results ---------------------------------------------------------------------------------


def grades() -> dict[str, str]:
    db.session.expire_all()
    return {r.department.code: r.grade for r in db.session.scalars(select(DepartmentResult))}


def test_the_results_are_ranked_and_calibration_applies_the_quota(admin, scored):
    body = admin.get(RESULTS).get_data(True)
    assert body.index("来访接待科") < body.index("办信科")
    assert "请先校准" in body
    assert list(grades().values()).count("excellent") > 1
    response = post(admin, "/admin/campaigns/2026/calibrate", {}, RESULTS)
    assert response.status_code == 302
    after = grades()
    assert after["XF-JD"] == "excellent" and list(after.values()).count("excellent") == 1
    assert count(CalibrationEntry) >= 1
    page = admin.get(RESULTS).get_data(True)
    assert "已校准：参评 6 个科室，优秀名额 1 个" in page
    assert "自动校准" in page  # the log
    assert 'id="outcomes-note"' not in page and "奖金系数" in page
    outcome_row = page[page.index('class="admin-table outcomes"') :]
    assert "1.15" in outcome_row  # the 优秀 bonus coefficient


def test_the_calibration_log_states_its_reasons_in_the_readers_language(admin, scored):
    """The automatic reasons are kept as kinds and values; a person's own words (an override)
    show as written in either language."""
    post(admin, "/admin/campaigns/2026/calibrate", {}, RESULTS)
    db.session.expire_all()
    entry = db.session.scalars(
        select(CalibrationEntry).where(CalibrationEntry.department_id == dept("DC-DC").id)
    ).one()
    assert entry.reason == "超出优秀名额（名额 1 个，排名第 2）"  # the record stays Chinese
    assert entry.reason_parts == [{"kind": "over_quota", "params": {"quota": 1, "place": 2}}]
    kj = dept("CZ-KJ").id
    grade = {"grade": "basically_competent", "reason": "核查发现台账造假", **APPROVAL}
    assert (
        post(admin, f"/admin/campaigns/2026/results/{kj}/grade", grade, RESULTS).status_code == 302
    )
    chinese = admin.get(RESULTS).get_data(True)
    english = admin.get(RESULTS, query_string={"lang": "en"}).get_data(True)
    assert "超出优秀名额（名额 1 个，排名第 2）" in chinese
    assert "Beyond the Excellent quota (1 places; ranked 2)" in english
    assert "超出优秀名额" not in english
    assert "核查发现台账造假" in chinese and "核查发现台账造假" in english


def test_calibrate_with_an_approved_higher_share(admin, scored):
    form = {"approval.share": "25", "approval.approved_by": "市考核委员会",
            "approval.reason": "重点任务突出"}  # fmt: skip
    assert post(admin, "/admin/campaigns/2026/calibrate", form, RESULTS).status_code == 302
    approval = stored()["quota"]["approval"]
    assert approval == {"share": "25", "approved_by": "市考核委员会", "reason": "重点任务突出"}
    assert list(grades().values()).count("excellent") == 1  # 6 x 25 % floors to 1


@pytest.mark.parametrize(
    ("form", "path"),
    [
        ({"approval.share": "30", "approval.approved_by": "x", "approval.reason": "y"},
         "approval.share"),
        ({"approval.share": "abc", "approval.approved_by": "x", "approval.reason": "y"},
         "approval.share"),
        ({"approval.share": "22", "approval.reason": "y"}, "approval.approved_by"),
        ({"approval.share": "22", "approval.approved_by": "x", "approval.reason": "y" * 300},
         "approval.reason"),
    ],
)  # fmt: skip
def test_a_bad_approval_is_shown_beside_its_field_and_nothing_changes(admin, scored, form, path):
    before = grades(), stored(), count(CalibrationEntry), count(AuditEvent)
    response = post(admin, "/admin/campaigns/2026/calibrate", form, RESULTS)
    assert response.status_code == 422
    assert error_beside(response.get_data(True), path)
    assert (grades(), stored(), count(CalibrationEntry), count(AuditEvent)) == before


def test_calibrating_without_results_is_a_conflict(admin, org):
    unit_of_work(lambda: campaigns.get_or_create(2026))
    response = post(admin, "/admin/campaigns/2026/calibrate", {}, RESULTS)
    assert response.status_code == 409
    assert error_beside(response.get_data(True), "calibrate")


def test_override_a_grade_with_a_reason(admin, scored):
    post(admin, "/admin/campaigns/2026/calibrate", {}, RESULTS)
    kj = dept("CZ-KJ").id
    url = f"/admin/campaigns/2026/results/{kj}/grade"
    before = count(CalibrationEntry)
    response = post(admin, url, {"grade": "basically_competent", "reason": "督查发现问题"}, RESULTS)
    assert response.status_code == 422  # 称职 by its band: an approval is needed
    assert "须填写绩效管理中心的批准" in error_beside(
        response.get_data(True), f"override.{kj}.approved_by"
    )
    assert grades()["CZ-KJ"] == "competent"
    response = post(
        admin, url, {"grade": "basically_competent", "reason": "督查发现问题", **APPROVAL}, RESULTS
    )
    assert response.status_code == 302
    assert grades()["CZ-KJ"] == "basically_competent"
    entry = db.session.scalars(
        select(CalibrationEntry).order_by(CalibrationEntry.id.desc())
    ).first()
    assert (entry.automatic, entry.reason, entry.department_id) == (False, "督查发现问题", kj)
    assert count(CalibrationEntry) == before + 1
    page = admin.get(RESULTS).get_data(True)
    assert "经批准调整（市绩效考核委员会，纪要5号）" in page and "经批准</span>" in page
    assert (entry.approved_by, entry.approval_ref) == ("市绩效考核委员会", "纪要5号")


def test_bad_overrides_are_shown_in_their_row_and_change_nothing(admin, scored):
    post(admin, "/admin/campaigns/2026/calibrate", {}, RESULTS)
    kj = dept("CZ-KJ").id
    url = f"/admin/campaigns/2026/results/{kj}/grade"
    before = grades(), count(CalibrationEntry)
    body = post(admin, url, {"grade": "incompetent", "reason": ""}, RESULTS).get_data(True)
    assert error_beside(body, f"override.{kj}.reason") == "此项必填"
    assert invalid(body, f"override-{kj}-reason")
    response = post(admin, url, {"grade": "superb", "reason": "x"}, RESULTS)
    assert response.status_code == 422
    assert error_beside(response.get_data(True), f"override.{kj}.grade")
    response = post(admin, url, {"grade": "excellent", "reason": "表现突出"}, RESULTS)
    assert response.status_code == 409  # the quota of 1 is used
    assert "优秀名额（1 个）已用完" in error_beside(response.get_data(True), f"override.{kj}.grade")
    response = post(admin, url, {"grade": "incompetent", "reason": "x" * 501}, RESULTS)
    assert response.status_code == 422
    assert (grades(), count(CalibrationEntry)) == before


# --- who may use the pages -------------------------------------------------------------------


def _posts():
    ys = dept("CZ-YS").id
    return [
        SETTINGS,
        "/admin/campaigns/2026/calibrate",
        f"/admin/campaigns/2026/results/{ys}/grade",
    ]


def test_others_get_403(client, login_as, scored):
    assert login_as("leader_li").status_code == 302
    for url in (
        SETTINGS,
        RESULTS,
        "/admin/campaigns/settings",
        "/admin/campaigns/results",
        "/admin/reserve-pool",
    ):
        assert client.get(url).status_code == 403, url
    before = grades(), stored(), count(CalibrationEntry)
    for url in _posts():
        data = {**form_of(DEFAULTS), "grade": "excellent", "reason": "x"}
        assert post(client, url, data, "/account").status_code == 403, url
    assert (grades(), stored(), count(CalibrationEntry)) == before


def test_anonymous_is_sent_to_sign_in(client, scored):
    for url in (SETTINGS, RESULTS):
        response = client.get(url)
        assert response.status_code == 302 and "/login?next=" in response.headers["Location"]


def test_posts_without_the_csrf_token_are_refused(admin, scored):
    before = grades(), stored(), count(CalibrationEntry)
    for url in _posts():
        assert admin.post(url, data={"grade": "excellent", "reason": "x"}).status_code == 400
    assert (grades(), stored(), count(CalibrationEntry)) == before


def test_unknown_years_and_departments_are_404(admin, scored):
    for url in ("/admin/campaigns/1999/settings", "/admin/campaigns/2101/settings",
                "/admin/campaigns/2031/results", "/admin/campaigns/abc/results"):  # fmt: skip
        assert admin.get(url).status_code == 404, url
    assert post(admin, "/admin/campaigns/2031/calibrate", {}, RESULTS).status_code == 404
    form = {"grade": "competent", "reason": "x"}
    assert (
        post(admin, "/admin/campaigns/2026/results/999999/grade", form, RESULTS).status_code == 404
    )


def test_the_navigation_leads_to_this_years_pages(admin, scored):
    assert admin.get("/admin/campaigns/settings").headers["Location"].endswith(SETTINGS)
    assert admin.get("/admin/campaigns/results").headers["Location"].endswith(RESULTS)


def test_in_january_the_results_link_leads_to_last_years_campaign(admin, scored, clock):
    """Before this year's campaign exists, last year's is the current one (appeals run on);
    once it exists, this year's."""
    clock.set(clock.now().replace(year=2027, month=1, day=20))
    assert admin.get("/admin/campaigns/results").headers["Location"].endswith(RESULTS)
    unit_of_work(lambda: campaigns.get_or_create(2027))
    location = admin.get("/admin/campaigns/results").headers["Location"]
    assert location.endswith("/admin/campaigns/2027/results")


def test_the_pages_speak_english_too(admin, scored):
    settings = admin.get(SETTINGS, query_string={"lang": "en"}).get_data(True)
    assert "Campaign settings 2026" in settings and "Rater weights (%)" in settings
    english = f"{SETTINGS}?lang=en"
    body = post(admin, english, {**form_of(DEFAULTS), "quota.share": "abc"}).get_data(True)
    assert "The form has errors" in body
    assert "Must be a number." in body and "须为数字" not in body  # the rule's own message
    results_page = admin.get(RESULTS, query_string={"lang": "en"}).get_data(True)
    assert "Results 2026" in results_page and "Calibration log" in results_page


def test_the_composition_is_a_setting_shown_on_the_results_page_and_the_scorecard(admin, org):
    """The seed fixes 40/30/30 inside the evaluation; how indicators and evaluation make the
    final score is the centre's setting, stated where the results are read."""
    unit_of_work(
        lambda: campaigns.update_settings(
            person("admin"), 2026, {"composition": {"indicators": 60, "evaluation": 40}}
        )
    )
    row = unit_of_work(
        lambda: results.record_result(person("admin"), 2026, dept("CZ-YS").id, "90", "80")
    )
    assert row.final_score == 86  # 90 x 60 % + 80 x 40 %
    page = admin.get(RESULTS).get_data(True)
    assert "总分构成：指标得分 60% + 综合评价 40%（综合评价中分管领导 40%" in page
    card = admin.get(f"/departments/{dept('CZ-YS').id}/scorecard/2026").get_data(True)
    assert "总分构成" in card and "指标得分 60% + 综合评价 40%" in card
    english = admin.get(RESULTS, query_string={"lang": "en"}).get_data(True)
    assert "Final score: indicators 60% + evaluation 40%" in english
