"""The dashboard tests' story: two teams' caseloads built through the real services."""

from __future__ import annotations

import pytest

from casemgmt.accounts.models import Team, User

from .test_dashboard_story import Story, build_story


@pytest.fixture
def story(
    team_north: Team,
    team_south: Team,
    case_manager: User,
    teammate: User,
    supervisor: User,
    other_team_case_manager: User,
    other_team_supervisor: User,
) -> Story:
    return build_story(
        team_north=team_north,
        team_south=team_south,
        case_manager=case_manager,
        teammate=teammate,
        supervisor=supervisor,
        other_team_case_manager=other_team_case_manager,
    )
