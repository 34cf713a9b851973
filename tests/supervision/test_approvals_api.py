"""/api/v1/approvals/: the queue as a list, approving and returning each kind with the new
state, 400 with field errors, 403 for the caller's own work, 404 outside their teams, and the
schema."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from careplans.models import PlanStatus, ServicePlan
from casemgmt.accounts.models import Team, User
from notes.models import CaseNote, CosignStatus
from referrals.models import Referral, ReferralStatus

from ..factories import make_client
from .test_approvals import (
    exception_referral,
    finalized_plan,
    pending_note,
    second_supervisor,
    three_kinds,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/approvals/"

__all__ = ["second_supervisor", "three_kinds"]


def _api(user: User) -> APIClient:
    api = APIClient()
    api.force_login(user)
    return api


def _act(kind: str, pk: int, decision: str) -> str:
    return f"{URL}{kind}/{pk}/{decision}/"


def test_list_shows_every_kind_oldest_first(
    supervisor: User, three_kinds: tuple[ServicePlan, Referral, CaseNote]
) -> None:
    plan, referral, note = three_kinds
    response = _api(supervisor).get(URL)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    rows = body["results"]
    assert [(r["kind"], r["id"]) for r in rows] == [
        ("note", note.pk),
        ("plan", plan.pk),
        ("exception", referral.pk),
    ]
    first = rows[1]
    assert first["client"] == plan.client_id
    assert first["record_number"] == plan.client.record_number
    assert first["summary"] == "Service plan, version 1"
    assert first["submitted_by"] == "Casey North"
    assert first["submitted_by_id"] == plan.finalized_by_id
    assert first["url"] == f"http://testserver/clients/{plan.client_id}/plans/{plan.pk}/"
    assert first["can_decide"] is True and first["refusal"] == ""
    assert rows[2]["summary"] == (
        "Referral to Rapid Re-Housing sent without consent: Court-ordered"
    )
    only_notes = _api(supervisor).get(URL, {"kind": "note"}).json()
    assert [(r["kind"], r["id"]) for r in only_notes["results"]] == [("note", note.pk)]
    bad = _api(supervisor).get(URL, {"kind": "bogus"})
    assert bad.status_code == 400 and "kind" in bad.json()


def test_list_is_empty_for_anyone_who_supervises_no_team(
    case_manager: User, admin: User, three_kinds: tuple[ServicePlan, Referral, CaseNote]
) -> None:
    for user in (case_manager, admin):
        response = _api(user).get(URL)
        assert response.status_code == 200 and response.json()["count"] == 0
    assert APIClient().get(URL).status_code in (401, 403)


def test_list_marks_own_work(
    supervisor: User, second_supervisor: User, case_manager: User, team_north: Team
) -> None:
    plan = finalized_plan(make_client(case_manager=case_manager, team=team_north), supervisor)
    row = _api(supervisor).get(URL).json()["results"][0]
    assert (row["kind"], row["id"], row["can_decide"]) == ("plan", plan.pk, False)
    assert row["refusal"] == (
        "You wrote or finalized this plan. Another supervisor must approve this."
    )
    assert _api(second_supervisor).get(URL).json()["results"][0]["can_decide"] is True


def test_list_query_count_does_not_grow(
    supervisor: User, case_manager: User, team_north: Team
) -> None:
    def add_one_of_each() -> None:
        pending_note(make_client(case_manager=case_manager, team=team_north), case_manager)
        finalized_plan(make_client(case_manager=case_manager, team=team_north), case_manager)
        exception_referral(
            make_client(case_manager=case_manager, team=team_north), case_manager, supervisor
        )

    add_one_of_each()
    api = _api(supervisor)
    api.get(URL)  # the session's first request caches the agency's timeout
    with CaptureQueriesContext(connection) as few:
        assert api.get(URL).json()["count"] == 3
    add_one_of_each()
    with CaptureQueriesContext(connection) as many:
        assert api.get(URL).json()["count"] == 6
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


# --- Deciding ----------------------------------------------------------------------------------


def test_approve_each_kind(
    supervisor: User, three_kinds: tuple[ServicePlan, Referral, CaseNote]
) -> None:
    plan, referral, note = three_kinds
    api = _api(supervisor)
    response = api.post(_act("plan", plan.pk, "approve"), {}, format="json")
    assert response.status_code == 200
    assert response.json() == {
        "kind": "plan",
        "id": plan.pk,
        "client": plan.client_id,
        "state": "active",
        "state_label": "Active",
    }
    assert ServicePlan.objects.get(pk=plan.pk).approved_by == supervisor
    response = api.post(
        _act("exception", referral.pk, "approve"),
        {"comment": "Court order on file."},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["state"] == "upheld"
    stored = Referral.objects.get(pk=referral.pk)
    assert stored.exception_review_note == "Court order on file."
    assert stored.status == ReferralStatus.SENT
    response = api.post(_act("note", note.pk, "approve"), {"comment": "Good."}, format="json")
    assert response.status_code == 200
    assert response.json()["state"] == "approved"
    assert response.json()["state_label"] == "Co-signed"
    assert CaseNote.objects.get(pk=note.pk).cosign_comment == "Good."
    assert api.get(URL).json()["count"] == 0


def test_return_each_kind(
    supervisor: User, three_kinds: tuple[ServicePlan, Referral, CaseNote]
) -> None:
    plan, referral, note = three_kinds
    api = _api(supervisor)
    response = api.post(_act("plan", plan.pk, "return"), {"comment": "Add a goal."})
    assert response.status_code == 200
    assert response.json()["state"] == "meeting_recorded"
    assert ServicePlan.objects.get(pk=plan.pk).returned_note == "Add a goal."
    response = api.post(_act("exception", referral.pk, "return"), {"comment": "No order."})
    assert response.status_code == 200
    assert response.json()["state"] == "not_upheld"
    assert response.json()["state_label"] == "Exception not upheld; the referral is cancelled"
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.CANCELLED
    response = api.post(_act("note", note.pk, "return"), {"comment": "Add the plan."})
    assert response.status_code == 200
    assert response.json()["state"] == "returned"
    assert CaseNote.objects.get(pk=note.pk).cosign_status == CosignStatus.RETURNED


def test_field_errors_answer_400(
    supervisor: User, three_kinds: tuple[ServicePlan, Referral, CaseNote]
) -> None:
    plan, referral, _note = three_kinds
    api = _api(supervisor)
    response = api.post(_act("plan", plan.pk, "return"), {"comment": ""}, format="json")
    assert response.status_code == 400 and list(response.json()) == ["comment"]
    response = api.post(_act("plan", plan.pk, "return"), {}, format="json")
    assert response.status_code == 400 and list(response.json()) == ["comment"]
    response = api.post(_act("exception", referral.pk, "approve"), {}, format="json")
    assert response.status_code == 400
    assert response.json() == {"comment": ["Write the outcome of your review."]}
    assert ServicePlan.objects.get(pk=plan.pk).status == PlanStatus.FINALIZED
    api.post(_act("plan", plan.pk, "approve"))
    again = api.post(_act("plan", plan.pk, "approve"))
    assert again.status_code == 400
    assert again.json() == {
        "non_field_errors": ["Only a finalized plan awaiting approval can be approved."]
    }


def test_own_work_answers_403_and_changes_nothing(
    supervisor: User, second_supervisor: User, case_manager: User, team_north: Team
) -> None:
    plan = finalized_plan(make_client(case_manager=case_manager, team=team_north), supervisor)
    note = pending_note(make_client(case_manager=case_manager, team=team_north), supervisor)
    made = exception_referral(
        make_client(case_manager=case_manager, team=team_north), supervisor, second_supervisor
    )
    sent = exception_referral(
        make_client(case_manager=case_manager, team=team_north),
        case_manager,
        second_supervisor,
        sender=supervisor,
    )
    api = _api(supervisor)
    for kind, pk in (("plan", plan.pk), ("note", note.pk), ("exception", made.pk)):
        for decision in ("approve", "return"):
            response = api.post(_act(kind, pk, decision), {"comment": "ok"})
            assert response.status_code == 403, (kind, decision)
            assert response.json()["detail"], (kind, decision)
    for decision in ("approve", "return"):
        response = api.post(_act("exception", sent.pk, decision), {"comment": "ok"})
        assert response.status_code == 403
        assert response.json() == {"detail": "Someone other than the sender reviews the exception."}
    assert ServicePlan.objects.get(pk=plan.pk).status == PlanStatus.FINALIZED
    assert CaseNote.objects.get(pk=note.pk).cosign_status == CosignStatus.PENDING
    assert not Referral.objects.filter(
        pk__in=[made.pk, sent.pk], exception_reviewed_at__isnull=False
    ).exists()
    other = _api(second_supervisor)
    assert other.post(_act("plan", plan.pk, "approve")).status_code == 200
    assert other.post(_act("exception", sent.pk, "approve"), {"comment": "ok"}).status_code == 200


def test_out_of_scope_answers_404(
    supervisor: User,
    case_manager: User,
    other_team_case_manager: User,
    other_team_supervisor: User,
    team_south: Team,
    three_kinds: tuple[ServicePlan, Referral, CaseNote],
) -> None:
    south_plan = finalized_plan(
        make_client(case_manager=other_team_case_manager, team=team_south),
        other_team_case_manager,
    )
    plan, _referral, note = three_kinds
    assert _api(supervisor).post(_act("plan", south_plan.pk, "approve")).status_code == 404
    assert _api(other_team_supervisor).post(_act("plan", plan.pk, "approve")).status_code == 404
    assert _api(case_manager).post(_act("note", note.pk, "approve")).status_code == 404
    assert _api(supervisor).post(f"{URL}bogus/{plan.pk}/approve/").status_code == 404
    assert _api(supervisor).post(_act("note", 999999, "approve")).status_code == 404
    assert ServicePlan.objects.get(pk=south_plan.pk).status == PlanStatus.FINALIZED
    assert ServicePlan.objects.get(pk=plan.pk).status == PlanStatus.FINALIZED


# --- Schema ------------------------------------------------------------------------------------


def test_schema_documents_the_approvals_without_warnings(supervisor: User) -> None:
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator

    GENERATOR_STATS.reset()
    generator = SchemaGenerator(patterns=None)
    with GENERATOR_STATS.silence():
        schema = generator.get_schema(request=None, public=True)
    messages = [*GENERATOR_STATS._warn_cache, *GENERATOR_STATS._error_cache]
    ours = [m for m in messages if "Approval" in m or "approval_api.py" in m]
    assert not ours, ours
    paths = schema["paths"]
    assert set(paths["/api/v1/approvals/"]) == {"get"}
    for decision in ("approve", "return"):
        operation = paths[f"/api/v1/approvals/{{kind}}/{{item_id}}/{decision}/"]["post"]
        assert {p["name"] for p in operation["parameters"]} == {"kind", "item_id"}
        assert set(operation["responses"]) == {"200", "400", "403", "404"}
    served = _api(supervisor).get("/api/schema/", {"format": "json"})
    assert served.status_code == 200
    assert "/api/v1/approvals/{kind}/{item_id}/return/" in served.json()["paths"]
