"""The case-note pages: who may open and do what (a role by page matrix), the list with its
filters, pagination and flat query count, writing a draft with autosave (nothing typed is
lost, bad input never a server error), signing with its problems on the form, the detail
page with addenda, co-signature and its queue, and a goal's notes across plan versions."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from careplans.models import Goal, PlanStatus
from careplans.services import plans as plan_services
from casemgmt.accounts.models import Agency, Team, User
from casemgmt.audit.models import AccessAction, AccessLog
from clients.models import Client, Collateral, CollateralRelationship
from notes.models import Addendum, AddendumKind, CaseNote, ContactType, CosignStatus, NoteStatus
from notes.services import addendum_add, note_cosign

from ..careplans.plan_fixtures import plan_in_status
from ..factories import UserFactory, make_client
from ..referrals.referral_fixtures import make_service, release_for
from .note_fixtures import complete_note_data, draft_note, signed_note

pytestmark = pytest.mark.django_db


def _login(http: HttpClient, user: User) -> HttpClient:
    http.force_login(user)
    return http


def _form(note: CaseNote | None = None, **overrides: Any) -> dict[str, Any]:
    """What the editor posts: every field, as the browser sends it."""
    data = complete_note_data()
    data["contact_at"] = timezone.localtime(data["contact_at"]).strftime("%Y-%m-%dT%H:%M")
    data.update(
        {
            "client_present": "on",
            "other_participants": "",
            "note_format": "narrative",
            "goals": [],
            "referrals": [],
            "collaterals": [],
        }
    )
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _url(name: str, note: CaseNote) -> str:
    return reverse(f"notes:{name}", args=[note.client_id, note.pk])


def _errors(response: Any) -> str:
    return response.content.decode()


def _collateral(client: Client, actor: User, name: str = "Rosa Rivera") -> Collateral:
    return Collateral.objects.create(
        client=client,
        name=name,
        relationship=CollateralRelationship.FAMILY,
        relationship_detail="Sister",
        created_by=actor,
    )


@pytest.fixture
def draft(north_client: Client, case_manager: User) -> CaseNote:
    return draft_note(north_client, case_manager)


@pytest.fixture
def signed(north_client: Client, case_manager: User) -> CaseNote:
    return signed_note(north_client, case_manager)


@pytest.fixture
def pending(north_client: Client, case_manager: User) -> CaseNote:
    case_manager.notes_need_cosign = True
    case_manager.save(update_fields=["notes_need_cosign"])
    return signed_note(north_client, case_manager)


@pytest.fixture
def goal(north_client: Client, case_manager: User, supervisor: User) -> Goal:
    plan = plan_in_status(north_client, case_manager, PlanStatus.ACTIVE, approver=supervisor)
    return plan.goals.get()


# --- Who may open what ------------------------------------------------------------------------

ROLES = [
    "case_manager",
    "teammate",
    "supervisor",
    "other_team_case_manager",
    "other_team_supervisor",
    "admin",
]


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("case_manager", 200),
        ("teammate", 200),
        ("supervisor", 200),
        ("other_team_case_manager", 404),
        ("other_team_supervisor", 404),
        ("admin", 404),
    ],
)
@pytest.mark.parametrize("page", ["note_list", "note_detail", "goal_notes"])
def test_read_pages_by_role(
    request: pytest.FixtureRequest,
    client: HttpClient,
    signed: CaseNote,
    goal: Goal,
    page: str,
    role: str,
    expected: int,
) -> None:
    if page == "note_list":
        url = reverse("notes:note_list", args=[signed.client_id])
    elif page == "goal_notes":
        url = reverse("notes:goal_notes", args=[signed.client_id, goal.key])
    else:
        url = _url("note_detail", signed)
    assert _login(client, request.getfixturevalue(role)).get(url).status_code == expected


@pytest.mark.parametrize(
    "url",
    [
        lambda n: reverse("notes:note_list", args=[n.client_id]),
        lambda n: _url("note_detail", n),
        lambda n: _url("note_edit", n),
        lambda n: reverse("notes:cosign_queue"),
    ],
)
def test_anonymous_is_sent_to_sign_in(client: HttpClient, draft: CaseNote, url: Any) -> None:
    response = client.get(url(draft))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("case_manager", 200),
        ("teammate", 404),
        ("supervisor", 404),
        ("other_team_case_manager", 404),
        ("admin", 404),
    ],
)
def test_a_draft_is_its_authors(
    request: pytest.FixtureRequest, client: HttpClient, draft: CaseNote, role: str, expected: int
) -> None:
    """Others do not read, change, sign or discard someone's draft: for them it does not exist."""
    http = _login(client, request.getfixturevalue(role))
    assert http.get(_url("note_edit", draft)).status_code == expected
    assert http.get(_url("note_detail", draft)).status_code == expected
    if expected == 404:
        for name in ("note_edit", "note_autosave", "note_sign", "note_discard"):
            assert http.post(_url(name, draft), _form(purpose="x")).status_code == 404
        assert CaseNote.objects.get(pk=draft.pk).purpose == draft.purpose


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("case_manager", 302),
        ("supervisor", 302),
        ("teammate", 403),
        ("other_team_case_manager", 404),
        ("other_team_supervisor", 404),
        ("admin", 404),
    ],
)
def test_who_may_start_a_note(
    request: pytest.FixtureRequest,
    client: HttpClient,
    north_client: Client,
    role: str,
    expected: int,
) -> None:
    user = request.getfixturevalue(role)
    response = _login(client, user).post(reverse("notes:note_new", args=[north_client.pk]))
    assert response.status_code == expected
    if expected == 302:
        note = CaseNote.objects.get(author=user)
        assert response["Location"] == _url("note_edit", note)
        assert note.status == NoteStatus.DRAFT
    else:
        assert not CaseNote.objects.exists()


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("case_manager", 302),
        ("supervisor", 302),
        ("teammate", 403),
        ("other_team_case_manager", 404),
        ("other_team_supervisor", 404),
        ("admin", 404),
    ],
)
def test_who_may_add_an_addendum(
    request: pytest.FixtureRequest, client: HttpClient, signed: CaseNote, role: str, expected: int
) -> None:
    response = _login(client, request.getfixturevalue(role)).post(
        _url("addendum_add", signed),
        {"kind": "correction", "reason": "Wrong day", "text": "It was Tuesday."},
    )
    assert response.status_code == expected
    assert Addendum.objects.filter(note=signed).count() == (1 if expected == 302 else 0)


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("supervisor", 302),
        ("case_manager", 403),  # the author
        ("teammate", 403),
        ("other_team_case_manager", 404),
        ("other_team_supervisor", 404),
        ("admin", 404),
    ],
)
def test_who_may_cosign(
    request: pytest.FixtureRequest, client: HttpClient, pending: CaseNote, role: str, expected: int
) -> None:
    response = _login(client, request.getfixturevalue(role)).post(
        _url("note_cosign", pending), {"decision": "approve", "comment": ""}
    )
    assert response.status_code == expected
    status = CaseNote.objects.get(pk=pending.pk).cosign_status
    assert status == (CosignStatus.APPROVED if expected == 302 else CosignStatus.PENDING)


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("supervisor", 200),
        ("other_team_supervisor", 200),
        ("case_manager", 404),
        ("teammate", 404),
        ("admin", 404),
    ],
)
def test_cosign_queue_is_for_supervisors(
    request: pytest.FixtureRequest, client: HttpClient, role: str, expected: int
) -> None:
    http = _login(client, request.getfixturevalue(role))
    assert http.get(reverse("notes:cosign_queue")).status_code == expected


