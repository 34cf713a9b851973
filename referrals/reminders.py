"""The due items referrals raise: the follow-ups of `referral_selectors.follow_ups`, computed
for every referral at once, and expired releases that a pending referral relies on."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.db.models import (
    Case,
    DateField,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Least, TruncDate
from django.utils.translation import gettext_lazy as _

from casemgmt.reminders import rules
from clients.reminders import renewal_exists

from .models import Referral, ReferralStatus
from .referral_selectors import OPEN_STATUSES

if TYPE_CHECKING:
    from django.db.models.expressions import Combinable

    from casemgmt.accounts.models import Agency


class AddBusinessDays(Func):
    """`day` plus `days` business days (Monday to Friday), in SQL: the same dates as
    `referral_selectors.add_business_days`. A weekend start counts from the Friday before
    (its next business day is the Monday); whole weeks add 7 days; a remainder that runs
    past Friday skips the weekend. No business days leaves the day as it is."""

    output_field = DateField()
    arity = 2
    template = (
        "(SELECT CASE WHEN b.n <= 0 THEN b.d ELSE"
        " b.d - GREATEST(EXTRACT(ISODOW FROM b.d)::int - 5, 0)"
        " + 7 * (b.n / 5) + MOD(b.n, 5)"
        " + CASE WHEN LEAST(EXTRACT(ISODOW FROM b.d)::int, 5) + MOD(b.n, 5) > 5"
        " THEN 2 ELSE 0 END END"
        " FROM (SELECT %(expressions)s) AS b(d, n))"
    )

    def __init__(self, day: Combinable, days: int) -> None:
        super().__init__(
            Cast(day, DateField()), Cast(Value(days), IntegerField()), output_field=DateField()
        )


def plus_days(day: str, days: int) -> ExpressionWrapper:
    """A date column plus whole days, as a date (date + integer in PostgreSQL)."""
    return ExpressionWrapper(F(day) + Value(days), output_field=DateField())


def local_date(column: str) -> TruncDate:
    """The date of a timestamp in the agency's time zone."""
    return TruncDate(column, tzinfo=rules.local_zone())


def _rows(referrals: QuerySet[Referral], due: Any, until: dt.date) -> QuerySet[Any]:
    return rules.due_rows(referrals, due=due, until=until, recipient="case_manager_id")


class ReferralNoResponseRule(rules.Rule):
    """A sent referral the provider has not answered is due the agency's business days
    after it was sent (its local date): the case manager calls them."""

    kind = "referral_no_response"
    label = _("No answer from the provider")

    def items(self, agency: Agency, until: dt.date, today: dt.date | None = None) -> QuerySet[Any]:
        referrals = Referral.objects.filter(
            client__team__agency=agency, status=ReferralStatus.SENT, sent_at__isnull=False
        )
        due = AddBusinessDays(local_date("sent_at"), agency.provider_response_business_days)
        return _rows(referrals, due, until)

    def url_name(self) -> str:
        return "referrals:referral_detail"


class ReferralAttendanceRule(rules.Rule):
    """The day after a scheduled intake, while the referral is in progress or on hold and
    nobody has said whether the client attended."""

    kind = "referral_attendance"
    label = _("Did the client attend intake?")

    def items(self, agency: Agency, until: dt.date, today: dt.date | None = None) -> QuerySet[Any]:
        referrals = Referral.objects.filter(
            client__team__agency=agency,
            intake_on__isnull=False,
            attended_intake__isnull=True,
            status__in=(ReferralStatus.IN_PROGRESS, ReferralStatus.ON_HOLD),
        )
        return _rows(referrals, plus_days("intake_on", 1), until)

    def url_name(self) -> str:
        return "referrals:referral_detail"


class ReferralFitReviewRule(rules.Rule):
    """The agency's fit-review days after services start, while the referral is in progress
    or completed and the fit has not been reviewed."""

    kind = "referral_fit_review"
    label = _("Review how the service fits")

    def items(self, agency: Agency, until: dt.date, today: dt.date | None = None) -> QuerySet[Any]:
        referrals = Referral.objects.filter(
            client__team__agency=agency,
            service_started_on__isnull=False,
            fit_review_on__isnull=True,
            status__in=(ReferralStatus.IN_PROGRESS, ReferralStatus.COMPLETED),
        )
        return _rows(referrals, plus_days("service_started_on", agency.fit_review_days), until)

    def url_name(self) -> str:
        return "referrals:referral_detail"


class ReleaseExpiredInUseRule(rules.Rule):
    """A release that has ended (past its date, revoked, or ended by its event) while a
    referral still travelling relies on it: due the day it ended, for the referral's case
    manager, urgent. A renewal (a later release to the same recipient in effect) or the
    referral ending clears it. One item per release and case manager."""

    kind = "release_expired_in_use"
    label = _("Expired release behind a referral")
    always_urgent = True

    def items(self, agency: Agency, until: dt.date, today: dt.date | None = None) -> QuerySet[Any]:
        today = today or rules.local_today()
        ended_by_event = Q(release__expired_by_event=True) & (
            Q(release__event_happened_on__isnull=True) | Q(release__event_happened_on__lte=today)
        )
        ended = (
            Q(release__expires_on__lt=today) | Q(release__revoked_on__lte=today) | ended_by_event
        )
        ended_on = Least(
            plus_days("release__expires_on", 1),
            F("release__revoked_on"),
            Case(
                When(
                    release__expired_by_event=True,
                    then=Coalesce("release__event_happened_on", "release__signed_on"),
                ),
                output_field=DateField(),
            ),
        )
        return rules.due_rows(
            Referral.objects.filter(
                ended,
                client__team__agency=agency,
                status__in=OPEN_STATUSES,
                release__isnull=False,
            ).exclude(renewal_exists(today, path="release__")),
            due=ended_on,
            until=until,
            object_id="release_id",
            recipient="case_manager_id",
        ).distinct()

    def url_name(self) -> str:
        return "clients:release_detail"


rules.register(ReferralNoResponseRule())
rules.register(ReferralAttendanceRule())
rules.register(ReferralFitReviewRule())
rules.register(ReleaseExpiredInUseRule())
