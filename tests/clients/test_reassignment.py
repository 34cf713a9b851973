"""Reassignment: a supervisor moves clients between case managers with a reason; the
hand-over is kept, both case managers are notified, a deactivated worker's caseload can be
moved, and nobody outside the team can do it."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from casemgmt.accounts.models import Team, User
from casemgmt.accounts.selectors import active_client_count
from casemgmt.reminders import engine, rules
from casemgmt.reminders.models import Notification, Reminder
from clients import services
from clients.models import Client, Reassignment
from clients.reassignment_selectors import holders_of_caseloads
from clients.reassignment_services import clients_reassign
from notes.models import ContactType

from ..factories import UserFactory, client_data, make_client
from ..notes.note_fixtures import signed_note

pytestmark = pytest.mark.django_db


@pytest.fixture
def caseload(case_manager: User, team_north: Team) -> list[Client]:
    return [
        make_client(case_manager=case_manager, team=team_north, legal_last_name=name)
        for name in ("Adams", "Baker", "Cruz")
    ]


def _login(user: User) -> HttpClient:
    browser = HttpClient()
    browser.force_login(user)
    return browser


# --- the service ---------------------------------------------------------------------------


def test_supervisor_moves_many_clients_with_one_reason(
    supervisor: User, case_manager: User, teammate: User, caseload: list[Client]
) -> None:
    moves = clients_reassign(
        actor=supervisor,
        client_ids=[caseload[0].pk, caseload[2].pk],
        to_case_manager=teammate,
        reason="Caseload balancing",
    )

    assert len(moves) == 2
    assert len({m.batch for m in moves}) == 1
    for client in (caseload[0], caseload[2]):
        client.refresh_from_db()
        assert client.primary_case_manager == teammate
        assert client.version == 2
        move = Reassignment.objects.get(client=client)
        assert (move.from_case_manager, move.to_case_manager) == (case_manager, teammate)
        assert (move.reason, move.reassigned_by) == ("Caseload balancing", supervisor)
        latest = client.history.latest()
        assert latest.history_change_reason == "Reassigned: Caseload balancing"
        assert latest.history_user == supervisor
    caseload[1].refresh_from_db()
    assert caseload[1].primary_case_manager == case_manager
    assert active_client_count(case_manager) == 1
    assert active_client_count(teammate) == 2


def test_the_sweep_is_queued_once_the_move_is_committed(
    supervisor: User, teammate: User, caseload: list[Client], django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        clients_reassign(
            actor=supervisor,
            client_ids=[caseload[0].pk],
            to_case_manager=teammate,
            reason="Leaving",
        )
    assert len(callbacks) == 1


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"reason": "   "}, "reason", "Say why"),
        ({"client_ids": []}, "clients", "at least one client"),
        ({"to": "case_manager"}, "clients", "already have Casey North"),
        ({"to": "other_team_case_manager"}, "to_case_manager", "not on the team of"),
        ({"to": "inactive"}, "to_case_manager", "not an active case manager"),
    ],
)
def test_refusals_name_the_field_and_change_nothing(
    request: pytest.FixtureRequest,
    supervisor: User,
    teammate: User,
    team_north: Team,
    caseload: list[Client],
    change: dict[str, object],
    field: str,
    message: str,
) -> None:
    to = teammate
    if change.get("to") == "inactive":
        to = UserFactory.create(is_case_manager=True, teams=[team_north], is_active=False)
    elif "to" in change:
        to = request.getfixturevalue(str(change["to"]))
    with pytest.raises(ValidationError) as refused:
        clients_reassign(
            actor=supervisor,
            client_ids=change.get("client_ids", [caseload[0].pk]),  # type: ignore[arg-type]
            to_case_manager=to,
            reason=str(change.get("reason", "Balancing")),
        )
    assert message in " ".join(refused.value.message_dict[field])
    assert not Reassignment.objects.exists()
    caseload[0].refresh_from_db()
    assert caseload[0].version == 1


@pytest.mark.parametrize("who", ["case_manager", "teammate", "other_team_supervisor", "admin"])
def test_only_a_supervisor_of_the_team_reassigns(
    request: pytest.FixtureRequest, who: str, teammate: User, caseload: list[Client]
) -> None:
    actor = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        clients_reassign(
            actor=actor, client_ids=[caseload[0].pk], to_case_manager=teammate, reason="Mine now"
        )
    assert not Reassignment.objects.exists()


def test_changing_the_case_manager_on_the_fact_sheet_is_kept_as_a_reassignment(
    case_manager: User, teammate: User, team_north: Team, caseload: list[Client]
) -> None:
    client = caseload[0]
    data = client_data(team=team_north, primary_case_manager=teammate)
    services.client_update(
        actor=case_manager,
        client=client,
        data=data,
        expected_version=client.version,
        reason="Going on leave",
    )
    move = Reassignment.objects.get(client=client)
    assert (move.from_case_manager, move.to_case_manager) == (case_manager, teammate)
    assert move.reason == "Going on leave"


# --- both case managers are told ---------------------------------------------------------


def test_both_case_managers_are_notified_and_the_new_one_owes_a_first_contact(
    supervisor: User, case_manager: User, teammate: User, caseload: list[Client]
) -> None:
    client = caseload[0]
    with time_machine.travel(dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC), tick=False):
        clients_reassign(
            actor=supervisor, client_ids=[client.pk], to_case_manager=teammate, reason="Balance"
        )
        engine.sweep()

    first = Reminder.objects.get(kind="reassigned_first_contact")
    assert (first.recipient, first.client, first.due_on) == (teammate, client, dt.date(2026, 3, 9))
    handed = Reminder.objects.get(kind="client_handed_over")
    assert (handed.recipient, handed.due_on) == (case_manager, dt.date(2026, 3, 9))
    for reminder, reader in ((first, teammate), (handed, case_manager)):
        rule = rules.rule_for(reminder.kind)
        assert rule is not None
        link = rule.url(reminder.object_id, reminder.client_id)
        assert link == reverse("clients:detail", args=[client.pk])
        assert _login(reader).get(link).status_code == 200
        channels = set(
            Notification.objects.filter(reminder=reminder).values_list("channel", "urgent")
        )
        assert channels == {("in_app", True), ("email", True)}

    # The notice to the old case manager stays a week and leaves the list on the day it
    # falls due, so it is never overdue and never escalated.
    with time_machine.travel(dt.datetime(2026, 3, 8, 15, 0, tzinfo=dt.UTC), tick=False):
        engine.sweep()
    handed.refresh_from_db()
    assert handed.resolved_at is None
    with time_machine.travel(dt.datetime(2026, 3, 9, 15, 0, tzinfo=dt.UTC), tick=False):
        engine.sweep()
    handed.refresh_from_db()
    assert handed.resolved_at is not None
    assert not Reminder.objects.filter(is_escalation=True).exists()
    assert not Notification.objects.filter(reminder=handed, stage="due").exists()

    # The new case manager's visit clears theirs.
    client.refresh_from_db()
    with time_machine.travel(dt.datetime(2026, 3, 5, 18, 0, tzinfo=dt.UTC), tick=False):
        signed_note(client, teammate, contact_type=ContactType.HOME_VISIT)
    with time_machine.travel(dt.datetime(2026, 3, 9, 16, 0, tzinfo=dt.UTC), tick=False):
        engine.sweep()
    first.refresh_from_db()
    assert first.resolved_at is not None


def test_a_phone_call_to_the_provider_is_not_the_first_contact(
    supervisor: User, teammate: User, caseload: list[Client]
) -> None:
    client = caseload[0]
    with time_machine.travel(dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC), tick=False):
        clients_reassign(
            actor=supervisor, client_ids=[client.pk], to_case_manager=teammate, reason="Balance"
        )
    client.refresh_from_db()
    with time_machine.travel(dt.datetime(2026, 3, 4, 15, 0, tzinfo=dt.UTC), tick=False):
        signed_note(client, teammate, contact_type=ContactType.PROVIDER, client_present=False)
        engine.sweep()
    assert Reminder.objects.get(kind="reassigned_first_contact").resolved_at is None


# --- a deactivated worker's caseload ------------------------------------------------------


def test_a_deactivated_workers_caseload_is_listed_and_can_be_moved(
    supervisor: User, case_manager: User, teammate: User, caseload: list[Client]
) -> None:
    User.objects.filter(pk=case_manager.pk).update(is_active=False)
    holders = {u.pk: u.active_clients for u in holders_of_caseloads(supervisor)}  # type: ignore[attr-defined]
    assert holders == {case_manager.pk: 3}

    browser = _login(supervisor)
    url = reverse("clients:reassign") + f"?from_user={case_manager.pk}"
    page = browser.get(url)
    assert page.status_code == 200
    assert "(deactivated)" in page.content.decode()
    response = browser.post(
        url,
        {
            "clients": [c.pk for c in caseload],
            "to_case_manager": teammate.pk,
            "reason": "Casey left the agency",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("clients:reassign")
    assert active_client_count(case_manager) == 0
    assert not holders_of_caseloads(supervisor).filter(pk=case_manager.pk).exists()


# --- the pages -----------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["case_manager", "admin", "other_team_supervisor"])
def test_the_pages_are_not_there_for_others(
    request: pytest.FixtureRequest, who: str, case_manager: User, caseload: list[Client]
) -> None:
    browser = _login(request.getfixturevalue(who))
    if who == "other_team_supervisor":
        # Supervising some team opens the page, but not another team's caseload or client.
        page = browser.get(reverse("clients:reassign") + f"?from_user={case_manager.pk}")
        assert page.status_code == 200
        assert "Casey North" not in page.content.decode()
    else:
        assert browser.get(reverse("clients:reassign")).status_code == 404
    assert browser.get(reverse("clients:reassign_client", args=[caseload[0].pk])).status_code == 404


def test_a_bad_submission_keeps_what_was_typed(
    supervisor: User, case_manager: User, teammate: User, caseload: list[Client]
) -> None:
    browser = _login(supervisor)
    url = reverse("clients:reassign") + f"?from_user={case_manager.pk}"
    response = browser.post(
        url, {"clients": [caseload[1].pk], "to_case_manager": teammate.pk, "reason": ""}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Say why the clients are being reassigned." in body
    assert f'value="{caseload[1].pk}"' in body and "checked" in body
    assert not Reassignment.objects.exists()


def test_a_client_of_another_team_cannot_be_slipped_into_the_form(
    supervisor: User,
    case_manager: User,
    teammate: User,
    other_team_case_manager: User,
    team_south: Team,
    caseload: list[Client],
) -> None:
    outsider = make_client(case_manager=other_team_case_manager, team=team_south)
    browser = _login(supervisor)
    response = browser.post(
        reverse("clients:reassign") + f"?from_user={case_manager.pk}",
        {"clients": [outsider.pk], "to_case_manager": teammate.pk, "reason": "Take it"},
    )
    assert response.status_code == 400
    outsider.refresh_from_db()
    assert outsider.primary_case_manager == other_team_case_manager


def test_one_client_from_their_page(
    supervisor: User, case_manager: User, teammate: User, caseload: list[Client]
) -> None:
    client = caseload[0]
    browser = _login(supervisor)
    detail = browser.get(reverse("clients:detail", args=[client.pk])).content.decode()
    assert reverse("clients:reassign_client", args=[client.pk]) in detail
    assert "Never reassigned." in detail

    response = browser.post(
        reverse("clients:reassign_client", args=[client.pk]),
        {"clients": [client.pk], "to_case_manager": teammate.pk, "reason": "Speaks Tagalog"},
    )
    assert response.status_code == 302
    detail = browser.get(reverse("clients:detail", args=[client.pk])).content.decode()
    assert "Speaks Tagalog" in detail
    assert "Casey North → Terry Mate" in detail

    # The case manager reads the history but is not offered the move.
    own = _login(teammate).get(reverse("clients:detail", args=[client.pk])).content.decode()
    assert "Speaks Tagalog" in own
    assert reverse("clients:reassign_client", args=[client.pk]) not in own


def test_reassign_page_queries_do_not_grow_with_caseload_or_history(
    supervisor: User, case_manager: User, teammate: User, team_north: Team
) -> None:
    browser = _login(supervisor)
    url = reverse("clients:reassign") + f"?from_user={case_manager.pk}"

    def measure() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert browser.get(url).status_code == 200
        return len(queries)

    first = make_client(case_manager=case_manager, team=team_north)
    few = measure()
    for _ in range(6):
        moved = make_client(case_manager=teammate, team=team_north)
        clients_reassign(
            actor=supervisor, client_ids=[moved.pk], to_case_manager=case_manager, reason="Back"
        )
    assert first.pk
    assert measure() == few


def test_moves_are_timestamped(supervisor: User, teammate: User, caseload: list[Client]) -> None:
    before = timezone.now()
    (move,) = clients_reassign(
        actor=supervisor, client_ids=[caseload[0].pk], to_case_manager=teammate, reason="Balance"
    )
    assert before <= move.reassigned_at <= timezone.now()


def test_the_dashboard_tells_of_clients_nobody_on_the_team_holds(
    supervisor: User, case_manager: User, teammate: User, team_north: Team, caseload: list[Client]
) -> None:
    browser = _login(supervisor)
    dashboard = reverse("supervision:dashboard")
    assert 'id="unattended"' not in browser.get(dashboard).content.decode()

    # Casey leaves the team (still active) and Terry's account is deactivated.
    moved = make_client(case_manager=teammate, team=team_north)
    team_north.members.remove(case_manager)
    User.objects.filter(pk=teammate.pk).update(is_active=False)
    page = browser.get(dashboard).content.decode()
    assert "4 active clients on these teams have a primary case manager" in page
    assert reverse("clients:reassign") in page

    newcomer = UserFactory.create(is_case_manager=True, teams=[team_north])
    clients_reassign(
        actor=supervisor,
        client_ids=[c.pk for c in caseload],
        to_case_manager=newcomer,
        reason="Casey moved to another team",
    )
    page = browser.get(dashboard).content.decode()
    assert "1 active client on these teams has a primary case manager" in page
    clients_reassign(
        actor=supervisor, client_ids=[moved.pk], to_case_manager=newcomer, reason="Terry left"
    )
    assert 'id="unattended"' not in browser.get(dashboard).content.decode()
