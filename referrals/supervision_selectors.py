"""Reads behind the supervisor dashboard about referrals: overdue follow-ups, referrals
waiting for the provider's answer, the referral funnel and the days from sending to the
start of services. Every read starts from the user and the teams chosen (see
`clients.supervision_selectors`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db.models import (
    Aggregate,
    Count,
    Exists,
    F,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
)

from casemgmt.accounts import policy
from casemgmt.accounts.models import Agency
from clients.supervision_selectors import RuleRows, overdue_rows

from .models import Referral, ReferralEvent, ReferralStatus
from .reminders import (
    ReferralAttendanceRule,
    ReferralFitReviewRule,
    ReferralNoResponseRule,
    local_date,
)

#: The follow-ups the dashboard counts: no answer from the provider, attendance at intake,
#: the review of how the service fits.
FOLLOW_UP_RULES = (ReferralNoResponseRule(), ReferralAttendanceRule(), ReferralFitReviewRule())

#: The stages of the funnel after "sent", each reached when the status history shows it.
FUNNEL_STAGES = (
    ("accepted", ReferralStatus.ACCEPTED),
    ("started", ReferralStatus.IN_PROGRESS),
    ("completed", ReferralStatus.COMPLETED),
)


class Median(Aggregate):
    """The median of a number (PostgreSQL's `percentile_cont(0.5)`), interpolated between
    the two middle values when their count is even."""

    function = "percentile_cont"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


class DaysBetween(Func):
    """Whole days from the date `start` to the date `end` (date minus date in SQL)."""

    template = "(%(expressions)s)"
    arg_joiner = " - "
    output_field = IntegerField()

    def __init__(self, end: Any, start: Any) -> None:
        super().__init__(end, start)


def team_referrals(user: policy.AnyUser, team_ids: Iterable[int]) -> QuerySet[Referral]:
    """The referrals of the teams' clients that the user may read."""
    return Referral.objects.visible_to(user).filter(client__team_id__in=sorted(team_ids))


def overdue_follow_ups(
    user: policy.AnyUser,
    *,
    agencies: Iterable[Agency],
    team_ids: Iterable[int],
    case_manager_ids: Iterable[int],
    today: dt.date,
) -> RuleRows:
    """Referral follow-ups past their date, as the referral reminders find them (so the
    dashboard and "My work today" agree), for each referral's case manager."""
    return overdue_rows(
        user,
        FOLLOW_UP_RULES,
        agencies=agencies,
        team_ids=team_ids,
        recipient_ids=case_manager_ids,
        today=today,
    )


def awaiting_answer(
    user: policy.AnyUser, team_ids: Iterable[int], *, case_manager_ids: Iterable[int]
) -> QuerySet[Referral]:
    """Referrals sent and not yet answered by the provider, of the case managers named, the
    longest waiting first."""
    return (
        team_referrals(user, team_ids)
        .filter(status=ReferralStatus.SENT, case_manager_id__in=sorted(case_manager_ids))
        .select_related("client", "service")
        .order_by("sent_at", "pk")
    )


def referrals_by_id(ids: Iterable[int]) -> dict[int, Referral]:
    """The referrals named, with their clients and services (one query)."""
    rows = Referral.objects.filter(pk__in=sorted(set(ids))).select_related("client", "service")
    return {referral.pk: referral for referral in rows}


def referral_funnel(
    user: policy.AnyUser, team_ids: Iterable[int], *, start: dt.datetime, end: dt.datetime
) -> dict[str, int]:
    """Of the referrals sent from `start` (inclusive) to `end` (exclusive), how many were
    sent, and how many the status history shows reached accepted, started (in progress) and
    completed, so a referral now completed counts at every earlier stage (one query)."""
    sent = team_referrals(user, team_ids).filter(sent_at__gte=start, sent_at__lt=end)
    reached = {
        name: Exists(ReferralEvent.objects.filter(referral=OuterRef("pk"), to_status=status))
        for name, status in FUNNEL_STAGES
    }
    totals = (
        sent.annotate(**{f"reached_{name}": test for name, test in reached.items()})
        .order_by()
        .aggregate(
            sent=Count("pk"),
            **{
                name: Count("pk", filter=Q(**{f"reached_{name}": True}))
                for name, _status in FUNNEL_STAGES
            },
        )
    )
    return {name: int(totals[name]) for name in ("sent", *(n for n, _s in FUNNEL_STAGES))}


def days_to_service_start(
    user: policy.AnyUser, team_ids: Iterable[int], *, start: dt.date, end: dt.date
) -> tuple[float | None, int]:
    """The median number of days from sending a referral (its local date) to the start of
    services, over the referrals whose services started from `start` to `end` (inclusive),
    and how many such referrals there are; no median without any (one query)."""
    started = team_referrals(user, team_ids).filter(
        service_started_on__range=(start, end), sent_at__isnull=False
    )
    totals = started.order_by().aggregate(
        median=Median(DaysBetween(F("service_started_on"), local_date("sent_at"))),
        count=Count("pk"),
    )
    median = totals["median"]
    return (None if median is None else float(median)), int(totals["count"])
