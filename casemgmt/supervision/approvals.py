"""One queue of everything waiting for a supervisor's decision in the teams they supervise:
service plans awaiting approval, referrals sent under a consent exception awaiting review,
and signed case notes awaiting co-signature. Oldest first.

Each kind is decided by its own app's service, which enforces who may decide; the queue
lists the items a supervisor may not decide (their own work) too, marked, so they know
another supervisor must. Which kinds arise at all is the agency's setting
(`plan_approval_required`, `notes_cosign_required`); the queue lists what is pending."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from careplans.models import PlanStatus, ServicePlan
from careplans.permissions import can_approve_plan
from careplans.services import plans as plan_services
from casemgmt.accounts import policy
from casemgmt.accounts.models import User
from clients.models import Client
from notes import services as note_services
from notes.models import CaseNote, CosignStatus
from notes.permissions import can_cosign
from referrals.models import ConsentException, Referral, ReferralEvent, ReferralStatus
from referrals.services import referrals as referral_services
from referrals.services.exception_returns import exception_return


class ApprovalKind(models.TextChoices):
    PLAN = "plan", gettext_lazy("Service plans")
    EXCEPTION = "exception", gettext_lazy("Consent exceptions")
    NOTE = "note", gettext_lazy("Case notes")


class Decision(models.TextChoices):
    APPROVE = "approve", gettext_lazy("Approve")
    RETURN = "return", gettext_lazy("Return with a comment")


@dataclass(frozen=True)
class ApprovalItem:
    """One thing waiting for a decision, whatever its kind."""

    kind: ApprovalKind
    pk: int
    client: Client
    summary: str
    detail: str
    submitted_by: User | None
    submitted_at: dt.datetime
    url: str
    #: Empty when the supervisor may decide; otherwise why another supervisor must.
    refusal: str

    @property
    def key(self) -> str:
        return f"{self.kind}-{self.pk}"

    @property
    def can_decide(self) -> bool:
        return not self.refusal


ANOTHER_SUPERVISOR = gettext_lazy("Another supervisor must approve this.")


def _plans(user: User, teams: list[int]) -> list[ApprovalItem]:
    plans = (
        ServicePlan.objects.visible_to(user)
        .filter(status=PlanStatus.FINALIZED, client__team_id__in=teams)
        .select_related("client__team", "finalized_by")
    )
    items = []
    for plan in plans:
        summary = _("Service plan, version %(v)s") % {"v": plan.version}
        if plan.previous_id is not None:
            summary = _("Service plan, version %(v)s (a revision)") % {"v": plan.version}
        refusal = ""
        if not can_approve_plan(user, plan):
            refusal = _("You wrote or finalized this plan. %(rule)s") % {"rule": ANOTHER_SUPERVISOR}
        items.append(
            ApprovalItem(
                kind=ApprovalKind.PLAN,
                pk=plan.pk,
                client=plan.client,
                summary=summary,
                detail=_("Client agreement: %(a)s") % {"a": plan.get_agreement_display()},
                submitted_by=plan.finalized_by,
                submitted_at=plan.finalized_at or plan.created_at,
                url=reverse("careplans:plan_detail", args=[plan.client_id, plan.pk]),
                refusal=refusal,
            )
        )
    return items


def _sender(referral: Referral) -> User:
    """The staff member who sent the referral (from the prefetched "sent" events)."""
    sent: list[ReferralEvent] = getattr(referral, "sent_events", [])
    return next((e.actor for e in sent if e.actor is not None), referral.case_manager)


def _exceptions(user: User, teams: list[int]) -> list[ApprovalItem]:
    referrals = (
        Referral.objects.visible_to(user)
        .filter(client__team_id__in=teams, exception_reviewed_at__isnull=True)
        .exclude(consent_exception="")
        .select_related("client__team", "service", "case_manager")
        .prefetch_related(
            Prefetch(
                "events",
                queryset=ReferralEvent.objects.filter(to_status=ReferralStatus.SENT)
                .select_related("actor")
                .order_by("at", "pk"),
                to_attr="sent_events",
            )
        )
    )
    items = []
    for referral in referrals:
        sender = _sender(referral)
        refusal = ""
        if user.pk in {referral.case_manager_id, sender.pk}:
            refusal = _("You made or sent this referral. %(rule)s") % {"rule": ANOTHER_SUPERVISOR}
        items.append(
            ApprovalItem(
                kind=ApprovalKind.EXCEPTION,
                pk=referral.pk,
                client=referral.client,
                summary=_("Referral to %(service)s sent without consent: %(exception)s")
                % {
                    "service": referral.service,
                    "exception": ConsentException(referral.consent_exception).label,
                },
                detail=_("Why without consent: %(j)s") % {"j": referral.exception_justification},
                submitted_by=sender,
                submitted_at=referral.sent_at or referral.created_at,
                url=reverse("referrals:referral_detail", args=[referral.client_id, referral.pk]),
                refusal=refusal,
            )
        )
    return items


def _notes(user: User, teams: list[int]) -> list[ApprovalItem]:
    notes = (
        CaseNote.objects.visible_to(user)
        .filter(cosign_status=CosignStatus.PENDING, client__team_id__in=teams)
        .select_related("client__team", "author")
    )
    items = []
    for note in notes:
        refusal = ""
        if not can_cosign(user, note):
            refusal = _("You wrote this note. %(rule)s") % {"rule": ANOTHER_SUPERVISOR}
        contact = timezone.localtime(note.contact_at).strftime("%Y-%m-%d %H:%M")
        items.append(
            ApprovalItem(
                kind=ApprovalKind.NOTE,
                pk=note.pk,
                client=note.client,
                summary=_("Case note: %(type)s on %(when)s")
                % {"type": note.get_contact_type_display(), "when": contact},
                detail=_("Purpose: %(p)s") % {"p": note.purpose} if note.purpose else "",
                submitted_by=note.author,
                submitted_at=note.signed_at or note.created_at,
                url=reverse("notes:note_detail", args=[note.client_id, note.pk]),
                refusal=refusal,
            )
        )
    return items


COLLECTORS = {
    ApprovalKind.PLAN: _plans,
    ApprovalKind.EXCEPTION: _exceptions,
    ApprovalKind.NOTE: _notes,
}


@dataclass(frozen=True)
class ApprovalQueue:
    items: list[ApprovalItem]
    counts: dict[str, int]
    total: int


def approval_queue(user: User, *, kind: str = "") -> ApprovalQueue:
    """Everything waiting in the teams the user supervises, oldest first, with the count of
    each kind; `kind` narrows the items (not the counts) to one kind."""
    teams = sorted(policy.supervised_team_ids(user))
    items: list[ApprovalItem] = []
    if teams:
        for collect in COLLECTORS.values():
            items.extend(collect(user, teams))
    items.sort(key=lambda item: (item.submitted_at, item.kind, item.pk))
    counts = Counter(item.kind.value for item in items)
    if kind in ApprovalKind.values:
        items = [item for item in items if item.kind == kind]
    return ApprovalQueue(
        items=items,
        counts={k: counts.get(k, 0) for k in ApprovalKind.values},
        total=sum(counts.values()),
    )


def approval_target(user: User, kind: str, pk: int) -> Any:
    """The plan, referral or note `pk` of `kind` in a team the user supervises; 404 for an
    unknown kind or anything outside those teams."""
    teams = sorted(policy.supervised_team_ids(user))
    rows: Any
    if kind == ApprovalKind.PLAN:
        rows = ServicePlan.objects.visible_to(user)
    elif kind == ApprovalKind.EXCEPTION:
        rows = Referral.objects.visible_to(user)
    elif kind == ApprovalKind.NOTE:
        rows = CaseNote.objects.visible_to(user)
    else:
        rows = CaseNote.objects.none()
    return get_object_or_404(rows.filter(client__team_id__in=teams).select_related("client"), pk=pk)


def approval_decide(*, actor: User, kind: str, target: Any, decision: str, comment: str) -> Any:
    """Approve or return one item through its own app's service, which checks that the
    actor may decide (never on their own work) and that the item is still waiting. A
    return needs a comment; the services' messages about it are keyed `comment`."""
    comment = comment.strip()
    if decision not in Decision.values:
        raise ValidationError({"decision": _("Choose to approve or to return.")})
    if decision == Decision.RETURN and not comment:
        raise ValidationError({"comment": _("Say what needs to change before returning it.")})
    try:
        return _decide(actor=actor, kind=kind, target=target, decision=decision, comment=comment)
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            renamed = {
                ("comment" if field == "note" else field): messages
                for field, messages in error.message_dict.items()
            }
            raise ValidationError(renamed) from error
        raise


