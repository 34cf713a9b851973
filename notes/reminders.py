"""The due items case notes raise: drafts not signed in time, and clients not seen lately
(monthly monitoring contact)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.db.models import (
    DateField,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, TruncDate
from django.utils.translation import gettext_lazy as _

from careplans.models import PlanStatus, ServicePlan
from casemgmt.reminders import rules
from clients.models import Client, ClientStatus, Episode
from referrals.models import Referral, ReferralStatus

from .models import CaseNote, ContactType, NoteStatus

if TYPE_CHECKING:
    from casemgmt.accounts.models import Agency

#: Contacts that are not with the client: they do not count as monitoring contact (a case
#: conference is the team talking about the client, never a contact with them).
INDIRECT_CONTACT_TYPES = (
    ContactType.COLLATERAL,
    ContactType.PROVIDER,
    ContactType.ATTEMPTED,
    ContactType.CASE_CONFERENCE,
)

PLANS_IN_FORCE = (PlanStatus.ACTIVE, PlanStatus.UNDER_REVIEW)


class NoteUnsignedRule(rules.Rule):
    """A draft note is due on the local date of its signing deadline (the contact plus the
    agency's hours), for its author; signing it (or discarding the draft) clears it."""

    kind = "note_unsigned"
    label = _("Case note to sign")

    def items(self, agency: Agency, until: dt.date, today: dt.date | None = None) -> QuerySet[Any]:
        deadline = ExpressionWrapper(
            F("contact_at") + dt.timedelta(hours=agency.note_deadline_hours),
            output_field=DateTimeField(),
        )
        return rules.due_rows(
            CaseNote.objects.filter(client__team__agency=agency, status=NoteStatus.DRAFT),
            due=TruncDate(deadline, tzinfo=rules.local_zone()),
            until=until,
            recipient="author_id",
        )

    def url_name(self) -> str:
        return "notes:note_edit"


class MonthlyContactRule(rules.Rule):
    """An active client with services in place (a plan in force, or a referral in
    progress) is due for a contact the agency's monitoring days after the last signed note
    of a contact with them (or, with none yet, after the plan's start or the enrolment),
    for the primary case manager. Signing a note of a contact with the client clears it."""

    kind = "monthly_contact"
    label = _("Monthly contact")

    def items(self, agency: Agency, until: dt.date, today: dt.date | None = None) -> QuerySet[Any]:
        zone = rules.local_zone()
        plans_in_force = ServicePlan.objects.filter(
            client_id=OuterRef("pk"), status__in=PLANS_IN_FORCE
        )
        last_contact = (
            CaseNote.objects.filter(
                client_id=OuterRef("pk"), status=NoteStatus.SIGNED, client_present=True
            )
            .exclude(contact_type__in=INDIRECT_CONTACT_TYPES)
            .order_by("-contact_at")
            .values(day=TruncDate("contact_at", tzinfo=zone))[:1]
        )
        plan_start = plans_in_force.order_by("-service_start").values("service_start")[:1]
        enrolment = (
            Episode.objects.filter(client_id=OuterRef("pk"), discharged_on__isnull=True)
            .order_by("-enrolled_on")
            .values("enrolled_on")[:1]
        )
        since = Coalesce(
            Subquery(last_contact, output_field=DateField()),
            Subquery(plan_start, output_field=DateField()),
            Subquery(enrolment, output_field=DateField()),
            TruncDate("created_at", tzinfo=zone),
            output_field=DateField(),
        )
        due = ExpressionWrapper(since + Value(agency.monitoring_contact_days), DateField())
        services_in_place = Q(Exists(plans_in_force)) | Q(
            Exists(
                Referral.objects.filter(client_id=OuterRef("pk"), status=ReferralStatus.IN_PROGRESS)
            )
        )
        return rules.due_rows(
            Client.objects.filter(
                services_in_place, team__agency=agency, status=ClientStatus.ACTIVE
            ),
            due=due,
            until=until,
            client_id="pk",
            recipient="primary_case_manager_id",
        )

    def url_name(self) -> str:
        return "notes:note_list"

    def url_args(self, object_id: int, client_id: int) -> list[int]:
        return [client_id]


rules.register(NoteUnsignedRule())
rules.register(MonthlyContactRule())
