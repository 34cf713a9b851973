"""axe-core on the provider directory, the Releases tab and the referral pages: what a case
manager opens, the administrators' directory imports, the provider's page reached through
the secure link (no account) and the expired link, and the supervisor's consent exceptions.

Only "serious" and "critical" violations fail a test; the message lists each rule with the
elements it found, page by page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from careplans.models import Goal
from casemgmt.accounts.models import Team, User
from clients.models import Client, ReleaseOfInformation
from referrals.models import ConsentException, ProviderLink, Referral
from referrals.services import referrals as referral_services

from ..factories import make_client
from ..referrals.referral_fixtures import active_goal
from .conftest import login
from .test_accessibility import serious_violations
from .test_referral_journey import (
    CHOSEN,
    OTHER,
    REASON,
    SUMMARY,
    WANTED,
    Directory,
    make_directory,
    sent_referral,
)

pytestmark = pytest.mark.e2e


@pytest.fixture
def directory(db: None) -> Directory:
    return make_directory()


@pytest.fixture
def goal(north_client: Client, case_manager: User, supervisor: User) -> Goal:
    return active_goal(north_client, case_manager, supervisor)


def referral_data() -> dict[str, object]:
    today = timezone.localdate()
    return {
        "reason": REASON,
        "presenting_issue_summary": SUMMARY,
        "desired_services": WANTED,
        "urgency": "routine",
        "target_date": today + dt.timedelta(days=30),
        "review_date": today + dt.timedelta(days=14),
    }


def findings_collector(page: Page) -> tuple[dict[str, str], Callable[[str], None]]:
    """Every page's findings together, so one page's failure hides no other's."""
    findings: dict[str, str] = {}

    def check(name: str) -> None:
        page.mouse.move(0, 0)  # no hover colours: axe checks the resting state
        if report := serious_violations(page):
            findings[f"{name} ({page.url})"] = report

    return findings, check


def report(findings: dict[str, str]) -> str:
    return "axe found:\n" + "\n\n".join(f"== {name}\n{text}" for name, text in findings.items())


def open_page(page: Page, path: str, status: int = 200) -> None:
    response = page.goto(path)
    assert response is not None and response.status == status, f"{path} answered {response}"
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def test_case_manager_directory_release_and_referral_pages(
    page: Page,
    live_server: LiveServer,
    case_manager: User,
    team_north: Team,
    north_client: Client,
    goal: Goal,
    directory: Directory,
) -> None:
    sent, _path = sent_referral(north_client, case_manager, goal, directory.chosen)
    draft = referral_services.referral_create(
        actor=case_manager,
        goal=goal,
        service=directory.other,
        offered=[directory.other, directory.unrelated],
        data=referral_data(),
    )
    release = ReleaseOfInformation.objects.get(client=north_client)
    pk = north_client.pk
    planless = make_client(
        case_manager=case_manager,
        team=team_north,
        legal_first_name="Kwame",
        legal_last_name="Mensah",
    )
    login(page, live_server, case_manager.email)
    findings, check = findings_collector(page)

    # --- The provider directory ------------------------------------------------------
    open_page(page, "/directory/")
    expect(page.get_by_role("article")).to_have_count(3)
    check("directory browse")

    open_page(page, f"/directory/search/?client={pk}&goal={goal.pk}&q=housing")
    expect(page.locator("#results").get_by_role("article")).to_have_count(2)
    expect(page.locator("#results table.fit-lines").first).to_be_visible()
    check("search with a client")
    page.locator("#results").get_by_label(f"Offer to the client: {CHOSEN}").check()
    expect(page.get_by_role("heading", name="1 service chosen to offer the client")).to_be_visible()
    check("search with a client, one service ticked")

    open_page(page, f"/directory/services/{directory.chosen.pk}/")
    check("service detail")

    # --- The Releases tab ---------------------------------------------------------------
    open_page(page, f"/clients/{pk}/releases/")
    expect(page.get_by_role("table").locator("tbody tr")).to_have_count(1)
    check("releases tab")

    open_page(page, f"/clients/{pk}/releases/new/")
    check("release form")
    page.get_by_role("button", name="Record the release").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    check("release form with errors")

    open_page(page, f"/clients/{pk}/releases/{release.pk}/")
    check("release detail")

    open_page(page, f"/clients/{pk}/disclosures/")
    expect(page.get_by_role("table").locator("tbody tr")).to_have_count(1)
    check("accounting of disclosures")

    open_page(page, f"/clients/{pk}/documents/")
    check("documents")

    # --- Referrals ---------------------------------------------------------------------
    open_page(page, f"/clients/{pk}/referrals/")
    expect(page.get_by_role("table").locator("tbody tr")).to_have_count(2)
    check("referrals tab")

    offers = f"offer={directory.chosen.pk}&offer={directory.other.pk}"
    open_page(page, f"/clients/{pk}/referrals/new/?goal={goal.pk}&{offers}")
    expect(page.get_by_role("button", name="Save the draft")).to_be_visible()
    check("new referral form")

    # A client without a plan in force: the form says so first. Its link sits in a yellow
    # alert, so it needs Bootstrap's "alert-link" colour to reach 4.5:1.
    open_page(page, f"/clients/{planless.pk}/referrals/new/?{offers}")
    expect(page.get_by_role("alert")).to_contain_text("Finalize the client's service plan first.")
    check("new referral form, no plan in force")

    open_page(page, f"/clients/{pk}/referrals/{draft.pk}/")
    expect(page.get_by_role("link", name="Send", exact=True)).to_be_visible()
    check("referral detail, draft")

    open_page(page, f"/clients/{pk}/referrals/{draft.pk}/packet/")
    check("packet form")

    open_page(page, f"/clients/{pk}/referrals/{draft.pk}/send/")
    # "Record a release" sits in a red alert: it needs "alert-link" to reach 4.5:1.
    expect(page.get_by_text("Not covered by a release.")).to_be_visible()
    check("send page, no release")

    open_page(page, f"/clients/{pk}/referrals/{sent.pk}/")
    expect(page.get_by_role("button", name="The provider accepted (by phone)")).to_be_visible()
    check("referral detail, sent")

    assert not findings, report(findings)


