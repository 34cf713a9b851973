"""Browser fixtures for the end-to-end tests: one Chromium for the session, a fresh context (no
cookies, no storage) per test, against pytest-django's live server on the real PostgreSQL.

Playwright's sync API drives the browser from an asyncio event loop running in the test thread,
so Django's ORM would take every query in the test (factories, counts) for a call from async
code and refuse it. The flag below tells Django the test thread is safe; the live server answers
requests in threads of its own, which are not affected.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright
from pytest_django.live_server_helper import LiveServer

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
# The closed network: no background fetches, no QUIC, no first-run or sync machinery.
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "correct horse battery"  # tests/factories.py UserFactory
TIMEOUT_MS = 10_000


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def page(browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    """A page in a context of its own, with relative URLs resolved against the live server.

    Requesting ``live_server`` gives the test ``transactional_db``: the server's threads must see
    the test's rows, so they are committed and the tables flushed afterwards.
    JavaScript errors on any page fail the test.
    """
    context = browser.new_context(base_url=live_server.url, locale="en-US")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    js_errors: list[str] = []
    page.on("pageerror", lambda error: js_errors.append(str(error)))
    yield page
    context.close()
    assert not js_errors, f"JavaScript errors: {js_errors}"


def login(page: Page, live_server: LiveServer, email: str, password: str = PASSWORD) -> None:
    """Sign in through the login form and wait until the browser has left it."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    # "Sign out" sits in the closed user menu: present, though not shown.
    expect(page.get_by_role("button", name="Sign out", include_hidden=True)).to_be_attached()
