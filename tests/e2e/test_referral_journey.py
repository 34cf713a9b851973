"""A referral in a real browser, from a goal of the client's plan in force to the provider's
answer: finding providers with the client, the services offered and the client's choice, the
minimum-necessary packet, the consent gate sending the case manager to record a release, the
send, and the provider's secure link, opened without an account, closing the loop. And the
link that has expired."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass

import pytest
from django.core import mail
from django.utils import formats, timezone
from playwright.sync_api import Browser, Locator, Page, expect
from pytest_django.live_server_helper import LiveServer

from careplans.models import Goal
from casemgmt.accounts.models import User
from clients.models import Client, PayerType, ReleaseCategory
from clients.release_forms import STATEMENT_WORDING
from referrals.models import Contact, ProviderLink, Referral, Service
from referrals.services import referrals as referral_services
from referrals.services.directory import service_search_vectors_refresh

from ..referrals.dir_factories import OrganizationFactory, ServiceFactory
from ..referrals.referral_fixtures import active_goal, release_for
from .conftest import TIMEOUT_MS, login

pytestmark = pytest.mark.e2e

CHOSEN = "Rapid Re-Housing"
CHOSEN_ORG = "Harbor Housing Partners"
OTHER = "Housing Navigation"
OTHER_ORG = "Miami Tenant Network"
UNRELATED = "Community Food Pantry"
PROVIDER_EMAIL = "intake@harbor.example"
# north_client's presenting issue (tests/factories.py) holds more than the provider needs.
BACKSTORY = "low mood since losing her job"
SUMMARY = "Facing eviction at the end of the month; needs help to find housing."
REASON = "Housing search with a rapid re-housing program."
WANTED = "Rapid re-housing: rental assistance and a housing search."
LINK = re.compile(r"https?://\S+/r/[^/\s]+/")


@dataclass
class Directory:
    chosen: Service
    other: Service
    unrelated: Service


def make_directory() -> Directory:
    """Three services Maria (north_client: Spanish, Medicaid, Miami) fits; two of housing.
    The chosen one has an intake contact with an e-mail address."""

    def fitting(name: str, organization: str, description: str) -> Service:
        return ServiceFactory.create(
            name=name,
            organization=OrganizationFactory.create(name=organization),
            description=description,
            languages=["English", "Spanish"],
            payers_accepted=[PayerType.MEDICAID],
            cities=[("Miami", "33125")],
            minimum_age=18,
            wait_time_days=10,
        )

    chosen = fitting(CHOSEN, CHOSEN_ORG, "Short-term rent help and a housing search.")
    Contact.objects.create(
        id=uuid.uuid4(), service=chosen, name="Intake desk", email=PROVIDER_EMAIL
    )
    other = fitting(OTHER, OTHER_ORG, "Navigators who help tenants find housing.")
    unrelated = fitting(UNRELATED, "Community Pantry", "Groceries every week.")
    service_search_vectors_refresh()
    return Directory(chosen=chosen, other=other, unrelated=unrelated)


def sent_referral(
    client: Client, case_manager: User, goal: Goal, service: Service
) -> tuple[Referral, str]:
    """A referral sent through the services under a release to the service's organization;
    returns it and the provider link's URL path."""
    today = timezone.localdate()
    referral = referral_services.referral_create(
        actor=case_manager,
        goal=goal,
        service=service,
        offered=[service],
        data={
            "reason": REASON,
            "presenting_issue_summary": SUMMARY,
            "desired_services": WANTED,
            "urgency": "routine",
            "target_date": today + dt.timedelta(days=30),
            "review_date": today + dt.timedelta(days=14),
        },
    )
    release_for(client, case_manager, service, categories=[ReleaseCategory.GENERAL])
    referral, token = referral_services.referral_send(
        actor=case_manager, referral=referral, provider_email=PROVIDER_EMAIL
    )
    return referral, f"/r/{token}/"


@pytest.fixture
def directory(db: None) -> Directory:
    return make_directory()


