"""Client services against the real database: intake, duplicates, version check, episodes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from casemgmt.accounts.models import Team, User
from clients import services
from clients.models import Client, ClientStatus, DischargeReason

from ..factories import client_data, make_client

pytestmark = pytest.mark.django_db


def test_intake_generates_record_number_and_opens_episode(
    case_manager: User, team_north: Team
) -> None:
    client = services.client_intake(
        actor=case_manager, data=client_data(team=team_north, primary_case_manager=case_manager)
    )
    other = make_client(case_manager=case_manager, team=team_north)
    assert client.record_number.startswith("CW-")
    assert client.record_number != other.record_number
    assert client.status == ClientStatus.ACTIVE
    episode = client.episodes.get()
    assert episode.is_open and episode.enrolled_by == case_manager
    assert episode.enrolled_on == timezone.localdate()
    first = client.history.get()
    assert first.history_user == case_manager
    assert first.history_change_reason == "Intake"


def test_intake_refused_for_a_team_the_user_is_not_on(
    case_manager: User, team_south: Team, other_team_case_manager: User
) -> None:
    with pytest.raises(PermissionDenied):
        services.client_intake(
            actor=case_manager,
            data=client_data(team=team_south, primary_case_manager=other_team_case_manager),
        )
    assert not Client.objects.exists()


def test_intake_refuses_a_case_manager_from_another_team(
    case_manager: User, team_north: Team, other_team_case_manager: User
) -> None:
    with pytest.raises(ValidationError) as caught:
        services.client_intake(
            actor=case_manager,
            data=client_data(team=team_north, primary_case_manager=other_team_case_manager),
        )
    assert "primary_case_manager" in caught.value.message_dict


def test_possible_duplicates_by_name_and_birth_date_or_member_id(
    case_manager: User, team_north: Team, other_team_case_manager: User, team_south: Team
) -> None:
    mine = make_client(
        case_manager=case_manager,
        team=team_north,
        legal_first_name="Ana",
        legal_last_name="Lopez",
        date_of_birth=dt.date(1990, 1, 2),
    )
    theirs = make_client(
        case_manager=other_team_case_manager,
        team=team_south,
        legal_first_name="Jo",
        legal_last_name="Kim",
        member_id="MCD-77",
    )
    by_name = services.client_possible_duplicates(
        actor=case_manager,
        legal_first_name="ana",
        legal_last_name="LOPEZ",
        date_of_birth=dt.date(1990, 1, 2),
    )
    assert [d.client for d in by_name] == [mine]
    by_member = services.client_possible_duplicates(
        actor=case_manager,
        legal_first_name="Someone",
        legal_last_name="Else",
        date_of_birth=dt.date(2000, 1, 1),
        member_id="mcd-77",
    )
    # Outside the user's scope: the record number and team are told, the record is not.
    assert [(d.record_number, d.team, d.client) for d in by_member] == [
        (theirs.record_number, "South", None)
    ]
    assert (
        services.client_possible_duplicates(
            actor=case_manager,
            legal_first_name="Ana",
            legal_last_name="Lopez",
            date_of_birth=dt.date(1991, 1, 2),
        )
        == []
    )


def test_update_with_current_version_saves_and_bumps_version(
    case_manager: User, north_client: Client
) -> None:
    updated = services.client_update(
        actor=case_manager,
        client=north_client,
        data={"phone": "305-555-0199"},
        expected_version=north_client.version,
        reason="New phone",
    )
    assert updated.version == north_client.version + 1
    north_client.refresh_from_db()
    assert north_client.phone == "305-555-0199"
    assert north_client.history.first().history_change_reason == "New phone"


def test_update_from_a_stale_version_is_refused_and_names_the_changes(
    case_manager: User, supervisor: User, north_client: Client
) -> None:
    read_version = north_client.version
    services.client_update(
        actor=supervisor,
        client=north_client,
        data={"phone": "305-555-0111", "pronouns": "they/them"},
        expected_version=read_version,
    )
    with pytest.raises(services.StaleVersionError) as caught:
        services.client_update(
            actor=case_manager,
            client=north_client,
            data={"phone": "305-555-0222"},
            expected_version=read_version,
        )
    assert caught.value.changed_fields == ["phone", "pronouns"]
    north_client.refresh_from_db()
    assert north_client.phone == "305-555-0111"


def test_teammate_reads_but_cannot_update(teammate: User, north_client: Client) -> None:
    with pytest.raises(PermissionDenied):
        services.client_update(
            actor=teammate,
            client=north_client,
            data={"phone": "1"},
            expected_version=north_client.version,
        )


def test_discharge_and_reenrol_follow_the_episode(case_manager: User, north_client: Client) -> None:
    today = timezone.localdate()
    services.episode_discharge(
        actor=case_manager,
        client=north_client,
        discharged_on=today,
        reason=DischargeReason.GOALS_MET,
        plan="Continue with primary care; call us any time.",
    )
    north_client.refresh_from_db()
    assert north_client.status == ClientStatus.DISCHARGED
    with pytest.raises(ValidationError):
        services.episode_discharge(
            actor=case_manager,
            client=north_client,
            discharged_on=today,
            reason=DischargeReason.GOALS_MET,
            plan="",
        )
    services.episode_reenrol(actor=case_manager, client=north_client, enrolled_on=today)
    north_client.refresh_from_db()
    assert north_client.status == ClientStatus.ACTIVE
    assert north_client.episodes.count() == 2
    assert north_client.episodes.filter(discharged_on__isnull=True).count() == 1


def test_discharge_date_rules(case_manager: User, north_client: Client) -> None:
    today = timezone.localdate()
    with pytest.raises(ValidationError) as future:
        services.episode_discharge(
            actor=case_manager,
            client=north_client,
            discharged_on=today + dt.timedelta(days=1),
            reason=DischargeReason.MOVED,
            plan="",
        )
    assert "discharged_on" in future.value.message_dict
    with pytest.raises(ValidationError) as before:
        services.episode_discharge(
            actor=case_manager,
            client=north_client,
            discharged_on=today - dt.timedelta(days=400),
            reason=DischargeReason.MOVED,
            plan="",
        )
    assert "discharged_on" in before.value.message_dict
    north_client.refresh_from_db()
    assert north_client.status == ClientStatus.ACTIVE


def test_reenrol_refused_while_enrolled(case_manager: User, north_client: Client) -> None:
    with pytest.raises(ValidationError):
        services.episode_reenrol(
            actor=case_manager, client=north_client, enrolled_on=timezone.localdate()
        )
