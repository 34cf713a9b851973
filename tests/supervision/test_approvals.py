"""The approvals queue page: plans, consent exceptions and notes of the supervisor's teams
in one list, oldest first, with tabs; approving and returning each kind inline; nobody
deciding on their own work; other teams' items unseen and 404 on POST; the query count; and
the service that does not uphold a consent exception."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from careplans.models import PlanStatus, ServicePlan
from casemgmt.accounts.models import Team, User
from clients.models import Client
from notes.models import CaseNote, CosignStatus
from referrals.models import ConsentException, Referral, ReferralEvent, ReferralStatus
from referrals.services import referrals as referral_services
from referrals.services.exception_returns import exception_return

from ..careplans.plan_fixtures import plan_in_status
from ..factories import UserFactory, make_client
from ..notes.note_fixtures import signed_note
from ..referrals.referral_fixtures import draft_referral

pytestmark = pytest.mark.django_db

QUEUE = "/supervision/approvals/"
ANOTHER = "Another supervisor must approve this."


# --- Building blocks --------------------------------------------------------------------------


def finalized_plan(client: Client, author: User) -> ServicePlan:
    return plan_in_status(client, author, PlanStatus.FINALIZED)


def exception_referral(
    client: Client, author: User, approver: User, *, sender: User | None = None
) -> Referral:
    """A referral `author` made, sent by `sender` (the author unless named) without consent
    under a court order; it waits for a supervisor's review."""
    referral = draft_referral(client, author, approver)
    sent, _token = referral_services.referral_send(
        actor=sender or author,
        referral=referral,
        provider_email="intake@provider.example",
        exception=ConsentException.COURT_ORDERED,
        justification="Court order 2024-117 requires the housing assessment.",
    )
    return sent


def pending_note(client: Client, author: User) -> CaseNote:
    author.notes_need_cosign = True
    author.save(update_fields=["notes_need_cosign"])
    note = signed_note(client, author)
    assert note.cosign_status == CosignStatus.PENDING
    return note


def decide_url(kind: str, pk: int) -> str:
    return reverse("supervision:approval_decide", args=[kind, pk])


def item_keys(html: str) -> list[str]:
    return re.findall(r'<section class="border rounded p-3 mb-3" id="approval-([a-z]+-\d+)"', html)


def login(http: HttpClient, user: User) -> HttpClient:
    http.force_login(user)
    return http


@pytest.fixture
def second_supervisor(team_north: Team) -> User:
    return UserFactory.create(
        email="sup2.north@example.org",
        full_name="Sol Second",
        is_supervisor=True,
        supervises=[team_north],
    )


@pytest.fixture
def three_kinds(
    case_manager: User, supervisor: User, team_north: Team
) -> tuple[ServicePlan, Referral, CaseNote]:
    """One of each kind by the case manager, submitted a day apart: the note first, then
    the plan, then the exception."""
    now = timezone.now()
    with time_machine.travel(now - dt.timedelta(days=3), tick=False):
        note = pending_note(make_client(case_manager=case_manager, team=team_north), case_manager)
    with time_machine.travel(now - dt.timedelta(days=2), tick=False):
        plan = finalized_plan(make_client(case_manager=case_manager, team=team_north), case_manager)
    with time_machine.travel(now - dt.timedelta(days=1), tick=False):
        referral = exception_referral(
            make_client(case_manager=case_manager, team=team_north), case_manager, supervisor
        )
    return plan, referral, note


# --- The list -----------------------------------------------------------------------------------


