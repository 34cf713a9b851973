"""`manage.py seed_demo`: the demo agency, its staff and 60 clients, and that a second run
changes nothing."""

from __future__ import annotations

from collections import Counter
from io import StringIO
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import RequestFactory

from casemgmt.accounts.models import Agency, Team, User
from clients.management.commands.seed_demo import STAFF, ClientGenerator
from clients.models import Client, ClientStatus, Episode

CASE_MANAGERS = {
    "cm.north1@example.org": "North",
    "cm.north2@example.org": "North",
    "cm.north3@example.org": "North",
    "cm.south1@example.org": "South",
    "cm.south2@example.org": "South",
    "cm.south3@example.org": "South",
}
SUPERVISORS = {"supervisor.north@example.org": "North", "supervisor.south@example.org": "South"}
ADMIN = "admin@example.org"


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def snapshot() -> dict[str, Any]:
    """Everything a repeated run must leave alone."""
    return {
        "agencies": list(Agency.objects.order_by("pk").values()),
        "teams": list(Team.objects.order_by("pk").values()),
        "members": sorted(Team.members.through.objects.values_list("team_id", "user_id")),
        "supervisors": sorted(Team.supervisors.through.objects.values_list("team_id", "user_id")),
        "users": list(User.objects.order_by("pk").values()),
        "clients": list(Client.objects.order_by("pk").values()),
        "episodes": list(Episode.objects.order_by("pk").values()),
        "client_history": Client.history.count(),
        "episode_history": Episode.history.count(),
    }


@pytest.mark.django_db
def test_seed_creates_agency_teams_staff_and_clients() -> None:
    output = seed()

    assert Agency.objects.count() == 1
    assert set(Team.objects.values_list("name", flat=True)) == {"North", "South"}
    teams = {team.name: team for team in Team.objects.all()}

    assert set(User.objects.values_list("email", flat=True)) == (
        set(CASE_MANAGERS) | set(SUPERVISORS) | {ADMIN}
    )
    admin = User.objects.get(email=ADMIN)
    assert admin.is_agency_admin and admin.is_staff and admin.is_superuser
    assert not admin.has_clinical_role
    for email, team_name in SUPERVISORS.items():
        user = User.objects.get(email=email)
        assert user.is_supervisor and not user.is_case_manager and not user.is_agency_admin
        assert list(user.supervised_teams.all()) == [teams[team_name]]
        assert not user.member_teams.exists()
    for email, team_name in CASE_MANAGERS.items():
        user = User.objects.get(email=email)
        assert user.is_case_manager and not user.is_supervisor and not user.is_agency_admin
        assert list(user.member_teams.all()) == [teams[team_name]]
    assert all(len(user.full_name.split()) >= 2 for user in User.objects.all())

    clients = list(Client.objects.select_related("primary_case_manager", "team"))
    assert len(clients) == 60
    per_case_manager = Counter(c.primary_case_manager.email for c in clients)
    assert per_case_manager == dict.fromkeys(CASE_MANAGERS, 10)
    for client in clients:
        assert client.team.name == CASE_MANAGERS[client.primary_case_manager.email]
        assert client.record_number.startswith("CW-")

    assert len({c.payer_type for c in clients}) >= 4
    assert len({c.primary_language for c in clients}) >= 4
    assert any(c.interpreter_needed for c in clients)
    assert any(c.preferred_name for c in clients)
    assert any(c.pronouns for c in clients)
    assert len({(c.legal_first_name, c.legal_last_name, c.date_of_birth) for c in clients}) == 60

    # Episodes agree with the status: an active client has exactly one open episode.
    for client in clients:
        open_episodes = client.episodes.filter(discharged_on__isnull=True).count()
        assert open_episodes == (1 if client.status == ClientStatus.ACTIVE else 0)
    discharges = Episode.objects.filter(discharged_on__isnull=False)
    assert discharges.count() >= 4
    assert all(e.discharge_reason and e.discharge_plan for e in discharges)
    assert Client.objects.filter(status=ClientStatus.DISCHARGED).exists()
    reenrolled = [c for c in clients if c.episodes.count() > 1]
    assert 1 <= len(reenrolled) <= 2
    assert all(c.status == ClientStatus.ACTIVE for c in reenrolled)

    # Made through the services: history rows name the case manager and the reason.
    intake = Client.history.filter(history_change_reason="Intake")
    assert intake.count() == 60

    assert "60 created" in output
    assert ADMIN in output


@pytest.mark.django_db
def test_demo_logins_work_with_the_demo_password() -> None:
    seed()
    for staff in STAFF:
        user = authenticate(
            request=RequestFactory().post("/"),
            username=staff.email,
            password=settings.DEMO_PASSWORD,
        )
        assert user is not None, staff.email
        assert user.email == staff.email


@pytest.mark.django_db
def test_second_run_changes_nothing() -> None:
    seed()
    before = snapshot()

    output = seed()

    assert snapshot() == before
    assert "0 created, 60 already present" in output
    assert "Users: 0 created, 9 already present" in output


@pytest.mark.django_db
def test_existing_account_keeps_its_password_and_gets_its_role() -> None:
    agency = Agency.objects.create(name="Bayview Community Services")
    team = Team.objects.create(agency=agency, name="North")
    user = User.objects.create_user(
        email="cm.north1@example.org", password="a different password", full_name="Tasha Greene"
    )
    team.members.add(user)

    seed()

    user.refresh_from_db()
    assert user.is_case_manager
    assert user.check_password("a different password")
    assert Agency.objects.count() == 1
    assert Client.objects.filter(primary_case_manager=user).count() == 10


def test_generated_clients_are_the_same_every_time() -> None:
    teams = ["North"] * 3 + ["South"] * 3
    first = ClientGenerator().generate(teams)
    second = ClientGenerator().generate(teams)
    assert [s.data for s in first] == [s.data for s in second]
    assert [(s.enrolled_days_ago, s.discharge, s.reenrolled_days_ago) for s in first] == [
        (s.enrolled_days_ago, s.discharge, s.reenrolled_days_ago) for s in second
    ]
    assert len({s.key for s in first}) == 60


def test_refuses_to_run_with_production_settings(settings: Any) -> None:
    from django.core.management import CommandError

    settings.SETTINGS_MODULE = "casemgmt.settings.production"
    with pytest.raises(CommandError):
        call_command("seed_demo", stdout=StringIO())
