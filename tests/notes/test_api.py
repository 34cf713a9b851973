"""/api/v1/notes/ under the access policy: who reads which notes (drafts only their author),
404 outside scope, drafts written, discarded and signed, a signed note never changing,
addenda, co-signature, the list's filters and query count, and the schema."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from casemgmt.accounts.models import Team, User
from casemgmt.audit.models import AccessAction, AccessLog
from clients.models import Client, Collateral, CollateralRelationship
from notes.models import Addendum, CaseNote, ContactType, CosignStatus, NoteStatus
from notes.services import note_sign

from ..factories import make_client
from ..referrals.referral_fixtures import active_goal, draft_referral, make_service, release_for
from .note_fixtures import complete_note_data, draft_note, signed_note

pytestmark = pytest.mark.django_db

URL = "/api/v1/notes/"


def _api(user: User | None = None, *, token: bool = False) -> APIClient:
    api = APIClient()
    if user is not None:
        if token:
            api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
        else:
            api.force_login(user)
    return api


def _detail(note: CaseNote, action: str = "") -> str:
    return f"{URL}{note.pk}/{action + '/' if action else ''}"


def _payload(client: Client, **overrides: Any) -> dict[str, Any]:
    data = complete_note_data(**overrides)
    data["contact_at"] = data["contact_at"].isoformat()
    return {"client": client.pk, **data}


def _frozen(note: CaseNote) -> dict[str, Any]:
    """Everything stored about a note: its row, its links, its history and addenda."""
    row = CaseNote.objects.filter(pk=note.pk).values().get()
    return {
        "row": row,
        "goals": sorted(note.goals.values_list("pk", flat=True)),
        "referrals": sorted(note.referrals.values_list("pk", flat=True)),
        "collaterals": sorted(note.collaterals.values_list("pk", flat=True)),
        "history": CaseNote.history.filter(id=note.pk).count(),
        "addenda": list(Addendum.objects.filter(note=note).values()),
    }


def _collateral(client: Client, actor: User, name: str = "Rosa Rivera") -> Collateral:
    return Collateral.objects.create(
        client=client,
        name=name,
        relationship=CollateralRelationship.FAMILY,
        relationship_detail="Sister",
        created_by=actor,
    )


# --- Who reads what -------------------------------------------------------------------------


def test_anonymous_is_refused(case_manager: User, north_client: Client) -> None:
    note = signed_note(north_client, case_manager)
    assert _api().get(URL).status_code in (401, 403)
    assert _api().get(_detail(note)).status_code in (401, 403)
    assert _api().post(URL, _payload(north_client), format="json").status_code in (401, 403)
    assert _api().delete(_detail(note)).status_code in (401, 403)


def test_list_scope_and_drafts_only_for_their_author(
    case_manager: User,
    teammate: User,
    supervisor: User,
    other_team_case_manager: User,
    admin: User,
    team_north: Team,
    north_client: Client,
) -> None:
    signed = signed_note(north_client, case_manager)
    draft = draft_note(north_client, case_manager)
    supervisors_draft = draft_note(north_client, supervisor)
    teammates_client = make_client(case_manager=teammate, team=team_north)
    teammates_signed = signed_note(teammates_client, teammate)

    def listed(user: User) -> set[int]:
        response = _api(user).get(URL)
        assert response.status_code == 200
        return {row["id"] for row in response.json()["results"]}

    assert listed(case_manager) == {signed.pk, draft.pk, teammates_signed.pk}
    assert listed(teammate) == {signed.pk, teammates_signed.pk}
    assert listed(supervisor) == {signed.pk, supervisors_draft.pk, teammates_signed.pk}
    assert listed(other_team_case_manager) == set()
    assert listed(admin) == set()
    body = _api(case_manager).get(URL).json()
    assert body["count"] == 3 and "next" in body and "previous" in body


@pytest.mark.parametrize("use_token", [False, True])
def test_retrieve_is_logged_and_outsiders_get_404(
    case_manager: User,
    teammate: User,
    supervisor: User,
    other_team_case_manager: User,
    other_team_supervisor: User,
    admin: User,
    north_client: Client,
    use_token: bool,
) -> None:
    note = signed_note(north_client, case_manager)
    for reader in (case_manager, teammate, supervisor):
        response = _api(reader, token=use_token).get(_detail(note))
        assert response.status_code == 200
        body = response.json()
        assert body["status"] == "signed" and body["author_name"] == "Casey North"
        assert body["hints"] == [] and body["addenda"] == []
        assert AccessLog.objects.filter(
            user=reader,
            action=AccessAction.API_VIEW,
            client_id=north_client.pk,
            path=_detail(note),
        ).exists()
    for outsider in (other_team_case_manager, other_team_supervisor, admin):
        assert _api(outsider, token=use_token).get(_detail(note)).status_code == 404
    assert not AccessLog.objects.filter(user__in=[other_team_case_manager, admin]).exists()


def test_someone_elses_draft_is_404_for_everyone_else(
    case_manager: User, teammate: User, supervisor: User, north_client: Client
) -> None:
    draft = draft_note(north_client, case_manager)
    for other in (teammate, supervisor):
        api = _api(other)
        assert api.get(_detail(draft)).status_code == 404
        assert api.patch(_detail(draft), {"purpose": "x"}, format="json").status_code == 404
        assert api.delete(_detail(draft)).status_code == 404
        assert api.post(_detail(draft, "sign")).status_code == 404
    assert CaseNote.objects.get(pk=draft.pk).purpose == "Monthly check-in on the housing goal."


def test_a_draft_shows_its_quality_hints(case_manager: User, north_client: Client) -> None:
    draft = draft_note(
        north_client,
        case_manager,
        observations="Client seems unmotivated and was noncompliant with meds.",
        next_steps="",
    )
    body = _api(case_manager).get(_detail(draft)).json()
    kinds = {(hint["kind"], hint["wording"].lower()) for hint in body["hints"]}
    assert ("impression_in_facts", "seems") in kinds
    assert ("judgmental", "noncompliant") in kinds
    assert ("judgmental", "unmotivated") in kinds
    assert ("missing", "") in kinds
    missing = next(h for h in body["hints"] if h["kind"] == "missing")
    assert missing["section"] == "next_steps" and missing["message"]


# --- The list's filters and cost -----------------------------------------------------------


def test_list_filters(case_manager: User, team_north: Team, north_client: Client) -> None:
    now = timezone.now()
    phone = signed_note(
        north_client,
        case_manager,
        contact_type=ContactType.PHONE,
        contact_at=now - dt.timedelta(days=10),
    )
    visit = signed_note(north_client, case_manager, contact_at=now - dt.timedelta(days=1))
    draft = draft_note(north_client, case_manager, contact_at=now - dt.timedelta(hours=1))
    other = signed_note(make_client(case_manager=case_manager, team=team_north), case_manager)
    api = _api(case_manager)

    def ids(**params: Any) -> list[int]:
        response = api.get(URL, params)
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["results"]]

    assert ids(client=north_client.pk) == [draft.pk, visit.pk, phone.pk]
    assert ids(status="draft") == [draft.pk]
    assert ids(status="signed", client=north_client.pk) == [visit.pk, phone.pk]
    assert ids(contact_type="phone") == [phone.pk]
    ten_days_ago = timezone.localdate(now - dt.timedelta(days=10))
    assert ids(date_from=ten_days_ago.isoformat(), date_to=ten_days_ago.isoformat()) == [phone.pk]
    assert other.pk not in ids(date_to=(ten_days_ago + dt.timedelta(days=5)).isoformat())
    assert ids(cosign_status="pending") == []
    for params, field in (
        ({"client": "x"}, "client"),
        ({"status": "archived"}, "status"),
        ({"contact_type": "carrier_pigeon"}, "contact_type"),
        ({"date_from": "yesterday"}, "date_from"),
        ({"date_from": "2026-02-01", "date_to": "2026-01-01"}, "date_to"),
    ):
        response = api.get(URL, params)
        assert response.status_code == 400 and field in response.json(), params


def test_list_query_count_is_flat(
    case_manager: User, supervisor: User, north_client: Client
) -> None:
    goal = active_goal(north_client, case_manager, supervisor)
    api = _api(case_manager, token=True)

    def add(count: int) -> None:
        for _ in range(count):
            note = draft_note(north_client, case_manager)
            note.goals.add(goal)
            note = note_sign(actor=case_manager, note=note)
            Addendum.objects.create(
                note=note, kind="clarification", reason="r", text="t", author=case_manager
            )
            draft_note(north_client, case_manager)

    add(2)
    with CaptureQueriesContext(connection) as few:
        assert api.get(URL).status_code == 200
    add(12)
    with CaptureQueriesContext(connection) as many:
        body = api.get(URL).json()
    assert body["count"] == 28
    assert all(row["addenda"] for row in body["results"] if row["status"] == "signed")
    assert len(many) == len(few)


# --- Drafts ---------------------------------------------------------------------------------


def test_create_a_draft_with_links(
    case_manager: User, supervisor: User, north_client: Client
) -> None:
    referral = draft_referral(north_client, case_manager, supervisor)
    goal = referral.goal
    collateral = _collateral(north_client, case_manager)
    data = _payload(
        north_client,
        goals=[goal.pk],
        referrals=[referral.pk],
        collaterals=[collateral.pk],
    )
    response = _api(case_manager, token=True).post(URL, data, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "draft" and body["author"] == case_manager.pk
    assert body["goals"] == [goal.pk] and body["referrals"] == [referral.pk]
    assert body["collaterals"] == [collateral.pk]
    assert body["purpose"] == "Monthly check-in on the housing goal."
    note = CaseNote.objects.get(pk=body["id"])
    assert note.client == north_client and note.history.get().history_user == case_manager


def test_create_with_only_a_client_takes_the_defaults(
    case_manager: User, north_client: Client
) -> None:
    response = _api(case_manager).post(URL, {"client": north_client.pk}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["contact_type"] == "office" and body["note_format"] == "narrative"
    assert {h["section"] for h in body["hints"] if h["kind"] == "missing"} == {
        "purpose",
        "next_steps",
    }


def test_create_refuses_links_of_another_client(
    case_manager: User,
    supervisor: User,
    team_north: Team,
    north_client: Client,
    other_team_case_manager: User,
    other_team_supervisor: User,
    team_south: Team,
) -> None:
    second = make_client(case_manager=case_manager, team=team_north)
    other_referral = draft_referral(second, case_manager, supervisor)
    other_goal = other_referral.goal
    other_collateral = _collateral(second, case_manager)
    api = _api(case_manager)
    for field, value in (
        ("goals", other_goal.pk),
        ("referrals", other_referral.pk),
        ("collaterals", other_collateral.pk),
    ):
        response = api.post(URL, _payload(north_client, **{field: [value]}), format="json")
        assert response.status_code == 400 and field in response.json(), field
    south = make_client(case_manager=other_team_case_manager, team=team_south)
    hidden_goal = active_goal(south, other_team_case_manager, other_team_supervisor)
    response = api.post(URL, _payload(north_client, goals=[hidden_goal.pk]), format="json")
    assert response.status_code == 400 and "goals" in response.json()
    assert not CaseNote.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"contact_type": "carrier_pigeon"}, "contact_type"),
        ({"duration_minutes": -5}, "duration_minutes"),
        ({"contact_at": "last tuesday"}, "contact_at"),
        ({"location": "x" * 201}, "location"),
        ({"note_format": "haiku"}, "note_format"),
        ({"goals": "not a list"}, "goals"),
        ({"client": None}, "client"),
    ],
)
def test_create_validation_names_the_field(
    case_manager: User, north_client: Client, overrides: dict[str, Any], field: str
) -> None:
    data = {**_payload(north_client), **overrides}
    response = _api(case_manager).post(URL, data, format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert not CaseNote.objects.exists()


def test_create_for_a_read_only_teammate_is_403_and_outside_scope_400(
    teammate: User, other_team_case_manager: User, admin: User, north_client: Client
) -> None:
    response = _api(teammate).post(URL, _payload(north_client), format="json")
    assert response.status_code == 403 and "detail" in response.json()
    for outsider in (other_team_case_manager, admin):
        response = _api(outsider).post(URL, _payload(north_client), format="json")
        assert response.status_code == 400 and "client" in response.json()
    assert not CaseNote.objects.exists()


def test_supervisor_may_write_a_note(supervisor: User, north_client: Client) -> None:
    response = _api(supervisor).post(URL, _payload(north_client), format="json")
    assert response.status_code == 201
    assert response.json()["author"] == supervisor.pk


def test_patch_saves_a_draft(case_manager: User, supervisor: User, north_client: Client) -> None:
    goal = active_goal(north_client, case_manager, supervisor)
    draft = draft_note(north_client, case_manager)
    api = _api(case_manager, token=True)
    response = api.patch(
        _detail(draft),
        {"next_steps": "Call Maple Court on Monday.", "goals": [goal.pk]},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["next_steps"] == "Call Maple Court on Monday."
    assert response.json()["goals"] == [goal.pk]
    assert response.json()["purpose"] == "Monthly check-in on the housing goal."
    response = api.patch(_detail(draft), {"duration_minutes": 30}, format="json")
    assert response.json()["goals"] == [goal.pk], "links not sent stay as they were"
    response = api.patch(_detail(draft), {"goals": []}, format="json")
    assert response.json()["goals"] == []
    bad = api.patch(_detail(draft), {"contact_type": "telepathy"}, format="json")
    assert bad.status_code == 400 and "contact_type" in bad.json()
    note = CaseNote.objects.get(pk=draft.pk)
    assert note.next_steps == "Call Maple Court on Monday." and note.duration_minutes == 30
    assert note.history.first().history_user == case_manager


def test_put_on_a_draft_points_to_patch(case_manager: User, north_client: Client) -> None:
    draft = draft_note(north_client, case_manager)
    response = _api(case_manager).put(_detail(draft), _payload(north_client), format="json")
    assert response.status_code == 405
    assert "PATCH" in response.json()["detail"]


def test_an_author_who_lost_write_access_cannot_change_their_draft(
    case_manager: User, teammate: User, north_client: Client
) -> None:
    draft = draft_note(north_client, case_manager)
    Client.objects.filter(pk=north_client.pk).update(primary_case_manager=teammate)
    api = _api(case_manager)
    assert api.get(_detail(draft)).status_code == 200
    assert api.patch(_detail(draft), {"purpose": "x"}, format="json").status_code == 403
    assert api.post(_detail(draft, "sign")).status_code == 403
    assert api.delete(_detail(draft)).status_code == 403
    assert CaseNote.objects.filter(pk=draft.pk, status=NoteStatus.DRAFT).exists()


def test_delete_discards_a_draft(case_manager: User, north_client: Client) -> None:
    draft = draft_note(north_client, case_manager)
    response = _api(case_manager).delete(_detail(draft))
    assert response.status_code == 204
    assert not CaseNote.objects.filter(pk=draft.pk).exists()
    assert _api(case_manager).delete(_detail(draft)).status_code == 404


# --- A signed note never changes -------------------------------------------------------------


def test_a_signed_note_answers_every_change_with_409_and_stays_identical(
    case_manager: User,
    teammate: User,
    supervisor: User,
    other_team_case_manager: User,
    north_client: Client,
) -> None:
    goal = active_goal(north_client, case_manager, supervisor)
    note = draft_note(north_client, case_manager)
    note.goals.add(goal)
    _api(case_manager).post(_detail(note, "sign"))
    note.refresh_from_db()
    assert note.status == NoteStatus.SIGNED
    before = _frozen(note)
    change = {"observations": "Rewritten after the fact.", "goals": []}
    for user in (case_manager, supervisor, teammate):
        for token in (False, True):
            api = _api(user, token=token)
            for response in (
                api.patch(_detail(note), change, format="json"),
                api.put(_detail(note), _payload(north_client), format="json"),
                api.delete(_detail(note)),
                api.patch(_detail(note), {"contact_type": "nonsense"}, format="json"),
            ):
                assert response.status_code == 409, response.content
                assert "add an addendum" in response.json()["detail"]
            Token.objects.filter(user=user).delete()
    assert _api(case_manager).post(_detail(note, "sign")).status_code == 409
    assert _api(other_team_case_manager).delete(_detail(note)).status_code == 404
    assert _frozen(note) == before


# --- Signing --------------------------------------------------------------------------------


def test_sign(case_manager: User, north_client: Client) -> None:
    draft = draft_note(north_client, case_manager)
    response = _api(case_manager, token=True).post(_detail(draft, "sign"))
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "signed" and body["signed_by"] == case_manager.pk
    assert body["signed_at"] and body["late_entry"] is False and body["cosign_status"] == ""
    assert body["hints"] == []


def test_sign_answers_what_is_missing_by_field(case_manager: User, north_client: Client) -> None:
    draft = draft_note(
        north_client,
        case_manager,
        purpose="",
        observations="",
        client_quotes="",
        interventions="",
        next_steps=" ",
        duration_minutes=0,
    )
    response = _api(case_manager).post(_detail(draft, "sign"))
    assert response.status_code == 400
    assert set(response.json()) == {"purpose", "observations", "next_steps", "duration_minutes"}
    assert CaseNote.objects.get(pk=draft.pk).status == NoteStatus.DRAFT


def test_sign_refuses_a_contact_in_the_future(case_manager: User, north_client: Client) -> None:
    draft = draft_note(north_client, case_manager, contact_at=timezone.now() + dt.timedelta(days=1))
    response = _api(case_manager).post(_detail(draft, "sign"))
    assert response.status_code == 400 and "contact_at" in response.json()


def test_sign_needs_a_release_for_each_collateral(case_manager: User, north_client: Client) -> None:
    sister = _collateral(north_client, case_manager)
    draft = draft_note(north_client, case_manager, contact_type=ContactType.COLLATERAL)
    api = _api(case_manager)
    response = api.post(_detail(draft, "sign"))
    assert response.status_code == 400
    assert "names the collateral" in response.json()["collaterals"][0]
    api.patch(_detail(draft), {"collaterals": [sister.pk]}, format="json")
    response = api.post(_detail(draft, "sign"))
    assert response.status_code == 400
    assert (
        "no active release of information naming Rosa Rivera" in (response.json()["collaterals"][0])
    )
    assert CaseNote.objects.get(pk=draft.pk).status == NoteStatus.DRAFT
    release_for(
        north_client,
        case_manager,
        make_service(),
        recipient_organization_id=None,
        recipient_collateral=sister,
        recipient_name=sister.name,
        effective_on=timezone.localdate() - dt.timedelta(days=3),
    )
    assert api.post(_detail(draft, "sign")).status_code == 200


# --- Addenda --------------------------------------------------------------------------------


def test_addenda(
    case_manager: User,
    teammate: User,
    supervisor: User,
    other_team_case_manager: User,
    north_client: Client,
) -> None:
    note = signed_note(north_client, case_manager)
    url = _detail(note, "addenda")
    before = CaseNote.objects.filter(pk=note.pk).values().get()
    body = {"kind": "correction", "reason": "Wrong day", "text": "The visit was on Tuesday."}
    response = _api(case_manager, token=True).post(url, body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["author"] == case_manager.pk
    assert response.json()["kind"] == "correction" and response.json()["signed_at"]
    assert (
        _api(supervisor).post(url, {**body, "kind": "clarification"}, format="json").status_code
        == 201
    )
    assert _api(teammate).post(url, body, format="json").status_code == 403
    assert _api(other_team_case_manager).post(url, body, format="json").status_code == 404
    for bad, field in (
        ({"kind": "rewrite"}, "kind"),
        ({"reason": ""}, "reason"),
        ({"text": ""}, "text"),
    ):
        response = _api(case_manager).post(url, {**body, **bad}, format="json")
        assert response.status_code == 400 and field in response.json()
    addenda = _api(teammate).get(_detail(note)).json()["addenda"]
    assert [(a["kind"], a["author_name"]) for a in addenda] == [
        ("correction", "Casey North"),
        ("clarification", "Sam Supervisor"),
    ]
    assert CaseNote.objects.filter(pk=note.pk).values().get() == before


def test_an_addendum_to_a_draft_is_refused(case_manager: User, north_client: Client) -> None:
    draft = draft_note(north_client, case_manager)
    body = {"kind": "correction", "reason": "r", "text": "t"}
    response = _api(case_manager).post(_detail(draft, "addenda"), body, format="json")
    assert response.status_code == 400 and "draft" in response.json()["non_field_errors"][0]
    assert not Addendum.objects.exists()


# --- Co-signature ---------------------------------------------------------------------------


@pytest.fixture
def pending(case_manager: User, north_client: Client) -> CaseNote:
    case_manager.notes_need_cosign = True
    case_manager.save(update_fields=["notes_need_cosign"])
    note = draft_note(north_client, case_manager)
    response = _api(case_manager).post(_detail(note, "sign"))
    assert response.json()["cosign_status"] == "pending"
    return note


def test_cosign_approve(supervisor: User, pending: CaseNote) -> None:
    response = _api(supervisor, token=True).post(
        _detail(pending, "cosign"), {"approve": True, "comment": "Clear note."}, format="json"
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["cosign_status"] == "approved" and body["cosigned_by"] == supervisor.pk
    assert body["cosign_comment"] == "Clear note." and body["cosigned_at"]
    again = _api(supervisor).post(_detail(pending, "cosign"), {"approve": True}, format="json")
    assert again.status_code == 400 and "not waiting" in again.json()["non_field_errors"][0]


def test_cosign_return_then_the_author_answers(
    case_manager: User, supervisor: User, pending: CaseNote
) -> None:
    url = _detail(pending, "cosign")
    api = _api(supervisor)
    missing = api.post(url, {"approve": False}, format="json")
    assert missing.status_code == 400 and "comment" in missing.json()
    assert api.post(url, {"comment": "x"}, format="json").status_code == 400
    returned = api.post(
        url, {"approve": False, "comment": "Add what she said about the lease."}, format="json"
    )
    assert returned.status_code == 200
    assert returned.json()["cosign_status"] == "returned"
    answer = {
        "kind": "supervisor_response",
        "reason": "Asked by the supervisor",
        "text": "She said the lease ends on the 30th.",
    }
    response = _api(case_manager).post(_detail(pending, "addenda"), answer, format="json")
    assert response.status_code == 201
    assert CaseNote.objects.get(pk=pending.pk).cosign_status == CosignStatus.PENDING


def test_only_a_supervisor_of_the_team_cosigns(
    case_manager: User,
    teammate: User,
    other_team_supervisor: User,
    pending: CaseNote,
) -> None:
    url = _detail(pending, "cosign")
    assert _api(case_manager).post(url, {"approve": True}, format="json").status_code == 403
    assert _api(teammate).post(url, {"approve": True}, format="json").status_code == 403
    assert (
        _api(other_team_supervisor).post(url, {"approve": True}, format="json").status_code == 404
    )
    assert CaseNote.objects.get(pk=pending.pk).cosign_status == CosignStatus.PENDING


def test_pending_notes_filter(supervisor: User, pending: CaseNote) -> None:
    rows = _api(supervisor).get(URL, {"cosign_status": "pending"}).json()["results"]
    assert [row["id"] for row in rows] == [pending.pk]


# --- Schema ---------------------------------------------------------------------------------


def test_schema_lists_the_notes_paths(case_manager: User) -> None:
    paths = _api(case_manager).get("/api/schema/", {"format": "json"}).json()["paths"]
    assert set(paths[URL]) >= {"get", "post"}
    assert set(paths[f"{URL}{{id}}/"]) >= {"get", "patch", "delete"}
    for action in ("sign", "addenda", "cosign"):
        assert "post" in paths[f"{URL}{{id}}/{action}/"]
