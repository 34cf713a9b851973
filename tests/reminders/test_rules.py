"""Every rule finds its item on the day it falls due and lets go of it once the work is done
through the real services (recording the review, signing the note, closing the crisis,
answering the referral …); the business-day arithmetic in SQL agrees with Python; rules
keep to their agency; each item links to where the work is done."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import DateField, Value
from django.test import Client as HttpClient

from careplans.models import PlanStatus, Progress, ServicePlan
from careplans.services import plans as plan_services
from casemgmt.accounts.models import Agency, Team, User
from casemgmt.reminders import rules
from clients import crisis_services, release_services
from clients.models import Client
from notes.models import ContactType
from notes.services import note_sign
from referrals.referral_selectors import add_business_days, follow_ups
from referrals.reminders import AddBusinessDays
from referrals.services import referrals as referral_services

from ..careplans.plan_fixtures import plan_in_status
from ..clients.test_crisis_events import make_crisis
from ..factories import AgencyFactory, TeamFactory, UserFactory, make_client
from ..notes.note_fixtures import draft_note, signed_note
from ..referrals.referral_fixtures import make_service, release_for
from .reminder_fixtures import (
    START,
    accepted_referral,
    act,
    on,
    open_reminders,
    reminders,
    sent_referral,
    stages,
    sweep_on,
)

pytestmark = pytest.mark.django_db

KINDS = {
    "plan_review",
    "goal_target",
    "referral_no_response",
    "referral_attendance",
    "referral_fit_review",
    "release_expired_in_use",
    "release_expiring",
    "crisis_follow_up",
    "note_unsigned",
    "monthly_contact",
    "reassigned_first_contact",
    "client_handed_over",
    "staffing_task",
}


def days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


def active_plan(client: Client, case_manager: User, supervisor: User) -> ServicePlan:
    with on(START):
        return plan_in_status(client, case_manager, PlanStatus.ACTIVE, approver=supervisor)


def review_plan(
    plan: ServicePlan, actor: User, on_day: dt.date, progress: str = Progress.IN_PROGRESS
) -> None:
    with on(on_day):
        plan_services.plan_review_record(
            actor=actor,
            plan=plan,
            reviewed_on=on_day,
            decision="continue",
            justification="",
            goal_progress=[
                plan_services.GoalProgress(goal=goal, progress=progress)
                for goal in plan.goals.all()
            ],
            next_review_date=on_day + days(90),
        )


def test_every_rule_is_registered() -> None:
    assert {rule.kind for rule in rules.all_rules()} == KINDS


# --- Service plans ------------------------------------------------------------------------


def test_plan_review_is_found_at_the_first_lead_time_and_cleared_by_recording_the_review(
    case_manager: User, supervisor: User, north_client: Client
) -> None:
    plan = active_plan(north_client, case_manager, supervisor)
    due = plan.review_due
    assert due == START + days(90)

    sweep_on(due - days(15))
    assert not reminders("plan_review").exists()
    sweep_on(due - days(14))
    [item] = open_reminders("plan_review")
    assert (item.object_id, item.client_id, item.recipient, item.due_on) == (
        plan.pk,
        north_client.pk,
        case_manager,
        due,
    )

    review_plan(plan, case_manager, due - days(2))
    sweep_on(due - days(2))
    assert not open_reminders("plan_review").exists()
    item.refresh_from_db()
    assert item.resolved_at is not None


def test_plan_review_follows_the_plan_status(
    case_manager: User, supervisor: User, north_client: Client
) -> None:
    with on(START):
        draft = plan_in_status(north_client, case_manager, PlanStatus.FINALIZED)
    sweep_on(draft.review_due)
    assert not reminders("plan_review").exists()
    with on(START):
        plan_services.plan_approve(actor=supervisor, plan=draft)
    sweep_on(draft.review_due)
    assert open_reminders("plan_review").count() == 1


def test_goal_target_is_cleared_when_a_review_finds_the_goal_met(
    case_manager: User, supervisor: User, north_client: Client
) -> None:
    plan = active_plan(north_client, case_manager, supervisor)
    goal = plan.goals.get()
    sweep_on(goal.target_date - days(15))
    assert not reminders("goal_target").exists()
    sweep_on(goal.target_date - days(14))
    [item] = open_reminders("goal_target")
    assert (item.object_id, item.due_on, item.recipient) == (
        goal.pk,
        goal.target_date,
        case_manager,
    )

    # A review that finds progress but not the target keeps the goal due.
    review_plan(plan, case_manager, goal.target_date - days(10))
    sweep_on(goal.target_date - days(10))
    assert open_reminders("goal_target").count() == 1

    review_plan(ServicePlan.objects.get(pk=plan.pk), case_manager, goal.target_date, Progress.MET)
    sweep_on(goal.target_date)
    assert not open_reminders("goal_target").exists()


# --- Referrals ------------------------------------------------------------------------------


def test_no_response_is_due_after_the_business_days_and_cleared_by_the_answer(
    case_manager: User, supervisor: User, north_client: Client
) -> None:
    with on(START):  # a Monday: three business days later is Thursday
        referral = sent_referral(north_client, case_manager, supervisor)
    sweep_on(START + days(2))
    assert not reminders("referral_no_response").exists()
    sweep_on(START + days(3))
    [item] = open_reminders("referral_no_response")
    assert (item.object_id, item.due_on, item.recipient) == (
        referral.pk,
        START + days(3),
        case_manager,
    )
    with on(START + days(4)):
        act(referral, case_manager, "accept")
    sweep_on(START + days(4))
    assert not open_reminders("referral_no_response").exists()


def test_no_response_counts_from_the_local_date_it_was_sent(
    case_manager: User, supervisor: User, north_client: Client, team_north: Team
) -> None:
    friday = START + days(4)
    with on(friday, hour=23):  # already Saturday in UTC
        referral = sent_referral(north_client, case_manager, supervisor)
    [expected] = [
        f.due_on
        for f in follow_ups(referral, team_north.agency, today=friday + days(30))
        if f.kind == "no_response"
    ]
    assert expected == friday + days(5)  # the Wednesday after
    sweep_on(expected)
    [item] = open_reminders("referral_no_response")
    assert item.due_on == expected


def test_attendance_is_due_the_day_after_intake_and_cleared_by_recording_it(
    case_manager: User, supervisor: User, north_client: Client
) -> None:
    with on(START):
        referral = accepted_referral(north_client, case_manager, supervisor)
        referral = act(referral, case_manager, "schedule_intake", on=START + days(5))
    sweep_on(START + days(5))
    assert not reminders("referral_attendance").exists()
    sweep_on(START + days(6))
    [item] = open_reminders("referral_attendance")
    assert (item.object_id, item.due_on) == (referral.pk, START + days(6))
    with on(START + days(6)):
        referral_services.referral_record_attendance(
            actor=case_manager, referral=referral, attended=True
        )
    sweep_on(START + days(6))
    assert not open_reminders("referral_attendance").exists()


def test_fit_review_is_due_after_the_agency_days_and_cleared_by_the_review(
    case_manager: User, supervisor: User, north_client: Client, team_north: Team
) -> None:
    with on(START):
        referral = accepted_referral(north_client, case_manager, supervisor)
        referral = act(referral, case_manager, "start", on=START)
    due = START + days(team_north.agency.fit_review_days)
    sweep_on(due - days(1))
    assert not reminders("referral_fit_review").exists()
    sweep_on(due)
    [item] = open_reminders("referral_fit_review")
    assert (item.object_id, item.due_on) == (referral.pk, due)
    with on(due):
        referral_services.referral_fit_review(
            actor=case_manager, referral=referral, decision="continue", note=""
        )
    sweep_on(due)
    assert not open_reminders("referral_fit_review").exists()


def test_the_referral_rules_agree_with_the_follow_ups_on_the_referral_page(
    case_manager: User, supervisor: User, north_client: Client, team_north: Team
) -> None:
    agency = team_north.agency
    with on(START):
        referral = accepted_referral(north_client, case_manager, supervisor)
        referral = act(referral, case_manager, "schedule_intake", on=START)
        referral = act(referral, case_manager, "start", on=START)
    kinds = {
        "attendance": "referral_attendance",
        "fit_review": "referral_fit_review",
        "no_response": "referral_no_response",
    }
    for day in (START + days(n) for n in (0, 1, 2, 59, 60, 61)):
        expected = {(kinds[f.kind], f.due_on) for f in follow_ups(referral, agency, today=day)}
        found = {
            (rule.kind, row["r_due"])
            for rule in rules.all_rules()
            if rule.kind in kinds.values()
            for row in rule.items(agency, day, day)
        }
        assert found == expected, day


def test_sql_business_days_agree_with_python() -> None:
    agency = Agency.objects.create(name="Calendar")
    first = dt.date(2026, 1, 1)
    starts = [first + days(n) for n in range(120)]
    for count in range(13):
        row = (
            Agency.objects.filter(pk=agency.pk)
            .values_list(
                *[AddBusinessDays(Value(day, output_field=DateField()), count) for day in starts]
            )
            .get()
        )
        assert list(row) == [add_business_days(day, count) for day in starts], count


# --- Releases of information -------------------------------------------------------------------


def test_release_expiring_is_found_within_the_warning_days_and_cleared_by_a_renewal(
    case_manager: User, north_client: Client
) -> None:
    service = make_service()
    with on(START):
        release = release_for(north_client, case_manager, service, expires_on=START + days(40))
    sweep_on(START + days(9))
    assert not reminders("release_expiring").exists()
    sweep_on(START + days(10))
    [item] = open_reminders("release_expiring")
    assert (item.object_id, item.due_on, item.recipient) == (
        release.pk,
        START + days(40),
        case_manager,
    )
    # The window is the warning: one "coming up" notice when it opens.
    assert stages(item) == ["lead_long"]

    with on(START + days(12)):
        release_for(north_client, case_manager, service, expires_on=START + days(400))
    sweep_on(START + days(12))
    assert not open_reminders("release_expiring").exists()


def test_an_expired_release_behind_a_pending_referral_is_urgent_until_renewed(
    case_manager: User, supervisor: User, north_client: Client
) -> None:
    with on(START):
        referral = sent_referral(north_client, case_manager, supervisor)
    release = referral.release
    assert release is not None
    revoked_on = START + days(2)
    with on(revoked_on):
        release_services.release_revoke(
            actor=case_manager, release=release, revoked_on=revoked_on, method="In writing"
        )
    sweep_on(revoked_on - days(1))
    assert not reminders("release_expired_in_use").exists()
    sweep_on(revoked_on)
    [item] = open_reminders("release_expired_in_use")
    assert (item.object_id, item.due_on, item.recipient) == (release.pk, revoked_on, case_manager)
    assert item.notifications.filter(stage="due", urgent=True).count() == 2

    with on(revoked_on + days(1)):
        release_for(north_client, case_manager, referral.service)
    sweep_on(revoked_on + days(1))
    assert not open_reminders("release_expired_in_use").exists()


def test_a_release_past_its_date_counts_from_the_day_after_and_clears_when_the_referral_ends(
    case_manager: User, supervisor: User, north_client: Client
) -> None:
    with on(START):
        referral = accepted_referral(north_client, case_manager, supervisor)
    release = referral.release
    assert release is not None
    type(release).objects.filter(pk=release.pk).update(expires_on=START + days(10))
    sweep_on(START + days(10))
    assert not reminders("release_expired_in_use").exists()
    sweep_on(START + days(11))
    [item] = open_reminders("release_expired_in_use")
    assert item.due_on == START + days(11)
    with on(START + days(12)):
        act(referral, case_manager, "cancel", note="Client moved away")
    sweep_on(START + days(12))
    assert not open_reminders("release_expired_in_use").exists()


# --- Crisis follow-up ---------------------------------------------------------------------------


def test_crisis_follow_up_is_urgent_on_its_date_and_cleared_by_closing_the_event(
    case_manager: User, north_client: Client
) -> None:
    with on(START):
        event = make_crisis(case_manager, north_client, follow_up_on=START + days(1))
    sweep_on(START)
    assert not reminders("crisis_follow_up").exists()
    sweep_on(START + days(1))
    [item] = open_reminders("crisis_follow_up")
    assert (item.object_id, item.due_on) == (event.pk, START + days(1))
    assert set(item.notifications.values_list("stage", "channel", "urgent")) == {
        ("due", "in_app", True),
        ("due", "email", True),
    }
    with on(START + days(1)):
        crisis_services.crisis_event_close(
            actor=case_manager, event=event, closing_note="Called her; safe and with her aunt."
        )
    sweep_on(START + days(1))
    assert not open_reminders("crisis_follow_up").exists()


# --- Case notes -------------------------------------------------------------------------------


def test_an_unsigned_note_is_due_on_the_deadline_date_and_cleared_by_signing(
    case_manager: User, north_client: Client, team_north: Team
) -> None:
    with on(START, hour=12):
        note = draft_note(north_client, case_manager)  # contact at 10:00
    deadline = START + days(team_north.agency.note_deadline_hours // 24)
    sweep_on(deadline - days(1))
    assert not reminders("note_unsigned").exists()
    sweep_on(deadline)
    [item] = open_reminders("note_unsigned")
    assert (item.object_id, item.due_on, item.recipient) == (note.pk, deadline, case_manager)
    with on(deadline + days(1)):
        note_sign(actor=case_manager, note=note)
    sweep_on(deadline + days(1))
    assert not open_reminders("note_unsigned").exists()


def test_monthly_contact_is_due_after_the_monitoring_days_and_cleared_by_a_contact_note(
    case_manager: User, supervisor: User, north_client: Client, team_north: Team
) -> None:
    active_plan(north_client, case_manager, supervisor)
    every = team_north.agency.monitoring_contact_days
    sweep_on(START + days(every - 1))
    assert not reminders("monthly_contact").exists()
    sweep_on(START + days(every))
    [item] = open_reminders("monthly_contact")
    assert (item.object_id, item.client_id, item.due_on, item.recipient) == (
        north_client.pk,
        north_client.pk,
        START + days(every),
        case_manager,
    )

    # An attempt to reach the client is not a contact with them.
    with on(START + days(every)):
        signed_note(
            north_client,
            case_manager,
            contact_type=ContactType.ATTEMPTED,
            observations="",
            client_quotes="",
            interventions="",
        )
    sweep_on(START + days(every))
    assert open_reminders("monthly_contact").count() == 1

    with on(START + days(every + 1)):
        signed_note(north_client, case_manager, contact_type=ContactType.PHONE)
    sweep_on(START + days(every + 1))
    assert not open_reminders("monthly_contact").exists()
    # The next one falls due the monitoring days after that contact.
    sweep_on(START + days(2 * every + 1))
    [again] = open_reminders("monthly_contact")
    assert again.due_on == START + days(2 * every + 1)


def test_monthly_contact_needs_services_in_place(
    case_manager: User, north_client: Client, team_north: Team
) -> None:
    sweep_on(START + days(400))
    assert not reminders("monthly_contact").exists()


# --- Scope and links ------------------------------------------------------------------------------


def test_rules_keep_to_their_agency(case_manager: User, north_client: Client) -> None:
    elsewhere = TeamFactory.create(agency=AgencyFactory.create(name="Elsewhere"), name="East")
    their_manager = UserFactory.create(
        email="cm.east@example.org", is_case_manager=True, teams=[elsewhere]
    )
    with on(START):
        make_crisis(case_manager, north_client, follow_up_on=START)
        theirs = make_client(case_manager=their_manager, team=elsewhere)
        make_crisis(their_manager, theirs, follow_up_on=START)
    rule = rules.rule_for("crisis_follow_up")
    assert rule is not None
    [row] = rule.items(north_client.team.agency, START, START)
    assert row["r_client"] == north_client.pk
    sweep_on(START)
    assert set(open_reminders("crisis_follow_up").values_list("recipient", flat=True)) == {
        case_manager.pk,
        their_manager.pk,
    }


def test_each_item_links_to_where_the_work_is_done(
    case_manager: User, supervisor: User, north_client: Client, client: HttpClient
) -> None:
    with on(START, hour=12):
        referral = accepted_referral(north_client, case_manager, supervisor)
        referral = act(referral, case_manager, "schedule_intake", on=START)
        referral = act(referral, case_manager, "start", on=START)
        make_crisis(case_manager, north_client, follow_up_on=START + days(1))
        draft_note(north_client, case_manager)
    release = referral.release
    assert release is not None
    type(release).objects.filter(pk=release.pk).update(expires_on=START + days(30))
    sweep_on(START + days(200))
    found = reminders_by_kind()
    # Reassignment notices and staffing tasks have their own tests (tests/clients/
    # test_reassignment.py, tests/supervision/test_meeting*.py).
    assert set(found) == KINDS - {
        "referral_no_response",
        "release_expiring",
        "reassigned_first_contact",
        "client_handed_over",
        "staffing_task",
    }
    client.force_login(case_manager)
    with on(START + days(200)):
        for kind, (object_id, client_id) in found.items():
            rule = rules.rule_for(kind)
            assert rule is not None
            response = client.get(rule.url(object_id, client_id))
            assert response.status_code in (200, 302), (kind, response.status_code)
            assert rule.describe(object_id, "Maria Rivera", START)


def reminders_by_kind() -> dict[str, tuple[int, int]]:
    from casemgmt.reminders.models import Reminder

    return {
        kind: (object_id, client_id)
        for kind, object_id, client_id in Reminder.objects.values_list(
            "kind", "object_id", "client_id"
        )
    }
