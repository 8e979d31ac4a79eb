"""Target setting in a real browser: the head drafts the letter (live weight sum, server
error beside the field), corrects and submits it; the supervising leader approves it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import HumanTask, ResponsibilityLetter
from tests.browser.conftest import ARTIFACTS, CHROMIUM, sign_in, sign_out
from tests.conftest import VALID_LETTER, start_instance

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium")


def fill_line(page, index: int, line: dict, weight: str) -> None:
    if line.get("indicator"):  # a library indicator fills the rest and makes it read-only
        page.locator(f"#lines-{index}-indicator").select_option(line["indicator"])
        assert page.locator(f"#lines-{index}-name").input_value() == line["name"]
        assert page.locator(f"#lines-{index}-name").get_attribute("readonly") is not None
        page.locator(f"#lines-{index}-weight").fill(weight)
        return
    page.locator(f"#lines-{index}-name").fill(line["name"])
    page.locator(f"#lines-{index}-kind").select_option(line["kind"])
    page.locator(f"#lines-{index}-direction").select_option(line["direction"])
    page.locator(f"#lines-{index}-target").fill(line["target"])
    page.locator(f"#lines-{index}-unit").fill(line["unit"])
    page.locator(f"#lines-{index}-weight").fill(weight)


def shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"target_setting_{name}.png"), full_page=True)


def test_head_drafts_and_leader_approves(app, live_server, browser_page):
    page, problems = browser_page
    base = live_server
    start_instance()

    sign_in(page, base, "head_fin")
    shot(page, "01_inbox_head")
    page.get_by_role("link", name="起草绩效责任书").click()
    page.wait_for_url(f"{base}/tasks/*")
    assert page.get_by_role("heading", name="起草绩效责任书").is_visible()

    lines = VALID_LETTER["lines"]
    fill_line(page, 0, lines[0], "20")
    for index, line in enumerate(lines[1:], start=1):
        page.get_by_role("button", name="添加指标").click()
        fill_line(page, index, line, "30" if index == 3 else line["weight"])
    # a row added by mistake and removed again
    page.get_by_role("button", name="添加指标").click()
    page.get_by_role("button", name="删除第 5 项指标").click()
    assert page.locator("tr.line").count() == 4

    # the live sum: 20 + 10 + 35 + 30 = 95, flagged before the form is sent
    assert page.locator("#weight-sum").inner_text() == "95"
    warning = page.locator("#weight-warning")
    assert warning.is_visible() and "95" in warning.inner_text()
    shot(page, "02_live_sum_warning")

    before = len(problems)
    page.get_by_role("button", name="提交审核").click()
    page.wait_for_load_state()
    # the refused form comes back as 422, which Chromium logs as a failed resource: expected
    expected = [p for p in problems[before:] if "status of 422" in p]
    assert len(expected) == 1, problems
    problems.remove(expected[0])
    server_error = page.locator("#weight_total-error")
    assert server_error.inner_text() == "权重合计必须恰好为 100，当前为 95"
    assert page.locator("#lines-3-weight").input_value() == "30"  # input kept
    shot(page, "03_server_error")

    # fractional weights that a float sum would get wrong: 0.1 + 0.2 in hundredths
    page.locator("#lines-3-weight").fill("34.9")
    page.locator("#lines-2-weight").fill("35.1")
    assert page.locator("#weight-sum").inner_text() == "100"
    assert page.locator("#weight-warning").is_hidden()
    assert server_error.is_hidden()
    page.get_by_role("button", name="提交审核").click()
    page.wait_for_url(f"{base}/")
    assert "已办理：起草绩效责任书" in page.locator(".flashes").inner_text()
    shot(page, "04_submitted")
    sign_out(page, base)

    sign_in(page, base, "leader_li")
    page.get_by_role("link", name="分管领导审核责任书").click()
    page.wait_for_url(f"{base}/tasks/*")
    assert page.locator(".letter-total").inner_text() == "100"
    page.get_by_label("通过").check()
    shot(page, "05_review")
    page.get_by_role("button", name="提交审核结论").click()
    page.wait_for_url(f"{base}/")
    shot(page, "06_approved")
    assert page.get_by_role("link", name="分管领导签署").is_visible()

    db.session.rollback()
    letter = db.session.scalars(select(ResponsibilityLetter)).one()
    assert letter.status == "approved"
    assert [f"{line.weight:f}" for line in letter.lines] == ["20.00", "10.00", "35.10", "34.90"]
    ready = db.session.scalars(
        select(HumanTask.bpmn_id).where(HumanTask.status == "ready").order_by(HumanTask.bpmn_id)
    ).all()
    assert ready == ["sign_department", "sign_leader"]
    assert problems == []
