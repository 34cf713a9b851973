"""The staff services' rules, against the real database: who may act, the caseload before a
role, a team or the account goes, the last administrator, history and the log."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client as HttpClient
from django.utils import timezone

from casemgmt.accounts import selectors, staff_services
from casemgmt.accounts.models import Team, User
from clients.models import Client, ClientStatus
from clients.reassignment_services import clients_reassign
from clients.services import episode_discharge

from ..factories import UserFactory, make_client

pytestmark = pytest.mark.django_db


def _data(user: User, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "email": user.email,
        "full_name": user.full_name,
        "roles": [role.value for role in user.roles],
        "member_teams": list(user.member_teams.all()),
        "supervised_teams": list(user.supervised_teams.all()),
        "time_zone": user.time_zone,
        "notes_need_cosign": user.notes_need_cosign,
    }
    data.update(changes)
    return data


def test_the_active_status_accounts_counts_is_the_clients_one() -> None:
    assert ClientStatus.ACTIVE.value == selectors.ACTIVE_CLIENT_STATUS


ACTIONS: list[tuple[str, Callable[[User, User, Team], Any]]] = [
    (
        "create",
        lambda actor, person, team: staff_services.staff_create(
            actor=actor, agency=team.agency, data=_data(person, email="x@example.org")
        ),
    ),
    (
        "update",
        lambda actor, person, team: staff_services.staff_update(
            actor=actor, agency=team.agency, user=person, data=_data(person, full_name="X")
        ),
    ),
    (
        "deactivate",
        lambda actor, person, team: staff_services.staff_deactivate(actor=actor, user=person),
    ),
    (
        "reactivate",
        lambda actor, person, team: staff_services.staff_reactivate(actor=actor, user=person),
    ),
    (
        "invite",
        lambda actor, person, team: staff_services.staff_invite_send(
            actor=actor, user=person, agency=team.agency
        ),
    ),
]


@pytest.mark.parametrize(("action", "call"), ACTIONS, ids=[a for a, _c in ACTIONS])
def test_only_an_active_administrator_acts(
    supervisor: User, admin: User, teammate: User, team_north: Team, action: str, call: Any
) -> None:
    with pytest.raises(PermissionDenied):
        call(supervisor, teammate, team_north)
    admin.is_active = False
    admin.save()
    with pytest.raises(PermissionDenied):
        call(admin, teammate, team_north)
    teammate.refresh_from_db()
    assert (teammate.full_name, teammate.is_active) == ("Terry Mate", True)
    assert not User.objects.filter(email="x@example.org").exists()


def test_a_new_persons_address_is_kept_in_lower_case_and_logged(
    admin: User, team_north: Team, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="casemgmt.accounts.staff_services"):
        person = staff_services.staff_create(
            actor=admin,
            agency=team_north.agency,
            data={
                "email": " Dana.Day@Example.ORG ",
                "full_name": " Dana Day ",
                "roles": ["case_manager"],
                "member_teams": [team_north],
                "supervised_teams": [],
            },
        )
    assert (person.email, person.full_name) == ("dana.day@example.org", "Dana Day")
    assert [r.getMessage() for r in caplog.records] == [
        f"Staff member added: dana.day@example.org (id {person.pk}) by admin@example.org "
        f"(id {admin.pk}): roles: () -> ['case_manager'], member_teams: () -> ['North'], "
        "supervised_teams: () -> []"
    ]


def test_two_clients_are_counted_and_either_way_out_unblocks(
    admin: User, case_manager: User, supervisor: User, teammate: User, team_north: Team
) -> None:
    first = make_client(case_manager=case_manager, team=team_north)
    second = make_client(case_manager=case_manager, team=team_north)
    with pytest.raises(staff_services.CaseloadNotEmpty) as refused:
        staff_services.staff_deactivate(actor=admin, user=case_manager)
    assert refused.value.messages == [
        "Casey North is the primary case manager of 2 active clients. Reassign those clients "
        "to other case managers first."
    ]
    assert refused.value.holders == [(case_manager, 2)]
    episode_discharge(
        actor=case_manager,
        client=first,
        discharged_on=timezone.localdate(),
        reason="moved",
        plan="",
    )
    clients_reassign(
        actor=supervisor, client_ids=[second.pk], to_case_manager=teammate, reason="Leaving"
    )
    staff_services.staff_deactivate(actor=admin, user=case_manager)
    case_manager.refresh_from_db()
    assert not case_manager.is_active
    # Nothing is deleted: the clients still name who held them.
    assert Client.objects.get(pk=first.pk).primary_case_manager == case_manager


def test_a_team_without_their_clients_can_go_but_not_the_one_with_them(
    admin: User, case_manager: User, team_north: Team, team_south: Team, north_client: Client
) -> None:
    team_south.members.add(case_manager)
    agency = team_north.agency
    with pytest.raises(staff_services.CaseloadNotEmpty) as refused:
        staff_services.staff_update(
            actor=admin,
            agency=agency,
            user=case_manager,
            data=_data(case_manager, member_teams=[team_south]),
        )
    assert refused.value.message_dict == {
        "member_teams": [
            "Casey North is the primary case manager of 1 active client on North. Reassign "
            "that client to another case manager first."
        ]
    }
    staff_services.staff_update(
        actor=admin,
        agency=agency,
        user=case_manager,
        data=_data(case_manager, member_teams=[team_north]),
    )
    assert list(case_manager.member_teams.all()) == [team_north]


def test_removing_the_role_with_teams_still_ticked_names_both_problems(
    admin: User, case_manager: User, team_north: Team, north_client: Client
) -> None:
    with pytest.raises(staff_services.CaseloadNotEmpty) as refused:
        staff_services.staff_update(
            actor=admin,
            agency=team_north.agency,
            user=case_manager,
            data=_data(case_manager, roles=["supervisor"]),
        )
    assert refused.value.message_dict == {
        "roles": [
            "Casey North is the primary case manager of 1 active client. Reassign that client "
            "to another case manager first."
        ],
        "member_teams": [
            "A team's members are its case managers: tick Case manager, or choose no team."
        ],
    }


def test_a_superuser_cannot_take_the_last_administrators_role(
    admin: User, team_north: Team
) -> None:
    root = UserFactory.create(is_superuser=True, is_staff=True)
    with pytest.raises(ValidationError) as refused:
        staff_services.staff_update(
            actor=root,
            agency=team_north.agency,
            user=admin,
            data=_data(admin, roles=["supervisor"]),
        )
    assert refused.value.message_dict == {
        "roles": ["Ada Admin is the only active administrator; name another one first."]
    }
    with pytest.raises(ValidationError):
        staff_services.staff_deactivate(actor=root, user=admin)
    admin.refresh_from_db()
    assert admin.is_active and admin.is_agency_admin


def test_saving_without_a_change_writes_no_history(
    admin: User, teammate: User, team_north: Team
) -> None:
    before = teammate.history.count()
    staff_services.staff_update(
        actor=admin, agency=team_north.agency, user=teammate, data=_data(teammate)
    )
    assert teammate.history.count() == before


def test_a_login_is_not_a_change_to_the_person(teammate: User) -> None:
    before = teammate.history.count()
    HttpClient().force_login(teammate)
    teammate.refresh_from_db()
    assert teammate.last_login is not None
    assert teammate.history.count() == before


def test_deactivating_twice_changes_nothing_the_second_time(
    admin: User, teammate: User, team_north: Team
) -> None:
    staff_services.staff_deactivate(actor=admin, user=teammate)
    rows = teammate.history.count()
    staff_services.staff_deactivate(actor=admin, user=teammate)
    assert teammate.history.count() == rows
