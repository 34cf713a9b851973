"""Reads for the referral-outcomes report, through the access policy."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.db.models import OuterRef, QuerySet, Subquery

from casemgmt.accounts.models import Team, User
from clients.report_selectors import report_clients

from .models import Referral, ReferralEvent, ReferralStatus


def _first_event_at(status: ReferralStatus) -> Subquery:
    return Subquery(
        ReferralEvent.objects.filter(referral=OuterRef("pk"), to_status=status)
        .order_by("at", "pk")
        .values("at")[:1]
    )


def referrals_sent_between(
    user: User,
    *,
    date_from: dt.date,
    date_to: dt.date,
    zone: ZoneInfo,
    team: Team | None = None,
) -> QuerySet[Referral]:
    """Referrals of the clients the user may export (see `report_clients`) sent from
    `date_from` to `date_to` inclusive, days counted in `zone`; each annotated with when it
    was first accepted (`accepted_at`) and completed (`completed_at`). Oldest first."""
    start = dt.datetime.combine(date_from, dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    return (
        Referral.objects.visible_to(user)
        .filter(client__in=report_clients(user, team=team), sent_at__gte=start, sent_at__lt=end)
        .select_related("client", "service", "service__organization")
        .annotate(
            accepted_at=_first_event_at(ReferralStatus.ACCEPTED),
            completed_at=_first_event_at(ReferralStatus.COMPLETED),
        )
        .order_by("sent_at", "pk")
    )