def test_one_list_of_all_three_kinds_oldest_first(
    client: HttpClient, supervisor: User, three_kinds: tuple[ServicePlan, Referral, CaseNote]
) -> None:
    plan, referral, note = three_kinds
    response = login(client, supervisor).get(QUEUE)
    html = response.content.decode()
    assert response.status_code == 200
    assert item_keys(html) == [f"note-{note.pk}", f"plan-{plan.pk}", f"exception-{referral.pk}"]
    assert html.count('name="decision" value="approve"') == 3
    assert html.count('name="decision" value="return"') == 3
    for url in (
        reverse("careplans:plan_detail", args=[plan.client_id, plan.pk]),
        reverse("referrals:referral_detail", args=[referral.client_id, referral.pk]),
        reverse("notes:note_detail", args=[note.client_id, note.pk]),
    ):
        assert f'href="{url}"' in html
    assert "Submitted by Casey North" in html
    assert plan.client.display_name in html and plan.client.record_number in html
    assert "Why without consent: Court order 2024-117 requires the housing assessment." in html
    assert "Client agreement: Signed by the client" in html
    assert "Purpose: Monthly check-in on the housing goal." in html
    tabs = re.findall(r"(All|Service plans|Consent exceptions|Case notes) <span[^>]*>(\d+)<", html)
    assert tabs == [
        ("All", "3"),
        ("Service plans", "1"),
        ("Consent exceptions", "1"),
        ("Case notes", "1"),
    ]


def test_a_tab_shows_one_kind_and_keeps_every_count(
    client: HttpClient, supervisor: User, three_kinds: tuple[ServicePlan, Referral, CaseNote]
) -> None:
    _plan, _referral, note = three_kinds
    html = login(client, supervisor).get(QUEUE, {"kind": "note"}).content.decode()
    assert item_keys(html) == [f"note-{note.pk}"]
    assert re.search(r'aria-current="page">Case notes <span[^>]*>1<', html)
    assert re.search(r">All <span[^>]*>3<", html)
    unknown = login(client, supervisor).get(QUEUE, {"kind": "bogus"}).content.decode()
    assert len(item_keys(unknown)) == 3


def test_an_empty_queue_says_so(client: HttpClient, supervisor: User) -> None:
    html = login(client, supervisor).get(QUEUE).content.decode()
    assert item_keys(html) == []
    assert re.search(r'<p class="lead" id="approval-empty">Nothing is waiting', html)


@pytest.mark.parametrize("role", ["case_manager", "teammate", "admin"])
def test_only_supervisors_have_a_queue(
    request: pytest.FixtureRequest, client: HttpClient, role: str
) -> None:
    user = request.getfixturevalue(role)
    assert login(client, user).get(QUEUE).status_code == 404


def test_other_teams_items_are_not_listed_and_answer_404(
    client: HttpClient,
    supervisor: User,
    other_team_case_manager: User,
    other_team_supervisor: User,
    team_south: Team,
) -> None:
    south = make_client(case_manager=other_team_case_manager, team=team_south)
    plan = finalized_plan(south, other_team_case_manager)
    note = pending_note(
        make_client(case_manager=other_team_case_manager, team=team_south),
        other_team_case_manager,
    )
    referral = exception_referral(
        make_client(case_manager=other_team_case_manager, team=team_south),
        other_team_case_manager,
        other_team_supervisor,
    )
    http = login(client, supervisor)
    assert item_keys(http.get(QUEUE).content.decode()) == []
    for kind, pk in (("plan", plan.pk), ("note", note.pk), ("exception", referral.pk)):
        for decision in ("approve", "return"):
            response = http.post(decide_url(kind, pk), {"decision": decision, "comment": "x"})
            assert response.status_code == 404
    assert http.post(decide_url("bogus", plan.pk), {"decision": "approve"}).status_code == 404
    assert ServicePlan.objects.get(pk=plan.pk).status == PlanStatus.FINALIZED
    assert CaseNote.objects.get(pk=note.pk).cosign_status == CosignStatus.PENDING
    assert Referral.objects.get(pk=referral.pk).exception_reviewed_at is None
    assert item_keys(login(client, other_team_supervisor).get(QUEUE).content.decode()) == [
        f"plan-{plan.pk}",
        f"note-{note.pk}",
        f"exception-{referral.pk}",
    ]