# --- The list ---------------------------------------------------------------------------------


def test_list_shows_notes_newest_first_with_their_facts(
    client: HttpClient, case_manager: User, north_client: Client
) -> None:
    now = timezone.now()
    older = signed_note(
        north_client,
        case_manager,
        contact_at=now - dt.timedelta(days=2),
        contact_type=ContactType.PHONE,
        purpose="Reminder about the Maple Court appointment.",
        duration_minutes=10,
    )
    newer = signed_note(north_client, case_manager, contact_at=now - dt.timedelta(hours=1))
    mine = draft_note(north_client, case_manager, purpose="Still writing this one.")
    response = _login(client, case_manager).get(reverse("notes:note_list", args=[north_client.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    positions = [body.index(_url("note_detail", n)) for n in (mine, newer, older)]
    assert positions == sorted(positions)
    assert "Phone call" in body and "10 minutes" in body and "Casey North" in body
    assert "Reminder about the Maple Court appointment." in body
    assert "Write a note" in body and _url("note_edit", mine) in body
    assert AccessLog.objects.filter(
        user=case_manager, client_id=north_client.pk, action=AccessAction.VIEW
    ).exists()


def test_list_times_are_in_the_users_zone(
    client: HttpClient, case_manager: User, north_client: Client
) -> None:
    contact = dt.datetime(2026, 1, 15, 15, 0, tzinfo=dt.UTC)
    signed_note(north_client, case_manager, contact_at=contact)
    case_manager.time_zone = "America/Los_Angeles"
    case_manager.save(update_fields=["time_zone"])
    body = _login(client, case_manager).get(reverse("notes:note_list", args=[north_client.pk]))
    assert "7:00" in body.content.decode()  # 15:00 UTC is 07:00 in Los Angeles in January


def test_list_filters_by_type_and_status(
    client: HttpClient, case_manager: User, supervisor: User, north_client: Client
) -> None:
    phone = signed_note(north_client, case_manager, contact_type=ContactType.PHONE)
    visit = signed_note(north_client, case_manager)
    draft = draft_note(north_client, case_manager)
    late = signed_note(north_client, case_manager, contact_at=timezone.now() - dt.timedelta(days=5))
    case_manager.notes_need_cosign = True
    case_manager.save(update_fields=["notes_need_cosign"])
    returned = signed_note(north_client, case_manager)
    note_cosign(actor=supervisor, note=returned, approve=False, comment="Add the address.")
    waiting = signed_note(north_client, case_manager)
    http = _login(client, case_manager)
    url = reverse("notes:note_list", args=[north_client.pk])

    def shown(**params: str) -> set[int]:
        body = http.get(url, params).content.decode().split('id="results"')[1]
        return {int(pk) for pk in re.findall(r"/notes/(\d+)/(?:edit/)?\"", body)}

    assert shown(type="phone") == {phone.pk}
    assert shown(status="draft") == {draft.pk}
    assert shown(status="late") == {late.pk}
    assert shown(status="awaiting") == {waiting.pk}
    assert shown(status="returned") == {returned.pk}
    assert visit.pk in shown(status="signed") and draft.pk not in shown(status="signed")
    assert len(shown(type="nonsense", status="<script>")) == 6
    partial = http.get(url, {"type": "phone"}, headers={"HX-Request": "true"})
    assert "<html" not in partial.content.decode() and 'id="results"' in partial.content.decode()


def test_teammate_reads_without_the_write_button(
    client: HttpClient, teammate: User, case_manager: User, north_client: Client
) -> None:
    signed_note(north_client, case_manager)
    draft_note(north_client, case_manager, purpose="Private draft words.")
    body = _login(client, teammate).get(reverse("notes:note_list", args=[north_client.pk]))
    text = body.content.decode()
    assert "Write a note" not in text
    assert "Private draft words." not in text


def test_list_is_paginated(client: HttpClient, case_manager: User, north_client: Client) -> None:
    base = timezone.now() - dt.timedelta(days=1)
    for i in range(27):
        signed_note(north_client, case_manager, contact_at=base - dt.timedelta(hours=i))
    http = _login(client, case_manager)
    url = reverse("notes:note_list", args=[north_client.pk])
    first = http.get(url).content.decode()
    assert "Page 1 of 2" in first
    second = http.get(url, {"page": "2"}).content.decode()
    assert len(re.findall(r"/notes/\d+/\"", second)) == 2
    assert http.get(url, {"page": "abc"}).status_code == 200


def _many_notes(client: Client, author: User, n: int, collateral: Collateral) -> None:
    for i in range(n):
        note = signed_note(
            client,
            author,
            contact_at=timezone.now() - dt.timedelta(hours=3 + i),
            purpose=f"Contact {i}",
        )
        Addendum.objects.create(note=note, kind="correction", reason="r", text="t", author=author)


def test_list_query_count_does_not_grow(
    client: HttpClient, case_manager: User, north_client: Client
) -> None:
    collateral = _collateral(north_client, case_manager)
    _many_notes(north_client, case_manager, 2, collateral)
    http = _login(client, case_manager)
    url = reverse("notes:note_list", args=[north_client.pk])
    with CaptureQueriesContext(connection) as few:
        assert http.get(url).status_code == 200
    _many_notes(north_client, case_manager, 20, collateral)
    with CaptureQueriesContext(connection) as many:
        assert http.get(url).status_code == 200
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
    assert len(few) <= 15


# --- Writing a draft --------------------------------------------------------------------------


def test_editor_shows_the_draft_in_the_users_zone(
    client: HttpClient, case_manager: User, north_client: Client
) -> None:
    case_manager.time_zone = "America/Los_Angeles"
    case_manager.save(update_fields=["time_zone"])
    note = draft_note(
        north_client, case_manager, contact_at=dt.datetime(2026, 1, 15, 15, 0, tzinfo=dt.UTC)
    )
    response = _login(client, case_manager).get(_url("note_edit", note))
    body = response.content.decode()
    assert response.status_code == 200
    assert 'value="2026-01-15T07:00"' in body
    assert 'hx-post="' + _url("note_autosave", note) in body
    assert 'aria-live="polite"' in body
    assert "Sign and lock the note" in body
    assert escape(note.observations) in body


def test_editor_offers_the_clients_goals_referrals_and_collaterals(
    client: HttpClient,
    case_manager: User,
    supervisor: User,
    north_client: Client,
    goal: Goal,
    team_north: Team,
) -> None:
    collateral = _collateral(north_client, case_manager)
    other = make_client(case_manager=case_manager, team=team_north)
    other_collateral = _collateral(other, case_manager, name="Stranger Person")
    note = draft_note(north_client, case_manager)
    body = _login(client, case_manager).get(_url("note_edit", note)).content.decode()
    assert escape(goal.client_words) in body or goal.client_words in body
    assert f'value="{goal.pk}"' in body
    assert f'value="{collateral.pk}"' in body and "Rosa Rivera" in body
    assert "Stranger Person" not in body and f'value="{other_collateral.pk}"' not in body


def test_autosave_keeps_the_draft(
    client: HttpClient, case_manager: User, draft: CaseNote, goal: Goal
) -> None:
    http = _login(client, case_manager)
    data = _form(
        observations="Client read the lease aloud.",
        impressions="Hopeful about the move.",
        goals=[goal.pk],
    )
    response = http.post(_url("note_autosave", draft), data, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200
    assert response["X-Casework-Autosave"] == "1"
    assert body.startswith("Saved ")
    assert 'id="note-hints" hx-swap-oob="innerHTML"' in body
    saved = CaseNote.objects.get(pk=draft.pk)
    assert saved.observations == "Client read the lease aloud."
    assert saved.impressions == "Hopeful about the move."
    assert list(saved.goals.all()) == [goal]
    # Reloading the editor (a new tab, a new session) shows what was typed.
    http.logout()
    _login(http, case_manager)
    assert "Client read the lease aloud." in http.get(_url("note_edit", draft)).content.decode()


def test_autosave_saves_the_good_fields_and_names_the_bad_one(
    client: HttpClient, case_manager: User, draft: CaseNote
) -> None:
    http = _login(client, case_manager)
    data = _form(contact_at="2026-02-30T25:99", purpose="New purpose words.")
    response = http.post(_url("note_autosave", draft), data, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "except" in body and 'href="#id_contact_at"' in body
    saved = CaseNote.objects.get(pk=draft.pk)
    assert saved.purpose == "New purpose words."
    assert saved.contact_at == draft.contact_at


@pytest.mark.parametrize(
    "overrides",
    [
        {"duration_minutes": "-5"},
        {"duration_minutes": "99999999999999"},
        {"duration_minutes": "lots"},
        {"contact_type": "telepathy"},
        {"note_format": "haiku"},
        {"goals": ["abc"]},
        {"goals": ["999999"]},
        {"collaterals": ["-1"]},
        {"referrals": ["1e9"]},
        {"purpose": "nul \x00 byte"},
        {"contact_at": "2026-03-08T02:30"},  # does not exist in New York (clocks skip it)
        {"location": "x" * 500},
    ],
)
def test_bad_input_never_breaks_the_editor(
    client: HttpClient, case_manager: User, draft: CaseNote, overrides: dict[str, Any]
) -> None:
    http = _login(client, case_manager)
    data = _form(observations="Kept whatever else happens.", **overrides)
    autosave = http.post(_url("note_autosave", draft), data, headers={"HX-Request": "true"})
    assert autosave.status_code == 200
    assert "except" in autosave.content.decode() or "Not saved" in autosave.content.decode()
    page = http.post(_url("note_edit", draft), data)
    assert page.status_code == 400
    assert "There is a problem" in page.content.decode()
    signing = http.post(_url("note_sign", draft), data)
    assert signing.status_code == 400
    assert CaseNote.objects.get(pk=draft.pk).status == NoteStatus.DRAFT
    assert CaseNote.objects.get(pk=draft.pk).observations == "Kept whatever else happens."


def test_changing_the_format_relays_out_the_sections_keeping_the_text(
    client: HttpClient, case_manager: User, draft: CaseNote
) -> None:
    http = _login(client, case_manager)
    data = _form(note_format="soap", client_quotes="“I sent it Monday.” typed just now")
    response = http.post(_url("note_autosave", draft), data, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert 'id="note-sections" hx-swap-oob="true"' in body
    assert "Subjective" in body and "Objective" in body
    assert "typed just now" in body
    again = http.post(_url("note_autosave", draft), data, headers={"HX-Request": "true"})
    assert 'id="note-sections"' not in again.content.decode()


def test_autosave_shows_quality_hints(
    client: HttpClient, case_manager: User, draft: CaseNote
) -> None:
    data = _form(observations="Client seems tired and refused the referral.", next_steps="")
    body = (
        _login(client, case_manager)
        .post(_url("note_autosave", draft), data, headers={"HX-Request": "true"})
        .content.decode()
    )
    assert "seems" in body and "refused" in body and "declined" in body
    assert "Add the next step" in body


def test_save_draft_without_javascript(
    client: HttpClient, case_manager: User, draft: CaseNote
) -> None:
    http = _login(client, case_manager)
    response = http.post(_url("note_edit", draft), _form(purpose="Saved by the button."))
    assert response.status_code == 302 and response["Location"] == _url("note_edit", draft)
    assert CaseNote.objects.get(pk=draft.pk).purpose == "Saved by the button."


def test_an_expired_session_loses_nothing_saved(
    client: HttpClient, case_manager: User, draft: CaseNote
) -> None:
    """The autosave answer of a signed-out browser is the sign-in page, without the autosave
    header, so the editor keeps the text on the page and says so."""
    response = client.post(
        _url("note_autosave", draft), _form(purpose="typed"), headers={"HX-Request": "true"}
    )
    assert response.status_code == 302
    assert "X-Casework-Autosave" not in response
    assert CaseNote.objects.get(pk=draft.pk).purpose == draft.purpose
    page = _login(client, case_manager).get(_url("note_edit", draft)).content.decode()
    assert "X-Casework-Autosave" in page and 'id="autosave-lost"' in page


def test_get_on_post_only_steps_goes_back_to_the_editor(
    client: HttpClient, case_manager: User, draft: CaseNote
) -> None:
    http = _login(client, case_manager)
    for name in ("note_autosave", "note_sign"):
        response = http.get(_url(name, draft))
        assert response.status_code == 302 and response["Location"] == _url("note_edit", draft)


def test_discard_a_draft(client: HttpClient, case_manager: User, draft: CaseNote) -> None:
    response = _login(client, case_manager).post(_url("note_discard", draft))
    assert response["Location"] == reverse("notes:note_list", args=[draft.client_id])
    assert not CaseNote.objects.filter(pk=draft.pk).exists()


def test_a_signed_note_cannot_be_edited_or_discarded(
    client: HttpClient, case_manager: User, signed: CaseNote
) -> None:
    http = _login(client, case_manager)
    for name in ("note_edit", "note_discard", "note_sign"):
        response = http.post(_url(name, signed), _form(purpose="changed"))
        assert response.status_code == 302
        assert response["Location"] == _url("note_detail", signed)
    assert http.get(_url("note_edit", signed))["Location"] == _url("note_detail", signed)
    autosave = http.post(
        _url("note_autosave", signed), _form(purpose="changed"), headers={"HX-Request": "true"}
    )
    assert "signed" in autosave.content.decode()
    assert CaseNote.objects.get(pk=signed.pk).purpose == signed.purpose


# --- Signing ----------------------------------------------------------------------------------


def test_sign_saves_and_locks(client: HttpClient, case_manager: User, draft: CaseNote) -> None:
    http = _login(client, case_manager)
    response = http.post(_url("note_sign", draft), _form(purpose="Final purpose."))
    assert response.status_code == 302 and response["Location"] == _url("note_detail", draft)
    note = CaseNote.objects.get(pk=draft.pk)
    assert note.status == NoteStatus.SIGNED and note.purpose == "Final purpose."
    assert note.signed_by == case_manager and not note.late_entry
    page = http.get(_url("note_detail", draft)).content.decode()
    assert "signed and locked" in page
    assert "Add an addendum" in page
    assert "Wording suggestions" not in page


def test_sign_problems_are_shown_on_the_form_with_nothing_lost(
    client: HttpClient, case_manager: User, draft: CaseNote
) -> None:
    data = _form(purpose="", next_steps="", observations="Typed and kept.", duration_minutes="0")
    response = _login(client, case_manager).post(_url("note_sign", draft), data)
    body = response.content.decode()
    assert response.status_code == 400
    assert "There is a problem" in body
    assert 'href="#id_purpose"' in body and 'href="#id_next_steps"' in body
    assert "Say what the contact was for." in body
    assert "Enter how many minutes" in body
    assert "Typed and kept." in body
    note = CaseNote.objects.get(pk=draft.pk)
    assert note.status == NoteStatus.DRAFT and note.observations == "Typed and kept."


def test_collateral_contact_needs_a_release(
    client: HttpClient, case_manager: User, north_client: Client, draft: CaseNote
) -> None:
    collateral = _collateral(north_client, case_manager)
    http = _login(client, case_manager)
    data = _form(contact_type="collateral", collaterals=[collateral.pk])
    refused = http.post(_url("note_sign", draft), data)
    body = refused.content.decode()
    assert refused.status_code == 400
    assert "no active release of information naming Rosa Rivera" in body
    assert 'href="#id_collaterals_0"' in body  # the summary links to the checkboxes
    assert CaseNote.objects.get(pk=draft.pk).status == NoteStatus.DRAFT
    release_for(
        north_client,
        case_manager,
        make_service(),
        recipient_organization_id=None,
        recipient_collateral=collateral,
        recipient_name=collateral.name,
    )
    allowed = http.post(_url("note_sign", draft), data)
    assert allowed.status_code == 302
    note = CaseNote.objects.get(pk=draft.pk)
    assert note.status == NoteStatus.SIGNED and list(note.collaterals.all()) == [collateral]


# --- Reading a note, addenda and co-signature -------------------------------------------------


def test_detail_lays_out_the_note_in_its_format(
    client: HttpClient, case_manager: User, north_client: Client, goal: Goal
) -> None:
    note = draft_note(north_client, case_manager, note_format="dap")
    note.goals.set([goal])
    from notes.services import note_sign

    note = note_sign(actor=case_manager, note=note)
    addendum_add(
        actor=case_manager, note=note, kind="correction", reason="Wrong day", text="It was Tuesday."
    )
    response = _login(client, case_manager).get(_url("note_detail", note))
    body = response.content.decode()
    for heading in ("Data", "Assessment", "Plan"):
        assert f">{heading}</h3>" in body
    assert "Reviewed the application checklist together." in body
    assert reverse("notes:goal_notes", args=[north_client.pk, goal.key]) in body
    assert "Signed by Casey North" in body
    assert "It was Tuesday." in body and "Wrong day" in body and "Correction" in body
    assert AccessLog.objects.filter(user=case_manager, action=AccessAction.VIEW).exists()


def test_late_entry_badge(client: HttpClient, case_manager: User, north_client: Client) -> None:
    note = signed_note(north_client, case_manager, contact_at=timezone.now() - dt.timedelta(days=4))
    assert note.late_entry
    body = _login(client, case_manager).get(_url("note_detail", note)).content.decode()
    assert "Late entry" in body


def test_addendum_errors_stay_on_the_page(
    client: HttpClient, case_manager: User, signed: CaseNote
) -> None:
    response = _login(client, case_manager).post(
        _url("addendum_add", signed), {"kind": "nonsense", "reason": "", "text": "Kept text."}
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert "There is a problem" in body and "Kept text." in body
    assert not Addendum.objects.exists()


def test_addendum_on_a_draft_is_refused(
    client: HttpClient, case_manager: User, draft: CaseNote
) -> None:
    response = _login(client, case_manager).post(
        _url("addendum_add", draft), {"kind": "correction", "reason": "r", "text": "t"}
    )
    assert response.status_code == 302
    assert not Addendum.objects.exists()


def test_cosign_return_and_answer(
    client: HttpClient, case_manager: User, supervisor: User, pending: CaseNote
) -> None:
    boss = _login(HttpClient(), supervisor)
    page = boss.get(_url("note_detail", pending)).content.decode()
    assert "Approve and co-sign" in page and "Return with the comment" in page
    no_comment = boss.post(_url("note_cosign", pending), {"decision": "return", "comment": ""})
    assert no_comment.status_code == 400
    assert "Say what the author should add or correct." in no_comment.content.decode()
    boss.post(
        _url("note_cosign", pending), {"decision": "return", "comment": "Add the landlord's name."}
    )
    assert CaseNote.objects.get(pk=pending.pk).cosign_status == CosignStatus.RETURNED
    author = _login(client, case_manager)
    page = author.get(_url("note_detail", pending)).content.decode()
    assert "Add the landlord&#x27;s name." in page or "Add the landlord's name." in page
    assert 'value="supervisor_response" selected' in page
    author.post(
        _url("addendum_add", pending),
        {"kind": "supervisor_response", "reason": "Supervisor asked", "text": "Mr. Lopez."},
    )
    assert CaseNote.objects.get(pk=pending.pk).cosign_status == CosignStatus.PENDING
    boss.post(_url("note_cosign", pending), {"decision": "approve", "comment": ""})
    note = CaseNote.objects.get(pk=pending.pk)
    assert note.cosign_status == CosignStatus.APPROVED and note.cosigned_by == supervisor
    again = boss.post(_url("note_cosign", pending), {"decision": "return", "comment": "x"})
    assert again.status_code == 302
    assert CaseNote.objects.get(pk=pending.pk).cosign_status == CosignStatus.APPROVED


def test_cosign_bad_decision_is_a_form_error(
    client: HttpClient, supervisor: User, pending: CaseNote
) -> None:
    response = _login(client, supervisor).post(_url("note_cosign", pending), {"decision": "maybe"})
    assert response.status_code == 400
    assert CaseNote.objects.get(pk=pending.pk).cosign_status == CosignStatus.PENDING


def test_cosign_queue_lists_the_teams_pending_notes_not_ones_own(
    client: HttpClient,
    case_manager: User,
    supervisor: User,
    north_client: Client,
    team_north: Team,
    pending: CaseNote,
) -> None:
    supervisor.is_case_manager = True
    supervisor.save(update_fields=["is_case_manager"])
    supervisor.notes_need_cosign = True
    own = signed_note(north_client, supervisor)
    own.cosign_status = CosignStatus.PENDING
    CaseNote.objects.filter(pk=own.pk).update(cosign_status=CosignStatus.PENDING)
    plain = signed_note(north_client, case_manager)
    CaseNote.objects.filter(pk=plain.pk).update(cosign_status=CosignStatus.APPROVED)
    body = _login(client, supervisor).get(reverse("notes:cosign_queue")).content.decode()
    assert _url("note_detail", pending) in body
    assert _url("note_detail", own) not in body
    assert _url("note_detail", plain) not in body


def _pending_notes(client: Client, author: User, n: int) -> None:
    for _ in range(n):
        signed_note(client, author)


def test_cosign_queue_query_count_does_not_grow(
    client: HttpClient,
    case_manager: User,
    supervisor: User,
    north_client: Client,
    team_north: Team,
) -> None:
    case_manager.notes_need_cosign = True
    case_manager.save(update_fields=["notes_need_cosign"])
    _pending_notes(north_client, case_manager, 2)
    http = _login(client, supervisor)
    url = reverse("notes:cosign_queue")
    with CaptureQueriesContext(connection) as few:
        assert http.get(url).status_code == 200
    second = make_client(case_manager=case_manager, team=team_north)
    _pending_notes(north_client, case_manager, 10)
    _pending_notes(second, case_manager, 10)
    for note in CaseNote.objects.all()[:5]:
        note_cosign(actor=supervisor, note=note, approve=False, comment="More detail please.")
    with CaptureQueriesContext(connection) as many:
        body = http.get(url).content.decode()
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
    assert "Returned, waiting" in body and "More detail please." in body


# --- A goal's notes ---------------------------------------------------------------------------


def test_goal_notes_across_plan_versions(
    client: HttpClient,
    case_manager: User,
    supervisor: User,
    north_client: Client,
    goal: Goal,
) -> None:
    first = draft_note(north_client, case_manager, purpose="Worked on the first version.")
    first.goals.set([goal])
    from notes.services import note_sign

    note_sign(actor=case_manager, note=first)
    revision = plan_services.plan_revise(
        actor=case_manager, plan=goal.plan, reason="New housing program opened."
    )
    new_goal = revision.goals.get()
    assert new_goal.key == goal.key and new_goal.pk != goal.pk
    plan_services.goal_save(
        actor=case_manager,
        plan=revision,
        goal=new_goal,
        data={
            "domain": new_goal.domain,
            "client_words": "I want a place of my own by spring.",
            "indicator": new_goal.indicator,
            "baseline": new_goal.baseline,
            "target": new_goal.target,
            "baseline_value": new_goal.baseline_value,
            "target_value": new_goal.target_value,
            "target_date": new_goal.target_date,
            "review_date": new_goal.review_date,
        },
    )
    second = draft_note(north_client, case_manager, purpose="Worked on the revision.")
    second.goals.set([new_goal])
    unrelated = signed_note(north_client, case_manager, purpose="Nothing to do with it.")
    http = _login(client, case_manager)
    response = http.get(reverse("notes:goal_notes", args=[north_client.pk, goal.key]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "I want a place of my own by spring." in body
    assert _url("note_detail", first) in body and _url("note_detail", second) in body
    assert body.index(_url("note_detail", second)) < body.index(_url("note_detail", first))
    assert _url("note_detail", unrelated) not in body
    plan_page = http.get(
        reverse("careplans:plan_detail", args=[north_client.pk, goal.plan_id])
    ).content.decode()
    assert "Notes on this goal (2)" in plan_page
    teammate_view = _login(HttpClient(), UserFactory.create(is_case_manager=True, teams=[]))
    missing = teammate_view.get(reverse("notes:goal_notes", args=[north_client.pk, goal.key]))
    assert missing.status_code == 404


def test_goal_notes_unknown_goal_is_404(
    client: HttpClient, case_manager: User, north_client: Client, team_north: Team
) -> None:
    other = make_client(case_manager=case_manager, team=team_north)
    other_plan = plan_in_status(other, case_manager, PlanStatus.DRAFT)
    http = _login(client, case_manager)
    key = other_plan.goals.get().key
    assert http.get(reverse("notes:goal_notes", args=[north_client.pk, key])).status_code == 404
    assert http.get(f"/clients/{north_client.pk}/goals/not-a-uuid/notes/").status_code == 404


def test_plan_page_counts_notes_in_one_query(
    client: HttpClient,
    case_manager: User,
    supervisor: User,
    north_client: Client,
    goal: Goal,
) -> None:
    http = _login(client, case_manager)
    url = reverse("careplans:plan_detail", args=[north_client.pk, goal.plan_id])
    with CaptureQueriesContext(connection) as none:
        assert "Notes on this goal (0)" in http.get(url).content.decode()
    for _ in range(5):
        note = draft_note(north_client, case_manager)
        note.goals.set([goal])
    with CaptureQueriesContext(connection) as five:
        assert "Notes on this goal (5)" in http.get(url).content.decode()
    assert len(five) == len(none)


def test_agency_setting_routes_every_note_for_cosignature(
    client: HttpClient, case_manager: User, team_north: Team, draft: CaseNote
) -> None:
    Agency.objects.filter(pk=team_north.agency_id).update(notes_cosign_required=True)
    _login(client, case_manager).post(_url("note_sign", draft), _form())
    assert CaseNote.objects.get(pk=draft.pk).cosign_status == CosignStatus.PENDING


def test_addendum_kinds_offered(client: HttpClient, case_manager: User, signed: CaseNote) -> None:
    body = _login(client, case_manager).get(_url("note_detail", signed)).content.decode()
    for kind in AddendumKind:
        assert f'value="{kind.value}"' in body
