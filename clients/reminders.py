"""The due items the client record raises: releases about to expire, crisis follow-ups."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from casemgmt.reminders import rules

from .models import CrisisEvent, ReleaseOfInformation

if TYPE_CHECKING:
    from casemgmt.accounts.models import Agency


def renewal_exists(today: dt.date, *, path: str = "", outlasting: bool = False) -> Exists:
    """A later release of the same client to the same recipient (the same directory
    organization, or the same name) that is not revoked, not ended by its event and not
    expired today: the client renewed it. `path` leads from the outer query's rows to the
    release (e.g. "release__" from a referral). With `outlasting`, the renewal must also run
    past the end of the release it renews."""
    renewal = ReleaseOfInformation.objects.filter(
        Q(recipient_organization_id=OuterRef(f"{path}recipient_organization_id"))
        | Q(recipient_name__iexact=OuterRef(f"{path}recipient_name")),
        Q(expires_on__isnull=True) | Q(expires_on__gte=today),
        client_id=OuterRef(f"{path}client_id"),
        pk__gt=OuterRef(f"{path}pk"),
        revoked_on__isnull=True,
        expired_by_event=False,
    )
    if outlasting:
        renewal = renewal.filter(
            Q(expires_on__isnull=True) | Q(expires_on__gt=OuterRef(f"{path}expires_on"))
        )
    return Exists(renewal)


class ReleaseExpiringRule(rules.Rule):
    """A release in effect today that expires within the agency's warning days, for the
    client's primary case manager: due on its expiry date. Recording a renewal (a later
    release to the same recipient that runs longer) clears it."""

    kind = "release_expiring"
    label = _("Release of information expiring")

    def horizon_days(self, agency: Agency) -> int:
        # The warning window is the rule's only notice ahead of the date.
        return agency.release_expiry_warning_days

    def items(self, agency: Agency, until: dt.date, today: dt.date | None = None) -> QuerySet[Any]:
        today = today or rules.local_today()
        return rules.due_rows(
            ReleaseOfInformation.objects.active_on(today)
            .filter(client__team__agency=agency, expires_on__isnull=False)
            .exclude(renewal_exists(today, outlasting=True)),
            due="expires_on",
            until=until,
            recipient="client__primary_case_manager_id",
        )

    def url_name(self) -> str:
        return "clients:release_detail"


class CrisisFollowUpRule(rules.Rule):
    """An open crisis event is due on its follow-up date, for the client's primary case
    manager; closing the event (recording the follow-up) clears it."""

    kind = "crisis_follow_up"
    label = _("Crisis follow-up")
    always_urgent = True

    def items(self, agency: Agency, until: dt.date, today: dt.date | None = None) -> QuerySet[Any]:
        return rules.due_rows(
            CrisisEvent.objects.open().filter(client__team__agency=agency),
            due="follow_up_on",
            until=until,
            recipient="client__primary_case_manager_id",
        )

    def url_name(self) -> str:
        return "clients:crisis_detail"


rules.register(ReleaseExpiringRule())
rules.register(CrisisFollowUpRule())