# --- Separation of duties ------------------------------------------------------------------------


@pytest.fixture
def own_work(
    supervisor: User, second_supervisor: User, team_north: Team, case_manager: User
) -> dict[str, object]:
    """A plan, a note and an exception referral the supervisor wrote themselves, and a
    referral the case manager made that the supervisor sent under the exception."""
    return {
        "plan": finalized_plan(make_client(case_manager=case_manager, team=team_north), supervisor),
        "note": pending_note(make_client(case_manager=case_manager, team=team_north), supervisor),
        "exception": exception_referral(
            make_client(case_manager=case_manager, team=team_north),
            supervisor,
            second_supervisor,
        ),
        "sent": exception_referral(
            make_client(case_manager=case_manager, team=team_north),
            case_manager,
            second_supervisor,
            sender=supervisor,
        ),
    }


def test_own_work_is_marked_for_another_supervisor_without_buttons(
    client: HttpClient, supervisor: User, second_supervisor: User, own_work: dict[str, object]
) -> None:
    html = login(client, supervisor).get(QUEUE).content.decode()
    sections = dict(
        re.findall(r'id="approval-([a-z]+-\d+)" aria-labelledby.*?(<form|</section>)', html, re.S)
    )
    assert len(sections) == 4
    assert set(sections.values()) == {"</section>"}
    assert 'name="decision"' not in html
    assert html.count(ANOTHER) == 4
    assert "You wrote or finalized this plan." in html
    assert "You wrote this note." in html
    assert html.count("You made or sent this referral.") == 2
    other = login(client, second_supervisor).get(QUEUE).content.decode()
    assert other.count('name="decision" value="approve"') == 4
    assert ANOTHER not in other


def test_a_forced_post_on_own_work_is_refused_with_a_message(
    client: HttpClient, supervisor: User, own_work: dict[str, object]
) -> None:
    http = login(client, supervisor)
    sender = "Someone other than the sender reviews the exception."
    cases = {
        ("plan", "approve"): "Only a supervisor of the client's team who did not write or finalize",
        ("plan", "return"): "Only an approving supervisor can return a plan.",
        ("note", "approve"): "A supervisor of the client's team co-signs, never the author.",
        ("note", "return"): "A supervisor of the client's team co-signs, never the author.",
        ("exception", "approve"): sender,
        ("exception", "return"): sender,
        ("sent", "approve"): sender,
        ("sent", "return"): sender,
    }
    for (name, decision), message in cases.items():
        kind = "exception" if name == "sent" else name
        pk = own_work[name].pk  # type: ignore[attr-defined]
        response = http.post(
            decide_url(kind, pk), {"decision": decision, "comment": "Looks fine to me."}
        )
        assert response.status_code == 403, (name, decision)
        html = unescape(response.content.decode())
        assert message in html, (name, decision)
        assert re.search(
            rf'id="approval-{kind}-{pk}".*?alert-danger[^>]*>[^<]*{re.escape(message)}',
            html,
            re.S,
        ), (name, decision)
    plan = ServicePlan.objects.get(pk=own_work["plan"].pk)  # type: ignore[attr-defined]
    assert plan.status == PlanStatus.FINALIZED
    note = CaseNote.objects.get(pk=own_work["note"].pk)  # type: ignore[attr-defined]
    assert note.cosign_status == CosignStatus.PENDING
    for name in ("exception", "sent"):
        referral = Referral.objects.get(pk=own_work[name].pk)  # type: ignore[attr-defined]
        assert referral.exception_reviewed_at is None
        assert referral.status == ReferralStatus.SENT


