"""Sign-in and the account page in a real browser: repeated wrong passwords throttle the sign-in
(429, and then even the right password is refused); a password change with a rule broken first,
then accepted, then used to sign in."""

from __future__ import annotations

import pytest

from tests.browser.conftest import ARTIFACTS, CHROMIUM, sign_in, sign_out

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium")

NEW = "kaohe-2026-spring"


def shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"account_{name}.png"), full_page=True)


def submit_sign_in(page, username: str, password: str) -> int:
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="登录").click()
    return navigation.value.status


def expected_errors(problems: list[str], before: int, status: int) -> int:
    """Chromium logs a refused page as a failed resource: expected, so take those out."""
    expected = [p for p in problems[before:] if f"status of {status}" in p]
    for problem in expected:
        problems.remove(problem)
    return len(expected)


def test_repeated_failures_throttle_the_sign_in(app, live_server, browser_page):
    page, problems = browser_page
    base = live_server
    page.goto(f"{base}/login")
    for attempt in range(5):
        assert submit_sign_in(page, "head_fin", f"wrong-password-{attempt}") == 200
        assert page.get_by_role("alert").inner_text() == "用户名或密码不正确。"
    shot(page, "01_wrong_password")

    before = len(problems)
    assert submit_sign_in(page, "head_fin", "wrong-password-5") == 429
    assert page.get_by_role("alert").inner_text() == "登录失败次数过多，请15分钟后再试。"
    shot(page, "02_throttled")
    assert submit_sign_in(page, "head_fin", "demo-2026") == 429  # even the right password
    assert page.get_by_role("alert").inner_text() == "登录失败次数过多，请15分钟后再试。"
    assert page.url == f"{base}/login"
    assert page.get_by_role("button", name="退出登录", exact=True).count() == 0
    assert expected_errors(problems, before, 429) == 2
    assert problems == []


def test_change_password_on_the_account_page(app, live_server, browser_page):
    page, problems = browser_page
    base = live_server
    sign_in(page, base, "head_fin")
    page.get_by_role("link", name="账户").click()
    page.wait_for_url(f"{base}/account")
    assert page.get_by_role("heading", name="账户", exact=True).is_visible()
    assert "科室负责人 · 市财政局预算科" in page.locator(".roles").inner_text()
    shot(page, "03_account")

    before = len(problems)
    page.get_by_label("当前密码").fill("demo-2026")
    page.get_by_label("新密码", exact=True).fill("abcdefghij")
    page.get_by_label("再次输入新密码").fill("abcdefghij")
    page.get_by_role("button", name="修改密码").click()
    page.wait_for_load_state()
    error = page.locator("#new_password-error")
    assert error.inner_text() == "密码须同时包含字母和数字。"
    assert page.get_by_label("新密码", exact=True).get_attribute("aria-invalid") == "true"
    assert expected_errors(problems, before, 422) == 1
    shot(page, "04_weak_password")

    page.get_by_label("当前密码").fill("demo-2026")
    page.get_by_label("新密码", exact=True).fill(NEW)
    page.get_by_label("再次输入新密码").fill(NEW)
    page.get_by_role("button", name="修改密码").click()
    page.wait_for_url(f"{base}/account")
    assert "密码已修改" in page.locator(".flashes").inner_text()
    assert error.count() == 0
    shot(page, "05_changed")

    page.reload()  # this session carries on after the change
    assert page.get_by_role("button", name="退出登录", exact=True).is_visible()
    sign_out(page, base)
    assert submit_sign_in(page, "head_fin", "demo-2026") == 200
    assert page.get_by_role("alert").inner_text() == "用户名或密码不正确。"
    sign_in(page, base, "head_fin", NEW)
    assert "陈晓" in page.locator(".who").inner_text()
    shot(page, "06_signed_in_with_new_password")
    assert problems == []
