"""The in-app agency settings page: administrators only, every rule beside its field."""

from __future__ import annotations

from html import unescape
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from casemgmt.accounts.agency_forms import AGENCY_SETTING_FIELDS
from casemgmt.accounts.agency_views import agency_for_admin
from casemgmt.accounts.models import Agency, Team, User
from notes.hints import note_hints

pytestmark = pytest.mark.django_db

URL = "accounts:agency_settings"


def _form_data(agency: Agency, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name in AGENCY_SETTING_FIELDS:
        value = getattr(agency, name)
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        else:
            data[name] = value
    for name, value in changes.items():
        if value is False:
            data.pop(name, None)
        elif value is True:
            data[name] = "on"
        else:
            data[name] = value
    return data


def _signed_in(user: User) -> HttpClient:
    http = HttpClient()
    http.force_login(user)
    return http


@pytest.fixture
def agency(team_north: Team) -> Agency:
    return team_north.agency


@pytest.fixture
def admin_client(admin: User) -> HttpClient:
    admin.is_staff = False
    admin.is_superuser = False
    admin.save()
    return _signed_in(admin)


def test_anonymous_visitors_are_sent_to_login(client: HttpClient, agency: Agency) -> None:
    response = client.get(reverse(URL))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


@pytest.mark.parametrize("who", ["case_manager", "supervisor"])
def test_clinical_staff_get_a_404(request: pytest.FixtureRequest, who: str, agency: Agency) -> None:
    user = request.getfixturevalue(who)
    http = _signed_in(user)
    assert http.get(reverse(URL)).status_code == 404
    before = agency.reminder_lead_days
    response = http.post(reverse(URL), _form_data(agency, reminder_lead_days=40))
    assert response.status_code == 404
    agency.refresh_from_db()
    assert agency.reminder_lead_days == before


def test_an_admin_who_is_not_django_staff_opens_the_page(
    admin_client: HttpClient, agency: Agency
) -> None:
    response = admin_client.get(reverse(URL))
    assert response.status_code == 200
    html = response.content.decode()
    for legend in ("Service plans", "Directory and referrals", "Reminders", "Crisis", "Case notes"):
        assert legend in html
    assert "<fieldset" in html
    assert "placeholder=" not in html
    assert 'href="/accounts/agency/"' in html  # the nav link
    assert set(response.context["form"].fields) == {
        f.name for f in Agency._meta.concrete_fields if f.editable and not f.primary_key
    }


def test_nav_link_is_hidden_from_clinical_staff(case_manager: User) -> None:
    html = _signed_in(case_manager).get("/").content.decode()
    assert "Agency settings" not in html


def test_no_agency_means_404(admin_client: HttpClient) -> None:
    assert not Agency.objects.exists()
    assert admin_client.get(reverse(URL)).status_code == 404


def test_the_admins_team_agency_is_chosen(admin: User, team_north: Team, team_south: Team) -> None:
    assert agency_for_admin(admin) == Agency.objects.order_by("pk").first()
    team_south.members.add(admin)
    assert agency_for_admin(admin) == team_south.agency


def test_a_valid_save_changes_the_values(admin_client: HttpClient, agency: Agency) -> None:
    data = _form_data(
        agency,
        reminder_lead_days=21,
        reminder_short_lead_days=5,
        plan_approval_required=False,
        judgmental_terms="noncompliant => chose not to\nfeisty",
        default_note_format="soap",
    )
    response = admin_client.post(reverse(URL), data, follow=True)
    assert response.redirect_chain == [(reverse(URL), 302)]
    assert "The agency settings are saved." in response.content.decode()
    agency.refresh_from_db()
    assert (agency.reminder_lead_days, agency.reminder_short_lead_days) == (21, 5)
    assert agency.plan_approval_required is False
    assert agency.judgmental_terms == "noncompliant => chose not to\nfeisty"
    assert agency.default_note_format == "soap"


def test_the_notes_hints_use_the_edited_word_list(admin_client: HttpClient, agency: Agency) -> None:
    sections = {"purpose": "Check in.", "observations": "Client was feisty today."}
    assert not [h for h in note_hints(agency, sections) if h.kind == "judgmental"]
    data = _form_data(agency, judgmental_terms="feisty => describe what was observed")
    assert admin_client.post(reverse(URL), data).status_code == 302
    agency.refresh_from_db()
    hints = [h for h in note_hints(agency, sections) if h.kind == "judgmental"]
    assert [(h.wording, h.suggestion) for h in hints] == [("feisty", "describe what was observed")]


def test_saving_is_logged_with_who_changed_what(
    admin_client: HttpClient, agency: Agency, admin: User, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("INFO", logger="casemgmt.accounts.services"):
        admin_client.post(reverse(URL), _form_data(agency, escalation_days=9))
    assert any(
        admin.email in record.getMessage() and "escalation_days: 3 -> 9" in record.getMessage()
        for record in caplog.records
    )


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"reminder_lead_days": 5, "reminder_short_lead_days": 5},
            "reminder_short_lead_days",
            "The second reminder must come closer to the date than the first",
        ),
        (
            {"reminder_lead_days": 3, "reminder_short_lead_days": 7},
            "reminder_short_lead_days",
            "enter fewer days than the first reminder (3)",
        ),
        (
            {"review_interval_days": 30, "early_review_days": 30},
            "early_review_days",
            "The earliest routine review must be sooner than the review interval (30 days).",
        ),
        ({"review_interval_days": 0}, "review_interval_days", "Enter a number of 1 or more."),
        ({"note_deadline_hours": 0}, "note_deadline_hours", "Enter a number of 1 or more."),
        ({"reminder_lead_days": 0}, "reminder_lead_days", "Enter a number of 1 or more."),
        (
            {"reminder_short_lead_days": 0},
            "reminder_short_lead_days",
            "Enter a number of 1 or more.",
        ),
        (
            {"judgmental_terms": "lazy => describe => observe"},
            "judgmental_terms",
            'Line 1 has more than one "=>".',
        ),
        (
            {"non_person_first_terms": "addict => person\n=> orphan suggestion"},
            "non_person_first_terms",
            'Line 2 has no wording before "=>".',
        ),
        (
            {"impression_terms": "seems\n\nmaybe => x => y"},
            "impression_terms",
            'Line 3 has more than one "=>".',
        ),
        (
            {"session_timeout_minutes": 4},
            "session_timeout_minutes",
            "Ensure this value is greater than or equal to 5.",
        ),
        (
            {"session_timeout_minutes": 721},
            "session_timeout_minutes",
            "Ensure this value is less than or equal to 720.",
        ),
    ],
)
def test_each_rule_is_shown_beside_its_field_and_nothing_is_saved(
    admin_client: HttpClient,
    agency: Agency,
    changes: dict[str, Any],
    field: str,
    message: str,
) -> None:
    before = {name: getattr(agency, name) for name in AGENCY_SETTING_FIELDS}
    response = admin_client.post(reverse(URL), _form_data(agency, escalation_days=11, **changes))
    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.errors) == [field]
    html = response.content.decode()
    assert 'id="error-summary"' in html
    assert f'href="#id_{field}"' in html
    # Beside the field: crispy's feedback block for that field carries the message.
    assert f'id="error_1_id_{field}"' in html
    feedback = unescape(html.split(f'id="error_1_id_{field}"', 1)[1].split("</span>", 1)[0])
    assert message in feedback
    agency.refresh_from_db()
    assert {name: getattr(agency, name) for name in AGENCY_SETTING_FIELDS} == before