def test_a_forced_htmx_post_on_own_work_comes_back_beside_the_item(
    client: HttpClient, supervisor: User, own_work: dict[str, object]
) -> None:
    note = own_work["note"]
    response = login(client, supervisor).post(
        decide_url("note", note.pk),  # type: ignore[attr-defined]
        {"decision": "approve", "comment": ""},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.startswith(f'<section class="border rounded p-3 mb-3" id="approval-note-{note.pk}"')  # type: ignore[attr-defined]
    assert "A supervisor of the client's team co-signs, never the author." in unescape(html)


# --- Deciding through the page ----------------------------------------------------------------


def test_plan_approved_and_returned_through_the_page(
    client: HttpClient, supervisor: User, case_manager: User, team_north: Team
) -> None:
    approve = finalized_plan(make_client(case_manager=case_manager, team=team_north), case_manager)
    back = finalized_plan(make_client(case_manager=case_manager, team=team_north), case_manager)
    http = login(client, supervisor)
    response = http.post(decide_url("plan", approve.pk), {"decision": "approve", "tab": "plan"})
    assert response.status_code == 302 and response["Location"] == f"{QUEUE}?kind=plan"
    approved = ServicePlan.objects.get(pk=approve.pk)
    assert approved.status == PlanStatus.ACTIVE and approved.approved_by == supervisor
    response = http.post(
        decide_url("plan", back.pk), {"decision": "return", "comment": " Add a second goal. "}
    )
    assert response.status_code == 302 and response["Location"] == QUEUE
    returned = ServicePlan.objects.get(pk=back.pk)
    assert returned.status == PlanStatus.MEETING_RECORDED
    assert returned.returned_note == "Add a second goal."
    page = http.get(QUEUE).content.decode()
    assert item_keys(page) == []
    assert "The plan is returned to the case manager." in page


def test_exception_upheld_and_not_upheld_through_the_page(
    client: HttpClient, supervisor: User, case_manager: User, team_north: Team
) -> None:
    upheld = exception_referral(
        make_client(case_manager=case_manager, team=team_north), case_manager, supervisor
    )
    refused = exception_referral(
        make_client(case_manager=case_manager, team=team_north), case_manager, supervisor
    )
    http = login(client, supervisor)
    response = http.post(
        decide_url("exception", upheld.pk),
        {"decision": "approve", "comment": "Court order seen and filed."},
    )
    assert response.status_code == 302
    reviewed = Referral.objects.get(pk=upheld.pk)
    assert reviewed.exception_reviewed_by == supervisor
    assert reviewed.exception_review_note == "Court order seen and filed."
    assert reviewed.status == ReferralStatus.SENT
    response = http.post(
        decide_url("exception", refused.pk),
        {"decision": "return", "comment": "The order covers treatment, not housing."},
    )
    assert response.status_code == 302
    cancelled = Referral.objects.get(pk=refused.pk)
    reason = "Consent exception not upheld: The order covers treatment, not housing."
    assert cancelled.status == ReferralStatus.CANCELLED
    assert cancelled.cancel_reason == reason
    assert cancelled.exception_reviewed_by == supervisor
    assert cancelled.exception_review_note == reason
    assert not cancelled.links.filter(revoked_at__isnull=True).exists()
    assert cancelled.links.count() == 1
    assert item_keys(http.get(QUEUE).content.decode()) == []


def test_note_cosigned_and_returned_through_the_page(
    client: HttpClient, supervisor: User, case_manager: User, north_client: Client
) -> None:
    first = pending_note(north_client, case_manager)
    second = pending_note(north_client, case_manager)
    http = login(client, supervisor)
    assert http.post(decide_url("note", first.pk), {"decision": "approve"}).status_code == 302
    cosigned = CaseNote.objects.get(pk=first.pk)
    assert cosigned.cosign_status == CosignStatus.APPROVED
    assert cosigned.cosigned_by == supervisor
    response = http.post(
        decide_url("note", second.pk), {"decision": "return", "comment": "Add the client's words."}
    )
    assert response.status_code == 302
    returned = CaseNote.objects.get(pk=second.pk)
    assert returned.cosign_status == CosignStatus.RETURNED
    assert returned.cosign_comment == "Add the client's words."
    assert item_keys(http.get(QUEUE).content.decode()) == []


def test_a_return_needs_a_comment_shown_beside_the_box(
    client: HttpClient, supervisor: User, three_kinds: tuple[ServicePlan, Referral, CaseNote]
) -> None:
    plan, referral, note = three_kinds
    http = login(client, supervisor)
    for kind, pk in (("plan", plan.pk), ("exception", referral.pk), ("note", note.pk)):
        response = http.post(decide_url(kind, pk), {"decision": "return", "comment": "  "})
        html = response.content.decode()
        assert response.status_code == 400
        assert re.search(
            rf'<div class="invalid-feedback" id="comment-{kind}-{pk}-error">'
            r"Say what needs to change before returning it\.",
            html,
        )
        assert len(item_keys(html)) == 3
        assert (
            f'<li><a href="#comment-{kind}-{pk}" class="alert-link">Comment: '
            "Say what needs to change before returning it.</a></li>"
        ) in html
    assert ServicePlan.objects.get(pk=plan.pk).status == PlanStatus.FINALIZED
    assert Referral.objects.get(pk=referral.pk).exception_reviewed_at is None
    assert CaseNote.objects.get(pk=note.pk).cosign_status == CosignStatus.PENDING


def test_an_exception_review_needs_its_outcome_written(
    client: HttpClient, supervisor: User, three_kinds: tuple[ServicePlan, Referral, CaseNote]
) -> None:
    _plan, referral, _note = three_kinds
    response = login(client, supervisor).post(
        decide_url("exception", referral.pk), {"decision": "approve", "comment": ""}
    )
    assert response.status_code == 400
    assert re.search(
        rf'id="comment-exception-{referral.pk}-error">Write the outcome of your review\.',
        response.content.decode(),
    )


def test_an_item_decided_meanwhile_gets_a_message_not_an_error(
    client: HttpClient,
    supervisor: User,
    second_supervisor: User,
    three_kinds: tuple[ServicePlan, Referral, CaseNote],
) -> None:
    plan, _referral, _note = three_kinds
    login(client, second_supervisor).post(decide_url("plan", plan.pk), {"decision": "approve"})
    response = login(client, supervisor).post(decide_url("plan", plan.pk), {"decision": "approve"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "Only a finalized plan awaiting approval can be approved." in html
    assert f"approval-plan-{plan.pk}" not in html
    bad = login(client, supervisor).post(decide_url("plan", plan.pk), {"decision": "maybe"})
    assert bad.status_code == 400


def test_htmx_decision_removes_the_item_and_updates_the_counts(
    client: HttpClient, supervisor: User, three_kinds: tuple[ServicePlan, Referral, CaseNote]
) -> None:
    plan, _referral, _note = three_kinds
    response = login(client, supervisor).post(
        decide_url("plan", plan.pk), {"decision": "approve", "tab": ""}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "approval-plan-" not in html
    assert 'id="approval-tabs" aria-label="Kinds of approval" hx-swap-oob="true"' in html
    assert re.search(r">All <span[^>]*>2<", html)
    assert re.search(r">Service plans <span[^>]*>0<", html)
    assert 'id="approval-status" role="status" hx-swap-oob="true"' in html
    assert "The plan is approved and active." in html
    assert re.search(r'id="approval-empty" hx-swap-oob="true" hidden', html)
    assert ServicePlan.objects.get(pk=plan.pk).status == PlanStatus.ACTIVE


def test_htmx_error_redraws_the_item_with_the_message(
    client: HttpClient, supervisor: User, three_kinds: tuple[ServicePlan, Referral, CaseNote]
) -> None:
    _plan, _referral, note = three_kinds
    response = login(client, supervisor).post(
        decide_url("note", note.pk),
        {"decision": "return", "comment": ""},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.startswith(f'<section class="border rounded p-3 mb-3" id="approval-note-{note.pk}"')
    assert f'id="comment-note-{note.pk}-error">Say what needs to change' in html
    assert 'aria-invalid="true"' in html


# --- Query count ---------------------------------------------------------------------------


def test_queue_query_count_does_not_grow(
    client: HttpClient, supervisor: User, case_manager: User, team_north: Team
) -> None:
    def add_one_of_each() -> None:
        pending_note(make_client(case_manager=case_manager, team=team_north), case_manager)
        finalized_plan(make_client(case_manager=case_manager, team=team_north), case_manager)
        exception_referral(
            make_client(case_manager=case_manager, team=team_north), case_manager, supervisor
        )

    add_one_of_each()
    http = login(client, supervisor)
    http.get(QUEUE)  # the session's first request caches the agency's timeout
    with CaptureQueriesContext(connection) as few:
        assert len(item_keys(http.get(QUEUE).content.decode())) == 3
    add_one_of_each()
    add_one_of_each()
    with CaptureQueriesContext(connection) as many:
        assert len(item_keys(http.get(QUEUE).content.decode())) == 9
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
    assert len(few) <= 12


# --- Not upholding an exception (the service) -------------------------------------------


def test_exception_return_rules(
    supervisor: User,
    second_supervisor: User,
    case_manager: User,
    other_team_supervisor: User,
    team_north: Team,
) -> None:
    referral = exception_referral(
        make_client(case_manager=case_manager, team=team_north), case_manager, supervisor
    )
    with pytest.raises(PermissionDenied):
        exception_return(actor=case_manager, referral=referral, note="No")
    with pytest.raises(PermissionDenied):
        exception_return(actor=other_team_supervisor, referral=referral, note="No")
    with pytest.raises(ValidationError) as caught:
        exception_return(actor=supervisor, referral=referral, note=" ")
    assert caught.value.message_dict == {"note": ["Say why the exception is not justified."]}
    exception_return(actor=supervisor, referral=referral, note="No order on file.")
    with pytest.raises(ValidationError, match="already reviewed"):
        exception_return(actor=second_supervisor, referral=referral, note="Again")
    events = list(
        ReferralEvent.objects.filter(referral=referral)
        .order_by("at", "pk")
        .values_list("to_status", "note")
    )
    reason = "Consent exception not upheld: No order on file."
    assert events[-3:] == [
        (ReferralStatus.SENT, reason),
        (ReferralStatus.SENT, "Provider link to intake@provider.example revoked"),
        (ReferralStatus.CANCELLED, reason),
    ]


def test_exception_return_on_a_finished_referral_records_the_review_only(
    supervisor: User, case_manager: User, team_north: Team
) -> None:
    referral = exception_referral(
        make_client(case_manager=case_manager, team=team_north), case_manager, supervisor
    )
    referral_services.referral_act(
        actor=referral_services.Actor(label="Provider (link)"),
        referral=referral,
        action="decline",
        note="No capacity.",
    )
    returned = exception_return(actor=supervisor, referral=referral, note="Not justified.")
    stored = Referral.objects.get(pk=returned.pk)
    assert stored.status == ReferralStatus.REJECTED
    assert stored.exception_review_note == "Consent exception not upheld: Not justified."
    assert stored.exception_reviewed_by == supervisor


def test_a_referral_sent_with_consent_has_no_exception_to_return(
    supervisor: User, case_manager: User, north_client: Client
) -> None:
    from ..referrals.referral_fixtures import release_for

    referral = draft_referral(north_client, case_manager, supervisor)
    release_for(north_client, case_manager, referral.service)
    referral_services.referral_send(
        actor=case_manager, referral=referral, provider_email="intake@provider.example"
    )
    with pytest.raises(ValidationError, match="with the client's consent"):
        exception_return(actor=supervisor, referral=referral, note="No")
