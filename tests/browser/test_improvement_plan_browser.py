"""The improvement plan (整改提升计划) in a real browser, after a simulated year: the bottom-ranked
department's head opens the plan task, submits an empty form (refused beside each field), then
the plan; the supervising leader returns it with a reason, the head submits again, the leader
accepts. The consequence record follows each step; the centre reads it on the results page."""

from __future__ import annotations

import pytest
from playwright.sync_api import sync_playwright
from sqlalchemy import select

from app import clock, simulation
from app.extensions import db
from app.models import Consequence, HumanTask
from tests.browser import sweep_scenario
from tests.browser.conftest import ARTIFACTS, CHROMIUM, launch, serving, sign_in, sign_out

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium")
DEPARTMENTS = 3


def shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"improvement_{name}.png"), full_page=True)


@pytest.fixture
def plan_task(app):
    """A simulated year held when the first improvement plan task is ready."""
    previous = clock.current()
    sim = sweep_scenario.hold_year_at(("improvement_plan",), DEPARTMENTS)
    try:
        yield db.session.get(HumanTask, sim.held["improvement_plan"])
    finally:
        clock.install(previous)


def _plan(department_id: int) -> Consequence:
    db.session.rollback()
    return db.session.scalars(
        select(Consequence).where(
            Consequence.department_id == department_id, Consequence.kind == "improvement_plan"
        )
    ).one()


def _ready(instance_id: int, bpmn_id: str) -> HumanTask:
    db.session.rollback()
    return db.session.scalars(
        select(HumanTask).where(
            HumanTask.instance_id == instance_id,
            HumanTask.bpmn_id == bpmn_id,
            HumanTask.status == "ready",
        )
    ).one()


def test_the_plan_is_submitted_returned_and_accepted_in_the_browser(app, plan_task):
    head = simulation._actor_for(plan_task).username
    instance_id, department_id = plan_task.instance_id, plan_task.department_id
    assert _plan(department_id).status == "open"
    with serving(app) as base, sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page(locale="zh-CN")
        try:
            sign_in(page, base, head)
            page.goto(f"{base}/tasks/{plan_task.id}")
            assert page.get_by_role("heading", name="提交整改提升计划").is_visible()
            assert "脱产培训" in page.locator("#consequence-heading + p").inner_text()
            page.get_by_role("button", name="提交整改提升计划").click()
            page.wait_for_load_state()
            for name in ("measures", "training", "post_adjustment"):
                assert page.locator(f"#{name}-error").inner_text() == "必须填写此项"
            shot(page, "01_refused")
            page.get_by_label("整改措施").fill("逐项整改滞后指标，每月报告进度。")
            page.get_by_label("脱产培训安排").fill("负责人参加党校脱产培训两周。")
            page.get_by_label("岗位调整安排").fill("由业务骨干牵头滞后指标。")
            page.get_by_role("button", name="提交整改提升计划").click()
            page.wait_for_url(f"{base}/")
            assert _plan(department_id).status == "submitted"

            check = _ready(instance_id, "check_improvement_plan")
            leader = simulation._actor_for(check).username
            sign_out(page, base)
            sign_in(page, base, leader)
            page.goto(f"{base}/tasks/{check.id}")
            assert "党校脱产培训两周" in page.locator("#plan-facts").inner_text()
            page.get_by_label("退回修改").check()
            page.get_by_role("button", name="提交审核结论").click()
            page.wait_for_load_state()
            assert page.locator("#comment-error").inner_text() == "退回时必须填写意见"
            page.get_by_label("退回修改").check()
            page.get_by_label("审核意见（退回时必填）").fill("培训时间请写明起止日期。")
            page.get_by_role("button", name="提交审核结论").click()
            page.wait_for_url(f"{base}/")
            assert _plan(department_id).status == "open"

            again = _ready(instance_id, "submit_improvement_plan")
            sign_out(page, base)
            sign_in(page, base, head)
            page.goto(f"{base}/tasks/{again.id}")
            assert "培训时间请写明起止日期" in page.locator("#plan-facts").inner_text()
            assert page.get_by_label("整改措施").input_value()  # the plan as submitted
            page.get_by_label("脱产培训安排").fill("3月2日至3月13日在市委党校脱产培训。")
            page.get_by_role("button", name="提交整改提升计划").click()
            page.wait_for_url(f"{base}/")

            final = _ready(instance_id, "check_improvement_plan")
            sign_out(page, base)
            sign_in(page, base, leader)
            page.goto(f"{base}/tasks/{final.id}")
            page.get_by_label("通过").check()
            page.get_by_role("button", name="提交审核结论").click()
            page.wait_for_url(f"{base}/")
            shot(page, "02_accepted")
        finally:
            browser.close()
    plan = _plan(department_id)
    assert plan.status == "accepted" and plan.plan["training"].startswith("3月2日")
