"""/api/v1/dashboard/caseloads/ and /api/v1/dashboard/team/: the page's numbers, the page's
filters, supervisors only, and documented in the OpenAPI schema without warnings."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from rest_framework.test import APIClient

from casemgmt.accounts.models import Team, User

from ..reminders.reminder_fixtures import on
from .test_dashboard import CASEY, TERRY
from .test_dashboard_story import TODAY, Story

CASELOADS = "/api/v1/dashboard/caseloads/"
TEAM = "/api/v1/dashboard/team/"
API_NAMES = {
    "active": "active_clients",
    "load": "weighted_load",
    "plans": "plans_overdue",
    "follow-ups": "follow_ups_overdue",
    "unsigned": "unsigned_notes_overdue",
    "late": "late_notes",
    "contact": "days_since_contact",
    "awaiting": "awaiting_answer",
}


@pytest.fixture(autouse=True)
def _today() -> Iterator[None]:
    with on(TODAY):
        yield


def _api(user: User) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


def _as_api(figures: dict[str, Any]) -> dict[str, Any]:
    return {API_NAMES[slug]: value for slug, value in figures.items()}


def test_caseload_figures(story: Story) -> None:
    response = _api(story.supervisor).get(CASELOADS, {"team": story.north.pk})
    assert response.status_code == 200
    assert response.json() == {
        "today": "2026-06-15",
        "start": "2026-03-17",
        "end": "2026-06-15",
        "teams": [story.north.pk],
        "case_managers": [
            {"id": story.casey.pk, "name": "Casey North", **_as_api(CASEY)},
            {"id": story.terry.pk, "name": "Terry Mate", **_as_api(TERRY)},
        ],
    }


def test_team_figures(story: Story) -> None:
    response = _api(story.supervisor).get(TEAM, {"team": story.north.pk})
    assert response.status_code == 200
    # The hand computations are in test_dashboard.py (test_team_charts).
    assert response.json() == {
        "today": "2026-06-15",
        "start": "2026-03-17",
        "end": "2026-06-15",
        "teams": [story.north.pk],
        "caseload_sizes": [
            {"id": story.casey.pk, "name": "Casey North", "active_clients": 2},
            {"id": story.terry.pk, "name": "Terry Mate", "active_clients": 2},
        ],
        "referral_funnel": {"sent": 5, "accepted": 2, "started": 2, "completed": 1},
        "median_days_to_start": 10.0,
        "referrals_started": 3,
        "goal_outcomes": {"met": 2, "partially_met": 1, "not_met": 1},
    }


@pytest.mark.parametrize(
    "params",
    [{}, {"team": "NORTH"}, {"start": "2026-04-01", "end": "2026-04-30"}, {"end": "2026-05-01"}],
)
def test_the_api_says_what_the_page_says(
    client: HttpClient, story: Story, params: dict[str, str]
) -> None:
    if params.get("team") == "NORTH":
        params = {"team": str(story.north.pk)}
    client.force_login(story.supervisor)
    page = client.get(reverse("supervision:dashboard"), params).context
    api = _api(story.supervisor)
    caseloads = api.get(CASELOADS, params).json()
    assert caseloads["case_managers"] == [
        {
            "id": row.case_manager.pk,
            "name": str(row.case_manager),
            **{API_NAMES[cell.figure.slug]: cell.value for cell in row.cells},
        }
        for row in page["caseloads"].rows
    ]
    team = api.get(TEAM, params).json()
    figures = page["team"]
    assert team["referral_funnel"] == figures.funnel
    assert team["median_days_to_start"] == figures.median_days_to_start
    assert team["referrals_started"] == figures.referrals_started
    assert team["goal_outcomes"] == figures.goal_outcomes
    assert [(s["name"], s["active_clients"]) for s in team["caseload_sizes"]] == [
        (str(person), size) for person, size in figures.caseload_sizes
    ]
    assert (caseloads["start"], caseloads["end"]) == (
        figures.filters.start.isoformat(),
        figures.filters.end.isoformat(),
    )


@pytest.mark.parametrize("role", ["case_manager", "teammate", "admin", "other_team_case_manager"])
@pytest.mark.parametrize("url", [CASELOADS, TEAM])
def test_only_supervisors(story: Story, role: str, url: str, request: Any) -> None:
    assert _api(request.getfixturevalue(role)).get(url).status_code == 404


@pytest.mark.parametrize("url", [CASELOADS, TEAM])
def test_anonymous_callers_are_refused(story: Story, url: str) -> None:
    assert APIClient().get(url).status_code in (401, 403)


@pytest.mark.parametrize("url", [CASELOADS, TEAM])
def test_another_supervisors_team_is_a_400(story: Story, url: str, team_south: Team) -> None:
    response = _api(story.supervisor).get(url, {"team": team_south.pk})
    assert response.status_code == 400
    assert response.json() == {"team": ["Choose one of the teams you supervise."]}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start": "soon"}, "start"),
        ({"start": "2026-05-02", "end": "2026-05-01"}, "start"),
        ({"end": "2026-06-16"}, "end"),
    ],
)
def test_bad_dates_are_a_400_naming_the_field(
    story: Story, params: dict[str, str], field: str
) -> None:
    response = _api(story.supervisor).get(CASELOADS, params)
    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_the_other_supervisor_gets_their_team(
    story: Story, other_team_supervisor: User, other_team_case_manager: User
) -> None:
    rows = _api(other_team_supervisor).get(CASELOADS).json()["case_managers"]
    assert [row["id"] for row in rows] == [other_team_case_manager.pk]


# --- OpenAPI ---------------------------------------------------------------------------------


def test_schema_documents_the_dashboard(supervisor: User) -> None:
    schema = _api(supervisor).get("/api/schema/", {"format": "json"}).json()
    for path, component in ((CASELOADS, "Caseloads"), (TEAM, "TeamFigures")):
        operation = schema["paths"][path]
        assert set(operation) == {"get"}
        assert {p["name"] for p in operation["get"]["parameters"]} == {"team", "start", "end"}
        content = operation["get"]["responses"]["200"]["content"]["application/json"]
        assert content["schema"] == {"$ref": f"#/components/schemas/{component}"}
    fields = schema["components"]["schemas"]["CaseManagerFigures"]["properties"]
    assert set(fields) == {"id", "name", *API_NAMES.values()}


def test_schema_generation_has_no_warnings_for_the_dashboard() -> None:
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator

    GENERATOR_STATS.reset()
    generator = SchemaGenerator(patterns=None)
    with GENERATOR_STATS.silence():
        generator.get_schema(request=None, public=True)
    messages = [*GENERATOR_STATS._warn_cache, *GENERATOR_STATS._error_cache]
    ours = [
        m for m in messages if "dashboard_api.py" in m or "CaseloadsView" in m or "TeamView" in m
    ]
    assert not ours, ours
