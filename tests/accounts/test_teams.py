"""The team pages: the list with its counts, creating a team, and changing its name, case
managers and supervisors; a case manager leaves a team only once its clients are reassigned."""

from __future__ import annotations

import logging
from html import unescape
from typing import Any

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from casemgmt.accounts import staff_services
from casemgmt.accounts.models import Team, User
from clients.models import Client
from clients.services import episode_discharge

from ..factories import AgencyFactory, TeamFactory, UserFactory, make_client

pytestmark = pytest.mark.django_db


def _signed_in(user: User) -> HttpClient:
    http = HttpClient()
    http.force_login(user)
    return http


@pytest.fixture
def admin_http(admin: User, team_north: Team) -> HttpClient:
    return _signed_in(admin)


def _form(team: Team | None = None, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": team.name if team else "East",
        "members": [u.pk for u in team.members.all()] if team else [],
        "supervisors": [u.pk for u in team.supervisors.all()] if team else [],
    }
    data.update(changes)
    return data


def _feedback(html: str, field: str) -> str:
    assert f'id="error_1_id_{field}"' in html, html
    return unescape(html.split(f'id="error_1_id_{field}"', 1)[1].split("</", 1)[0])


@pytest.mark.parametrize("who", ["case_manager", "supervisor"])
def test_clinical_staff_get_a_404(
    request: pytest.FixtureRequest, who: str, team_north: Team
) -> None:
    http = _signed_in(request.getfixturevalue(who))
    assert http.get(reverse("accounts:team_list")).status_code == 404
    assert http.get(reverse("accounts:team_create")).status_code == 404
    assert http.post(reverse("accounts:team_create"), _form()).status_code == 404
    edit = reverse("accounts:team_edit", args=[team_north.pk])
    assert http.get(edit).status_code == 404
    assert http.post(edit, _form(team_north, name="Renamed")).status_code == 404
    team_north.refresh_from_db()
    assert team_north.name == "North"
    assert not Team.objects.filter(name="East").exists()


def test_anonymous_visitors_are_sent_to_login(client: HttpClient, team_north: Team) -> None:
    for url in (reverse("accounts:team_list"), reverse("accounts:team_edit", args=[team_north.pk])):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


def test_a_team_of_another_agency_is_a_404(admin_http: HttpClient) -> None:
    far = TeamFactory.create(agency=AgencyFactory.create(name="Other Agency"), name="Far")
    assert admin_http.get(reverse("accounts:team_edit", args=[far.pk])).status_code == 404
    assert admin_http.get(reverse("accounts:team_edit", args=[999_999])).status_code == 404
    names = [t.name for t in admin_http.get(reverse("accounts:team_list")).context["teams"]]
    assert "Far" not in names


def test_the_list_counts_members_supervisors_and_active_clients(
    admin_http: HttpClient,
    case_manager: User,
    teammate: User,
    supervisor: User,
    other_team_case_manager: User,
    north_client: Client,
    team_north: Team,
) -> None:
    make_client(case_manager=teammate, team=team_north)
    gone = make_client(case_manager=teammate, team=team_north)
    episode_discharge(
        actor=teammate, client=gone, discharged_on=gone.created_at.date(), reason="moved", plan=""
    )
    response = admin_http.get(reverse("accounts:team_list"))
    teams = response.context["teams"]
    assert [(t.name, t.member_count, t.active_clients) for t in teams] == [
        ("North", 2, 2),
        ("South", 1, 0),
    ]
    html = response.content.decode()
    north_row = html.split(">North</a>", 1)[1].split("</tr>", 1)[0]
    assert "Sam Supervisor" in north_row


def test_the_list_query_count_does_not_grow(admin_http: HttpClient, team_north: Team) -> None:
    def add_teams(n: int) -> None:
        for _ in range(n):
            team = TeamFactory.create(agency=team_north.agency)
            manager = UserFactory.create(is_case_manager=True, teams=[team])
            UserFactory.create(is_supervisor=True, supervises=[team])
            make_client(case_manager=manager, team=team)

    add_teams(2)
    url = reverse("accounts:team_list")
    admin_http.get(url)
    with CaptureQueriesContext(connection) as few:
        assert admin_http.get(url).status_code == 200
    add_teams(12)
    with CaptureQueriesContext(connection) as many:
        response = admin_http.get(url)
    assert len(response.context["teams"]) == 15
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


