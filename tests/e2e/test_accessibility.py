"""axe-core on the main pages, and the keyboard's first stop: the skip link.

Only "serious" and "critical" violations fail a test; the message lists each rule with the
elements it found.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from casemgmt.accounts.models import Team, User
from clients import services
from clients.models import Client, DischargeReason

from ..factories import make_client
from .conftest import login

pytestmark = pytest.mark.e2e

FAILING_IMPACTS = {"serious", "critical"}

_axe = Axe()


def serious_violations(page: Page) -> str:
    """axe's serious and critical findings on the page, one rule a paragraph; "" if none."""
    results = _axe.run(page)
    violations: list[dict[str, Any]] = results.response["violations"]
    return "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']}\n"
        + "\n".join(
            f"    {', '.join(map(str, node['target']))}: "
            + " ".join(str(node.get("failureSummary", "")).split())
            for node in v["nodes"]
        )
        for v in violations
        if v.get("impact") in FAILING_IMPACTS
    )


def assert_no_serious_violations(page: Page) -> None:
    report = serious_violations(page)
    assert not report, f"axe found on {page.url}:\n{report}"


@pytest.fixture
def clients(case_manager: User, teammate: User, team_north: Team) -> list[Client]:
    """A small caseload: active clients, one with a preferred name, one discharged, and one of
    the teammate's (on the team caseload only)."""
    names = [
        (case_manager, "Maria", "Rivera", "Mari"),
        (case_manager, "Kwame", "Mensah", ""),
        (case_manager, "Lena", "Novak", ""),
        (teammate, "Omar", "Haddad", ""),
    ]
    rows = [
        make_client(
            case_manager=manager,
            team=team_north,
            legal_first_name=first,
            legal_last_name=last,
            preferred_name=preferred,
        )
        for manager, first, last, preferred in names
    ]
    services.episode_discharge(
        actor=case_manager,
        client=rows[2],
        discharged_on=rows[2].episodes.get().enrolled_on,
        reason=DischargeReason.GOALS_MET,
        plan="Follow-up with primary care.",
    )
    return rows


# Pages a case manager opens every day; {pk} is an active client of theirs, {discharged} a
# discharged one. One test walks them all with one sign-in (a browser test's slowest part is its
# set-up) and reports every page's findings together, so one page's failure hides no other's.
PAGES = {
    "home": "/",
    "my caseload": "/clients/",
    "team caseload": "/clients/team/",
    "intake": "/clients/intake/",
    "client detail": "/clients/{pk}/",
    "discharged client detail": "/clients/{discharged}/",
    "client edit": "/clients/{pk}/edit/",
}


def test_login_page(page: Page, live_server: LiveServer, case_manager: User) -> None:
    page.goto("/accounts/login/")
    expect(page.get_by_label("E-mail address")).to_be_visible()
    assert_no_serious_violations(page)

    page.get_by_label("E-mail address").fill(case_manager.email)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    assert_no_serious_violations(page)


def test_case_manager_pages(
    page: Page, live_server: LiveServer, case_manager: User, clients: list[Client]
) -> None:
    login(page, live_server, case_manager.email)
    findings: dict[str, str] = {}

    def check(name: str) -> None:
        if report := serious_violations(page):
            findings[f"{name} ({page.url})"] = report

    for name, path in PAGES.items():
        response = page.goto(path.format(pk=clients[0].pk, discharged=clients[2].pk))
        assert response is not None and response.ok, f"{name}: {path} answered {response}"
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        if name.endswith("caseload"):
            expect(page.locator("#results").get_by_role("row").first).to_be_visible()
        check(name)

    # The discharge form, folded away until asked for.
    page.goto(f"/clients/{clients[0].pk}/")
    page.get_by_text("Discharge…", exact=True).click()
    expect(page.get_by_label("Discharge plan")).to_be_visible()
    page.mouse.move(0, 0)  # no hover colours: axe checks the resting state
    check("client detail, discharge form open")

    page.goto("/clients/intake/")
    page.get_by_label("Date of birth").fill("2999-01-01")
    page.get_by_label("E-mail", exact=True).fill("not-an-address")
    page.get_by_role("button", name="Save and enrol").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    check("intake with errors")

    response = page.goto("/clients/999999/")
    assert response is not None and response.status == 404
    check("not found")

    assert not findings, "axe found:\n" + "\n\n".join(
        f"== {name}\n{report}" for name, report in findings.items()
    )


def test_tab_first_reaches_the_skip_link(
    page: Page, live_server: LiveServer, case_manager: User
) -> None:
    login(page, live_server, case_manager.email)
    for path in ("/", "/clients/", "/clients/intake/"):
        page.goto(path)
        page.keyboard.press("Tab")
        skip = page.get_by_role("link", name="Skip to main content")
        expect(skip).to_be_focused()
        expect(skip).to_be_visible()  # hidden until focused, then shown
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/clients/intake/#main$"))
    expect(page.get_by_role("main")).to_be_focused()
    # The next Tab continues from the main content, past the navigation.
    page.keyboard.press("Tab")
    expect(page.get_by_role("main").locator(":focus")).to_have_count(1)
