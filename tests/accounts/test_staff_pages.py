"""The staff pages: who may open them, the list and its filters, adding a person (who chooses
their own password from an e-mailed link), changing roles and teams, deactivating and
reactivating."""

from __future__ import annotations

import re
import smtplib
from html import unescape
from typing import Any
from unittest import mock

import pytest
from django.contrib.sessions.models import Session
from django.core import mail
from django.db import connection
from django.test import Client as HttpClient
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from casemgmt.accounts.models import Team, User, UserSession
from casemgmt.reminders.services import calendar_feed_issue
from clients.models import Client

from ..factories import UserFactory

pytestmark = pytest.mark.django_db

SITE = "https://casework.example.org"


def _signed_in(user: User) -> HttpClient:
    http = HttpClient()
    http.force_login(user)
    return http


@pytest.fixture
def admin_http(admin: User, team_north: Team) -> HttpClient:
    """An administrator of the agency that team North (and South) belong to."""
    return _signed_in(admin)


def _form(**values: Any) -> dict[str, Any]:
    """What the browser posts for the staff form: unticked boxes are left out."""
    data: dict[str, Any] = {
        "email": "new.person@example.org",
        "full_name": "Nadia Newcomer",
        "roles": ["case_manager"],
        "member_teams": [],
        "supervised_teams": [],
        "time_zone": "",
    }
    data.update(values)
    if data.pop("notes_need_cosign", False):
        data["notes_need_cosign"] = "on"
    return data


def _form_for(user: User, **changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "email": user.email,
        "full_name": user.full_name,
        "roles": sorted(role.value for role in user.roles),
        "member_teams": [t.pk for t in user.member_teams.all()],
        "supervised_teams": [t.pk for t in user.supervised_teams.all()],
        "time_zone": user.time_zone,
        "notes_need_cosign": user.notes_need_cosign,
    }
    values.update(changes)
    return _form(**values)


def _feedback(html: str, field: str) -> str:
    """The message crispy shows beside a field."""
    assert f'id="error_1_id_{field}"' in html, html
    return unescape(html.split(f'id="error_1_id_{field}"', 1)[1].split("</", 1)[0])


# --- Who may open the pages --------------------------------------------------------------------

PAGES = [
    ("accounts:staff_list", False),
    ("accounts:staff_create", False),
    ("accounts:staff_edit", True),
    ("accounts:staff_deactivate", True),
]


@pytest.mark.parametrize(("name", "with_pk"), PAGES)
@pytest.mark.parametrize("who", ["case_manager", "supervisor", "other_team_case_manager"])
def test_clinical_staff_get_a_404(
    request: pytest.FixtureRequest, name: str, with_pk: bool, who: str, teammate: User
) -> None:
    http = _signed_in(request.getfixturevalue(who))
    url = reverse(name, args=[teammate.pk] if with_pk else [])
    assert http.get(url).status_code == 404
    if name != "accounts:staff_list":  # the list answers GET only
        assert http.post(url, _form_for(teammate, full_name="Changed")).status_code == 404
    teammate.refresh_from_db()
    assert teammate.full_name == "Terry Mate" and teammate.is_active


@pytest.mark.parametrize("name", ["accounts:staff_reactivate", "accounts:staff_invite"])
def test_the_post_only_actions_are_404_for_clinical_staff(
    supervisor: User, teammate: User, name: str
) -> None:
    teammate.is_active = False
    teammate.save()
    response = _signed_in(supervisor).post(reverse(name, args=[teammate.pk]))
    assert response.status_code == 404
    teammate.refresh_from_db()
    assert not teammate.is_active
    assert mail.outbox == []


@pytest.mark.parametrize(("name", "with_pk"), PAGES)
def test_anonymous_visitors_are_sent_to_login(
    client: HttpClient, name: str, with_pk: bool, teammate: User
) -> None:
    response = client.get(reverse(name, args=[teammate.pk] if with_pk else []))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize(("name", "with_pk"), PAGES)
def test_an_administrator_opens_every_page(
    admin_http: HttpClient, name: str, with_pk: bool, teammate: User
) -> None:
    assert admin_http.get(reverse(name, args=[teammate.pk] if with_pk else [])).status_code == 200