def _decide(*, actor: User, kind: str, target: Any, decision: str, comment: str) -> Any:
    approve = decision == Decision.APPROVE
    if kind == ApprovalKind.PLAN:
        if approve:
            return plan_services.plan_approve(actor=actor, plan=target)
        return plan_services.plan_return(actor=actor, plan=target, note=comment)
    if kind == ApprovalKind.EXCEPTION:
        if not approve:
            return exception_return(actor=actor, referral=target, note=comment)
        return referral_services.exception_review(actor=actor, referral=target, note=comment)
    if kind == ApprovalKind.NOTE:
        return note_services.note_cosign(actor=actor, note=target, approve=approve, comment=comment)
    raise ValidationError(_("Unknown kind of approval."))


def decided_state(kind: str, target: Any, decision: str) -> tuple[str, str]:
    """The item's state after a decision, as a code and in words."""
    if kind == ApprovalKind.PLAN:
        return target.status, str(PlanStatus(target.status).label)
    if kind == ApprovalKind.NOTE:
        return target.cosign_status, str(CosignStatus(target.cosign_status).label)
    if decision == Decision.APPROVE:
        return "upheld", _("Exception reviewed and upheld")
    return "not_upheld", _("Exception not upheld; the referral is %(status)s") % {
        "status": ReferralStatus(target.status).label.lower()
    }
