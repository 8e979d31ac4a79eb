"""The overdue board in a real browser: after the clock has moved past the due times and the
escalation sweep has run, a supervising leader opens 督办看板 from the top bar, sees the red and
yellow cards of their departments only, regroups, and drills down to an instance."""

from __future__ import annotations

import pytest

from tests.browser.conftest import ARTIFACTS, CHROMIUM, sign_in
from tests.pages.overdue_scenario import build

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium")


def shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"overdue_board_{name}.png"), full_page=True)


def test_leader_sees_the_cards_and_drills_down(app, clock, live_server, browser_page):
    page, problems = browser_page
    base = live_server
    # The live server runs in this process: it reads the same movable clock the test moves.
    city = build(clock)

    sign_in(page, base, "leader_li")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="督办看板").click()
    page.wait_for_url(f"{base}/supervise/overdue")
    assert page.get_by_role("heading", name="督办看板", level=1).is_visible()
    counts = page.get_by_role("list", name="督办统计")
    assert counts.locator("#count-overdue").inner_text() == "2"
    assert counts.locator("#count-red_card").inner_text() == "1"
    assert counts.locator("#count-yellow_card").inner_text() == "1"
    # laptop-friendly: nothing wider than the 1366-pixel window
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    red = page.locator(f'tr[data-task-id="{city.tasks["CZ-YS"]}"]')
    assert red.locator(".badge.card-red_card").inner_text() == "红牌"
    assert "5 天" in red.locator("td.age").inner_text()
    yellow = page.locator(f'tr[data-task-id="{city.tasks["RS-RS"]}"]')
    assert yellow.locator(".badge.card-yellow_card").inner_text() == "黄牌"
    assert "未认领" in yellow.inner_text()
    assert page.locator("tbody[data-group]").count() == 2  # 预算科, 人事科: never 督查科
    assert "督查科" not in page.locator("main").inner_text()
    shot(page, "01_by_department")

    page.get_by_label("督办状态").select_option("red_card")
    page.get_by_role("button", name="筛选").click()
    page.wait_for_url(f"{base}/supervise/overdue?*level=red_card*")
    assert page.locator("tr[data-task-id]").count() == 1
    page.get_by_role("navigation", name="分组方式").get_by_role("link", name="按办理人").click()
    page.wait_for_url("**group=holder**")
    assert page.get_by_role("columnheader", name="陈晓").is_visible()
    shot(page, "02_red_by_holder")

    red.get_by_role("link", name="起草绩效责任书").click()
    page.wait_for_url(f"{base}/instances/{city.instances['CZ-YS']}")
    assert page.get_by_role("heading", level=1).inner_text().startswith("市财政局预算科")
    assert page.locator(".badge.card-red_card").first.is_visible()
    shot(page, "03_instance")
    assert problems == []