def test_an_unknown_person_is_a_404(admin_http: HttpClient) -> None:
    assert admin_http.get(reverse("accounts:staff_edit", args=[999_999])).status_code == 404
    assert admin_http.post(reverse("accounts:staff_reactivate", args=[999_999])).status_code == 404


def test_the_agency_settings_page_links_to_staff_and_teams(admin_http: HttpClient) -> None:
    html = admin_http.get(reverse("accounts:agency_settings")).content.decode()
    assert f'href="{reverse("accounts:staff_list")}"' in html
    assert f'href="{reverse("accounts:team_list")}"' in html


# --- The list ----------------------------------------------------------------------------------


def _rows(response: Any) -> list[str]:
    return [person.email for person in response.context["page"].object_list]


def test_the_list_shows_roles_teams_and_status(
    admin_http: HttpClient,
    case_manager: User,
    supervisor: User,
    other_team_case_manager: User,
    admin: User,
    north_client: Client,
) -> None:
    response = admin_http.get(reverse("accounts:staff_list"))
    assert response.status_code == 200
    # Sorted by name: Ada, Casey, Olive, Sam.
    assert _rows(response) == [
        "admin@example.org",
        "cm.north@example.org",
        "cm.south@example.org",
        "sup.north@example.org",
    ]
    html = response.content.decode()
    casey = html.split("cm.north@example.org", 1)[1].split("</tr>", 1)[0]
    assert "Case manager" in casey and "North" in casey
    assert '<td class="text-end">1</td>' in casey  # her one active client
    assert "Active" in casey
    sam = html.split("sup.north@example.org", 1)[1].split("</tr>", 1)[0]
    assert "Supervisor" in sam and "Never" in sam


def test_the_list_filters_by_status_role_and_team(
    admin_http: HttpClient,
    case_manager: User,
    supervisor: User,
    other_team_case_manager: User,
    team_south: Team,
) -> None:
    other_team_case_manager.is_active = False
    other_team_case_manager.save()
    url = reverse("accounts:staff_list")
    assert "cm.south@example.org" not in _rows(admin_http.get(url))  # active staff by default
    assert _rows(admin_http.get(url, {"active": "inactive"})) == ["cm.south@example.org"]
    assert _rows(admin_http.get(url, {"active": "", "role": "supervisor"})) == [
        "sup.north@example.org"
    ]
    assert _rows(admin_http.get(url, {"active": "", "team": str(team_south.pk)})) == [
        "cm.south@example.org"
    ]
    # A choice that does not exist filters nothing and breaks nothing.
    response = admin_http.get(url, {"active": "", "team": "nope", "role": "pilot"})
    assert response.status_code == 200
    assert len(_rows(response)) == 4


def test_the_next_page_keeps_showing_active_staff_only(
    admin_http: HttpClient, team_north: Team
) -> None:
    for n in range(51):
        UserFactory.create(full_name=f"Person {n:02}", is_case_manager=True, teams=[team_north])
    UserFactory.create(full_name="Zed Gone", email="gone@example.org", is_active=False)
    url = reverse("accounts:staff_list")
    first = admin_http.get(url)
    assert first.context["page"].paginator.count == 52  # 51 and the administrator
    assert 'href="?page=2"' in first.content.decode()
    second = admin_http.get(url, {"page": "2"})
    assert [p.full_name for p in second.context["page"].object_list] == ["Person 49", "Person 50"]


def test_the_list_query_count_does_not_grow(admin_http: HttpClient, team_north: Team) -> None:
    def add_people(n: int) -> None:
        for _ in range(n):
            UserFactory.create(is_case_manager=True, teams=[team_north])

    add_people(3)
    url = reverse("accounts:staff_list")
    admin_http.get(url)
    with CaptureQueriesContext(connection) as few:
        assert admin_http.get(url).status_code == 200
    add_people(30)
    with CaptureQueriesContext(connection) as many:
        response = admin_http.get(url)
    assert len(response.context["page"].object_list) == 34
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


# --- Adding a person ---------------------------------------------------------------------------


