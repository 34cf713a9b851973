"""Client pages: access by role, intake with bad input and duplicates, edit conflicts,
episodes, history, and query counts that do not grow with the caseload."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from casemgmt.accounts.models import Team, User
from casemgmt.audit.models import AccessAction, AccessLog
from clients.models import Client, ClientStatus

from ..factories import make_client

pytestmark = pytest.mark.django_db


def _login(http: HttpClient, user: User) -> HttpClient:
    http.force_login(user)
    return http


def _form(client: Client | None = None, **overrides: Any) -> dict[str, Any]:
    """Intake/edit form data as a browser would post it."""
    data = {
        "legal_first_name": "Dana",
        "legal_last_name": "Okafor",
        "preferred_name": "",
        "pronouns": "",
        "date_of_birth": "1979-03-09",
        "sex_at_birth": "",
        "gender_identity": "",
        "primary_language": "English",
        "other_languages": "",
        "phone": "305-555-0133",
        "phone_ok_to_contact": "on",
        "email": "dana@example.net",
        "address_line1": "",
        "address_line2": "",
        "city": "",
        "state": "",
        "postal_code": "",
        "emergency_contact_name": "",
        "emergency_contact_relationship": "",
        "emergency_contact_phone": "",
        "payer_type": "medicaid",
        "payer_name": "Sunshine Health",
        "member_id": "",
        "presenting_issue": "Lost housing last month; sleeping at a friend's place.",
        "referral_source": "hospital",
        "case_management_model": "clinical",
    }
    data.update({k: str(v) for k, v in overrides.items()})
    return data


PAGES = ["clients:detail", "clients:edit", "clients:history"]


@pytest.mark.parametrize(
    ("role", "page", "expected"),
    [
        ("case_manager", "clients:detail", 200),
        ("case_manager", "clients:edit", 200),
        ("case_manager", "clients:history", 403),
        ("teammate", "clients:detail", 200),
        ("teammate", "clients:edit", 403),
        ("teammate", "clients:history", 403),
        ("supervisor", "clients:detail", 200),
        ("supervisor", "clients:edit", 200),
        ("supervisor", "clients:history", 200),
        ("other_team_case_manager", "clients:detail", 404),
        ("other_team_case_manager", "clients:edit", 404),
        ("other_team_case_manager", "clients:history", 404),
        ("other_team_supervisor", "clients:detail", 404),
        ("other_team_supervisor", "clients:edit", 404),
        ("other_team_supervisor", "clients:history", 404),
        ("admin", "clients:detail", 404),
        ("admin", "clients:edit", 404),
        ("admin", "clients:history", 404),
    ],
)
def test_role_by_page_matrix(
    request: pytest.FixtureRequest,
    client: HttpClient,
    north_client: Client,
    role: str,
    page: str,
    expected: int,
) -> None:
    user = request.getfixturevalue(role)
    response = _login(client, user).get(reverse(page, args=[north_client.pk]))
    assert response.status_code == expected


@pytest.mark.parametrize("role", ["other_team_case_manager", "other_team_supervisor", "admin"])
@pytest.mark.parametrize("page", ["clients:discharge", "clients:reenrol"])
def test_out_of_scope_posts_are_404_and_change_nothing(
    request: pytest.FixtureRequest, client: HttpClient, north_client: Client, role: str, page: str
) -> None:
    user = request.getfixturevalue(role)
    response = _login(client, user).post(
        reverse(page, args=[north_client.pk]),
        {
            "discharged_on": timezone.localdate().isoformat(),
            "discharge_reason": "moved",
            "discharge_plan": "x",
            "enrolled_on": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 404
    north_client.refresh_from_db()
    assert north_client.status == ClientStatus.ACTIVE


def test_caseload_lists_show_only_scope(
    client: HttpClient,
    case_manager: User,
    teammate: User,
    other_team_case_manager: User,
    team_north: Team,
    team_south: Team,
    admin: User,
) -> None:
    mine = make_client(case_manager=case_manager, team=team_north, legal_last_name="Mine")
    teams = make_client(case_manager=teammate, team=team_north, legal_last_name="Teams")
    other = make_client(
        case_manager=other_team_case_manager, team=team_south, legal_last_name="Other"
    )
    _login(client, case_manager)
    my_page = client.get(reverse("clients:my_caseload")).content.decode()
    team_page = client.get(reverse("clients:team_caseload")).content.decode()
    assert mine.record_number in my_page and teams.record_number not in my_page
    assert mine.record_number in team_page and teams.record_number in team_page
    assert other.record_number not in team_page
    _login(client, admin)
    assert client.get(reverse("clients:team_caseload")).status_code == 404


def test_caseload_search_filter_sort_and_htmx_partial(
    client: HttpClient, case_manager: User, team_north: Team
) -> None:
    a = make_client(
        case_manager=case_manager,
        team=team_north,
        legal_first_name="Ana",
        legal_last_name="Zamora",
        date_of_birth=dt.date(1970, 2, 3),
    )
    b = make_client(
        case_manager=case_manager,
        team=team_north,
        legal_first_name="Bo",
        legal_last_name="Abbott",
        date_of_birth=dt.date(1990, 7, 8),
    )
    _login(client, case_manager)
    url = reverse("clients:my_caseload")
    by_name = client.get(url, {"q": "zamo"}).content.decode()
    assert a.record_number in by_name and b.record_number not in by_name
    by_dob = client.get(url, {"q": "07/08/1990"}).content.decode()
    assert b.record_number in by_dob and a.record_number not in by_dob
    by_number = client.get(url, {"q": a.record_number}).content.decode()
    assert a.record_number in by_number and b.record_number not in by_number
    ordered = client.get(url, {"sort": "-name"}).content.decode()
    assert ordered.index("Zamora") < ordered.index("Abbott")
    partial = client.get(url, {"q": "Abb"}, headers={"HX-Request": "true"})
    body = partial.content.decode()
    assert '<div id="results">' in body
    assert "<html" not in body and b.record_number in body
    # The count is announced through the live region kept outside the swapped results.
    assert 'id="result-count"' in body and 'hx-swap-oob="true"' in body
    assert "1 client found" in body


def test_caseload_status_filter(client: HttpClient, case_manager: User, team_north: Team) -> None:
    from clients.services import episode_discharge

    gone = make_client(case_manager=case_manager, team=team_north, legal_last_name="Gone")
    here = make_client(case_manager=case_manager, team=team_north, legal_last_name="Here")
    episode_discharge(
        actor=case_manager, client=gone, discharged_on=timezone.localdate(), reason="moved", plan=""
    )
    _login(client, case_manager)
    page = client.get(reverse("clients:my_caseload"), {"status": "discharged"}).content.decode()
    assert gone.record_number in page and here.record_number not in page


@pytest.mark.parametrize("url_name", ["clients:my_caseload", "clients:team_caseload", "home"])
def test_list_query_count_does_not_grow_with_rows(
    client: HttpClient,
    case_manager: User,
    team_north: Team,
    url_name: str,
    django_assert_num_queries: Any,
) -> None:
    _login(client, case_manager)
    for _ in range(5):
        make_client(case_manager=case_manager, team=team_north)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as five:
        assert client.get(reverse(url_name)).status_code == 200
    for _ in range(45):
        make_client(case_manager=case_manager, team=team_north)
    with CaptureQueriesContext(connection) as fifty:
        assert client.get(reverse(url_name)).status_code == 200
    assert len(fifty) == len(five), [q["sql"] for q in fifty.captured_queries]


def test_detail_page_query_count_is_bounded(
    client: HttpClient,
    case_manager: User,
    north_client: Client,
    django_assert_max_num_queries: Any,
) -> None:
    _login(client, case_manager)
    with django_assert_max_num_queries(15):
        client.get(reverse("clients:detail", args=[north_client.pk]))


def test_intake_creates_client_and_redirects(
    client: HttpClient, case_manager: User, team_north: Team
) -> None:
    _login(client, case_manager)
    response = client.post(
        reverse("clients:intake"),
        _form(team=team_north.pk, primary_case_manager=case_manager.pk),
    )
    created = Client.objects.get(legal_last_name="Okafor")
    assert response.status_code == 302
    assert response["Location"] == reverse("clients:detail", args=[created.pk])
    assert created.primary_case_manager == case_manager
    assert created.episodes.count() == 1
    assert created.history.get().history_user == case_manager


def test_intake_bad_input_shows_errors_beside_fields_and_saves_nothing(
    client: HttpClient, case_manager: User, team_north: Team
) -> None:
    _login(client, case_manager)
    future = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    response = client.post(
        reverse("clients:intake"),
        _form(
            team=team_north.pk,
            primary_case_manager=case_manager.pk,
            date_of_birth=future,
            email="not-an-email",
            legal_last_name="",
        ),
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "date_of_birth" in form.errors
    assert "email" in form.errors
    assert "legal_last_name" in form.errors
    page = response.content.decode()
    assert "There is a problem" in page
    assert 'href="#id_date_of_birth"' in page and 'href="#id_email"' in page
    assert 'id="error_1_id_date_of_birth"' in page or "invalid-feedback" in page
    # What the user typed is kept.
    assert "305-555-0133" in page
    assert not Client.objects.exists()


def test_intake_warns_of_a_possible_duplicate_until_confirmed(
    client: HttpClient, case_manager: User, team_north: Team
) -> None:
    existing = make_client(
        case_manager=case_manager,
        team=team_north,
        legal_first_name="Dana",
        legal_last_name="Okafor",
        date_of_birth=dt.date(1979, 3, 9),
    )
    _login(client, case_manager)
    data = _form(team=team_north.pk, primary_case_manager=case_manager.pk)
    first = client.post(reverse("clients:intake"), data)
    assert first.status_code == 200
    assert "may already have a record" in first.content.decode()
    assert existing.record_number in first.content.decode()
    assert Client.objects.count() == 1
    confirmed = client.post(reverse("clients:intake"), {**data, "confirm_not_duplicate": "on"})
    assert confirmed.status_code == 302
    assert Client.objects.count() == 2


def test_edit_saves_with_version(
    client: HttpClient, case_manager: User, north_client: Client, team_north: Team
) -> None:
    _login(client, case_manager)
    response = client.post(
        reverse("clients:edit", args=[north_client.pk]),
        _form(
            team=team_north.pk,
            primary_case_manager=case_manager.pk,
            version=north_client.version,
            legal_first_name="Maria",
            legal_last_name="Rivera",
            phone="305-555-0999",
        ),
    )
    assert response.status_code == 302
    north_client.refresh_from_db()
    assert north_client.phone == "305-555-0999"


def test_second_editor_sees_what_changed_and_nothing_is_overwritten(
    client: HttpClient,
    case_manager: User,
    supervisor: User,
    north_client: Client,
    team_north: Team,
) -> None:
    opened_version = north_client.version
    # The supervisor saves first.
    _login(HttpClient(), supervisor).post(
        reverse("clients:edit", args=[north_client.pk]),
        _form(
            team=team_north.pk,
            primary_case_manager=case_manager.pk,
            version=opened_version,
            legal_first_name="Maria",
            legal_last_name="Rivera",
            phone="305-555-0001",
        ),
    )
    # The case manager, who opened the form before that save, saves second.
    _login(client, case_manager)
    response = client.post(
        reverse("clients:edit", args=[north_client.pk]),
        _form(
            team=team_north.pk,
            primary_case_manager=case_manager.pk,
            version=opened_version,
            legal_first_name="Maria",
            legal_last_name="Rivera",
            phone="305-555-0002",
        ),
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Someone else saved this record" in page
    assert "305-555-0001" in page and "305-555-0002" in page
    north_client.refresh_from_db()
    assert north_client.phone == "305-555-0001"
    # Saving again, now from the current version, goes through.
    again = client.post(
        reverse("clients:edit", args=[north_client.pk]),
        _form(
            team=team_north.pk,
            primary_case_manager=case_manager.pk,
            version=response.context["form"]["version"].value(),
            legal_first_name="Maria",
            legal_last_name="Rivera",
            phone="305-555-0002",
        ),
    )
    assert again.status_code == 302
    north_client.refresh_from_db()
    assert north_client.phone == "305-555-0002"


def test_discharge_and_reenrol_through_the_page(
    client: HttpClient, case_manager: User, north_client: Client
) -> None:
    _login(client, case_manager)
    today = timezone.localdate().isoformat()
    bad = client.post(
        reverse("clients:discharge", args=[north_client.pk]),
        {"discharged_on": today, "discharge_reason": "", "discharge_plan": ""},
    )
    assert bad.status_code == 400
    assert "discharge_reason" in bad.context["form"].errors
    ok = client.post(
        reverse("clients:discharge", args=[north_client.pk]),
        {
            "discharged_on": today,
            "discharge_reason": "goals_met",
            "discharge_plan": "Follow up with clinic.",
        },
    )
    assert ok.status_code == 302
    north_client.refresh_from_db()
    assert north_client.status == ClientStatus.DISCHARGED
    ok = client.post(reverse("clients:reenrol", args=[north_client.pk]), {"enrolled_on": today})
    assert ok.status_code == 302
    north_client.refresh_from_db()
    assert north_client.status == ClientStatus.ACTIVE


def test_every_view_of_a_client_is_logged(
    client: HttpClient, teammate: User, north_client: Client
) -> None:
    _login(client, teammate)
    client.get(reverse("clients:detail", args=[north_client.pk]), REMOTE_ADDR="10.1.2.3")
    entry = AccessLog.objects.get()
    assert (entry.user, entry.client_id, entry.action) == (
        teammate,
        north_client.pk,
        AccessAction.VIEW,
    )
    assert entry.ip_address == "10.1.2.3"


def test_supervisor_reads_change_history_with_the_acting_user(
    client: HttpClient,
    case_manager: User,
    supervisor: User,
    north_client: Client,
    team_north: Team,
) -> None:
    _login(HttpClient(), case_manager).post(
        reverse("clients:edit", args=[north_client.pk]),
        _form(
            team=team_north.pk,
            primary_case_manager=case_manager.pk,
            version=north_client.version,
            legal_first_name="Maria",
            legal_last_name="Rivera",
            phone="305-555-0777",
            reason="New number",
        ),
    )
    _login(client, supervisor)
    page = client.get(reverse("clients:history", args=[north_client.pk])).content.decode()
    assert "305-555-0777" in page and "New number" in page and "Casey North" in page
    assert AccessLog.objects.filter(action=AccessAction.HISTORY, user=supervisor).exists()


def test_supervisor_of_two_teams_filters_team_caseload(
    client: HttpClient,
    case_manager: User,
    other_team_case_manager: User,
    team_north: Team,
    team_south: Team,
    supervisor: User,
) -> None:
    team_south.supervisors.add(supervisor)
    north = make_client(case_manager=case_manager, team=team_north)
    south = make_client(case_manager=other_team_case_manager, team=team_south)
    _login(client, supervisor)
    url = reverse("clients:team_caseload")
    both = client.get(url).content.decode()
    assert north.record_number in both and south.record_number in both
    only_south = client.get(url, {"team": team_south.pk}).content.decode()
    assert south.record_number in only_south and north.record_number not in only_south
    assert 'id="id_team"' in only_south
