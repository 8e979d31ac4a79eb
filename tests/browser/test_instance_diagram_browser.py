"""The instance diagram in a real browser: a supervising leader opens an instance from the
overdue board's city and sees its steps marked on the diagram (done green, the open review
blue and overdue red, the review's timer waiting), with the legend and the text alternative."""

from __future__ import annotations

import pytest

from tests.browser.conftest import ARTIFACTS, CHROMIUM, sign_in
from tests.pages.overdue_scenario import build

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium")


def _classes(page, element_id: str) -> set[str]:
    return set(
        page.locator(f'.djs-element[data-element-id="{element_id}"]')
        .first.get_attribute("class")
        .split()
    )


def test_leader_sees_the_instance_diagram_marked(app, clock, live_server, browser_page):
    page, problems = browser_page
    base = live_server
    city = build(clock)  # 会计科 CZ-KJ: its draft sent, the leader's review overdue since the 17th

    sign_in(page, base, "leader_wang")  # 分管领导 of 会计科
    page.goto(f"{base}/instances/{city.instances['CZ-KJ']}")
    diagram = page.locator("[data-instance-diagram]")
    page.locator("[data-instance-diagram][data-ready='true']").wait_for(state="attached")
    assert page.get_by_role("heading", name="流程图").is_visible()
    assert page.locator(".djs-container svg").first.is_visible()

    assert {"state-completed"} <= _classes(page, "start")
    assert {"state-completed"} <= _classes(page, "draft_letter")
    assert {"state-ready", "state-overdue"} <= _classes(page, "review_letter")
    assert {"state-waiting"} <= _classes(page, "review_overdue")
    assert not {"state-ready", "state-completed"} & _classes(page, "sign_department")
    assert int(diagram.get_attribute("data-marked")) >= 4

    legend = page.get_by_role("list", name="图例")
    assert legend.locator("li").count() == 5
    canvas = page.get_by_role(
        "img",
        name="流程图：已完成、办理中、超期和出错的环节以颜色标出，文字说明见下方“当前所处环节”。",
    )
    assert canvas.is_visible()
    steps = page.locator("#active-steps li")
    assert steps.filter(has_text="分管领导审核责任书").get_attribute("data-state") == "overdue"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.locator("#diagram-heading").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "instance_diagram_01_marked.png"), full_page=True)

    # another department's instance: refused, and no diagram is fetched
    page.goto(f"{base}/instances/{city.instances['DC-DC']}")
    assert page.locator("[data-instance-diagram]").count() == 0
    problems[:] = [p for p in problems if "403" not in p]  # the refused page's own status line
    assert problems == []
