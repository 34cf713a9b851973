"""Crisis events: the services' rules and history, the Crisis pages under the access policy,
the agency's crisis plan on the form, the open-crisis banner on every client page until the
event is closed, and query counts that do not grow with rows or with open events."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from casemgmt.accounts.models import Agency, Team, User
from casemgmt.audit.models import AccessAction, AccessLog
from clients import crisis_services
from clients.models import Client, CrisisEvent

from ..factories import make_client

pytestmark = pytest.mark.django_db


def now() -> dt.datetime:
    return timezone.localtime().replace(second=0, microsecond=0)


def crisis_data(**overrides: Any) -> dict[str, Any]:
    occurred = now() - dt.timedelta(hours=2)
    data: dict[str, Any] = {
        "occurred_at": occurred,
        "distress_level": "acute",
        "description": 'Called in tears after the eviction notice. Said "I can\'t do this."',
        "actions": ["listened", "responded", "consulted"],
        "actions_detail": "Stayed on the line for 40 minutes.",
        "consulted_with": "Supervisor",
        "crisis_professional_involved": False,
        "crisis_professional_name": "",
        "outcome": "stabilized",
        "outcome_detail": "",
        "safety_plan": "Call her aunt or 988.",
        "follow_up_on": occurred.date() + dt.timedelta(days=1),
    }
    data.update(overrides)
    return data


def make_crisis(actor: User, client: Client, **overrides: Any) -> CrisisEvent:
    return crisis_services.crisis_event_record(
        actor=actor, client=client, data=crisis_data(**overrides)
    )


def _form(**overrides: Any) -> dict[str, Any]:
    """crisis_data as the browser posts it."""
    data = crisis_data(**overrides)
    posted: dict[str, Any] = {
        **data,
        "occurred_at": data["occurred_at"].strftime("%Y-%m-%dT%H:%M")
        if isinstance(data["occurred_at"], dt.datetime)
        else data["occurred_at"],
        "follow_up_on": data["follow_up_on"].isoformat()
        if isinstance(data["follow_up_on"], dt.date)
        else data["follow_up_on"],
    }
    if posted["crisis_professional_involved"]:
        posted["crisis_professional_involved"] = "on"
    else:
        del posted["crisis_professional_involved"]
    return posted


def _login(http: HttpClient, user: User) -> HttpClient:
    http.force_login(user)
    return http


@pytest.fixture
def event(case_manager: User, north_client: Client) -> CrisisEvent:
    return make_crisis(case_manager, north_client)


# --- Services -----------------------------------------------------------------------------


def test_record_keeps_history_and_orders_the_steps(
    case_manager: User, north_client: Client
) -> None:
    event = make_crisis(case_manager, north_client)
    assert event.is_open and event.recorded_by == case_manager
    assert event.actions == ["responded", "listened", "consulted"]
    entry = event.history.get()
    assert entry.history_user == case_manager
    assert entry.history_change_reason == "Crisis event recorded"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"crisis_professional_involved": True, "crisis_professional_name": " "},
            "crisis_professional_name",
            "Name the designated crisis professional who was involved.",
        ),
        (
            {"occurred_at": timezone.now() + dt.timedelta(hours=1)},
            "occurred_at",
            "When it happened cannot be in the future.",
        ),
        ({"actions": []}, "actions", "Tick what you did — at least one of the five steps."),
        ({"actions": ["prayed"]}, "actions", "Choose from the five steps."),
        ({"consulted_with": ""}, "consulted_with", "Say who you consulted."),
        ({"description": "  "}, "description", "Describe what happened"),
        ({"distress_level": "mild"}, "distress_level", "Choose the level of distress."),
        ({"outcome": ""}, "outcome", "Choose the outcome."),
        ({"outcome": "other"}, "outcome_detail", "Describe the outcome."),
        ({"follow_up_on": None}, "follow_up_on", "Give the date you will follow up."),
    ],
)
def test_record_refuses_with_a_message_beside_the_field(
    case_manager: User, north_client: Client, overrides: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(ValidationError) as error:
        make_crisis(case_manager, north_client, **overrides)
    assert any(m.startswith(message) for m in error.value.message_dict[field])
    assert not CrisisEvent.objects.exists()


def test_the_follow_up_is_not_before_the_event(case_manager: User, north_client: Client) -> None:
    occurred = now() - dt.timedelta(days=3)
    with pytest.raises(ValidationError) as error:
        make_crisis(
            case_manager,
            north_client,
            occurred_at=occurred,
            follow_up_on=occurred.date() - dt.timedelta(days=1),
        )
    assert error.value.message_dict["follow_up_on"] == [
        f"The follow-up cannot be before the event, on {occurred.date().isoformat()}."
    ]
    same_day = make_crisis(
        case_manager, north_client, occurred_at=occurred, follow_up_on=occurred.date()
    )
    assert same_day.follow_up_on == occurred.date()


def test_a_named_professional_is_kept_only_when_involved(
    case_manager: User, north_client: Client
) -> None:
    involved = make_crisis(
        case_manager,
        north_client,
        distress_level="imminent",
        crisis_professional_involved=True,
        crisis_professional_name="J. Alvarez, DCP",
    )
    assert involved.crisis_professional_name == "J. Alvarez, DCP"
    assert not crisis_services.needs_crisis_professional(involved)
    not_involved = make_crisis(
        case_manager, north_client, distress_level="crisis", crisis_professional_name="Typed"
    )
    assert not_involved.crisis_professional_name == ""
    assert crisis_services.needs_crisis_professional(not_involved)


def test_close_needs_a_note_keeps_history_and_closes_once(
    case_manager: User, supervisor: User, event: CrisisEvent
) -> None:
    with pytest.raises(ValidationError) as error:
        crisis_services.crisis_event_close(actor=case_manager, event=event, closing_note=" ")
    assert "closing_note" in error.value.message_dict
    closed = crisis_services.crisis_event_close(
        actor=supervisor, event=event, closing_note="Visited; safety plan reviewed."
    )
    assert not closed.is_open and closed.closed_by == supervisor
    latest = closed.history.first()
    assert latest is not None
    assert latest.history_user == supervisor
    assert latest.history_change_reason == "Crisis event closed: follow-up done"
    with pytest.raises(ValidationError, match="already closed"):
        crisis_services.crisis_event_close(actor=case_manager, event=event, closing_note="Again")


def test_only_those_who_change_the_client_record_or_close(
    teammate: User, other_team_case_manager: User, north_client: Client, event: CrisisEvent
) -> None:
    for user in (teammate, other_team_case_manager):
        with pytest.raises(PermissionDenied):
            make_crisis(user, north_client)
        with pytest.raises(PermissionDenied):
            crisis_services.crisis_event_close(actor=user, event=event, closing_note="Done")
    event.refresh_from_db()
    assert event.is_open and CrisisEvent.objects.count() == 1


# --- Pages --------------------------------------------------------------------------------


def _url(page: str, client: Client, event: CrisisEvent) -> str:
    if page in ("crisis_detail", "crisis_close"):
        return reverse(f"clients:{page}", args=[client.pk, event.pk])
    return reverse(f"clients:{page}", args=[client.pk])


READS = ["crisis_list", "crisis_detail"]
WRITES = ["crisis_new", "crisis_close"]


@pytest.mark.parametrize("page", READS + WRITES)
@pytest.mark.parametrize(
    ("role", "read", "write"),
    [
        ("case_manager", 200, 200),
        ("supervisor", 200, 200),
        ("teammate", 200, 403),
        ("other_team_case_manager", 404, 404),
        ("other_team_supervisor", 404, 404),
        ("admin", 404, 404),
    ],
)
def test_role_by_page_matrix(
    request: pytest.FixtureRequest,
    client: HttpClient,
    north_client: Client,
    event: CrisisEvent,
    page: str,
    role: str,
    read: int,
    write: int,
) -> None:
    response = _login(client, request.getfixturevalue(role)).get(_url(page, north_client, event))
    assert response.status_code == (write if page in WRITES else read)


@pytest.mark.parametrize("page", READS + WRITES)
def test_anonymous_goes_to_login(
    client: HttpClient, north_client: Client, event: CrisisEvent, page: str
) -> None:
    response = client.get(_url(page, north_client, event))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize("page", WRITES)
@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("teammate", 403),
        ("other_team_case_manager", 404),
        ("other_team_supervisor", 404),
        ("admin", 404),
    ],
)
def test_writes_by_others_are_refused_and_change_nothing(
    request: pytest.FixtureRequest,
    client: HttpClient,
    north_client: Client,
    event: CrisisEvent,
    page: str,
    role: str,
    expected: int,
) -> None:
    response = _login(client, request.getfixturevalue(role)).post(
        _url(page, north_client, event), {**_form(), "closing_note": "Done"}
    )
    assert response.status_code == expected
    event.refresh_from_db()
    assert event.is_open and CrisisEvent.objects.count() == 1


def test_an_event_of_another_client_is_not_found_through_this_client(
    client: HttpClient, case_manager: User, team_north: Team, north_client: Client
) -> None:
    other = make_client(case_manager=case_manager, team=team_north)
    theirs = make_crisis(case_manager, other)
    _login(client, case_manager)
    for page in ("crisis_detail", "crisis_close"):
        assert client.get(_url(page, north_client, theirs)).status_code == 404


def test_reading_is_logged(
    client: HttpClient, teammate: User, north_client: Client, event: CrisisEvent
) -> None:
    _login(client, teammate)
    client.get(_url("crisis_list", north_client, event))
    client.get(_url("crisis_detail", north_client, event))
    assert (
        AccessLog.objects.filter(
            user=teammate, client_id=north_client.pk, action=AccessAction.VIEW
        ).count()
        == 2
    )


def test_the_form_shows_the_agencys_crisis_plan_at_the_top(
    client: HttpClient, case_manager: User, north_client: Client, team_north: Team
) -> None:
    Agency.objects.filter(pk=team_north.agency_id).update(
        crisis_definition="Risk of harm to self or others.",
        crisis_action_plan="Stay with the person. Call the DCP.",
        crisis_line="988 · after hours (305) 555-0100",
    )
    _login(client, case_manager)
    url = reverse("clients:crisis_new", args=[north_client.pk])
    page = client.get(url).content.decode()
    plan = page.index('id="agency-crisis-plan"')
    form = page.index(f'action="{url}"')
    assert plan < form
    for text in (
        "Risk of harm to self or others.",
        "Stay with the person. Call the DCP.",
        "988 · after hours (305) 555-0100",
    ):
        assert plan < page.index(text) < form
    for step in (
        "Responded immediately",
        "Listened and gathered information",
        "Consulted with others",
        "Acted to keep everyone safe",
        "Planned for the future",
    ):
        assert step in page
    assert len(re.findall(r"<input[^>]*type=\"checkbox\"[^>]*name=\"actions\"", page)) == 5


def test_record_through_the_page(
    client: HttpClient, case_manager: User, north_client: Client
) -> None:
    _login(client, case_manager)
    response = client.post(reverse("clients:crisis_new", args=[north_client.pk]), _form())
    event = CrisisEvent.objects.get()
    assert response.status_code == 302
    assert response["Location"] == _url("crisis_detail", north_client, event)
    assert event.recorded_by == case_manager and event.is_open
    detail = client.get(response["Location"]).content.decode()
    assert "Listened and gathered information" in detail
    assert "Open crisis" in detail


def test_errors_beside_the_fields_and_nothing_typed_is_lost(
    client: HttpClient, case_manager: User, north_client: Client
) -> None:
    _login(client, case_manager)
    occurred = now() - dt.timedelta(days=2)
    response = client.post(
        reverse("clients:crisis_new", args=[north_client.pk]),
        _form(
            occurred_at=occurred,
            follow_up_on=occurred.date() - dt.timedelta(days=1),
            crisis_professional_involved=True,
            crisis_professional_name="",
            description="She said she would be fine.",
        ),
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["crisis_professional_name"] == [
        "Name the designated crisis professional who was involved."
    ]
    assert errors["follow_up_on"][0].startswith("The follow-up cannot be before the event")
    page = response.content.decode()
    assert "There is a problem" in page and 'href="#id_crisis_professional_name"' in page
    assert "She said she would be fine." in page
    assert not CrisisEvent.objects.exists()


def test_an_event_in_the_future_is_refused_on_the_page(
    client: HttpClient, case_manager: User, north_client: Client
) -> None:
    _login(client, case_manager)
    response = client.post(
        reverse("clients:crisis_new", args=[north_client.pk]),
        _form(occurred_at=now() + dt.timedelta(days=1), follow_up_on=now().date()),
    )
    assert response.context["form"].errors["occurred_at"] == [
        "When it happened cannot be in the future."
    ]


def test_close_through_the_page(
    client: HttpClient, case_manager: User, north_client: Client, event: CrisisEvent
) -> None:
    _login(client, case_manager)
    url = _url("crisis_close", north_client, event)
    empty = client.post(url, {"closing_note": ""})
    assert empty.status_code == 200
    assert empty.context["form"].errors["closing_note"] == [
        "Say what follow-up was done: who was contacted, what was agreed."
    ]
    response = client.post(url, {"closing_note": "Visited her at home; plan reviewed."})
    assert response.status_code == 302
    event.refresh_from_db()
    assert not event.is_open and event.closed_by == case_manager
    detail = client.get(response["Location"]).content.decode()
    assert "Visited her at home; plan reviewed." in detail
    assert "already closed" in client.get(url).content.decode()


def test_a_full_crisis_without_the_professional_is_pointed_out(
    client: HttpClient, case_manager: User, north_client: Client
) -> None:
    event = make_crisis(case_manager, north_client, distress_level="imminent")
    _login(client, case_manager)
    page = client.get(_url("crisis_detail", north_client, event)).content.decode()
    assert 'id="needs-crisis-professional"' in page


# --- The banner ---------------------------------------------------------------------------


def _client_pages(client: Client) -> list[str]:
    return [
        reverse("clients:detail", args=[client.pk]),
        reverse("clients:release_list", args=[client.pk]),
        reverse("clients:collateral_list", args=[client.pk]),
        reverse("clients:crisis_list", args=[client.pk]),
        reverse("careplans:assessment_list", args=[client.pk]),
        reverse("referrals:referral_list", args=[client.pk]),
    ]


def test_the_banner_shows_on_client_pages_while_open_and_goes_when_closed(
    client: HttpClient, case_manager: User, north_client: Client, event: CrisisEvent
) -> None:
    _login(client, case_manager)
    link = _url("crisis_detail", north_client, event)
    for url in _client_pages(north_client):
        page = client.get(url).content.decode()
        assert f'data-open-crisis="{event.pk}"' in page, url
        assert "Open crisis" in page and "Acute distress, no immediate danger" in page
        assert link in page
    crisis_services.crisis_event_close(actor=case_manager, event=event, closing_note="Done")
    for url in _client_pages(north_client):
        assert "data-open-crisis=" not in client.get(url).content.decode(), url


def test_the_banner_shows_an_overdue_follow_up_in_bold(
    client: HttpClient, case_manager: User, north_client: Client
) -> None:
    occurred = now() - dt.timedelta(days=5)
    make_crisis(
        case_manager,
        north_client,
        occurred_at=occurred,
        follow_up_on=occurred.date() + dt.timedelta(days=1),
    )
    _login(client, case_manager)
    page = client.get(reverse("clients:detail", args=[north_client.pk])).content.decode()
    assert "— overdue</strong>" in page
    with time_machine.travel(occurred + dt.timedelta(hours=1), tick=False):
        earlier = client.get(reverse("clients:detail", args=[north_client.pk])).content.decode()
    assert "follow up by" in earlier and "overdue" not in earlier


def test_a_teammate_sees_the_banner(
    client: HttpClient, teammate: User, north_client: Client, event: CrisisEvent
) -> None:
    _login(client, teammate)
    assert b"Open crisis" in client.get(reverse("clients:detail", args=[north_client.pk])).content


# --- Query counts -------------------------------------------------------------------------


def _add_events(actor: User, client: Client, n: int, *, close_every: int = 3) -> None:
    for i in range(n):
        event = make_crisis(actor, client, occurred_at=now() - dt.timedelta(days=i + 1))
        if close_every and i % close_every == 0:
            crisis_services.crisis_event_close(actor=actor, event=event, closing_note="Done")


def test_list_query_count_does_not_grow_with_rows(
    client: HttpClient, case_manager: User, supervisor: User, north_client: Client
) -> None:
    _login(client, case_manager)
    url = reverse("clients:crisis_list", args=[north_client.pk])
    _add_events(case_manager, north_client, 3)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    _add_events(supervisor, north_client, 27)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
        assert response.status_code == 200
    assert response.content.decode().count("data-crisis=") == 30
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
    assert len(few) <= 15


def test_client_detail_query_count_does_not_grow_with_open_events(
    client: HttpClient, case_manager: User, north_client: Client
) -> None:
    _login(client, case_manager)
    url = reverse("clients:detail", args=[north_client.pk])
    _add_events(case_manager, north_client, 1, close_every=0)
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    _add_events(case_manager, north_client, 9, close_every=0)
    with CaptureQueriesContext(connection) as ten:
        response = client.get(url)
    assert response.content.decode().count("data-open-crisis=") == 10
    assert len(ten) == len(one), [q["sql"] for q in ten.captured_queries]


@pytest.mark.parametrize("page", ["clients:edit", "clients:history"])
def test_the_banner_is_on_the_pages_without_tabs_too(
    page: str, supervisor: User, north_client: Client, event: CrisisEvent
) -> None:
    http = _login(HttpClient(), supervisor)
    response = http.get(reverse(page, args=[north_client.pk]))
    assert response.status_code == 200
    assert f'data-open-crisis="{event.pk}"' in response.content.decode()


def test_caseloads_flag_clients_with_an_open_crisis(
    case_manager: User, north_client: Client, team_north: Team
) -> None:
    calm = make_client(case_manager=case_manager, team=team_north, legal_last_name="Calm")
    event = make_crisis(case_manager, north_client)
    http = _login(HttpClient(), case_manager)
    for url in (reverse("clients:my_caseload"), reverse("clients:team_caseload")):
        rows = re.findall(r"<tr>.*?</tr>", http.get(url).content.decode(), flags=re.S)
        flagged = [row for row in rows if "Open crisis" in row]
        assert len(flagged) == 1
        assert north_client.record_number in flagged[0]
        assert calm.record_number not in flagged[0]
    crisis_services.crisis_event_close(
        actor=case_manager, event=event, closing_note="Seen next day; safety plan in place."
    )
    assert "Open crisis" not in http.get(reverse("clients:my_caseload")).content.decode()