def test_a_word_without_suggestion_is_accepted(admin_client: HttpClient, agency: Agency) -> None:
    data = _form_data(agency, impression_terms="seems\nperhaps => move to impressions")
    assert admin_client.post(reverse(URL), data).status_code == 302
    agency.refresh_from_db()
    assert agency.impression_terms == "seems\nperhaps => move to impressions"


def _section(html: str, legend: str) -> str:
    """The fieldset under a legend, up to the next one."""
    after = html.split(legend, 1)[1]
    return after.split("</fieldset>", 1)[0]


def test_approvals_supervision_weights_and_sessions_have_their_own_sections(
    admin_client: HttpClient, agency: Agency
) -> None:
    html = admin_client.get(reverse(URL)).content.decode()
    approvals = _section(html, "Approvals required")
    assert 'name="plan_approval_required"' in approvals
    assert 'name="notes_cosign_required"' in approvals
    weights = _section(html, "Supervision — weighted caseload")
    for name in ("acuity_weight_crisis", "acuity_weight_safety_flag", "acuity_weight_high_need"):
        assert f'name="{name}"' in weights
    assert "every active client counts 1, plus the weight below for each open crisis" in weights
    assert "1 + 3 + 2 = 6" in weights
    sessions = unescape(_section(html, "<legend>Sessions"))
    assert 'name="session_timeout_minutes"' in sessions
    assert "signed out 12 hours after signing in" in sessions
    assert 'min="5"' in sessions and 'max="720"' in sessions


def test_the_weights_and_the_session_timeout_are_saved(
    admin_client: HttpClient, agency: Agency
) -> None:
    data = _form_data(
        agency,
        acuity_weight_crisis=5,
        acuity_weight_safety_flag=4,
        acuity_weight_high_need=0,
        session_timeout_minutes=90,
    )
    assert admin_client.post(reverse(URL), data).status_code == 302
    agency.refresh_from_db()
    assert (
        agency.acuity_weight_crisis,
        agency.acuity_weight_safety_flag,
        agency.acuity_weight_high_need,
        agency.session_timeout_minutes,
    ) == (5, 4, 0, 90)
