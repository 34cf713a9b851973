"""The client timeline: every source merged newest first, own drafts only, filters, pages,
the access matrix, the access log, the user's time zone, and a flat query count."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from careplans.models import PlanEvent, PlanStatus
from careplans.services.measures import measure_administer
from casemgmt.accounts.models import User
from casemgmt.audit.models import AccessAction, AccessLog
from clients.models import Client, CrisisEvent, ReleaseOfInformation
from clients.services import safety_flag_raise
from notes.models import CaseNote
from notes.selectors import TimelineKind, client_timeline
from notes.services import addendum_add
from referrals.models import Referral, ReferralEvent

from ..careplans.plan_fixtures import plan_in_status
from ..careplans.test_measures import load_instrument
from ..referrals.referral_fixtures import draft_referral, release_for
from .note_fixtures import draft_note, signed_note

pytestmark = pytest.mark.django_db


def _as(http: HttpClient, user: User) -> HttpClient:
    http.force_login(user)
    return http


def crisis(client: Client, actor: User, *, occurred_at: dt.datetime, closed: bool) -> CrisisEvent:
    """Written straight to the database: the timeline does not depend on the crisis pages."""
    now = timezone.now()
    return CrisisEvent.objects.create(
        client=client,
        occurred_at=occurred_at,
        distress_level="acute",
        description="Called in tears after the eviction notice.",
        actions=["listened", "planned"],
        outcome="stabilized",
        follow_up_on=timezone.localdate(),
        recorded_by=actor,
        closed_at=now if closed else None,
        closed_by=actor if closed else None,
        closing_note="Called back the next day; staying with her sister." if closed else "",
    )


def fill_record(client: Client, actor: User, approver: User) -> dict[str, Any]:
    """One of everything the timeline shows, at known moments."""
    now = timezone.now()
    today = timezone.localdate()
    note = signed_note(client, actor, contact_at=now - dt.timedelta(hours=3))
    addendum = addendum_add(
        actor=actor, note=note, kind="correction", reason="Wrong day", text="It was Tuesday."
    )
    referral = draft_referral(client, actor, approver)  # a plan, assessment, referral event
    flag = safety_flag_raise(actor=actor, client=client, reason="PHQ-9 item 9 answered 1")
    release = release_for(client, actor, referral.service)
    measure = measure_administer(
        actor=actor,
        client=client,
        instrument=load_instrument("gad-7"),
        answers=dict.fromkeys(range(1, 8), 1),
        administered_on=today,
    )
    event = crisis(client, actor, occurred_at=now - dt.timedelta(days=2), closed=True)
    return {
        "note": note,
        "addendum": addendum,
        "referral": referral,
        "flag": flag,
        "release": release,
        "measure": measure,
        "crisis": event,
    }


def test_timeline_merges_every_source_newest_first(
    client: HttpClient, case_manager: User, supervisor: User, north_client: Client
) -> None:
    record = fill_record(north_client, case_manager, supervisor)
    response = _as(client, case_manager).get(reverse("notes:timeline", args=[north_client.pk]))
    assert response.status_code == 200
    items = response.context["page"].items
    kinds = {item.kind for item in items}
    assert kinds >= {
        TimelineKind.NOTE,
        TimelineKind.ADDENDUM,
        TimelineKind.PLAN,
        TimelineKind.REFERRAL,
        TimelineKind.CRISIS,
        TimelineKind.SAFETY,
        TimelineKind.RELEASE,
        TimelineKind.ASSESSMENT,
        TimelineKind.MEASURE,
        TimelineKind.EPISODE,
    }
    moments = [item.at for item in items]
    assert moments == sorted(moments, reverse=True)
    # The crisis two days ago sits below the note of three hours ago; the crisis closing
    # (today) above it.
    crisis_items = [i for i in items if i.kind == TimelineKind.CRISIS]
    assert len(crisis_items) == 2
    note_index = next(i for i, item in enumerate(items) if item.kind == TimelineKind.NOTE)
    recorded = next(i for i, item in enumerate(items) if item.summary.startswith("Crisis recorded"))
    assert note_index < recorded
    html = response.content.decode()
    assert reverse("notes:note_detail", args=[north_client.pk, record["note"].pk]) in html
    assert f"#addendum-{record['addendum'].pk}" in html
    assert (
        reverse("referrals:referral_detail", args=[north_client.pk, record["referral"].pk]) in html
    )
    assert reverse("clients:crisis_detail", args=[north_client.pk, record["crisis"].pk]) in html
    assert "GAD-7" in html and "Casey North" in html


def test_own_drafts_are_marked_and_others_drafts_hidden(
    client: HttpClient, case_manager: User, supervisor: User, north_client: Client
) -> None:
    mine = draft_note(north_client, case_manager, purpose="My unfinished draft")
    theirs = draft_note(north_client, supervisor, purpose="Supervisor's private draft")
    page = _as(client, case_manager).get(reverse("notes:timeline", args=[north_client.pk]))
    html = page.content.decode()
    assert "My unfinished draft" in html and "Draft (only you see it)" in html
    assert "private draft" not in html
    items = page.context["page"].items
    assert [i.draft for i in items if i.kind == TimelineKind.NOTE] == [True]
    page = _as(client, supervisor).get(reverse("notes:timeline", args=[north_client.pk]))
    assert "private draft" in page.content.decode()
    assert mine.pk != theirs.pk


def test_filter_by_kind_and_dates(
    client: HttpClient, case_manager: User, north_client: Client
) -> None:
    now = timezone.now()
    old = signed_note(north_client, case_manager, contact_at=now - dt.timedelta(days=20))
    recent = signed_note(north_client, case_manager, contact_at=now - dt.timedelta(days=2))
    safety_flag_raise(actor=case_manager, client=north_client, reason="Flag reason text")
    _as(client, case_manager)
    url = reverse("notes:timeline", args=[north_client.pk])

    only_notes = client.get(url, {"kind": "note"}).context["page"].items
    assert {i.kind for i in only_notes} == {TimelineKind.NOTE}
    assert [i.sort_pk for i in only_notes] == [recent.pk, old.pk]

    since = (timezone.localdate() - dt.timedelta(days=5)).isoformat()
    ranged = client.get(url, {"kind": "note", "from": since}).context["page"].items
    assert [i.sort_pk for i in ranged] == [recent.pk]
    until = (timezone.localdate() - dt.timedelta(days=10)).isoformat()
    ranged = client.get(url, {"kind": ["note", "safety"], "to": until}).context["page"].items
    assert [i.sort_pk for i in ranged] == [old.pk]


def test_bad_dates_get_a_message_not_an_error(
    client: HttpClient, case_manager: User, north_client: Client
) -> None:
    url = reverse("notes:timeline", args=[north_client.pk])
    _as(client, case_manager)
    response = client.get(url, {"from": "2024-05-10", "to": "2024-05-01"})
    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()
    response = client.get(url, {"from": "not a date", "kind": "nonsense", "page": "x"})
    assert response.status_code == 200


def test_pages_split_the_merged_list(case_manager: User, north_client: Client) -> None:
    now = timezone.now()
    for hours in range(1, 8):
        signed_note(north_client, case_manager, contact_at=now - dt.timedelta(hours=hours))
    everything = client_timeline(case_manager, north_client, per_page=100).items
    first = client_timeline(case_manager, north_client, per_page=4)
    second = client_timeline(case_manager, north_client, per_page=4, page=2)
    third = client_timeline(case_manager, north_client, per_page=4, page=3)
    assert first.has_next and not first.has_previous
    assert second.has_previous
    joined = first.items + second.items + third.items
    assert joined == everything
    assert len(everything) == 8  # seven notes and the enrolment
    assert not client_timeline(case_manager, north_client, per_page=4, page=99).items


def test_times_are_shown_in_the_users_time_zone(
    client: HttpClient, case_manager: User, north_client: Client
) -> None:
    case_manager.time_zone = "America/Los_Angeles"
    case_manager.save(update_fields=["time_zone"])
    moment = dt.datetime(2024, 3, 1, 18, 30, tzinfo=dt.UTC)
    signed_note(north_client, case_manager, contact_at=moment)
    html = (
        _as(client, case_manager)
        .get(reverse("notes:timeline", args=[north_client.pk]), {"kind": "note"})
        .content.decode()
    )
    local = moment.astimezone(zoneinfo.ZoneInfo("America/Los_Angeles"))
    assert f'datetime="{local.isoformat()}"' in html


def test_reading_the_timeline_is_logged(
    client: HttpClient, case_manager: User, north_client: Client
) -> None:
    _as(client, case_manager).get(reverse("notes:timeline", args=[north_client.pk]))
    log = AccessLog.objects.get(client_id=north_client.pk, user=case_manager)
    assert log.action == AccessAction.VIEW
    assert log.path.startswith(reverse("notes:timeline", args=[north_client.pk]))


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("case_manager", 200),
        ("teammate", 200),
        ("supervisor", 200),
        ("other_team_case_manager", 404),
        ("other_team_supervisor", 404),
        ("admin", 404),
    ],
)
def test_access_matrix(
    request: pytest.FixtureRequest,
    client: HttpClient,
    north_client: Client,
    role: str,
    status: int,
) -> None:
    user = request.getfixturevalue(role)
    response = _as(client, user).get(reverse("notes:timeline", args=[north_client.pk]))
    assert response.status_code == status
    logged = AccessLog.objects.filter(client_id=north_client.pk, user=user).exists()
    assert logged == (status == 200)


def test_anonymous_is_sent_to_login(client: HttpClient, north_client: Client) -> None:
    response = client.get(reverse("notes:timeline", args=[north_client.pk]))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_query_count_does_not_grow_with_entries(
    client: HttpClient, case_manager: User, supervisor: User, north_client: Client
) -> None:
    record = fill_record(north_client, case_manager, supervisor)
    _as(client, case_manager)
    url = reverse("notes:timeline", args=[north_client.pk])
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200

    now = timezone.now()
    referral: Referral = record["referral"]
    plan = referral.goal.plan
    for n in range(6):
        note = signed_note(north_client, case_manager, contact_at=now - dt.timedelta(days=n + 1))
        addendum_add(actor=case_manager, note=note, kind="clarification", reason="r", text="t")
        draft_note(north_client, case_manager)
        safety_flag_raise(actor=case_manager, client=north_client, reason=f"Flag {n}")
        crisis(
            north_client, case_manager, occurred_at=now - dt.timedelta(days=n), closed=n % 2 == 0
        )
        PlanEvent.objects.create(
            plan=plan, from_status="", to_status=PlanStatus.ACTIVE, actor=case_manager
        )
        ReferralEvent.objects.create(
            referral=referral, from_status="draft", to_status="draft", actor=case_manager
        )
        release_for(
            north_client,
            case_manager,
            referral.service,
            revoked_on=timezone.localdate(),
            revocation_method="In writing",
        )
    assert CaseNote.objects.filter(client=north_client).count() > 12
    assert ReleaseOfInformation.objects.filter(client=north_client).count() == 7
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few), [q["sql"][:120] for q in many.captured_queries]


def test_plan_reviews_appear(
    client: HttpClient, case_manager: User, supervisor: User, north_client: Client
) -> None:
    from careplans.services.plans import GoalProgress, plan_review_record

    plan = plan_in_status(north_client, case_manager, PlanStatus.ACTIVE, approver=supervisor)
    goal = plan.goals.get()
    plan_review_record(
        actor=case_manager,
        plan=plan,
        reviewed_on=timezone.localdate(),
        decision="continue",
        justification="",
        goal_progress=[GoalProgress(goal=goal, progress="in_progress")],
        next_review_date=timezone.localdate() + dt.timedelta(days=60),
    )
    items = client_timeline(case_manager, north_client, kinds=[TimelineKind.REVIEW]).items
    assert len(items) == 1 and items[0].all_day
    assert "reviewed" in items[0].summary
    assert items[0].url == reverse("careplans:plan_detail", args=[north_client.pk, plan.pk])
