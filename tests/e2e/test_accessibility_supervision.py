"""axe-core on the supervisor's and the administrator's pages: the dashboard with its charts
and a list behind a figure, the approvals queue, reassignment, staffing meetings, reports,
and the staff and team pages. Serious and critical findings fail; all pages are checked
before the test reports, so one run lists every page's findings."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from careplans.models import PlanStatus
from casemgmt.accounts.models import Team, User
from clients.models import Client

from ..careplans.plan_fixtures import plan_in_status
from ..factories import make_client
from .conftest import login
from .test_accessibility import serious_violations

pytestmark = pytest.mark.e2e


def _check_all(page: Page, paths: dict[str, str]) -> dict[str, str]:
    findings: dict[str, str] = {}
    for name, path in paths.items():
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        page.mouse.move(0, 0)
        if report := serious_violations(page):
            findings[f"{name} ({path})"] = report
    return findings


def test_supervision_pages(
    page: Page,
    live_server: LiveServer,
    case_manager: User,
    supervisor: User,
    team_north: Team,
    north_client: Client,
) -> None:
    make_client(case_manager=case_manager, team=team_north, legal_last_name="Hassan")
    plan_in_status(north_client, case_manager, PlanStatus.FINALIZED)
    login(page, live_server, supervisor.email)
    page.goto("/supervision/meetings/new/")
    page.get_by_role("button", name="Plan the meeting").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Staffing meeting")
    meeting = page.url.removeprefix(live_server.url)

    findings = _check_all(
        page,
        {
            "dashboard": "/supervision/",
            "list behind a figure": f"/supervision/caseloads/{case_manager.pk}/load/",
            "approvals": "/supervision/approvals/",
            "reassign": f"/clients/reassign/?from_user={case_manager.pk}",
            "reassign one client": f"/clients/{north_client.pk}/reassign/",
            "meetings": "/supervision/meetings/",
            "a meeting": meeting,
            "reports": "/supervision/reports/",
        },
    )
    assert not findings, "\n\n".join(f"{k}:\n{v}" for k, v in findings.items())


def test_administration_pages(
    page: Page, live_server: LiveServer, admin: User, case_manager: User, team_north: Team
) -> None:
    login(page, live_server, admin.email)
    findings = _check_all(
        page,
        {
            "agency settings": "/accounts/agency/",
            "staff": "/accounts/staff/",
            "add a staff member": "/accounts/staff/new/",
            "edit a staff member": f"/accounts/staff/{case_manager.pk}/",
            "deactivate": f"/accounts/staff/{case_manager.pk}/deactivate/",
            "teams": "/accounts/teams/",
            "edit a team": f"/accounts/teams/{team_north.pk}/",
        },
    )
    assert not findings, "\n\n".join(f"{k}:\n{v}" for k, v in findings.items())
