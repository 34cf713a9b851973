"""/api/v1/assessments/ under the access policy: scope and 404, teammates' writes 403,
completed assessments 400, the start → update → complete journey, the schema."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from careplans.models import Assessment, AssessmentStatus, Domain, NeedLevel
from careplans.services import assessments as services
from casemgmt.accounts.models import Team, User
from casemgmt.audit.models import AccessAction, AccessLog
from clients.models import Client

from ..factories import make_client
from .test_assessments import completed

pytestmark = pytest.mark.django_db

BASE = "/api/v1/assessments/"


def _api(user: User | None = None, *, token: bool = False) -> APIClient:
    api = APIClient()
    if user is not None:
        if token:
            api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
        else:
            api.force_login(user)
    return api


def _every_domain(level: str = NeedLevel.LOW) -> list[dict[str, str]]:
    return [{"domain": d, "level": level, "notes": f"About {d}."} for d in Domain.values]


def test_anonymous_is_refused(case_manager: User, north_client: Client) -> None:
    assessment = services.assessment_start(actor=case_manager, client=north_client)
    assert _api().get(BASE).status_code in (401, 403)
    assert _api().get(f"{BASE}{assessment.pk}/").status_code in (401, 403)
    assert _api().post(BASE, {"client": north_client.pk}).status_code in (401, 403)


def test_list_is_scoped_and_filters_by_client(
    case_manager: User,
    teammate: User,
    other_team_case_manager: User,
    admin: User,
    north_client: Client,
    team_north: Team,
    team_south: Team,
) -> None:
    mine = completed(case_manager, north_client)
    second_client = make_client(case_manager=case_manager, team=team_north)
    other = services.assessment_start(actor=case_manager, client=second_client)
    south = make_client(case_manager=other_team_case_manager, team=team_south)
    theirs = services.assessment_start(actor=other_team_case_manager, client=south)

    body = _api(teammate).get(BASE).json()
    assert {row["id"] for row in body["results"]} == {mine.pk, other.pk}
    only = _api(case_manager).get(BASE, {"client": north_client.pk}).json()
    assert [row["id"] for row in only["results"]] == [mine.pk]
    assert len(only["results"][0]["needs"]) == 12
    assert _api(case_manager).get(BASE, {"client": south.pk}).json()["count"] == 0
    assert _api(case_manager).get(BASE, {"client": "x"}).status_code == 400
    assert {r["id"] for r in _api(other_team_case_manager).get(BASE).json()["results"]} == {
        theirs.pk
    }
    assert _api(admin).get(BASE).json()["count"] == 0


@pytest.mark.parametrize("use_token", [False, True])
def test_retrieve_with_needs_in_scope_logs_and_is_404_outside(
    case_manager: User,
    teammate: User,
    other_team_case_manager: User,
    other_team_supervisor: User,
    admin: User,
    north_client: Client,
    use_token: bool,
) -> None:
    assessment = completed(case_manager, north_client, housing=NeedLevel.HIGH)
    url = f"{BASE}{assessment.pk}/"
    response = _api(teammate, token=use_token).get(url)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == AssessmentStatus.COMPLETED and body["kind"] == "intake"
    assert [n["domain"] for n in body["needs"]] == Domain.values
    assert body["needs"][Domain.values.index(Domain.HOUSING)]["level"] == NeedLevel.HIGH
    assert body["client_words"] == "I want a place of my own."
    log = AccessLog.objects.get(user=teammate)
    assert (log.client_id, log.action) == (north_client.pk, AccessAction.API_VIEW)
    for outsider in (other_team_case_manager, other_team_supervisor, admin):
        assert _api(outsider, token=use_token).get(url).status_code == 404
    assert not AccessLog.objects.exclude(user=teammate).exists()


def test_start_update_complete_through_the_api(case_manager: User, north_client: Client) -> None:
    api = _api(case_manager, token=True)
    started = api.post(BASE, {"client": north_client.pk}, format="json")
    assert started.status_code == 201, started.content
    body = started.json()
    assert (body["kind"], body["status"]) == ("intake", "draft")
    assert {n["level"] for n in body["needs"]} == {NeedLevel.NOT_ASSESSED}
    url = f"{BASE}{body['id']}/"

    updated = api.patch(
        url,
        {
            "strengths": "Sings in the church choir.",
            "barriers": ["no_transport"],
            "client_words": "I want to drive again.",
            "needs": _every_domain(),
        },
        format="json",
    )
    assert updated.status_code == 200, updated.content
    assert updated.json()["barriers"] == ["no_transport"]
    # Only the level changes; the notes stay as they are.
    again = api.patch(
        url, {"needs": [{"domain": "housing", "level": "high"}]}, format="json"
    ).json()
    housing = next(n for n in again["needs"] if n["domain"] == "housing")
    assert housing == {"domain": "housing", "level": "high", "notes": "About housing."}

    done = api.post(f"{url}complete/")
    assert done.status_code == 200, done.content
    assert done.json()["status"] == "completed"
    assessment = Assessment.objects.get(pk=body["id"])
    assert assessment.completed_by == case_manager
    assert assessment.history.latest().history_user == case_manager
    needs_history = assessment.needs.get(domain=Domain.HOUSING).history.latest()
    assert needs_history.history_user == case_manager


def test_a_second_start_is_a_conflict_naming_the_draft(
    case_manager: User, north_client: Client
) -> None:
    draft = services.assessment_start(actor=case_manager, client=north_client)
    response = _api(case_manager).post(BASE, {"client": north_client.pk}, format="json")
    assert response.status_code == 409
    assert response.json()["draft"] == draft.pk
    assert "already has an assessment in progress" in response.json()["detail"]


def test_reassessment_through_the_api_is_prefilled(
    case_manager: User, north_client: Client
) -> None:
    completed(case_manager, north_client, housing=NeedLevel.HIGH)
    body = _api(case_manager).post(BASE, {"client": north_client.pk}, format="json").json()
    assert body["kind"] == "reassessment"
    assert body["client_words"] == "I want a place of my own."
    assert next(n for n in body["needs"] if n["domain"] == "housing")["level"] == "high"


def test_completed_assessment_is_400_with_the_clear_message(
    case_manager: User, north_client: Client
) -> None:
    assessment = completed(case_manager, north_client)
    api = _api(case_manager)
    url = f"{BASE}{assessment.pk}/"
    patch = api.patch(url, {"client_words": "Changed"}, format="json")
    assert patch.status_code == 400
    assert patch.json() == {"non_field_errors": [services.COMPLETED_IS_READ_ONLY]}
    again = api.post(f"{url}complete/")
    assert again.status_code == 400
    assert again.json() == {"non_field_errors": [services.COMPLETED_IS_READ_ONLY]}
    assessment.refresh_from_db()
    assert assessment.client_words == "I want a place of my own."


def test_completing_too_early_is_400_naming_what_is_missing(
    case_manager: User, north_client: Client
) -> None:
    draft = services.assessment_start(actor=case_manager, client=north_client)
    api = _api(case_manager)
    response = api.post(f"{BASE}{draft.pk}/complete/")
    assert response.status_code == 400
    body = response.json()
    assert "Still missing: Mental health, Physical health" in body["non_field_errors"][0]
    assert "housing_level" in body and "client_words" in body
    draft.refresh_from_db()
    assert draft.status == AssessmentStatus.DRAFT


def test_bad_input_is_400(case_manager: User, north_client: Client) -> None:
    draft = services.assessment_start(actor=case_manager, client=north_client)
    api = _api(case_manager)
    url = f"{BASE}{draft.pk}/"
    assert api.patch(url, {"barriers": ["bad_luck"]}, format="json").status_code == 400
    bad_level = api.patch(url, {"needs": [{"domain": "housing", "level": "awful"}]}, format="json")
    assert bad_level.status_code == 400
    twice = api.patch(
        url,
        {"needs": [{"domain": "legal", "level": "low"}, {"domain": "legal", "level": "high"}]},
        format="json",
    )
    assert twice.status_code == 400
    future = api.patch(url, {"assessed_on": "2999-01-01"}, format="json")
    assert future.status_code == 400
    assert future.json() == {"assessed_on": ["The assessment date cannot be in the future."]}
    assert api.put(url, {}, format="json").status_code == 405
    assert api.delete(url).status_code == 405


def test_teammates_writes_are_403(case_manager: User, teammate: User, north_client: Client) -> None:
    draft = services.assessment_start(actor=case_manager, client=north_client)
    api = _api(teammate)
    url = f"{BASE}{draft.pk}/"
    assert api.patch(url, {"client_words": "x"}, format="json").status_code == 403
    assert api.post(f"{url}complete/").status_code == 403
    draft.delete()
    assert api.post(BASE, {"client": north_client.pk}, format="json").status_code == 403
    assert not Assessment.objects.exists()


def test_outsiders_writes_are_404_or_unknown_client(
    case_manager: User,
    other_team_case_manager: User,
    admin: User,
    north_client: Client,
) -> None:
    draft = services.assessment_start(actor=case_manager, client=north_client)
    url = f"{BASE}{draft.pk}/"
    for outsider in (other_team_case_manager, admin):
        api = _api(outsider)
        assert api.patch(url, {"client_words": "x"}, format="json").status_code == 404
        assert api.post(f"{url}complete/").status_code == 404
        start = api.post(BASE, {"client": north_client.pk}, format="json")
        assert start.status_code == 400
        assert "client" in start.json()
    draft.refresh_from_db()
    assert draft.client_words == ""
    assert Assessment.objects.count() == 1


def test_schema_documents_the_endpoints(case_manager: User) -> None:
    schema = _api(case_manager).get("/api/schema/", {"format": "json"})
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert set(paths[BASE]) >= {"get", "post"}
    assert set(paths[BASE + "{id}/"]) >= {"get", "patch"}
    assert "put" not in paths[BASE + "{id}/"]
    assert "post" in paths[BASE + "{id}/complete/"]


def test_schema_generation_has_no_warnings_for_assessments() -> None:
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator

    GENERATOR_STATS.reset()
    generator = SchemaGenerator(patterns=None)
    with GENERATOR_STATS.silence():
        generator.get_schema(request=None, public=True)
    messages = [*GENERATOR_STATS._warn_cache, *GENERATOR_STATS._error_cache]
    ours = [m for m in messages if "AssessmentViewSet" in m or "api/assessments.py" in m]
    assert not ours, ours