def test_directory_imports(page: Page, live_server: LiveServer, admin: User) -> None:
    login(page, live_server, admin.email)
    findings, check = findings_collector(page)
    open_page(page, "/directory/imports/")
    check("directory imports")
    assert not findings, report(findings)


def test_provider_link_and_expired_link(
    page: Page,
    case_manager: User,
    north_client: Client,
    goal: Goal,
    directory: Directory,
) -> None:
    referral, path = sent_referral(north_client, case_manager, goal, directory.chosen)
    findings, check = findings_collector(page)

    # No sign-in: the provider has no account.
    open_page(page, path)
    expect(page.get_by_role("button", name="Accept the referral")).to_be_visible()
    check("provider link, sent")
    page.get_by_role("button", name="Accept the referral").click()
    expect(page.get_by_role("button", name="Schedule intake")).to_be_visible()
    check("provider link, accepted")

    ProviderLink.objects.filter(referral=referral).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    open_page(page, path, status=410)
    expect(page.get_by_role("heading", level=1)).to_have_text("This referral link has expired")
    check("provider link, expired")

    assert not findings, report(findings)


def test_consent_exceptions(
    page: Page,
    live_server: LiveServer,
    case_manager: User,
    supervisor: User,
    north_client: Client,
    goal: Goal,
    directory: Directory,
) -> None:
    referral = referral_services.referral_create(
        actor=case_manager,
        goal=goal,
        service=directory.other,
        offered=[directory.other],
        data=referral_data(),
    )
    referral_services.referral_send(
        actor=case_manager,
        referral=referral,
        provider_email="intake@tenants.example",
        exception=ConsentException.LIFE_AT_RISK,
        justification="Eviction on Friday; the client cannot be reached to sign.",
    )
    assert Referral.objects.get(pk=referral.pk).consent_exception
    login(page, live_server, supervisor.email)
    findings, check = findings_collector(page)
    open_page(page, "/referrals/exceptions/")
    expect(page.get_by_role("main")).to_contain_text(OTHER)
    check("consent exceptions")
    assert not findings, report(findings)
