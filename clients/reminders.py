"""The due items the client record raises: releases about to expire, crisis follow-ups."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.db.models import DateField, Exists, ExpressionWrapper, F, OuterRef, Q, QuerySet, Value
from django.db.models.functions import TruncDate
from django.utils.translation import gettext_lazy as _

from casemgmt.reminders import rules

from .models import ClientStatus, CrisisEvent, Reassignment, ReleaseOfInformation

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


class ReassignedFirstContactRule(rules.Rule):
    """A client reassigned to a case manager is due for their first contact within
    `FIRST_CONTACT_DAYS` of the hand-over, for the new case manager: recorded (and e-mailed)
    at once, so the reassignment itself is the notice. A signed note of a contact with the
    client after the hand-over clears it, as does another reassignment or discharge."""

    kind = "reassigned_first_contact"
    label = _("New on your caseload: first contact")
    always_urgent = True
    FIRST_CONTACT_DAYS = 7

    def horizon_days(self, agency: Agency) -> int:
        return self.FIRST_CONTACT_DAYS

    def items(self, agency: Agency, until: dt.date, today: dt.date | None = None) -> QuerySet[Any]:
        from notes.models import CaseNote, NoteStatus
        from notes.reminders import INDIRECT_CONTACT_TYPES

        contact_since = CaseNote.objects.filter(
            client_id=OuterRef("client_id"),
            status=NoteStatus.SIGNED,
            client_present=True,
            contact_at__gte=OuterRef("reassigned_at"),
        ).exclude(contact_type__in=INDIRECT_CONTACT_TYPES)
        later_move = Reassignment.objects.filter(
            client_id=OuterRef("client_id"), reassigned_at__gt=OuterRef("reassigned_at")
        )
        due = ExpressionWrapper(
            TruncDate("reassigned_at", tzinfo=rules.local_zone()) + Value(self.FIRST_CONTACT_DAYS),
            DateField(),
        )
        return rules.due_rows(
            Reassignment.objects.filter(
                client__team__agency=agency,
                client__status=ClientStatus.ACTIVE,
                client__primary_case_manager_id=F("to_case_manager_id"),
            )
            .exclude(Exists(later_move))
            .exclude(Exists(contact_since)),
            due=due,
            until=until,
            recipient="to_case_manager_id",
        )

    def url_name(self) -> str:
        return "clients:detail"

    def url_args(self, object_id: int, client_id: int) -> list[int]:
        return [client_id]


class ClientHandedOverRule(rules.Rule):
    """The case manager a client was moved away from hears of it at once (the reason is on
    the client's page). The item is never overdue, so it is never escalated: it is due
    `NOTICE_DAYS` after the hand-over and leaves the list on that day (or when ticked
    off)."""

    kind = "client_handed_over"
    label = _("Client reassigned to a colleague")
    always_urgent = True
    NOTICE_DAYS = 7

    def horizon_days(self, agency: Agency) -> int:
        return self.NOTICE_DAYS

    def items(self, agency: Agency, until: dt.date, today: dt.date | None = None) -> QuerySet[Any]:
        today = today or rules.local_today()
        day = TruncDate("reassigned_at", tzinfo=rules.local_zone())
        return rules.due_rows(
            Reassignment.objects.annotate(day=day).filter(
                client__team__agency=agency,
                day__gt=today - dt.timedelta(days=self.NOTICE_DAYS),
                from_case_manager__is_active=True,
            ),
            due=ExpressionWrapper(F("day") + Value(self.NOTICE_DAYS), DateField()),
            until=until,
            recipient="from_case_manager_id",
        )

    def url_name(self) -> str:
        return "clients:detail"

    def url_args(self, object_id: int, client_id: int) -> list[int]:
        return [client_id]


rules.register(ReleaseExpiringRule())
rules.register(CrisisFollowUpRule())
rules.register(ReassignedFirstContactRule())
rules.register(ClientHandedOverRule())
