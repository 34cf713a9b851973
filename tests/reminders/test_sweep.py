"""The sweep across time: each lead time, the due date, overdue and the escalation to the
supervisor; nothing recorded twice; the agency's settings move the lead times; stuck
deliveries return to the queue; and the number of queries does not grow with the number of
due items."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from careplans.models import PlanStatus, ServicePlan
from casemgmt.accounts.models import Team, User
from casemgmt.reminders import services as reminder_services
from casemgmt.reminders.engine import requeue_stuck
from casemgmt.reminders.models import DeliveryStatus, Notification, Reminder
from clients.models import Client

from ..careplans.plan_fixtures import plan_in_status
from ..clients.test_crisis_events import make_crisis
from .reminder_fixtures import START, at, on, open_reminders, reminders, stages, sweep_on

pytestmark = pytest.mark.django_db


def days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


@pytest.fixture
def plan(case_manager: User, supervisor: User, north_client: Client) -> ServicePlan:
    with on(START):
        return plan_in_status(north_client, case_manager, PlanStatus.ACTIVE, approver=supervisor)


def the_review(recipient: User) -> Reminder:
    return Reminder.objects.get(kind="plan_review", recipient=recipient)


def test_a_plan_review_through_each_lead_time_to_the_escalation(
    plan: ServicePlan, case_manager: User, supervisor: User
) -> None:
    due = plan.review_due

    sweep_on(due - days(15))
    assert not reminders("plan_review").exists()

    sweep_on(due - days(14))
    review = the_review(case_manager)
    assert stages(review) == ["lead_long"]
    assert stages(review, "email") == ["lead_long"]
    [in_app] = review.notifications.filter(channel="in_app")
    [email] = review.notifications.filter(channel="email")
    assert (in_app.status, in_app.sent_at is not None) == (DeliveryStatus.SENT, True)
    assert (email.status, email.sent_at) == (DeliveryStatus.PENDING, None)
    assert not in_app.urgent and not email.urgent

    sweep_on(due - days(4))
    assert stages(review) == ["lead_long"]
    sweep_on(due - days(3))
    assert stages(review) == ["lead_long", "lead_short"]
    sweep_on(due - days(1))
    assert stages(review) == ["lead_long", "lead_short"]
    sweep_on(due)
    assert stages(review) == ["lead_long", "lead_short", "due"]
    sweep_on(due + days(1))
    assert stages(review) == ["lead_long", "lead_short", "due", "overdue"]
    assert review.notifications.get(stage="overdue", channel="email").urgent

    # Overdue by two days: still the case manager's alone.
    sweep_on(due + days(2))
    assert not reminders("plan_review", is_escalation=True).exists()

    sweep_on(due + days(3))
    escalation = reminders("plan_review", is_escalation=True).get()
    assert (escalation.kind, escalation.object_id, escalation.due_on, escalation.recipient) == (
        "plan_review",
        plan.pk,
        due,
        supervisor,
    )
    assert set(escalation.notifications.values_list("stage", "channel", "urgent")) == {
        ("escalation", "in_app", True),
        ("escalation", "email", True),
    }
    assert reminders("plan_review").count() == 2
    assert stages(review) == ["lead_long", "lead_short", "due", "overdue"]


def test_doing_the_work_resolves_the_item_and_its_escalation(
    plan: ServicePlan, case_manager: User, supervisor: User
) -> None:
    from careplans.services import plans as plan_services

    due = plan.review_due
    sweep_on(due + days(5))
    assert open_reminders("plan_review").count() == 2
    with on(due + days(5)):
        plan_services.plan_review_record(
            actor=case_manager,
            plan=plan,
            reviewed_on=due + days(5),
            decision="continue",
            justification="",
            goal_progress=[
                plan_services.GoalProgress(goal=goal, progress="in_progress")
                for goal in plan.goals.all()
            ],
            next_review_date=due + days(95),
        )
    counts = sweep_on(due + days(5))
    assert counts["resolved"] >= 2
    assert not open_reminders("plan_review").exists()


def test_running_the_sweep_twice_records_nothing_twice(
    plan: ServicePlan, case_manager: User, north_client: Client
) -> None:
    with on(START):
        make_crisis(case_manager, north_client, follow_up_on=START + days(1))
    day = plan.review_due + days(4)
    first = sweep_on(day)
    assert first["created"] > 0 and first["notifications"] > 0 and first["escalated"] > 0
    reminders_after, notifications_after = Reminder.objects.count(), Notification.objects.count()
    second = sweep_on(day)
    assert second == {
        "created": 0,
        "reopened": 0,
        "resolved": 0,
        "escalated": 0,
        "notifications": 0,
        "requeued": 0,
    }
    assert (Reminder.objects.count(), Notification.objects.count()) == (
        reminders_after,
        notifications_after,
    )


def test_the_agency_settings_move_the_lead_times(
    plan: ServicePlan, case_manager: User, team_north: Team
) -> None:
    agency = team_north.agency
    agency.reminder_lead_days = 7
    agency.reminder_short_lead_days = 1
    agency.save()
    due = plan.review_due
    sweep_on(due - days(14))
    assert not reminders("plan_review").exists()
    sweep_on(due - days(7))
    review = the_review(case_manager)
    assert stages(review) == ["lead_long"]
    sweep_on(due - days(2))
    assert stages(review) == ["lead_long"]
    sweep_on(due - days(1))
    assert stages(review) == ["lead_long", "lead_short"]


def test_the_agency_escalation_days_decide_when_the_supervisor_hears(
    plan: ServicePlan, supervisor: User, team_north: Team
) -> None:
    team_north.agency.escalation_days = 1
    team_north.agency.save()
    sweep_on(plan.review_due)
    assert not reminders("plan_review", is_escalation=True).exists()
    sweep_on(plan.review_due + days(1))
    assert reminders("plan_review", is_escalation=True, recipient=supervisor).count() == 1


def test_shortening_the_lead_time_and_lengthening_it_again_reopens_the_item(
    plan: ServicePlan, case_manager: User, team_north: Team
) -> None:
    agency = team_north.agency
    due = plan.review_due
    sweep_on(due - days(10))
    agency.reminder_lead_days = 5
    agency.save()
    counts = sweep_on(due - days(10))
    assert counts["resolved"] == 1 and not open_reminders("plan_review").exists()
    counts = sweep_on(due - days(5))
    assert counts["reopened"] == 1
    assert the_review(case_manager).resolved_at is None
    assert stages(the_review(case_manager)) == ["lead_long"]


def test_rules_without_lead_times_are_noticed_on_the_day_and_after(
    case_manager: User, north_client: Client
) -> None:
    with on(START):
        make_crisis(case_manager, north_client, follow_up_on=START + days(3))
    sweep_on(START + days(2))
    assert not reminders("crisis_follow_up").exists()
    sweep_on(START + days(3))
    sweep_on(START + days(4))
    [item] = reminders("crisis_follow_up")
    assert stages(item) == ["due", "overdue"]


def test_done_and_snoozed_items_get_no_new_notices(plan: ServicePlan, case_manager: User) -> None:
    due = plan.review_due
    sweep_on(due - days(14))
    review = the_review(case_manager)
    with on(due - days(4)):
        reminder_services.reminder_snooze(actor=case_manager, reminder=review, days=3)
    sweep_on(due - days(3))
    sweep_on(due - days(2))
    assert stages(review) == ["lead_long"]
    sweep_on(due)  # the snooze is over
    assert stages(review) == ["lead_long", "due"]
    with on(due):
        reminder_services.reminder_mark_done(actor=case_manager, reminder=review)
    sweep_on(due + days(5))
    assert stages(review) == ["lead_long", "due"]
    assert not reminders("plan_review", is_escalation=True).exists()


def test_stuck_deliveries_go_back_to_the_queue(plan: ServicePlan, case_manager: User) -> None:
    sweep_on(plan.review_due)
    email = Notification.objects.filter(channel="email").first()
    assert email is not None
    now = at(plan.review_due)
    Notification.objects.filter(pk=email.pk).update(
        status=DeliveryStatus.SENDING, claimed_at=now - dt.timedelta(seconds=599), attempts=1
    )
    assert requeue_stuck(now=now) == 0
    Notification.objects.filter(pk=email.pk).update(claimed_at=now - dt.timedelta(seconds=601))
    assert requeue_stuck(now=now) == 1
    email.refresh_from_db()
    assert (email.status, email.claimed_at, email.attempts) == (DeliveryStatus.PENDING, None, 1)


def _many_plans(client: Client, count: int) -> None:
    """`count` more active plans of one client, all due for review, in one statement."""
    template = ServicePlan.objects.filter(client=client).first()
    assert template is not None
    have = ServicePlan.objects.filter(client=client).count()
    ServicePlan.objects.bulk_create(
        ServicePlan(
            client=client,
            assessment_id=template.assessment_id,
            version=have + n + 1,
            status=PlanStatus.ACTIVE,
            service_start=START,
            review_due=START + days(1 + n % 60),
            created_by_id=template.created_by_id,
            created_at=timezone.now(),
        )
        for n in range(count)
    )


def _sweep_queries(day: dt.date) -> tuple[int, int]:
    with on(day), CaptureQueriesContext(connection) as queries:
        from casemgmt.reminders.engine import sweep

        counts = sweep()
    return len(queries), counts["created"]


def test_the_query_count_does_not_grow_with_the_due_items(
    plan: ServicePlan, north_client: Client
) -> None:
    day = START + days(100)
    _many_plans(north_client, 9)
    few, _ = _sweep_queries(day)
    assert open_reminders("plan_review", is_escalation=False).count() == 10
    _many_plans(north_client, 990)
    many, created_many = _sweep_queries(day + days(1))
    assert open_reminders("plan_review", is_escalation=False).count() == 1000
    assert created_many >= 990
    assert few == many


def test_reminders_of_a_kind_no_rule_has_any_more_are_resolved(
    plan: ServicePlan, case_manager: User, north_client: Client
) -> None:
    retired = Reminder.objects.create(
        kind="retired_rule", object_id=1, client=north_client, recipient=case_manager, due_on=START
    )
    counts = sweep_on(START)
    retired.refresh_from_db()
    assert retired.resolved_at is not None and counts["resolved"] == 1
    assert not retired.notifications.exists()


def test_the_sweep_command_records_and_queues_delivery(
    plan: ServicePlan, case_manager: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    from django.core.management import call_command

    from casemgmt.reminders import tasks

    queued: list[str] = []
    monkeypatch.setattr(tasks.reminders_deliver, "delay", lambda: queued.append("deliver"))
    monkeypatch.setattr(tasks.reminders_send_digests, "delay", lambda: queued.append("digest"))
    out = io.StringIO()
    with on(plan.review_due + days(1)):
        call_command("sweep_reminders", stdout=out)
        assert the_review(case_manager).due_on == plan.review_due
        call_command("sweep_reminders", "--no-delivery", stdout=out)
    assert "created 0," in out.getvalue().splitlines()[-1]
    assert queued == ["deliver", "digest"]
