"""The web modeler in a real browser: the centre admin opens the shipped annual cycle, changes a
user task's form key through the picker, validates and sees an error marked on the offending
lane, fixes it, publishes, and finds the new version in the list and in the database."""

from __future__ import annotations

import pytest
from lxml import etree
from playwright.sync_api import expect
from sqlalchemy import select

from app.engine.definitions import NS
from app.extensions import db
from app.models import AuditEvent, ProcessDefinition
from tests.browser.conftest import ARTIFACTS, CHROMIUM, sign_in

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium")


def shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"modeler_{name}.png"))


def latest_annual_cycle() -> ProcessDefinition:
    db.session.rollback()  # see the live server's commits
    return db.session.scalars(
        select(ProcessDefinition)
        .where(ProcessDefinition.process_key == "annual_cycle")
        .order_by(ProcessDefinition.version.desc())
    ).first()


def form_key_of(source: str, task_id: str) -> str:
    root = etree.fromstring(source.encode())
    return root.xpath(
        f"//bpmn:userTask[@id='{task_id}']//spiffworkflow:property[@name='formKey']/@value",
        namespaces=NS,
    )[0]


def element(page, element_id: str):
    return page.locator(f'#canvas [data-element-id="{element_id}"]').first


def bring_into_view(page, element_id: str) -> None:
    """Scroll the canvas with the mouse wheel, as a person pans, until the element shows."""
    canvas = page.locator("#canvas").bounding_box()
    page.mouse.move(canvas["x"] + canvas["width"] / 2, canvas["y"] + canvas["height"] / 2)
    for _ in range(20):
        box = element(page, element_id).bounding_box()
        if box["x"] + box["width"] < canvas["x"] + canvas["width"] - 60:
            return
        page.mouse.wheel(400, 0)
    raise AssertionError(f"{element_id} never came into view")


def test_edit_validate_fix_publish(app, live_server, browser_page):
    page, problems = browser_page
    base = live_server
    sign_in(page, base, "admin")
    page.get_by_role("link", name="流程设计").click()
    page.wait_for_url(f"{base}/admin/modeler")
    assert page.get_by_role("heading", name="流程设计").is_visible()
    row = page.locator('tr[data-key="annual_cycle"]')
    assert "第1版" in row.inner_text()
    shot(page, "01_list")

    row.get_by_role("link", name="编辑").click()
    page.wait_for_url(f"{base}/admin/modeler/annual_cycle")
    page.wait_for_selector("body[data-modeler-ready=true]")
    assert "已打开第1版" in page.locator("#modeler-status").inner_text()
    shot(page, "02_opened")

    # A service task: its handler from the catalog, the handler's parameters as fields.
    element(page, "remind_reviewer").click(position={"x": 20, "y": 12})
    handler = page.get_by_label("服务处理程序")
    assert handler.input_value() == "notices.remind"
    assert "从业务系统拉取数据（sources.pull）" in handler.locator("option").all_inner_texts()
    assert page.get_by_label("参数 step（必填）").input_value() == '"review_letter"'
    assert page.get_by_label("结果变量").input_value() == "review_reminder"

    # The form key through the picker: only the catalog's form keys are offered.
    element(page, "review_letter").click()
    form_key = page.get_by_label("表单", exact=True)
    assert form_key.input_value() == "letter_review"
    offered = form_key.locator("option").all_inner_texts()
    assert "签署绩效责任书（letter_sign）" in offered
    form_key.select_option("letter_sign")
    assert "办理时限" in page.locator("#properties").inner_text()
    shot(page, "03_form_key_picked")

    # A lane whose role is cleared: the server's validation names it, the canvas marks it.
    lane = element(page, "lane_supervising_leader")
    lane.click(position={"x": 8, "y": 30})
    role = page.get_by_label("泳道角色")
    assert role.input_value() == "supervising_leader"
    role.select_option("")
    page.get_by_role("button", name="校验").click()
    page.wait_for_selector("#modeler-results:not([hidden])")
    assert "发现 1 个问题" in page.locator("#modeler-results-heading").inner_text()
    assert "lane_supervising_leader" in page.locator("#modeler-results-list").inner_text()
    assert page.locator('[data-element-id="lane_supervising_leader"].modeler-problem').count()
    shot(page, "04_validation_error_marked")

    role.select_option("supervising_leader")
    page.get_by_role("button", name="校验").click()
    expect(page.locator("#modeler-status")).to_contain_text("校验通过")
    assert page.locator(".modeler-problem").count() == 0

    # What changed against the published version: the form key, and nothing else.
    page.get_by_role("button", name="与已发布版本比较").click()
    page.wait_for_selector("#modeler-results:not([hidden])")
    listed = page.locator("#modeler-results-list li").all_inner_texts()
    assert len(listed) == 1, listed
    assert "review_letter" in listed[0] and "letter_review → letter_sign" in listed[0]
    assert page.locator('[data-element-id="review_letter"].modeler-changed').count()
    shot(page, "05_compared")

    asked: list[str] = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.get_by_role("button", name="发布新版本").click()  # declined: nothing is published
    assert "正在运行的 0 个流程仍按原版本执行" in asked[0]
    assert latest_annual_cycle().version == 1
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="发布新版本").click()
    expect(page.locator("#modeler-status")).to_contain_text("已发布")
    assert "已发布为第2版" in page.locator("#modeler-status").inner_text()
    assert page.locator("#modeler-latest").inner_text() == "第2版"
    shot(page, "06_published")

    published = latest_annual_cycle()
    assert published.version == 2
    assert form_key_of(published.source, "review_letter") == "letter_sign"
    assert db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "definition.published")
    ).one()

    # The message a catch event waits for: one of the messages the app sends.
    bring_into_view(page, "results_published")
    element(page, "results_published").click()
    message = page.get_by_label("等待的通知")
    assert message.input_value() == "results_published"
    assert message.locator("option").all_inner_texts()[1:] == ["考核结果公示（results_published）"]

    page.get_by_role("link", name="返回流程设计").click()
    page.wait_for_url(f"{base}/admin/modeler")
    assert "第2版" in page.locator('tr[data-key="annual_cycle"]').inner_text()
    shot(page, "07_list_with_new_version")
    assert not problems, problems


