"""The inbox in a real browser: a department head claims the draft from 组内任务, opens it,
submits weights that do not add up to 100, corrects them beside the field, completes it, and
the task leaves the inbox."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import HumanTask
from tests.browser.conftest import ARTIFACTS, CHROMIUM, sign_in
from tests.browser.test_target_setting_browser import fill_line
from tests.conftest import VALID_LETTER, person, start_instance
from tests.pages.test_inbox_pages import grant

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium")


def shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"inbox_{name}.png"), full_page=True)


def test_head_claims_from_the_group_tab_and_completes_the_draft(app, live_server, browser_page):
    page, problems = browser_page
    base = live_server
    start_instance()
    grant("staff_ys2")  # a colleague who may draft the same letter

    sign_in(page, base, "head_fin")
    group_tab = page.get_by_role("link", name="组内任务")
    assert group_tab.get_attribute("aria-current") == "page"  # nothing of mine yet
    assert page.locator("#count-mine").inner_text() == "0"
    assert page.locator("#count-group").inner_text() == "1"
    assert page.locator("tr.is-overdue").count() == 0
    assert page.locator("table.tasks time").nth(1).inner_text() == "2026-01-15 09:00"
    shot(page, "01_group_tab")

    page.get_by_role("button", name="认领：起草绩效责任书").click()
    page.wait_for_load_state()
    assert "已认领：起草绩效责任书" in page.locator(".flashes").inner_text()
    assert page.locator("#count-mine").inner_text() == "1"
    assert page.locator("#count-group").inner_text() == "0"
    page.get_by_role("link", name="我的任务").click()
    page.wait_for_url(f"{base}/?tab=mine*")
    assert page.get_by_role("link", name="我的任务").get_attribute("aria-current") == "page"
    assert page.get_by_role("button", name="退回组内：起草绩效责任书").is_visible()
    shot(page, "02_mine_tab")
    db.session.rollback()
    draft = db.session.scalars(select(HumanTask).where(HumanTask.status == "ready")).one()
    assert draft.assignee_id == person("head_fin").id

    page.get_by_role("link", name="起草绩效责任书").click()
    page.wait_for_url(f"{base}/tasks/{draft.id}")
    lines = VALID_LETTER["lines"]
    fill_line(page, 0, lines[0], "20")
    for index, line in enumerate(lines[1:], start=1):
        page.get_by_role("button", name="添加指标").click()
        fill_line(page, index, line, "30" if index == 3 else line["weight"])
    before = len(problems)
    page.get_by_role("button", name="提交审核").click()
    page.wait_for_load_state()
    # the refused form comes back as 422, which Chromium logs as a failed resource: expected
    expected = [p for p in problems[before:] if "status of 422" in p]
    assert len(expected) == 1, problems
    problems.remove(expected[0])
    error = page.locator("#weight_total-error")
    assert error.inner_text() == "权重合计必须恰好为 100，当前为 95"
    assert page.locator("#lines-3-weight").input_value() == "30"
    shot(page, "03_weight_error")

    page.locator("#lines-3-weight").fill("35")
    assert page.locator("#weight-sum").inner_text() == "100"
    page.get_by_role("button", name="提交审核").click()
    page.wait_for_url(f"{base}/")
    assert "已办理：起草绩效责任书" in page.locator(".flashes").inner_text()
    assert page.locator("#count-mine").inner_text() == "0"
    assert page.locator("#count-group").inner_text() == "0"
    assert page.locator("tr[data-task-id]").count() == 0
    assert "目前没有待办任务" in page.locator("#main").inner_text()
    shot(page, "04_inbox_empty")

    db.session.rollback()
    assert db.session.get(HumanTask, draft.id).status == "completed"
    assert problems == []
