"""Role fixtures: two teams, a case manager and supervisor on each, and an administrator."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from casemgmt.accounts.models import Team, User
from clients.models import Client

from .factories import AgencyFactory, TeamFactory, UserFactory, make_client


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    cache.clear()


@pytest.fixture
def team_north(db: None) -> Team:
    return TeamFactory.create(agency=AgencyFactory.create(), name="North")


@pytest.fixture
def team_south(db: None) -> Team:
    return TeamFactory.create(agency=AgencyFactory.create(), name="South")


@pytest.fixture
def case_manager(team_north: Team) -> User:
    return UserFactory.create(
        email="cm.north@example.org",
        full_name="Casey North",
        is_case_manager=True,
        teams=[team_north],
    )


@pytest.fixture
def teammate(team_north: Team) -> User:
    return UserFactory.create(
        email="cm.north2@example.org",
        full_name="Terry Mate",
        is_case_manager=True,
        teams=[team_north],
    )


@pytest.fixture
def supervisor(team_north: Team) -> User:
    return UserFactory.create(
        email="sup.north@example.org",
        full_name="Sam Supervisor",
        is_supervisor=True,
        supervises=[team_north],
    )


@pytest.fixture
def other_team_case_manager(team_south: Team) -> User:
    return UserFactory.create(
        email="cm.south@example.org",
        full_name="Olive South",
        is_case_manager=True,
        teams=[team_south],
    )


@pytest.fixture
def other_team_supervisor(team_south: Team) -> User:
    return UserFactory.create(
        email="sup.south@example.org",
        full_name="Otto Supervisor",
        is_supervisor=True,
        supervises=[team_south],
    )


@pytest.fixture
def admin(db: None) -> User:
    return UserFactory.create(
        email="admin@example.org",
        full_name="Ada Admin",
        is_agency_admin=True,
        is_staff=True,
        is_superuser=True,
    )


@pytest.fixture
def north_client(case_manager: User, team_north: Team) -> Client:
    return make_client(
        case_manager=case_manager,
        team=team_north,
        legal_first_name="Maria",
        legal_last_name="Rivera",
    )