def test_new_diagram_publish_and_roll_back_in_english(app, live_server, browser_page):
    page, problems = browser_page
    base = live_server
    sign_in(page, base, "admin")
    page.goto(f"{base}/admin/modeler")
    page.get_by_label("流程标识（英文）").fill("quarter_check")
    page.get_by_label("流程名称").fill("季度检查")
    page.get_by_role("button", name="新建").click()
    page.wait_for_selector("body[data-modeler-ready=true]")
    assert "新流程图" in page.locator("#modeler-status").inner_text()

    # The template's user task: its form, due time and the campaign's escalation rule.
    element(page, "first_step").click()
    assert page.get_by_label("表单", exact=True).input_value() == "letter_draft"
    due = page.get_by_label("办理时限")
    assert due.input_value() == "P10D"
    assert "红牌" in page.locator("#properties").inner_text()
    page.on("dialog", lambda dialog: dialog.accept())  # publish and roll back ask first
    page.get_by_role("button", name="发布新版本").click()
    expect(page.locator("#modeler-status")).to_contain_text("已发布")
    assert "已发布为第1版" in page.locator("#modeler-status").inner_text()

    due.select_option("P5D")
    page.get_by_role("button", name="发布新版本").click()
    expect(page.locator("#modeler-status")).to_contain_text("第2版")

    page.get_by_label("回滚到").select_option(label="第1版")
    page.get_by_role("button", name="回滚", exact=True).click()
    expect(page.locator("#modeler-status")).to_contain_text("第3版")
    assert "已将第1版的内容发布为第3版" in page.locator("#modeler-status").inner_text()
    shot(page, "08_rolled_back")
    db.session.rollback()
    versions = db.session.scalars(
        select(ProcessDefinition)
        .where(ProcessDefinition.process_key == "quarter_check")
        .order_by(ProcessDefinition.version)
    ).all()
    assert [v.version for v in versions] == [1, 2, 3]
    assert versions[2].source == versions[0].source
    assert 'value="P5D"' in versions[1].source

    page.get_by_role("link", name="English").click()
    page.wait_for_selector("body[data-modeler-ready=true]")
    assert page.get_by_role("button", name="Save draft").is_visible()
    element(page, "first_step").click()
    assert page.get_by_label("Form", exact=True).input_value() == "letter_draft"
    assert "red card" in page.locator("#properties").inner_text()
    shot(page, "09_english")
    assert not problems, problems


def test_saving_an_opened_version_over_a_draft_asks_first(app, live_server, browser_page):
    """A draft is work in progress: replacing it with an older version's content is confirmed,
    and declining keeps the draft as it was."""
    from app.models import ProcessDraft

    def draft_source() -> str:
        db.session.rollback()
        return db.session.scalars(
            select(ProcessDraft.source).where(ProcessDraft.process_key == "annual_cycle")
        ).one()

    page, problems = browser_page
    base = live_server
    sign_in(page, base, "admin")
    page.goto(f"{base}/admin/modeler/annual_cycle")
    page.wait_for_selector("body[data-modeler-ready=true]")
    element(page, "draft_letter").click()
    page.get_by_label("办理时限").select_option("P20D")
    page.get_by_role("button", name="保存草稿").click()
    expect(page.locator("#modeler-status")).to_contain_text("草稿已保存")
    assert 'value="P20D"' in draft_source()

    page.goto(f"{base}/admin/modeler/annual_cycle?version=1")
    page.wait_for_selector("body[data-modeler-ready=true]")
    asked: list[str] = []

    def decline(dialog):
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", decline)
    page.get_by_role("button", name="保存草稿").click()
    page.locator("body[data-modeler-ready='true']").wait_for(state="attached")
    assert asked and "已有草稿" in asked[0]
    assert 'value="P20D"' in draft_source()  # declined: the draft is as it was

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="保存草稿").click()
    expect(page.locator("#modeler-status")).to_contain_text("草稿已保存")
    assert 'value="P20D"' not in draft_source()
    assert not problems, problems
