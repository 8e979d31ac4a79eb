"""The grade table in dmn-js, in a real browser: the centre admin opens it from the navigation,
raises the 优秀 threshold from 90 to 92 (and the 称职 band's top with it), sees the trial change
before saving, saves it as version 2 and sees the trial follow; then an overlapping edit is
refused with the problem beside the table, its row tinted, and nothing stored; the old version
opens read-only and is saved again as the newest. Screenshots go to test-artifacts/."""

from __future__ import annotations

import re

import sqlalchemy as sa

from app.extensions import db
from app.models import ProcessDefinition
from tests.browser.conftest import ARTIFACTS, sign_in

TINT = "rgb(253, 226, 226)"  # #fde2e2, the problem rows' background


def versions() -> list[int]:
    db.session.rollback()  # see what the server's requests committed
    return list(
        db.session.scalars(
            sa.select(ProcessDefinition.version)
            .where(ProcessDefinition.process_key == "grade_bands")
            .order_by(ProcessDefinition.version)
        )
    )


def input_cell(page, rule: str):
    return page.locator(f'td[data-row-id="{rule}"][data-col-id="input_score"]')


def set_cell(page, rule: str, text: str) -> None:
    """Click the cell (dmn-js opens its FEEL editor there), replace its text, leave it."""
    cell = input_cell(page, rule)
    cell.click()
    editor = cell.locator(".cm-content")
    editor.press("Control+a")
    editor.press_sequentially(text)
    page.locator("h1").click()
    assert cell.inner_text().strip() == text


def trial_row(page, score: str) -> list[str]:
    row = page.locator("#dmn-preview-table tbody tr").filter(
        has=page.locator("td.num", has_text=re.compile(rf"^{re.escape(score)}$"))
    )
    return [c.strip() for c in row.locator("td").all_inner_texts()]


def test_the_admin_edits_saves_and_is_refused_an_overlap(browser_page, live_server):
    page, problems = browser_page
    base = live_server
    sign_in(page, base, "centre_liu")

    page.get_by_role("link", name="等次规则").click()
    page.wait_for_url(f"{base}/admin/decision-tables")
    page.screenshot(path=str(ARTIFACTS / "decision-tables-list.png"))
    page.get_by_role("link", name="年度考核等次表").click()
    page.wait_for_url(f"{base}/admin/decision-tables/grade_bands")
    page.wait_for_selector("#dmn-editor[data-ready=true]")
    assert input_cell(page, "rule_excellent").inner_text().strip() == ">= 90"
    page.wait_for_selector("#dmn-preview-table tbody tr")
    assert trial_row(page, "90") == ["90", "优秀", "优秀"]

    set_cell(page, "rule_excellent", ">= 92")
    set_cell(page, "rule_competent", "70 <= ? < 92")
    # the trial follows the edit before it is saved: 90 is 称职 now, 优秀 in the stored table
    page.locator(
        "#dmn-preview-table tbody tr"
        ":has(td:nth-child(1):text-is('90')):has(td:nth-child(2):text-matches('^称职'))"
    ).wait_for()
    assert trial_row(page, "90") == ["90", "称职 有变化", "优秀"]
    assert page.locator("#dmn-problems-panel").is_hidden()
    page.screenshot(path=str(ARTIFACTS / "decision-table-edited.png"), full_page=True)

    page.get_by_role("button", name="保存为新版本").click()
    page.wait_for_selector("text=已保存为第 2 版。")
    assert versions() == [1, 2]
    assert re.search(r"第 2 版", page.locator("h1").inner_text())
    page.wait_for_selector("#dmn-editor[data-ready=true]")
    assert input_cell(page, "rule_excellent").inner_text().strip() == ">= 92"
    page.wait_for_selector("#dmn-preview-table tbody tr")
    assert trial_row(page, "91.99") == ["91.99", "称职", "称职"]
    assert trial_row(page, "92") == ["92", "优秀", "优秀"]
    assert page.locator("#dmn-versions li").count() == 2
    page.screenshot(path=str(ARTIFACTS / "decision-table-saved.png"), full_page=True)

    # an overlapping edit: 85 to 91.99 would be both 优秀 and 称职
    set_cell(page, "rule_excellent", ">= 85")
    page.get_by_role("button", name="保存为新版本").click()
    page.wait_for_selector("#dmn-problems >> text=决策表有问题，未保存：")
    problem = page.locator("#dmn-problems li.problem").first
    assert problem.inner_text().startswith("第 1 行：得分 85, 85.01, 91.99 同时落在多行")
    assert (
        input_cell(page, "rule_excellent").evaluate("td => getComputedStyle(td).backgroundColor")
        == TINT
    )
    assert (
        input_cell(page, "rule_basically_competent").evaluate(
            "td => getComputedStyle(td).backgroundColor"
        )
        != TINT
    )
    assert versions() == [1, 2]
    page.screenshot(path=str(ARTIFACTS / "decision-table-refused.png"), full_page=True)
    # The only console entry is Chromium's own log of the refused save's 422 response, which
    # the page handles; no script error.
    assert len(problems) == 1 and "status of 422" in problems[0], problems
    problems.clear()

    # the first version opens read-only
    page.get_by_role("link", name="第 1 版").click()
    page.wait_for_url(f"{base}/admin/decision-tables/grade_bands/versions/1")
    page.wait_for_selector("#dmn-editor[data-ready=true]")
    assert page.locator("#read-only-note").is_visible()
    assert page.get_by_role("button", name="保存为新版本").count() == 0
    assert input_cell(page, "rule_excellent").inner_text().strip() == ">= 90"
    assert page.locator("#dmn-editor [contenteditable=true]").count() == 0
    page.wait_for_selector("#dmn-preview-table tbody tr")
    assert trial_row(page, "90") == ["90", "优秀 有变化", "称职"]
    page.screenshot(path=str(ARTIFACTS / "decision-table-version-1.png"), full_page=True)

    # and can be saved again as the newest (a roll-back): version 3, the 90 threshold back
    page.get_by_role("button", name="以此版本另存为新版本").click()
    page.wait_for_selector("text=已保存为第 3 版。")
    page.wait_for_url(f"{base}/admin/decision-tables/grade_bands")
    assert versions() == [1, 2, 3]
    page.wait_for_selector("#dmn-editor[data-ready=true]")
    assert input_cell(page, "rule_excellent").inner_text().strip() == ">= 90"
    assert problems == []