@pytest.fixture
def goal(north_client: Client, case_manager: User, supervisor: User) -> Goal:
    """A goal of an ACTIVE plan, built through the services."""
    return active_goal(north_client, case_manager, supervisor)


def field(scope: Page | Locator, label: str) -> Locator:
    """A form field by its label; crispy adds "*" to the labels of required fields."""
    return scope.get_by_label(re.compile(rf"^\s*{re.escape(label)}\s*\*?\s*$"))


def status_message(page: Page) -> Locator:
    """The flash messages after a redirect."""
    return page.get_by_role("main").get_by_role("status").first


def tab(page: Page, name: str) -> Locator:
    return page.locator("ul.nav-tabs").get_by_role("link", name=name, exact=True)


def result(page: Page, name: str) -> Locator:
    """A search result: the card named after its service."""
    return page.locator("#results").get_by_role("article", name=name, exact=True)


def long_date(day: dt.date) -> str:
    return str(formats.date_format(day, "DATE_FORMAT"))


def test_referral_from_a_goal_to_the_providers_answer(
    page: Page,
    browser: Browser,
    live_server: LiveServer,
    case_manager: User,
    north_client: Client,
    goal: Goal,
    directory: Directory,
) -> None:
    today = timezone.localdate()
    login(page, live_server, case_manager.email)
    page.goto(f"/clients/{north_client.pk}/")

    # --- From the goal of the plan in force to the directory, with the client ------------
    tab(page, "Service plan").click()
    expect(tab(page, "Service plan")).to_have_attribute("aria-current", "page")
    page.get_by_role("link", name=re.compile(r"^Find a provider for this goal")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Find providers with {north_client.display_name}"
    )
    expect(page).to_have_url(re.compile(rf"[?&]goal={goal.pk}(&|$)"))
    # The filters start from the client's facts.
    expect(field(page, "Language")).to_have_value("Spanish")
    expect(field(page, "City or ZIP code")).to_have_value("Miami")

    page.get_by_label("What help is the client looking for?").fill("housing")
    expect(page.locator("#results").get_by_role("article")).to_have_count(2)
    expect(result(page, UNRELATED)).to_have_count(0)
    chosen = result(page, CHOSEN)
    expect(chosen).to_contain_text(CHOSEN_ORG)
    # The client's fit, line by line, and the provider's record with referrals.
    fit = chosen.locator("table.fit-lines")
    for topic in ("language", "payer", "age"):
        expect(fit.locator(f'tr[data-fit="{topic}"]')).to_have_attribute("data-status", "fits")
    expect(fit.locator('tr[data-fit="language"]')).to_contain_text("Language")
    expect(chosen.locator("[data-quality]")).to_have_text("Referral record: No referrals yet")

    # Ticking redraws the results (htmx): wait for each tick to be counted before the next.
    chosen.get_by_label(f"Offer to the client: {CHOSEN}").check()
    expect(page.get_by_role("heading", name="1 service chosen to offer the client")).to_be_visible()
    result(page, OTHER).get_by_label(f"Offer to the client: {OTHER}").check()
    expect(
        page.get_by_role("heading", name="2 services chosen to offer the client")
    ).to_be_visible()
    expect(result(page, CHOSEN).get_by_label(f"Offer to the client: {CHOSEN}")).to_be_checked()
    page.get_by_role("button", name="Make a referral with the services chosen").click()

    # --- The new referral: the client's choice among the services offered -----------------
    expect(page.get_by_role("heading", level=2, name="New referral")).to_be_visible()
    expect(tab(page, "Referrals")).to_have_attribute("aria-current", "page")
    expect(page.get_by_text("You offered 2 services; the client chooses.")).to_be_visible()
    expect(field(page, "The plan goal this referral serves")).to_have_value(str(goal.pk))
    page.get_by_label(f"{CHOSEN} — {CHOSEN_ORG}", exact=True).check()
    field(page, "Reason for referral").fill(REASON)
    # The summary starts from the whole presenting issue: keep only what the provider needs.
    expect(field(page, "Presenting issue summary")).to_have_value(re.compile(BACKSTORY))
    field(page, "Presenting issue summary").fill(SUMMARY)
    field(page, "Services wanted").fill(WANTED)
    field(page, "Urgency").select_option(label="Urgent (within days)")
    page.get_by_role("button", name="Save the draft").click()

    # --- The packet ---------------------------------------------------------------------
    expect(status_message(page)).to_contain_text("The referral is drafted.")
    expect(page.get_by_role("heading", level=2, name="What the provider receives")).to_be_visible()
    expect(page.get_by_label("Presenting issue summary", exact=True)).to_be_checked()
    expect(page.get_by_label("Assessment narrative (the back-story)")).not_to_be_checked()
    page.get_by_role("button", name="Save", exact=True).click()

    # --- The send page: no release yet --------------------------------------------------
    expect(status_message(page)).to_contain_text("The packet is saved.")
    expect(
        page.get_by_role("heading", level=2, name=f"Send the referral to {CHOSEN}")
    ).to_be_visible()
    consent = page.get_by_role("alert").filter(has_text="Not covered by a release.")
    expect(consent).to_contain_text(f"No release of information names {CHOSEN_ORG} as recipient.")
    consent.get_by_role("link", name="Record a release").click()

    # --- The release ------------------------------------------------------------------------
    expect(tab(page, "Releases")).to_have_attribute("aria-current", "page")
    field(page, "Recipient from the provider directory").select_option(label=CHOSEN_ORG)
    page.get_by_label("Referral and linkage to services", exact=True).check()
    page.get_by_label("General case-management information", exact=True).check()
    expect(field(page, "Effective from")).to_have_value(today.isoformat())
    field(page, "Expires on").fill((today + dt.timedelta(days=365)).isoformat())
    expect(field(page, "Signed by")).to_have_value(north_client.legal_name)
    expect(field(page, "Signer is")).to_have_value("self")
    field(page, "How it was signed").select_option(label="Signed on paper")
    expect(field(page, "Signed on")).to_have_value(today.isoformat())
    for wording in STATEMENT_WORDING.values():
        page.get_by_label(str(wording)).check()
    page.get_by_role("button", name="Record the release").click()

    expect(status_message(page)).to_contain_text(f"The release to {CHOSEN_ORG} is recorded.")

    # --- Back to the referral, and send it ------------------------------------------------
    tab(page, "Referrals").click()
    expect(page.get_by_role("heading", level=2, name="Referrals")).to_be_visible()
    row = page.get_by_role("row").filter(has_text=CHOSEN)
    expect(row).to_contain_text("Draft")
    row.get_by_role("link", name=CHOSEN).click()
    expect(page.get_by_role("heading", level=2, name=f"Referral to {CHOSEN}")).to_be_visible()
    expect(
        page.get_by_text(f"A release signed {long_date(today)} covers this packet.")
    ).to_be_visible()
    options = page.get_by_role("region", name="Options offered")
    expect(options).to_contain_text(f"{CHOSEN} — {CHOSEN_ORG} (the client's choice)")
    expect(options).to_contain_text(f"{OTHER} — {OTHER_ORG}")
    page.get_by_role("link", name="Send", exact=True).click()

    expect(page.get_by_text(f"Covered by the release to {CHOSEN_ORG}")).to_be_visible()
    expect(page.get_by_text("Not covered by a release.")).to_have_count(0)
    expect(field(page, "Send the secure link to")).to_have_value(PROVIDER_EMAIL)
    page.get_by_role("button", name="Send the referral").click()

    expect(status_message(page)).to_contain_text("The referral is sent.")
    expect(page.get_by_role("heading", level=2, name=f"Referral to {CHOSEN}")).to_be_visible()
    expect(page.locator("main .badge.text-bg-info").first).to_have_text("Sent")

    # --- The provider, in a browser of their own, without an account -----------------------
    referral = Referral.objects.get(client=north_client)
    assert referral.service_id == directory.chosen.pk
    assert len(mail.outbox) == 1, [m.subject for m in mail.outbox]
    message = mail.outbox[0]
    assert message.to == [PROVIDER_EMAIL]
    found = LINK.search(str(message.body))
    assert found, message.body
    provider_url = found.group(0)

    provider_context = browser.new_context(base_url=live_server.url, locale="en-US")
    provider_context.set_default_timeout(TIMEOUT_MS)
    try:
        provider = provider_context.new_page()
        response = provider.goto(provider_url)
        assert response is not None and response.status == 200
        expect(provider.get_by_role("heading", level=1)).to_contain_text(f"to {CHOSEN}")
        packet = provider.get_by_role("region", name="What the client agreed to share")
        expect(packet).to_contain_text(f"Name: {north_client.legal_name}")
        expect(packet).to_contain_text(SUMMARY)
        expect(packet).to_contain_text(WANTED)
        expect(provider.get_by_role("main")).not_to_contain_text(BACKSTORY)
        provider.get_by_role("button", name="Accept the referral").click()

        expect(provider.locator("main .badge").first).to_have_text("Accepted")
        intake = today + dt.timedelta(days=7)
        provider.get_by_label("Intake date").fill(intake.isoformat())
        provider.get_by_label("Where and with whom (optional)").fill("Front desk, with Dana.")
        provider.get_by_role("button", name="Schedule intake").click()
        expect(
            provider.get_by_text(f"Intake is scheduled for {long_date(intake)}.")
        ).to_be_visible()
        expect(provider.locator("main .badge").first).to_have_text("In progress")
    finally:
        provider_context.close()

    # --- Back with the case manager ------------------------------------------------------
    page.reload()
    expect(page.locator("main .badge.text-bg-info").first).to_have_text("In progress")
    expect(page.get_by_text(f"Intake on {long_date(intake)}.")).to_be_visible()
    history = page.get_by_role("complementary").get_by_role("list").first
    via_link = f"({CHOSEN_ORG} (via the referral link))"
    expect(history.get_by_role("listitem").filter(has_text="Accepted")).to_contain_text(via_link)
    expect(history.get_by_role("listitem").filter(has_text="In progress")).to_contain_text(via_link)
    expect(history.get_by_role("listitem").filter(has_text="Sent")).to_contain_text(
        str(case_manager)
    )

    tab(page, "Releases").click()
    releases = page.get_by_role("table")
    expect(releases.get_by_role("row").filter(has_text=CHOSEN_ORG)).to_contain_text("Active")
    expect(releases.locator("tbody tr")).to_have_count(1)
    page.get_by_role("link", name="Accounting of disclosures").click()
    disclosures = page.get_by_role("table")
    expect(disclosures.locator("caption")).to_have_text("1 disclosure, newest first")
    expect(disclosures.locator("tbody tr")).to_have_count(1)
    expect(disclosures.locator("tbody tr")).to_contain_text(CHOSEN_ORG)
    expect(disclosures.locator("tbody tr")).to_contain_text(f"Referral to {CHOSEN}")


def test_an_expired_link_offers_nothing(
    page: Page,
    live_server: LiveServer,
    case_manager: User,
    north_client: Client,
    goal: Goal,
    directory: Directory,
) -> None:
    referral, path = sent_referral(north_client, case_manager, goal, directory.chosen)
    ProviderLink.objects.filter(referral=referral).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )

    response = page.goto(path)
    assert response is not None and response.status == 410
    expect(page.get_by_role("heading", level=1)).to_have_text("This referral link has expired")
    main = page.get_by_role("main")
    expect(main).to_contain_text("Contact the case manager who sent the referral")
    expect(main).not_to_contain_text(north_client.legal_name)
    expect(main).not_to_contain_text(SUMMARY)
    expect(main.get_by_role("button")).to_have_count(0)
    expect(main.locator("form")).to_have_count(0)
