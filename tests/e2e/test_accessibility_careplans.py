"""axe-core on the assessment, measure and service plan pages: each page as it is read, and the
forms as they come back with errors.

The records are built through the services beforehand (the journey test clicks through them);
one sign-in per test, and every page's findings reported together, so that one page's failure
hides no other's. Only "serious" and "critical" violations fail.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from careplans.models import (
    Assessment,
    Domain,
    NeedLevel,
    PlanStatus,
    ReviewDecision,
    ServicePlan,
)
from careplans.services import assessments as assessment_services
from careplans.services import plans as plan_services
from casemgmt.accounts.models import Team, User
from clients.models import Client

from ..careplans.plan_fixtures import (
    completed_assessment,
    goal_data,
    intervention_data,
    plan_in_status,
)
from ..careplans.test_measures import administer, load_instrument
from ..factories import make_client
from .conftest import login
from .test_accessibility import serious_violations

pytestmark = pytest.mark.e2e


@dataclass
class Records:
    client: Client  # two completed assessments, measures, a plan in two versions
    reassessment: Assessment
    flagged_measure_pk: int
    plan: ServicePlan  # version 1, under review, due within the fortnight
    revision: ServicePlan  # version 2, a draft with changes
    new_client: Client  # nothing recorded yet
    assessed_client: Client  # a completed assessment and no plan


def _complete_assessment(
    actor: User, client: Client, on: dt.date, levels: dict[str, str], words: str
) -> Assessment:
    assessment = assessment_services.assessment_start(actor=actor, client=client, assessed_on=on)
    assessment_services.assessment_update(
        actor=actor,
        assessment=assessment,
        data={
            "strengths": "Close to her sister; keeps appointments.",
            "barriers": ["no_transport", "financial_strain"],
            "barrier_notes": "The bus to the clinic takes an hour.",
            "client_words": words,
        },
        needs={
            domain: (levels.get(domain, NeedLevel.NONE), "Discussed." if domain in levels else "")
            for domain in Domain.values
        },
    )
    return assessment_services.assessment_complete(actor=actor, assessment=assessment)


@pytest.fixture
def records(
    case_manager: User, supervisor: User, north_client: Client, team_north: Team
) -> Records:
    today = timezone.localdate()
    load_instrument("gad-7")  # offered on the Measures tab beside the PHQ-9
    phq9 = load_instrument("phq-9")
    _complete_assessment(
        case_manager,
        north_client,
        today - dt.timedelta(days=120),
        {Domain.HOUSING: NeedLevel.HIGH, Domain.MENTAL_HEALTH: NeedLevel.MODERATE},
        "I want my own place.",
    )
    reassessment = _complete_assessment(
        case_manager,
        north_client,
        today - dt.timedelta(days=82),
        {Domain.HOUSING: NeedLevel.MODERATE, Domain.MENTAL_HEALTH: NeedLevel.HIGH},
        "I want my own place and to feel less down.",
    )
    administer(case_manager, north_client, "phq-9", total=14, on=today - dt.timedelta(days=82))
    administer(case_manager, north_client, "gad-7", total=8, on=today - dt.timedelta(days=82))
    administer(case_manager, north_client, "gad-7", total=6, on=today - dt.timedelta(days=30))
    # Item 9 above 0: the crisis action plan on the result, the banner on every client page.
    flagged = administer(
        case_manager, north_client, "phq-9", {1: 2, 2: 2, 3: 2, 4: 2, 5: 2, 6: 1, 7: 1, 8: 0, 9: 1}
    )

    # Version 1: started 80 days ago, so its review (at 90 days) is due within the fortnight.
    plan = plan_services.plan_create(
        actor=case_manager, assessment=reassessment, service_start=today - dt.timedelta(days=80)
    )
    housing = plan_services.goal_save(actor=case_manager, plan=plan, data=goal_data(plan))
    plan_services.intervention_save(
        actor=case_manager, goal=housing, data=intervention_data(plan, case_manager)
    )
    mood = plan_services.goal_save(
        actor=case_manager,
        plan=plan,
        data=goal_data(
            plan,
            domain=Domain.MENTAL_HEALTH,
            client_words="I want to feel less down.",
            indicator="PHQ-9 total score",
            baseline="14",
            target="below 10",
            baseline_value=None,
            target_value=None,
            instrument=phq9,
            instrument_comparison="below",
            instrument_threshold=10,
        ),
    )
    plan_services.intervention_save(
        actor=case_manager,
        goal=mood,
        data=intervention_data(plan, case_manager, staff=None, provider="Harbor Counseling Center"),
    )
    plan_services.plan_record_meeting(
        actor=case_manager,
        plan=plan,
        meeting_date=plan.service_start,
        participants="Maria Rivera (client), Casey North (case manager)",
        client_participated=True,
        notes="",
    )
    plan_services.plan_finalize(actor=case_manager, plan=plan, agreement="signed")
    plan_services.plan_approve(actor=supervisor, plan=plan)
    _review, revision = plan_services.plan_review_record(
        actor=case_manager,
        plan=plan,
        reviewed_on=today,
        decision=ReviewDecision.REVISE,
        justification="The voucher waitlist closed; we change the housing approach.",
        goal_progress=[
            plan_services.GoalProgress(
                goal=housing,
                progress="in_progress",
                current_value="12 nights",
                current_number=Decimal(12),
            ),
            plan_services.GoalProgress(goal=mood, progress="partially_met", current_value="13"),
        ],
    )
    assert revision is not None
    # Version 2 changes a goal and adds an intervention, so the differences have rows.
    new_housing = revision.goals.get(key=housing.key)
    plan_services.goal_save(
        actor=case_manager,
        plan=revision,
        goal=new_housing,
        data={"target": "20 nights", "target_value": 20},
    )
    plan_services.intervention_save(
        actor=case_manager,
        goal=new_housing,
        data=intervention_data(
            revision,
            case_manager,
            description="Ask the landlord network for shared rooms.",
            frequency="every two weeks",
        ),
    )
    return Records(
        client=north_client,
        reassessment=reassessment,
        flagged_measure_pk=flagged.pk,
        plan=ServicePlan.objects.get(pk=plan.pk),
        revision=ServicePlan.objects.get(pk=revision.pk),
        new_client=make_client(
            case_manager=case_manager,
            team=team_north,
            legal_first_name="Kwame",
            legal_last_name="Mensah",
        ),
        assessed_client=_assessed_client(case_manager, team_north),
    )


def _assessed_client(case_manager: User, team: Team) -> Client:
    client = make_client(
        case_manager=case_manager, team=team, legal_first_name="Lena", legal_last_name="Novak"
    )
    completed_assessment(client, case_manager)
    return client


def _report(findings: dict[str, str]) -> str:
    return "axe found:\n" + "\n\n".join(f"== {name}\n{report}" for name, report in findings.items())


def test_case_manager_careplan_pages(
    page: Page, live_server: LiveServer, case_manager: User, records: Records
) -> None:
    client, plan, revision = records.client, records.plan, records.revision
    assert plan.status == PlanStatus.UNDER_REVIEW and revision.status == PlanStatus.DRAFT
    login(page, live_server, case_manager.email)
    findings: dict[str, str] = {}

    def visit(name: str, path: str, heading: str) -> None:
        response = page.goto(path)
        assert response is not None and response.ok, f"{name}: {path} answered {response}"
        check(name, heading)

    def check(name: str, heading: str) -> None:
        """axe on the page once `heading` shows (a heading's or a legend's text)."""
        expect(page.get_by_role("main").get_by_text(heading).first).to_be_visible()
        page.mouse.move(0, 0)  # no hover colours: axe checks the resting state
        if report := serious_violations(page):
            findings[f"{name} ({page.url})"] = report

    def submit(button: str, problem: str = "There is a problem") -> None:
        page.get_by_role("button", name=button).click()
        expect(page.get_by_role("alert").filter(has_text=problem).first).to_be_visible()

    base = f"/clients/{client.pk}"
    # --- Assessments --------------------------------------------------------------------
    visit("Assessments tab", f"{base}/assessments/", "Compare two assessments")
    visit(
        "assessment detail",
        f"{base}/assessments/{records.reassessment.pk}/",
        "Needs by area of life, greatest first",
    )
    page.get_by_role("link", name="Compare with the previous assessment").click()
    check("assessment comparison", "Two assessments side by side")

    visit(
        "Assessments tab, none yet", f"/clients/{records.new_client.pk}/assessments/", "Assessments"
    )
    page.get_by_role("button", name="Start intake assessment").click()
    check("assessment edit, empty", "Intake assessment")
    submit("Complete assessment")
    check("assessment edit, with errors", "There is a problem")

    # --- Measures -----------------------------------------------------------------------
    visit("Measures tab", f"{base}/measures/", "Scores over time")
    expect(page.locator("figure.measure-chart svg")).to_have_count(2)
    visit("measure form", f"{base}/measures/new/phq-9/", "Administer PHQ-9")
    submit("Score and save")
    check("measure form, with errors", "There is a problem")
    visit(
        "measure result with the safety flag",
        f"{base}/measures/{records.flagged_measure_pk}/",
        "Safety follow-up needed now",
    )
    expect(
        page.get_by_role("heading", name="⚠ Safety follow-up needed", exact=True)
    ).to_be_visible()

    # --- Service plan -----------------------------------------------------------------
    visit(
        "Service plan tab, no plan yet",
        f"/clients/{records.assessed_client.pk}/plan/",
        "Service plan",
    )
    expect(page.get_by_role("button", name="Start the plan")).to_be_visible()
    page.get_by_label("Plan review date").fill("2000-01-01")
    submit("Start the plan")
    check("Service plan tab, with errors", "There is a problem")

    visit("plan version 1, under review", f"{base}/plans/{plan.pk}/", "Service plan, version 1")
    expect(page.get_by_text("Progress: nights in own housing per month")).to_be_visible()
    visit("plan version 2, draft", f"{base}/plans/{revision.pk}/", "Service plan, version 2")
    page.get_by_role("link", name="Add a goal").click()
    submit("Save")
    check("goal form, with errors", "There is a problem")
    # Each message is tied to its field, and the summary's links move focus to it.
    need = page.get_by_label("Need it addresses")
    expect(need).to_have_attribute("aria-invalid", "true")
    expect(need).to_have_accessible_description("This field is required.")
    page.get_by_role("link", name="Target date: This field is required.").click()
    expect(page.get_by_label("Target date")).to_be_focused()

    visit("review form", f"{base}/plans/{plan.pk}/review/", "Review of version 1")
    # Nothing chosen: each goal's progress is missing.
    submit("Record the review")
    check("review form, with errors", "There is a problem")

    visit("what changed", f"{base}/plans/{revision.pk}/changes/", "From version 1 to version 2")
    expect(page.get_by_role("heading", name="Goal changed:")).to_be_visible()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Plans due").click()
    expect(page.get_by_role("row").filter(has_text=client.display_name)).to_be_visible()
    check("plans due", "Plans due for review")

    assert not findings, _report(findings)


def test_supervisor_careplan_pages(
    page: Page,
    live_server: LiveServer,
    case_manager: User,
    supervisor: User,
    north_client: Client,
) -> None:
    load_instrument("phq-9")
    plan = plan_in_status(north_client, case_manager, PlanStatus.FINALIZED)
    login(page, live_server, supervisor.email)
    findings: dict[str, str] = {}

    def check(name: str) -> None:
        page.mouse.move(0, 0)
        if report := serious_violations(page):
            findings[f"{name} ({page.url})"] = report

    # The plans-only queue; the Supervision menu leads to the combined one.
    page.goto("/plans/approvals/")
    expect(page.get_by_role("heading", level=1, name="Plans awaiting approval")).to_be_visible()
    expect(page.get_by_role("button", name=f"Approve {north_client.display_name}")).to_be_visible()
    check("approvals")

    page.get_by_role("link", name=north_client.display_name, exact=True).click()
    expect(
        page.get_by_role("heading", name=f"Service plan, version {plan.version}")
    ).to_be_visible()
    expect(page.get_by_role("button", name="Approve")).to_be_visible()
    check("plan awaiting approval")

    page.get_by_role("link", name="Return with a comment").click()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    check("return form, with errors")

    assert not findings, _report(findings)