@override_settings(SITE_URL=SITE)
def test_a_new_person_chooses_their_password_from_the_email_and_signs_in(
    admin_http: HttpClient, team_north: Team, admin: User
) -> None:
    response = admin_http.post(
        reverse("accounts:staff_create"),
        _form(
            email="Nadia.Newcomer@Example.org",
            roles=["case_manager", "supervisor"],
            member_teams=[team_north.pk],
            supervised_teams=[team_north.pk],
            time_zone="America/Chicago",
            notes_need_cosign=True,
        ),
        follow=True,
    )
    assert response.redirect_chain == [(reverse("accounts:staff_list"), 302)]
    assert "We e-mailed nadia.newcomer@example.org a link" in response.content.decode()
    person = User.objects.get(email="nadia.newcomer@example.org")
    assert (person.full_name, person.is_case_manager, person.is_supervisor) == (
        "Nadia Newcomer",
        True,
        True,
    )
    assert (person.is_agency_admin, person.time_zone, person.notes_need_cosign) == (
        False,
        "America/Chicago",
        True,
    )
    assert list(person.member_teams.all()) == [team_north]
    assert list(person.supervised_teams.all()) == [team_north]
    assert not person.has_usable_password()
    created = person.history.get()
    assert (created.history_type, created.history_user, created.history_change_reason) == (
        "+",
        admin,
        "Added by an administrator",
    )

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["nadia.newcomer@example.org"]
    assert message.subject == "Your Casework account: choose your password"
    link = re.search(re.escape(SITE) + r"(/accounts/password/reset/\S+/)", str(message.body))
    assert link is not None
    assert f"{SITE}/accounts/login/" in str(message.body)

    newcomer = HttpClient()
    form_page = newcomer.get(link.group(1), follow=True)
    assert form_page.status_code == 200
    set_password_url = form_page.redirect_chain[-1][0]
    done = newcomer.post(
        set_password_url,
        {"new_password1": "a long new passphrase 42", "new_password2": "a long new passphrase 42"},
    )
    assert done.status_code == 302
    signed_in = newcomer.post(
        reverse("accounts:login"),
        {"username": "nadia.newcomer@example.org", "password": "a long new passphrase 42"},
    )
    assert signed_in.status_code == 302
    assert newcomer.get(reverse("home")).status_code == 200
    # The link works once.
    again = HttpClient().get(link.group(1), follow=True)
    assert again.context["validlink"] is False


def test_a_duplicate_email_is_refused_beside_the_field_whatever_its_capitals(
    admin_http: HttpClient, case_manager: User
) -> None:
    response = admin_http.post(
        reverse("accounts:staff_create"), _form(email="CM.North@example.org")
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Someone already has the e-mail address cm.north@example.org" in _feedback(html, "email")
    assert 'href="#id_email"' in html  # and in the summary at the top
    assert User.objects.filter(email__iexact="cm.north@example.org").count() == 1
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"roles": []}, "roles", "Choose at least one role."),
        (
            {"roles": ["case_manager"], "supervised_teams": "TEAM"},
            "supervised_teams",
            "Only a supervisor supervises a team",
        ),
        (
            {"roles": ["supervisor"], "member_teams": "TEAM"},
            "member_teams",
            "A team's members are its case managers",
        ),
        ({"time_zone": "Mars/Olympus"}, "time_zone", "Select a valid choice."),
        ({"email": "not an address"}, "email", "Enter a valid email address."),
    ],
)
def test_each_mistake_is_shown_beside_its_field_and_nobody_is_added(
    admin_http: HttpClient,
    team_north: Team,
    values: dict[str, Any],
    field: str,
    message: str,
) -> None:
    values = {k: ([team_north.pk] if v == "TEAM" else v) for k, v in values.items()}
    before = User.objects.count()
    response = admin_http.post(reverse("accounts:staff_create"), _form(**values))
    assert response.status_code == 200
    assert list(response.context["form"].errors) == [field]
    assert message in _feedback(response.content.decode(), field)
    assert User.objects.count() == before
    assert mail.outbox == []


def test_a_team_of_another_agency_cannot_be_chosen(
    admin_http: HttpClient, team_north: Team
) -> None:
    from ..factories import AgencyFactory, TeamFactory

    elsewhere = TeamFactory.create(agency=AgencyFactory.create(name="Other Agency"), name="Far")
    response = admin_http.post(reverse("accounts:staff_create"), _form(member_teams=[elsewhere.pk]))
    assert list(response.context["form"].errors) == ["member_teams"]
    assert not User.objects.filter(email="new.person@example.org").exists()


