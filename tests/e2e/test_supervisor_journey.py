"""A supervisor's morning in a real browser: the dashboard shows where a caseload needs
attention, a figure opens the list behind it, the plan waiting in the approvals queue is
approved, and a client is reassigned to a colleague — who then finds the client on their
own caseload."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect
from pytest_django.live_server_helper import LiveServer

from careplans.models import PlanStatus, ServicePlan
from casemgmt.accounts.models import Team, User
from clients.models import Client, Reassignment

from ..careplans.plan_fixtures import plan_in_status
from ..factories import make_client
from .conftest import login

pytestmark = pytest.mark.e2e


def main_nav(page: Page) -> Locator:
    return page.get_by_role("navigation", name="Main")


def test_dashboard_drill_down_approve_and_reassign(
    page: Page,
    live_server: LiveServer,
    case_manager: User,
    teammate: User,
    supervisor: User,
    team_north: Team,
    north_client: Client,
) -> None:
    second = make_client(
        case_manager=case_manager,
        team=team_north,
        legal_first_name="Ahmed",
        legal_last_name="Hassan",
    )
    plan = plan_in_status(north_client, case_manager, PlanStatus.FINALIZED)
    login(page, live_server, supervisor.email)

    # --- The dashboard: one row per case manager, every figure a link -------------------
    main_nav(page).get_by_role("button", name="Supervision").click()
    main_nav(page).get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("heading", level=1, name="Supervisor dashboard")).to_be_visible()
    casey = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Casey North"))
    expect(casey.locator('[data-figure="active"] .figure-value')).to_have_text("2")
    # Two clients count 1 each; Maria's assessment rates housing a high need (weight 1).
    expect(casey.locator('[data-figure="load"] .figure-value')).to_have_text("3")
    terry = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Terry Mate"))
    expect(terry.locator('[data-figure="active"] .figure-value')).to_have_text("0")

    # --- Drill down: the two clients behind Casey's number ---------------------------------
    casey.get_by_role("link", name=re.compile(r"Active clients, Casey North")).click()
    expect(page.get_by_role("heading", level=1, name="Active clients: Casey North")).to_be_visible()
    rows = page.locator("#drill-rows tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="Maria Rivera")).to_have_count(1)
    expect(rows.filter(has_text="Ahmed Hassan")).to_have_count(1)

    # --- Approve the plan from the one approvals queue --------------------------------------
    main_nav(page).get_by_role("button", name="Supervision").click()
    main_nav(page).get_by_role("link", name=re.compile(r"^Approvals")).click()
    expect(page.get_by_role("heading", level=1, name="Approvals")).to_be_visible()
    item = page.locator(f"#approval-plan-{plan.pk}")
    expect(item).to_contain_text("Maria Rivera")
    item.get_by_role("button", name=re.compile(r"^Approve")).click()
    expect(page.locator("#approval-status")).to_contain_text("The plan is approved and active.")
    expect(page.locator(f"#approval-plan-{plan.pk}")).to_have_count(0)
    assert ServicePlan.objects.get(pk=plan.pk).status == PlanStatus.ACTIVE

    # --- Reassign Ahmed to Terry, from the dashboard ---------------------------------------
    main_nav(page).get_by_role("button", name="Supervision").click()
    main_nav(page).get_by_role("link", name="Dashboard").click()
    casey = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Casey North"))
    casey.get_by_role("link", name=re.compile(r"^Reassign")).click()
    expect(page.get_by_role("heading", level=1, name="Reassign clients")).to_be_visible()
    page.get_by_role("checkbox", name=re.compile(r"Ahmed Hassan")).check()
    page.get_by_label("New primary case manager").select_option(label="Terry Mate")
    page.get_by_role("button", name="Reassign the chosen clients").click()
    expect(page.get_by_text("Say why the clients are being reassigned.").first).to_be_visible()
    # Nothing typed is lost: the ticked client and the chosen colleague are still there.
    expect(page.get_by_role("checkbox", name=re.compile(r"Ahmed Hassan"))).to_be_checked()
    page.get_by_label("Reason").fill("Ahmed asked for a worker who speaks Arabic.")
    page.get_by_role("button", name="Reassign the chosen clients").click()
    expect(page.get_by_text("1 client reassigned to Terry Mate")).to_be_visible()
    expect(page.get_by_role("table")).to_contain_text("Ahmed asked for a worker who speaks Arabic.")

    move = Reassignment.objects.get()
    assert (move.client, move.from_case_manager, move.to_case_manager) == (
        second,
        case_manager,
        teammate,
    )

    # The dashboard's figures follow.
    main_nav(page).get_by_role("button", name="Supervision").click()
    main_nav(page).get_by_role("link", name="Dashboard").click()
    terry = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Terry Mate"))
    expect(terry.locator('[data-figure="active"] .figure-value')).to_have_text("1")
    expect(casey.locator('[data-figure="active"] .figure-value')).to_have_text("1")

    # --- The client's page keeps the hand-over -----------------------------------------------
    page.goto(f"/clients/{second.pk}/")
    expect(page.get_by_role("main")).to_contain_text("Casey North → Terry Mate")
