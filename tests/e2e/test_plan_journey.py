"""A case manager's planning journey in a real browser, clicking through the client's tabs:
the intake assessment, a PHQ-9, the service plan built from them, the supervisor's approval,
the review that revises the plan, and the two versions side by side. And the PHQ-9 answer that
raises a safety flag, shown on every client page until the follow-up is recorded."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect
from pytest_django.live_server_helper import LiveServer

from careplans.models import Domain, Instrument
from casemgmt.accounts.models import User
from clients.models import Client

from ..careplans.test_measures import load_instrument
from .conftest import login

pytestmark = pytest.mark.e2e

HOUSING_WORDS = "I want a place of my own where my kids can visit."
MOOD_WORDS = "I want to feel like myself again."
JUSTIFICATION = "Housing search stalled: the voucher waitlist closed, so we change the approach."
PROVIDER = "Harbor Counseling Center"
# PHQ-9 answers by item: 2+2+2+2+1+1+1+1+0 = 12, "Moderate"; item 9 (self-harm) answered 0.
PHQ9_ANSWERS = {1: 2, 2: 2, 3: 2, 4: 2, 5: 1, 6: 1, 7: 1, 8: 1, 9: 0}
PHQ9_OPTIONS = {
    0: "Not at all (0)",
    1: "Several days (1)",
    2: "More than half the days (2)",
    3: "Nearly every day (3)",
}


@pytest.fixture
def phq9(db: None) -> Instrument:
    # live_server tests flush the tables afterwards, the migration's instruments with them.
    return load_instrument("phq-9")


def field(scope: Page | Locator, label: str) -> Locator:
    """A form field by its label; crispy adds "*" to the labels of required fields."""
    return scope.get_by_label(re.compile(rf"^\s*{re.escape(label)}\s*\*?\s*$"))


def status_message(page: Page) -> Locator:
    """The flash messages after a redirect."""
    return page.get_by_role("main").get_by_role("status").first


def plan_status(page: Page) -> Locator:
    """The status badge under the heading of the plan version shown."""
    heading = page.get_by_role("heading", level=2, name=re.compile(r"^Service plan, version"))
    return heading.locator("xpath=following-sibling::p[1]").locator(".badge")


def tab(page: Page, name: str) -> Locator:
    return page.locator("ul.nav-tabs").get_by_role("link", name=name, exact=True)


def sign_out(page: Page, user: User) -> None:
    """Through the user menu, named after the user."""
    page.get_by_role("navigation", name="Main").get_by_role("button", name=str(user)).click()
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))


def open_client_from_my_caseload(page: Page, client: Client) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My caseload").click()
    page.locator("#results").get_by_role(
        "link", name=f"{client.legal_last_name}, {client.legal_first_name}"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(client.display_name)


def answer_phq9(page: Page, answers: dict[int, int]) -> None:
    for number, value in answers.items():
        question = page.get_by_role("group", name=re.compile(rf"^{number}\. "))
        question.get_by_label(PHQ9_OPTIONS[value], exact=True).check()


def test_assessment_measure_plan_approval_review_and_revision(
    page: Page,
    live_server: LiveServer,
    case_manager: User,
    supervisor: User,
    north_client: Client,
    phq9: Instrument,
) -> None:
    today = timezone.localdate()
    name = north_client.display_name
    login(page, live_server, case_manager.email)
    page.goto(f"/clients/{north_client.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(name)

    # --- The intake assessment ------------------------------------------------------------
    tab(page, "Assessments").click()
    expect(tab(page, "Assessments")).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("heading", level=2, name="Assessments")).to_be_visible()
    expect(page.get_by_text("No assessments yet.")).to_be_visible()
    page.get_by_role("button", name="Start intake assessment").click()

    expect(status_message(page)).to_contain_text("The intake assessment is started.")
    expect(
        page.get_by_role("heading", level=2, name=re.compile("^Intake assessment"))
    ).to_contain_text("Draft")
    # Each domain is a group named after it, holding its "Need level" radio buttons.
    levels: dict[Domain, str] = {Domain.HOUSING: "High", Domain.MENTAL_HEALTH: "Moderate"}
    for domain in Domain:
        domain_group = page.get_by_role("group", name=str(domain.label), exact=True)
        level = levels.get(domain, "None")
        domain_group.get_by_role("radio", name=level, exact=True).check()
    page.get_by_role("group", name="Housing", exact=True).get_by_label("Notes").fill(
        "Staying on her sister's couch since the eviction."
    )
    page.get_by_label("Strengths and protective factors").fill(
        "Close to her sister; keeps every appointment; wants to work."
    )
    page.get_by_label("What the client wants, in their own words").fill(
        f"{HOUSING_WORDS} {MOOD_WORDS}"
    )
    page.get_by_role("button", name="Complete assessment").click()

    expect(status_message(page)).to_contain_text("The assessment is completed.")
    detail_heading = page.get_by_role("heading", level=2, name=re.compile("^Intake assessment"))
    expect(detail_heading).to_contain_text("Completed")
    expect(page.get_by_role("blockquote")).to_contain_text(HOUSING_WORDS)
    expect(page.get_by_role("heading", name="High need: 1 area")).to_be_visible()
    expect(page.get_by_role("heading", name="Moderate need: 1 area")).to_be_visible()
    expect(page.get_by_role("heading", name="None need: 10 areas")).to_be_visible()

    # --- A PHQ-9 ----------------------------------------------------------------------------
    tab(page, "Measures").click()
    expect(page.get_by_role("heading", level=2, name="Standardized measures")).to_be_visible()
    page.get_by_role("link", name="Administer PHQ-9").click()
    expect(page.get_by_role("heading", level=2, name="Administer PHQ-9")).to_be_visible()
    answer_phq9(page, PHQ9_ANSWERS)
    page.get_by_role("button", name="Score and save").click()

    expect(status_message(page)).to_contain_text("PHQ-9 saved: 12, Moderate.")
    expect(page.get_by_role("heading", level=2, name=re.compile("^PHQ-9 answered"))).to_be_visible()
    result = page.get_by_role("main").locator("dl").first
    expect(result).to_contain_text("Total score")
    expect(result).to_contain_text("12 of 27")
    expect(result).to_contain_text("Moderate")
    expect(page.get_by_text("Safety follow-up needed")).to_have_count(0)

    # --- The service plan ----------------------------------------------------------------
    tab(page, "Service plan").click()
    expect(page.get_by_role("heading", level=2, name="Service plan")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text(
        f"from the Intake assessment {today.isoformat()}"
    )
    expect(field(page, "Service start")).to_have_value(today.isoformat())
    page.get_by_role("button", name="Start the plan").click()

    expect(status_message(page)).to_contain_text("The plan is started. Add the goals you agreed.")
    expect(page.get_by_role("heading", level=2, name="Service plan, version 1")).to_be_visible()
    expect(plan_status(page)).to_have_text("Draft")
    expect(page.get_by_text("No goals yet.")).to_be_visible()

    # Goal 1: housing, with a numeric indicator.
    page.get_by_role("link", name="Add a goal").click()
    expect(page.get_by_role("heading", level=2, name="Add a goal")).to_be_visible()
    field(page, "Need it addresses").select_option(label="Housing")
    field(page, "Goal in the client's words").fill(HOUSING_WORDS)
    field(page, "Measurable indicator").fill("Nights in own housing per month")
    field(page, "Baseline").fill("0 nights")
    field(page, "Target").fill("30 nights")
    field(page, "Baseline (number)").fill("0")
    field(page, "Target (number)").fill("30")
    field(page, "Target date").fill((today + dt.timedelta(days=80)).isoformat())
    page.get_by_role("button", name="Save").click()

    expect(status_message(page)).to_contain_text("The goal is saved.")
    expect(status_message(page)).to_contain_text("Now add what will be done toward it.")
    expect(page.get_by_role("heading", level=2, name="Add an intervention")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text(f"Goal: {HOUSING_WORDS}")
    field(page, "What").fill("Apply for rapid re-housing together and visit listings.")
    field(page, "Delivered by (staff member)").select_option(label=str(case_manager))
    field(page, "How often").fill("Weekly")
    expect(field(page, "From")).to_have_value(today.isoformat())
    page.get_by_role("button", name="Save").click()
    expect(status_message(page)).to_contain_text("The intervention is saved.")

    # Goal 2: mental health, judged by the PHQ-9, with a provider outside the team.
    page.get_by_role("link", name="Add a goal").click()
    field(page, "Need it addresses").select_option(label="Mental health")
    field(page, "Goal in the client's words").fill(MOOD_WORDS)
    field(page, "Measurable indicator").fill("PHQ-9 total score")
    field(page, "Baseline").fill("12 (moderate)")
    field(page, "Target").fill("below 10")
    field(page, "Target date").fill((today + dt.timedelta(days=80)).isoformat())
    field(page, "Judged by measure").select_option(label="PHQ-9")
    field(page, "Measure target").select_option(label="below")
    field(page, "Measure threshold").fill("10")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=2, name="Add an intervention")).to_be_visible()
    field(page, "What").fill("Weekly counselling sessions.")
    field(page, "Delivered by (provider or person)").fill(PROVIDER)
    field(page, "How often").fill("Weekly")
    page.get_by_role("button", name="Save").click()
    expect(status_message(page)).to_contain_text("The intervention is saved.")

    goal_1 = page.get_by_role("region", name="Goal 1 · Housing")
    goal_2 = page.get_by_role("region", name="Goal 2 · Mental health")
    expect(goal_1).to_contain_text(HOUSING_WORDS)
    expect(goal_1).to_contain_text("0 nights → 30 nights")
    expect(goal_1).to_contain_text(f"{case_manager} · Weekly")
    expect(goal_2).to_contain_text(MOOD_WORDS)
    expect(goal_2).to_contain_text("PHQ-9 below 10")
    expect(goal_2).to_contain_text(f"{PROVIDER} · Weekly")

    # The planning meeting, then the client signs.
    page.get_by_role("link", name="Record the planning meeting").click()
    expect(page.get_by_role("heading", level=2, name="Record the planning meeting")).to_be_visible()
    expect(field(page, "The client took part")).to_be_checked()
    expect(field(page, "Who took part")).to_have_value(re.compile(re.escape(name)))
    field(page, "Notes").fill("Agreed both goals; her sister joined by phone.")
    page.get_by_role("button", name="Save").click()
    expect(status_message(page)).to_contain_text("The planning meeting is recorded.")
    expect(plan_status(page)).to_have_text("Planning meeting recorded")
    expect(page.get_by_role("region", name="Planning meeting")).to_contain_text(
        "her sister joined by phone"
    )

    page.get_by_role("link", name="Finalize the plan").click()
    expect(page.get_by_role("heading", level=2, name="Finalize the plan")).to_be_visible()
    page.get_by_role("radio", name="Signed by the client").check()
    page.get_by_role("button", name="Save").click()
    expect(status_message(page)).to_contain_text(
        "The plan is finalized and waits for a supervisor's approval."
    )
    expect(plan_status(page)).to_have_text("Finalized, awaiting supervisor approval")
    expect(page.get_by_role("region", name="Next step")).to_contain_text(
        "Waiting for a supervisor of the client's team to approve it."
    )
    # The case manager wrote it: no approving their own plan.
    expect(page.get_by_role("button", name="Approve")).to_have_count(0)

    # --- The supervisor approves -----------------------------------------------------------
    sign_out(page, case_manager)
    login(page, live_server, supervisor.email)
    # The plans-only queue; the Supervision menu leads to the combined one.
    page.goto("/plans/approvals/")
    expect(page.get_by_role("heading", level=1, name="Plans awaiting approval")).to_be_visible()
    row = page.get_by_role("row").filter(has_text=name)
    expect(row).to_contain_text("Version 1")
    expect(row).to_contain_text(f"by {case_manager}")
    row.get_by_role("button", name=f"Approve {name}").click()
    expect(status_message(page)).to_contain_text("The plan is approved and active.")
    expect(page.get_by_text("No plan is waiting for approval.")).to_be_visible()

    # --- The case manager reviews and revises ------------------------------------------
    sign_out(page, supervisor)
    login(page, live_server, case_manager.email)
    open_client_from_my_caseload(page, north_client)
    tab(page, "Service plan").click()
    expect(page.get_by_role("heading", level=2, name="Service plan, version 1")).to_be_visible()
    expect(plan_status(page)).to_have_text("Active")
    expect(page.get_by_role("main")).to_contain_text(f"approved by {supervisor}")
    page.get_by_role("button", name="Start the review").click()

    expect(page.get_by_role("heading", level=2, name="Review of version 1")).to_be_visible()
    housing = page.get_by_role("group", name=f"1. {HOUSING_WORDS}")
    field(housing, "Progress").select_option(label="In progress")
    field(housing, "Indicator now").fill("12 nights")
    field(housing, "Indicator now (number)").fill("12")
    field(housing, "Notes").fill("Two weeks a month in a shelter bed she chose.")
    mood = page.get_by_role("group", name=f"2. {MOOD_WORDS}")
    field(mood, "Progress").select_option(label="Partially met")
    field(mood, "Indicator now").fill("PHQ-9 of 11")
    decision = page.get_by_role("region", name="Your decision")
    decision.get_by_role("radio", name="Revise the plan").check()
    field(decision, "Justification (required for any change)").fill(JUSTIFICATION)
    page.get_by_role("button", name="Record the review").click()

    expect(status_message(page)).to_contain_text(
        "The review is recorded. Version 2 is open for the changes."
    )
    expect(page.get_by_role("heading", level=2, name="Service plan, version 2")).to_be_visible()
    expect(plan_status(page)).to_have_text("Draft")
    expect(page.get_by_text(f"Why this version: {JUSTIFICATION}")).to_be_visible()
    # The goals and interventions are carried over into the draft.
    expect(page.get_by_role("region", name="Goal 1 · Housing")).to_contain_text(HOUSING_WORDS)
    expect(page.get_by_role("region", name="Goal 2 · Mental health")).to_contain_text(PROVIDER)
    # The aside lists the versions, then this version's history.
    versions = page.get_by_role("complementary", name="Versions").get_by_role("list").first
    expect(versions.get_by_role("listitem")).to_have_count(2)
    expect(versions.get_by_role("listitem").first).to_contain_text("Version 2 — Draft")
    expect(versions.get_by_role("listitem").first).to_have_attribute("aria-current", "true")
    expect(versions.get_by_role("listitem").last).to_contain_text("Version 1 — Under review")

    page.get_by_role("link", name="What changed from the previous version").click()
    expect(page.get_by_role("heading", level=2, name="From version 1 to version 2")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text(f"Why: {JUSTIFICATION}")
    expect(
        page.get_by_text("The goals and interventions are the same in both versions.")
    ).to_be_visible()

    # Version 1 is kept as it was, with the review that led to version 2.
    page.get_by_role("link", name="Back to the plan").click()
    versions.get_by_role("link", name="Version 1").click()
    expect(page.get_by_role("heading", level=2, name="Service plan, version 1")).to_be_visible()
    expect(plan_status(page)).to_have_text("Under review")
    expect(page.get_by_role("region", name="Goal 1 · Housing")).to_contain_text(
        "0 nights → 30 nights"
    )
    reviews = page.get_by_role("region", name="Reviews")
    expect(reviews).to_contain_text("Revise the plan")
    expect(reviews).to_contain_text(JUSTIFICATION)
    expect(reviews).to_contain_text(f"{HOUSING_WORDS}: In progress — 12 nights")
    expect(reviews).to_contain_text(f"{MOOD_WORDS}: Partially met — PHQ-9 of 11")


def test_phq9_self_harm_answer_raises_the_safety_flag_until_followed_up(
    page: Page,
    live_server: LiveServer,
    case_manager: User,
    north_client: Client,
    phq9: Instrument,
) -> None:
    login(page, live_server, case_manager.email)
    page.goto(f"/clients/{north_client.pk}/")
    banner_heading = page.get_by_role("heading", name=re.compile(r"Safety follow-up needed$"))
    expect(banner_heading).to_have_count(0)

    tab(page, "Measures").click()
    page.get_by_role("link", name="Administer PHQ-9").click()
    answer_phq9(page, {**PHQ9_ANSWERS, 9: 1})
    page.get_by_role("button", name="Score and save").click()

    expect(status_message(page)).to_contain_text("PHQ-9 saved: 13, Moderate.")
    crisis = page.get_by_role("alert").filter(has_text="Safety follow-up needed now")
    expect(crisis).to_contain_text("Follow the agency's crisis action plan")
    expect(crisis).to_contain_text("Stay with the person, or keep them on the line.")
    expect(page.get_by_role("row").filter(has_text="needs safety follow-up")).to_contain_text(
        "Thoughts that you would be better off dead"
    )
    # The client header carries the flag on every client page.
    expect(banner_heading).to_be_visible()
    tab(page, "Fact sheet").click()
    expect(banner_heading).to_be_visible()
    banner = page.get_by_role("region", name=re.compile(r"Safety follow-up needed$"))
    expect(banner).to_contain_text("PHQ-9")

    banner.get_by_label("Follow-up done (who was contacted, what was agreed)").fill(
        "Called her the same day with the crisis counsellor; safety plan agreed."
    )
    banner.get_by_role("button", name="Record the follow-up").click()
    expect(status_message(page)).to_contain_text("The safety follow-up is recorded.")
    expect(banner_heading).to_have_count(0)
    tab(page, "Measures").click()
    expect(page.get_by_role("heading", level=2, name="Standardized measures")).to_be_visible()
    expect(banner_heading).to_have_count(0)