def test_when_the_mail_server_fails_the_person_is_added_and_the_admin_is_told(
    admin_http: HttpClient,
) -> None:
    with mock.patch(
        "casemgmt.accounts.staff_services.send_mail", side_effect=smtplib.SMTPException("down")
    ):
        response = admin_http.post(reverse("accounts:staff_create"), _form(), follow=True)
    assert "could not be sent. Send it again from their page." in response.content.decode()
    person = User.objects.get(email="new.person@example.org")
    resent = admin_http.post(reverse("accounts:staff_invite", args=[person.pk]), follow=True)
    assert "We e-mailed new.person@example.org a link" in resent.content.decode()
    assert len(mail.outbox) == 1


# --- Changing a person -------------------------------------------------------------------------


def test_roles_teams_and_email_change(
    admin_http: HttpClient, teammate: User, team_north: Team, team_south: Team, admin: User
) -> None:
    url = reverse("accounts:staff_edit", args=[teammate.pk])
    response = admin_http.post(
        url,
        _form_for(
            teammate,
            email="Terry.Mate@Example.org",
            roles=["case_manager", "supervisor"],
            member_teams=[team_south.pk],
            supervised_teams=[team_north.pk],
        ),
        follow=True,
    )
    assert response.redirect_chain == [(url, 302)]
    assert "The changes to Terry Mate are saved." in response.content.decode()
    teammate.refresh_from_db()
    assert teammate.email == "terry.mate@example.org"
    assert (teammate.is_case_manager, teammate.is_supervisor) == (True, True)
    assert list(teammate.member_teams.all()) == [team_south]
    assert list(teammate.supervised_teams.all()) == [team_north]
    change = teammate.history.first()
    assert change is not None
    assert (change.history_user, change.history_change_reason) == (
        admin,
        "Changed by an administrator",
    )
    assert "Changed by an administrator" in response.content.decode()  # recent changes


def test_an_email_taken_by_someone_else_is_refused(
    admin_http: HttpClient, teammate: User, case_manager: User
) -> None:
    response = admin_http.post(
        reverse("accounts:staff_edit", args=[teammate.pk]),
        _form_for(teammate, email="CM.NORTH@example.org"),
    )
    assert "Someone already has the e-mail address cm.north@example.org" in _feedback(
        response.content.decode(), "email"
    )
    teammate.refresh_from_db()
    assert teammate.email == "cm.north2@example.org"


