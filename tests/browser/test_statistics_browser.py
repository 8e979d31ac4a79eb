"""The dashboards in a real browser: a supervising leader opens 统计分析 from the top bar,
every chart draws (as SVG) with its label and data table, the campaign picker switches year;
the centre sees the whole city."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, CHROMIUM, sign_in, sign_out
from tests.statistics.city import build

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium")
CHARTS = ("grades", "ranking", "indicators", "quarters", "years", "findings")


def _drawn(page) -> None:
    expect(page.locator("[data-chart]:not([data-rendered='true'])")).to_have_count(0)


def test_leader_and_centre_see_the_charts(app, live_server, browser_page):
    page, problems = browser_page
    base = live_server
    build(publish_2026=True)

    sign_in(page, base, "leader_li")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="统计分析").click()
    page.wait_for_url(f"{base}/supervise/statistics")
    assert page.get_by_role("heading", name="统计分析", level=1).is_visible()
    _drawn(page)
    for chart in CHARTS:
        box = page.locator(f"#chart-{chart}")
        assert box.get_attribute("role") == "img"
        assert box.get_attribute("aria-label")
        assert box.locator("svg").count() >= 1, chart
        assert box.locator("svg path, svg rect").count() > 0, chart
    # ECharts' own aria text is told to keep the page's label
    assert page.locator("#chart-grades").get_attribute("aria-label") == (
        "2026 年度考核等次分布图，数据见下表。"
    )
    # the ranking: their two departments only, as bars and in the table
    ranking = page.get_by_role("region", name="科室得分排名")
    ranking.get_by_text("数据表").click()
    rows = ranking.locator("tbody tr")
    assert rows.count() == 2
    assert "预算科" in rows.nth(0).inner_text() and "92.50" in rows.nth(0).inner_text()
    assert "督查科" not in page.locator("main").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=str(ARTIFACTS / "statistics_01_leader_2026.png"), full_page=True)

    page.get_by_label("考核年度", exact=True).select_option("2025")
    page.get_by_role("button", name="查看").click()
    page.wait_for_url(f"{base}/supervise/statistics?year=2025")
    assert page.get_by_text("本年度尚无季度反馈。").is_visible()
    _drawn(page)
    assert page.locator("#chart-years svg").count() >= 1  # 2025's published result is theirs
    page.screenshot(path=str(ARTIFACTS / "statistics_02_leader_2025.png"), full_page=True)

    sign_out(page, base)
    sign_in(page, base, "admin")
    page.goto(f"{base}/supervise/statistics?year=2026")
    _drawn(page)
    assert page.get_by_text("范围：全市 11 个科室。").is_visible()
    grades = page.get_by_role("region", name="等次分布")
    grades.get_by_text("数据表").click()
    assert [c.inner_text() for c in grades.locator("tbody td.num").all()] == ["1", "2", "1", "1"]
    page.screenshot(path=str(ARTIFACTS / "statistics_03_centre_2026.png"), full_page=True)
    assert problems == []