def test_a_team_is_created_with_members_and_supervisors(
    admin_http: HttpClient, case_manager: User, supervisor: User, admin: User
) -> None:
    response = admin_http.post(
        reverse("accounts:team_create"),
        _form(name=" East ", members=[case_manager.pk], supervisors=[supervisor.pk]),
        follow=True,
    )
    assert response.redirect_chain == [(reverse("accounts:team_list"), 302)]
    assert "The team East is created." in response.content.decode()
    east = Team.objects.get(name="East")
    assert list(east.members.all()) == [case_manager]
    assert list(east.supervisors.all()) == [supervisor]
    created = east.history.get()
    assert (created.history_user, created.history_change_reason) == (
        admin,
        "Created by an administrator",
    )


def test_a_team_name_is_unique_in_the_agency_whatever_its_capitals(
    admin_http: HttpClient, team_north: Team, team_south: Team
) -> None:
    response = admin_http.post(reverse("accounts:team_create"), _form(name="north"))
    assert response.status_code == 200
    assert "The agency already has a team called north." in _feedback(
        response.content.decode(), "name"
    )
    assert Team.objects.filter(name__iexact="north").count() == 1
    south = team_south
    renamed = admin_http.post(
        reverse("accounts:team_edit", args=[south.pk]), _form(south, name="NORTH")
    )
    assert "The agency already has a team called NORTH." in _feedback(
        renamed.content.decode(), "name"
    )
    south.refresh_from_db()
    assert south.name == "South"


@pytest.mark.parametrize(
    ("field", "who"),
    [("members", "supervisor"), ("supervisors", "case_manager")],
)
def test_only_case_managers_are_members_and_only_supervisors_supervise(
    request: pytest.FixtureRequest,
    admin_http: HttpClient,
    case_manager: User,
    supervisor: User,
    field: str,
    who: str,
) -> None:
    person = request.getfixturevalue(who)
    data = _form()
    data[field] = [person.pk]
    response = admin_http.post(reverse("accounts:team_create"), data)
    assert "Select a valid choice." in _feedback(response.content.decode(), field)
    assert not Team.objects.filter(name="East").exists()


def test_a_team_is_renamed_and_its_people_change(
    admin_http: HttpClient,
    team_north: Team,
    case_manager: User,
    teammate: User,
    supervisor: User,
    other_team_supervisor: User,
) -> None:
    response = admin_http.post(
        reverse("accounts:team_edit", args=[team_north.pk]),
        _form(
            team_north,
            name="North County",
            members=[case_manager.pk],
            supervisors=[supervisor.pk, other_team_supervisor.pk],
        ),
        follow=True,
    )
    assert "The team North County is saved." in response.content.decode()
    team_north.refresh_from_db()
    assert team_north.name == "North County"
    assert list(team_north.members.all()) == [case_manager]
    assert set(team_north.supervisors.all()) == {supervisor, other_team_supervisor}


def test_removing_a_case_manager_with_clients_on_the_team_is_refused(
    admin_http: HttpClient,
    team_north: Team,
    case_manager: User,
    teammate: User,
    north_client: Client,
) -> None:
    response = admin_http.post(
        reverse("accounts:team_edit", args=[team_north.pk]),
        _form(team_north, members=[], name="Renamed"),
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert (
        "Casey North is the primary case manager of 1 active client on North. Reassign that "
        "client to another case manager first."
    ) in _feedback(html, "members")
    assert f'href="{reverse("clients:reassign")}?from_user={case_manager.pk}"' in html
    # Terry holds no client: only Casey is named.
    assert "Terry Mate is the primary" not in html
    team_north.refresh_from_db()
    assert team_north.name == "North"
    assert set(team_north.members.all()) == {case_manager, teammate}


def test_a_deactivated_member_stays_unless_unticked(
    admin_http: HttpClient, team_north: Team, case_manager: User, teammate: User
) -> None:
    teammate.is_active = False
    teammate.save()
    page = admin_http.get(reverse("accounts:team_edit", args=[team_north.pk]))
    assert "Terry Mate (cm.north2@example.org) — deactivated" in page.content.decode()
    admin_http.post(reverse("accounts:team_edit", args=[team_north.pk]), _form(team_north))
    assert set(team_north.members.all()) == {case_manager, teammate}


def test_team_changes_are_logged(
    admin: User, team_north: Team, teammate: User, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="casemgmt.accounts.staff_services"):
        staff_services.team_update(
            actor=admin, team=team_north, data={"name": "North", "members": [], "supervisors": []}
        )
    assert [r.getMessage() for r in caplog.records] == [
        f"Team changed: North (id {team_north.pk}) by admin@example.org (id {admin.pk}): "
        "members: ['cm.north2@example.org'] -> []"
    ]


def test_only_an_administrator_changes_teams(supervisor: User, team_north: Team) -> None:
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        staff_services.team_create(
            actor=supervisor,
            agency=team_north.agency,
            data={"name": "Mine", "members": [], "supervisors": []},
        )
