"""Signing in with the keyboard alone: labelled inputs, Tab between them, Enter submits."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.browser.conftest import LiveServer
from tests.support import PASSWORD


def test_login_form_works_from_the_keyboard(
    page: Any, live: LiveServer, shot: Callable[[Any, str], Path]
) -> None:
    page.goto("/")
    assert page.url.endswith("/login")
    # every input has a label the browser knows
    assert page.get_by_label("用户名").is_visible()
    assert page.get_by_label("密码").is_visible()
    shot(page, "login")
    page.keyboard.type("town")  # the username field has focus on arrival
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.id")
    assert focused == "password"
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/workbench")
    header = page.get_by_test_id("whoami")
    assert "桂城街道" in header.inner_text()
    assert "派单员" in header.inner_text()


def test_wrong_password_shows_a_chinese_error(page: Any, live: LiveServer) -> None:
    page.goto("/login")
    page.get_by_label("用户名").fill("town")
    page.get_by_label("密码").fill("not-the-password")
    page.get_by_role("button", name="登录").click()
    assert page.get_by_role("alert").inner_text().strip() == "用户名或密码错误"
