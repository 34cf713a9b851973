"""A case manager's intake journey in a real browser: the form, the client page, the caseload
search; the form's error handling; and another team's case manager kept out."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from casemgmt.accounts.models import Team, User
from clients.models import Client, PayerType, ReferralSource

from ..factories import make_client
from .conftest import login

pytestmark = pytest.mark.e2e


def _open_intake_from_navigation(page: Page) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="New intake").click()
    expect(page).to_have_url(re.compile(r"/clients/intake/$"))
    expect(page.get_by_role("heading", level=1, name="New intake")).to_be_visible()


def test_intake_then_find_the_client_in_my_caseload(
    page: Page, live_server: LiveServer, case_manager: User, team_north: Team
) -> None:
    other = make_client(
        case_manager=case_manager,
        team=team_north,
        legal_first_name="Zora",
        legal_last_name="Okafor",
    )
    login(page, live_server, case_manager.email)
    _open_intake_from_navigation(page)

    page.get_by_label("Legal first name").fill("Amara")
    page.get_by_label("Legal last name").fill("Thistlewood")
    page.get_by_label("Date of birth").fill("1991-03-08")
    page.get_by_label("Phone", exact=True).fill("305-555-0142")
    page.get_by_label("E-mail", exact=True).fill("amara@example.net")
    page.get_by_label("Payer type").select_option(label="Medicaid")
    page.get_by_label("Payer name").fill("Sunshine Health")
    page.get_by_label("Presenting issue").fill("Lost housing last month; sleeping poorly.")
    page.get_by_label("Referral source").select_option(label="Hospital or emergency department")
    # One team and a case manager at the keyboard: both come preselected.
    expect(page.get_by_label("Team")).to_have_value(str(team_north.pk))
    expect(page.get_by_label("Primary case manager")).to_have_value(str(case_manager.pk))
    page.get_by_role("button", name="Save and enrol").click()

    expect(page).to_have_url(re.compile(r"/clients/\d+/$"))
    client = Client.objects.get(legal_last_name="Thistlewood")
    assert page.url.endswith(f"/clients/{client.pk}/")
    assert re.fullmatch(r"CW-\d+", client.record_number)
    assert (client.team, client.primary_case_manager) == (team_north, case_manager)
    assert client.payer_type == PayerType.MEDICAID
    assert client.referral_source == ReferralSource.HOSPITAL
    assert client.email == "amara@example.net"
    expect(page.get_by_role("status")).to_contain_text(
        f"Amara Thistlewood is enrolled as {client.record_number}."
    )
    expect(page.get_by_role("heading", level=1)).to_contain_text("Amara Thistlewood")
    expect(page.get_by_role("main")).to_contain_text(client.record_number)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="My caseload").click()
    expect(page).to_have_url(re.compile(r"/clients/$"))
    results = page.locator("#results")
    expect(results.get_by_role("row")).to_have_count(3)  # header, Okafor, Thistlewood
    other_link = results.get_by_role(
        "link", name=f"{other.legal_last_name}, {other.legal_first_name}"
    )
    expect(other_link).to_be_visible()

    # Search as you type: htmx asks for the results alone and swaps them in place.
    with page.expect_response(
        lambda r: "q=thistle" in r.url and r.request.headers.get("hx-request") == "true"
    ) as search:
        page.get_by_label("Search by name, record number or date of birth").press_sequentially(
            "thistle", delay=40
        )
    assert search.value.ok
    expect(page).to_have_url(re.compile(r"[?&]q=thistle"))  # pushed to the address bar
    expect(other_link).to_have_count(0)
    row = results.get_by_role("row").filter(has_text="Thistlewood, Amara")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(client.record_number)
    expect(page.locator("#result-count")).to_have_text("1 client found")
    row.get_by_role("link", name="Thistlewood, Amara").click()
    expect(page).to_have_url(re.compile(rf"/clients/{client.pk}/$"))


def test_intake_with_bad_input_shows_the_errors_and_creates_nothing(
    page: Page, live_server: LiveServer, case_manager: User, north_client: Client
) -> None:
    clients_before = Client.objects.count()
    login(page, live_server, case_manager.email)
    _open_intake_from_navigation(page)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)

    page.get_by_label("Legal first name").fill("Amara")
    page.get_by_label("Date of birth").fill(tomorrow.isoformat())
    page.get_by_label("E-mail", exact=True).fill("amara-at-example")
    page.get_by_label("Presenting issue").fill("Lost housing last month.")
    page.get_by_label("Referral source").select_option(label="Self")
    page.get_by_role("button", name="Save and enrol").click()

    expect(page).to_have_url(re.compile(r"/clients/intake/$"))
    summary = page.get_by_role("alert").filter(has_text="There is a problem")
    expect(summary.get_by_role("heading", name="There is a problem")).to_be_visible()
    for label in ("Legal last name", "Date of birth", "E-mail"):
        expect(summary.get_by_role("link", name=re.compile(rf"^{label}:"))).to_have_count(1)

    expected = {
        "Legal last name": "This field is required.",
        "Date of birth": "The date of birth cannot be in the future.",
        "E-mail": "Enter a valid email address.",
    }
    for label, message in expected.items():
        field = page.get_by_label(label, exact=label == "E-mail")
        expect(field).to_have_attribute("aria-invalid", "true")
        # The message sits beside the field and is tied to it for screen readers.
        expect(field).to_have_accessible_description(re.compile(re.escape(message)))
        field_id = field.get_attribute("id")
        expect(page.locator(f"#{field_id}_error")).to_contain_text(message)
    # What was typed is kept.
    expect(page.get_by_label("Legal first name")).to_have_value("Amara")
    expect(page.get_by_label("E-mail", exact=True)).to_have_value("amara-at-example")

    # The summary's links move focus to the field.
    summary.get_by_role("link", name=re.compile(r"^Date of birth:")).click()
    expect(page.get_by_label("Date of birth")).to_be_focused()

    assert Client.objects.count() == clients_before
    assert not Client.objects.filter(legal_first_name="Amara").exists()


def test_another_teams_case_manager_gets_the_404_page(
    page: Page, live_server: LiveServer, north_client: Client, other_team_case_manager: User
) -> None:
    login(page, live_server, other_team_case_manager.email)
    response = page.goto(f"/clients/{north_client.pk}/")
    assert response is not None
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "There is no such page, or it is not yours to see."
    )
    expect(page.get_by_role("main")).not_to_contain_text(north_client.legal_last_name)
    expect(page.get_by_role("main")).not_to_contain_text(north_client.record_number)
