"""The campaign settings page in a real browser: the centre admin opens it from the navigation,
submits a weight that breaks the rules, sees the error beside the field, corrects it and saves."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Campaign
from tests.browser.conftest import ARTIFACTS, CHROMIUM, sign_in
from tests.browser.test_account_browser import expected_errors

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium")


def shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"campaign_settings_{name}.png"), full_page=True)


def saved_settings() -> dict | None:
    db.session.rollback()  # end this thread's read so the live server's commits are seen
    campaign = db.session.scalars(select(Campaign).where(Campaign.year == 2026)).first()
    return None if campaign is None else campaign.settings


def test_fix_an_invalid_setting_and_save(app, live_server, browser_page):
    page, problems = browser_page
    base = live_server
    sign_in(page, base, "admin")
    page.get_by_role("link", name="考核设置").click()
    page.wait_for_url(f"{base}/admin/campaigns/2026/settings")
    assert page.get_by_role("heading", name="2026 年度考核设置").is_visible()
    leader = page.get_by_label("分管领导评价")
    assert leader.input_value() == "40"
    shot(page, "01_defaults")

    before = len(problems)
    leader.fill("50")  # 50 + 30 + 30 is not 100
    page.get_by_label("公示后可申诉天数").fill("四十")
    page.get_by_role("button", name="保存设置").click()
    page.wait_for_load_state()
    assert page.get_by_role("alert").first.is_visible()
    assert page.locator("#rater_weights-error").inner_text() == "各项权重之和须为100（现为110）。"
    window = page.get_by_label("公示后可申诉天数")
    assert page.locator("#appeal-window_days-error").inner_text() == "须为整数。"
    assert window.get_attribute("aria-invalid") == "true"
    assert window.get_attribute("aria-describedby") == "appeal-window_days-error"
    assert page.get_by_label("分管领导评价").input_value() == "50"  # kept as typed
    assert expected_errors(problems, before, 422) == 1
    assert saved_settings() is None  # nothing written
    shot(page, "02_errors_beside_fields")

    page.get_by_label("民主测评（同事）").fill("25")
    page.get_by_label("服务对象评价").fill("25")
    page.get_by_label("公示后可申诉天数").fill("10")
    page.get_by_role("button", name="保存设置").click()
    page.wait_for_url(f"{base}/admin/campaigns/2026/settings")
    assert "2026 年度考核设置已保存" in page.locator(".flashes").inner_text()
    assert page.locator(".field-error").count() == 0
    assert page.get_by_label("分管领导评价").input_value() == "50"
    settings = saved_settings()
    assert settings["rater_weights"] == {"leader": "50", "peer": "25", "service_recipient": "25"}
    assert settings["appeal"]["window_days"] == 10
    shot(page, "03_saved")
    assert problems == []