def _reassign_href(user: User) -> str:
    return f'href="{reverse("clients:reassign")}?from_user={user.pk}"'


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"roles": ["supervisor"], "member_teams": []}, "roles"),
        ({"member_teams": []}, "member_teams"),
    ],
)
def test_taking_the_role_or_team_of_someone_with_clients_is_refused(
    admin_http: HttpClient,
    case_manager: User,
    team_north: Team,
    north_client: Client,
    changes: dict[str, Any],
    field: str,
) -> None:
    response = admin_http.post(
        reverse("accounts:staff_edit", args=[case_manager.pk]), _form_for(case_manager, **changes)
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Casey North is the primary case manager of 1 active client" in _feedback(html, field)
    assert _reassign_href(case_manager) in html
    assert "Reassign the 1 active client of Casey North" in html
    case_manager.refresh_from_db()
    assert case_manager.is_case_manager
    assert list(case_manager.member_teams.all()) == [team_north]


def test_an_administrator_cannot_remove_their_own_admin_role(
    admin_http: HttpClient, admin: User
) -> None:
    response = admin_http.post(
        reverse("accounts:staff_edit", args=[admin.pk]), _form_for(admin, roles=["supervisor"])
    )
    assert "You cannot remove your own administrator role" in _feedback(
        response.content.decode(), "roles"
    )
    admin.refresh_from_db()
    assert admin.is_agency_admin and not admin.is_supervisor


# --- Deactivating and reactivating -------------------------------------------------------------


def test_deactivation_is_refused_while_they_hold_active_clients(
    admin_http: HttpClient, case_manager: User, north_client: Client
) -> None:
    url = reverse("accounts:staff_deactivate", args=[case_manager.pk])
    page = admin_http.get(url).content.decode()
    assert "Casey North is the primary case manager of 1 active client." in page
    assert _reassign_href(case_manager) in page
    assert "btn-danger" not in page  # no button to press
    response = admin_http.post(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Reassign that client to another case manager first." in html
    assert _reassign_href(case_manager) in html
    case_manager.refresh_from_db()
    assert case_manager.is_active


def test_deactivation_ends_sessions_the_api_token_and_the_calendar_feed(
    admin_http: HttpClient, teammate: User, admin: User
) -> None:
    browser = _signed_in(teammate)
    assert browser.get(reverse("home")).status_code == 200
    key = Token.objects.create(user=teammate).key
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/clients/").status_code == 200
    feed = reverse("reminders:calendar_feed", args=[calendar_feed_issue(actor=teammate)])
    assert HttpClient().get(feed).status_code == 200

    url = reverse("accounts:staff_deactivate", args=[teammate.pk])
    confirm = admin_http.get(url).content.decode()
    assert "Deactivate Terry Mate?" in confirm and "btn-danger" in confirm
    done = admin_http.post(url, follow=True)
    assert done.redirect_chain == [(reverse("accounts:staff_edit", args=[teammate.pk]), 302)]
    assert "Terry Mate is deactivated" in done.content.decode()

    teammate.refresh_from_db()
    assert not teammate.is_active
    assert not UserSession.objects.filter(user=teammate).exists()
    assert Session.objects.count() == 1  # the administrator's own
    response = browser.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert not Token.objects.filter(user=teammate).exists()
    refused = api.get("/api/v1/clients/")
    # DRF answers 403 (not 401) because session authentication comes first in the settings.
    assert (refused.status_code, refused.json()) == (403, {"detail": "Invalid token."})
    assert HttpClient().get(feed).status_code == 404
    change = teammate.history.first()
    assert change is not None
    assert (change.history_user, change.history_change_reason) == (admin, "Deactivated")
    # Still listed, as deactivated.
    assert "cm.north2@example.org" in _rows(
        admin_http.get(reverse("accounts:staff_list"), {"active": "inactive"})
    )


def test_an_administrator_cannot_deactivate_themselves(admin_http: HttpClient, admin: User) -> None:
    url = reverse("accounts:staff_deactivate", args=[admin.pk])
    assert "You cannot deactivate your own account" in admin_http.get(url).content.decode()
    response = admin_http.post(url)
    assert "You cannot deactivate your own account" in response.content.decode()
    admin.refresh_from_db()
    assert admin.is_active
    # Their own page offers no deactivation.
    page = admin_http.get(reverse("accounts:staff_edit", args=[admin.pk])).content.decode()
    assert url not in page


def test_a_deactivated_person_is_reactivated(
    admin_http: HttpClient, teammate: User, admin: User
) -> None:
    teammate.is_active = False
    teammate.save()
    page = admin_http.get(reverse("accounts:staff_edit", args=[teammate.pk])).content.decode()
    assert reverse("accounts:staff_reactivate", args=[teammate.pk]) in page
    response = admin_http.post(
        reverse("accounts:staff_reactivate", args=[teammate.pk]), follow=True
    )
    assert "Terry Mate is active again" in response.content.decode()
    teammate.refresh_from_db()
    assert teammate.is_active
    change = teammate.history.first()
    assert change is not None and change.history_change_reason == "Reactivated"
    assert _signed_in(teammate).get(reverse("home")).status_code == 200


def test_the_set_password_email_is_sent_again_on_request(
    admin_http: HttpClient, teammate: User
) -> None:
    response = admin_http.post(reverse("accounts:staff_invite", args=[teammate.pk]), follow=True)
    assert "We e-mailed cm.north2@example.org a link to choose a password." in (
        response.content.decode()
    )
    assert [m.to for m in mail.outbox] == [["cm.north2@example.org"]]


def test_no_email_goes_to_a_deactivated_person(admin_http: HttpClient, teammate: User) -> None:
    teammate.is_active = False
    teammate.save()
    response = admin_http.post(reverse("accounts:staff_invite", args=[teammate.pk]), follow=True)
    assert "Reactivate Terry Mate first." in response.content.decode()
    assert mail.outbox == []
