"""Writes to referrals: making one from a plan goal with the client's choice, the packet,
the consent gate, sending with a secure provider link, every status change, the warm
hand-off, follow-ups, and the supervisor's review of consent exceptions."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from careplans.models import Goal, PlanStatus
from careplans.permissions import can_work_on_client
from casemgmt.accounts import policy
from casemgmt.accounts.models import Agency, User
from casemgmt.audit.history import save_with_history as _save
from clients.models import ClientDocument, ReleaseCategory, ReleaseOfInformation
from clients.services import disclosure_record

from ..models import (
    DEFAULT_SECTIONS,
    ConsentException,
    Outcome,
    PacketSection,
    ProviderLink,
    ProviderLinkAccess,
    Referral,
    ReferralEvent,
    ReferralOption,
    ReferralStatus,
    Service,
)


class InvalidTransition(ValidationError):
    """A status change the referral's current status does not allow."""


def _agency(referral: Referral) -> Agency:
    return Agency.for_team(referral.client.team_id)


def _require_worker(actor: User, referral: Referral) -> None:
    if not can_work_on_client(actor, referral.client):
        raise PermissionDenied(_("You can read this referral but not change it."))


@dataclass(frozen=True)
class Actor:
    """Who changed a referral: a staff member, or the provider through their link."""

    user: User | None = None
    label: str = ""
    ip_address: str | None = None

    def __str__(self) -> str:
        return str(self.user) if self.user else self.label


def _event(
    referral: Referral, *, actor: Actor, to: str, note: str = "", from_status: str | None = None
) -> ReferralEvent:
    return ReferralEvent.objects.create(
        referral=referral,
        from_status=referral.status if from_status is None else from_status,
        to_status=to,
        actor=actor.user,
        actor_label=actor.label,
        note=note,
        ip_address=actor.ip_address,
    )


def _move(
    referral: Referral, *, to: str, actor: Actor, note: str = "", fields: list[str] | None = None
) -> None:
    """Check and record a status change; the other fields named are saved with it."""
    if not referral.can_move_to(to):
        raise InvalidTransition(
            _("A referral that is %(current)s cannot become %(target)s.")
            % {
                "current": referral.get_status_display().lower(),
                "target": ReferralStatus(to).label.lower(),
            }
        )
    previous = referral.status
    referral.status = to
    referral.updated_at = timezone.now()
    _save(
        referral,
        actor=actor.user,
        reason=f"{previous} → {to}",
        update_fields=["status", "updated_at", *(fields or [])],
    )
    _event(referral, actor=actor, to=to, note=note, from_status=previous)


def _update(referral: Referral, *, actor: Actor, note: str, fields: list[str]) -> None:
    """A change that keeps the status (a date, an answer): saved and recorded as an event."""
    referral.updated_at = timezone.now()
    _save(referral, actor=actor.user, reason=note, update_fields=[*fields, "updated_at"])
    _event(referral, actor=actor, to=referral.status, note=note)


def _locked(referral: Referral) -> Referral:
    return (
        # Only the referral row is locked: the service's organization is an outer join now
        # that a service may have none (and FOR UPDATE cannot lock that side of one).
        Referral.objects.select_for_update(of=("self",))
        .select_related("client", "service__organization")
        .get(pk=referral.pk)
    )


# --- Making the referral -----------------------------------------------------------------


#: Why a service without an organization takes no referrals: releases of information name a
#: directory organization as recipient.
NO_ORGANIZATION = gettext_lazy(
    "This service has no organization in the directory: an administrator completes the entry "
    "before referrals are made to it."
)


@transaction.atomic
def referral_create(
    *,
    actor: User,
    goal: Goal,
    service: Service,
    offered: list[Service],
    data: dict[str, Any],
) -> Referral:
    """A draft referral for a goal of the plan in force, to the service the client chose
    among those offered. Internal or external follows from the service."""
    client = goal.plan.client
    if not can_work_on_client(actor, client):
        raise PermissionDenied(_("You can read this record but not change it."))
    if goal.plan.status not in (PlanStatus.ACTIVE, PlanStatus.UNDER_REVIEW):
        raise ValidationError(
            {"goal": _("Referrals are made for goals of a finalized plan that is in force.")}
        )
    if not Service.objects.offered().filter(pk=service.pk).exists():
        raise ValidationError({"service": _("This service is not taking referrals.")})
    if service.organization_id is None:
        raise ValidationError({"service": str(NO_ORGANIZATION)})
    if data["review_date"] < data["target_date"] - dt.timedelta(days=365):
        raise ValidationError({"review_date": _("Review the referral sooner.")})
    today = timezone.localdate()
    errors = {}
    if data["target_date"] < today:
        errors["target_date"] = _("The connect-by date cannot be in the past.")
    if data["review_date"] < today:
        errors["review_date"] = _("The review date cannot be in the past.")
    if errors:
        raise ValidationError(errors)
    referral = Referral(
        client=client,
        goal=goal,
        service=service,
        case_manager=actor,
        is_internal=service.is_internal,
        reason=data["reason"],
        presenting_issue_summary=data["presenting_issue_summary"],
        desired_services=data["desired_services"],
        urgency=data["urgency"],
        payer_type=data.get("payer_type", client.payer_type),
        payer_name=data.get("payer_name", client.payer_name),
        member_id=data.get("member_id", client.member_id),
        target_date=data["target_date"],
        review_date=data["review_date"],
        packet_sections=list(data.get("packet_sections") or DEFAULT_SECTIONS),
    )
    referral.full_clean()
    _save(referral, actor=actor, reason="Referral drafted")
    offered_ids = {s.pk for s in offered} | {service.pk}
    ReferralOption.objects.bulk_create(
        ReferralOption(referral=referral, service_id=pk, chosen=pk == service.pk)
        for pk in sorted(offered_ids, key=str)
    )
    _event(
        referral,
        actor=Actor(user=actor),
        to=ReferralStatus.DRAFT,
        from_status="",
        note=_("%(n)s option(s) offered; the client chose %(s)s")
        % {"n": len(offered_ids), "s": service},
    )
    return referral


@transaction.atomic
def referral_set_packet(
    *, actor: User, referral: Referral, sections: list[str], document_ids: list[int]
) -> Referral:
    """The minimum necessary: the sections and documents the case manager picks."""
    referral = _locked(referral)
    _require_worker(actor, referral)
    if referral.status != ReferralStatus.DRAFT:
        raise InvalidTransition(_("The packet cannot change after the referral is sent."))
    unknown = set(sections) - set(PacketSection.values)
    if unknown or not sections:
        raise ValidationError({"packet_sections": _("Choose what the packet contains.")})
    documents = ClientDocument.objects.filter(client=referral.client, pk__in=document_ids)
    if documents.count() != len(set(document_ids)):
        raise ValidationError({"packet_documents": _("Choose documents from this client's file.")})
    referral.packet_sections = sections
    referral.packet_documents = sorted(set(document_ids))
    _save(
        referral,
        actor=actor,
        reason="Packet chosen",
        update_fields=["packet_sections", "packet_documents"],
    )
    return referral


# --- The consent gate ------------------------------------------------------------------------


def packet_documents(referral: Referral) -> list[ClientDocument]:
    return list(
        ClientDocument.objects.filter(client=referral.client, pk__in=referral.packet_documents)
    )


def covering_releases(
    referral: Referral, *, on: dt.date | None = None
) -> QuerySet[ReleaseOfInformation]:
    """Releases in effect that name the service's organization as recipient and cover every
    category of information in the packet."""
    if referral.service.organization_id is None:
        # No directory organization, so no release can name it (and a release to a typed
        # recipient, whose organization is None too, must not match).
        return ReleaseOfInformation.objects.none()
    categories = sorted(referral.packet_categories(packet_documents(referral)))
    return (
        ReleaseOfInformation.objects.filter(
            client=referral.client,
            recipient_organization_id=referral.service.organization_id,
            categories__contains=categories,
        )
        .active_on(on or timezone.localdate())
        .order_by("-effective_on", "-pk")
    )


@dataclass(frozen=True)
class ConsentCheck:
    release: ReleaseOfInformation | None
    categories: list[str]
    problem: str


def consent_check(referral: Referral) -> ConsentCheck:
    """Which release covers the packet, or in plain words why none does."""
    categories = sorted(referral.packet_categories(packet_documents(referral)))
    release = covering_releases(referral).first()
    if release is not None:
        return ConsentCheck(release=release, categories=categories, problem="")
    labels = [str(ReleaseCategory(c).label) for c in categories]
    org = referral.service.organization
    if org is None:
        return ConsentCheck(release=None, categories=categories, problem=str(NO_ORGANIZATION))
    any_to_recipient = ReleaseOfInformation.objects.filter(
        client=referral.client, recipient_organization_id=org.pk
    )
    today = timezone.localdate()
    if not any_to_recipient.exists():
        problem = _("No release of information names %(org)s as recipient.") % {"org": org}
    elif not any_to_recipient.active_on(today).exists():
        problem = _(
            "The releases naming %(org)s have expired, been revoked or are not yet in effect."
        ) % {"org": org}
    else:
        problem = _("The release to %(org)s does not cover everything in the packet: %(cats)s.") % {
            "org": org,
            "cats": ", ".join(labels),
        }
    return ConsentCheck(release=None, categories=categories, problem=problem)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def referral_send(
    *,
    actor: User,
    referral: Referral,
    provider_email: str,
    exception: str = "",
    justification: str = "",
    site_url: str = "",
) -> tuple[Referral, str]:
    """Send the referral: only under a release covering the recipient and every category in
    the packet, or a consent exception (court-ordered, life at risk) with a written
    justification, which then waits for a supervisor's review. The disclosure goes into the
    client's accounting of disclosures; the provider is e-mailed a secure, expiring link.
    Returns the referral and the link's token (shown once; only its hash is kept)."""
    referral = _locked(referral)
    _require_worker(actor, referral)
    if referral.status != ReferralStatus.DRAFT:
        raise InvalidTransition(_("Only a draft referral can be sent."))
    if not provider_email.strip():
        raise ValidationError(
            {"provider_email": _("Give the provider's e-mail address for the referral link.")}
        )
    check = consent_check(referral)
    if check.release is None:
        if exception not in ConsentException.values:
            raise ValidationError(
                {
                    "exception": _(
                        "Nothing can be sent without consent. %(p)s "
                        "Record a release first, or document an "
                        "exception."
                    )
                    % {"p": check.problem}
                }
            )
        if not justification.strip():
            raise ValidationError(
                {
                    "justification": _(
                        "Write why this referral cannot wait for the client's consent."
                    )
                }
            )
        referral.consent_exception = exception
        referral.exception_justification = justification.strip()
    else:
        referral.release = check.release
    agency = _agency(referral)
    now = timezone.now()
    referral.sent_at = now
    _move(
        referral,
        to=ReferralStatus.SENT,
        actor=Actor(user=actor),
        note=_("Sent under the release of %(d)s") % {"d": check.release.signed_on}
        if check.release
        else _("Sent without consent: %(e)s") % {"e": ConsentException(exception).label},
        fields=["sent_at", "release", "consent_exception", "exception_justification"],
    )
    documents = packet_documents(referral)
    what = "; ".join(
        [str(PacketSection(s).label) for s in referral.packet_sections]
        + [d.title for d in documents]
    )
    disclosure_record(
        actor=actor,
        client=referral.client,
        recipient_name=referral.service.provider_name,
        recipient_organization_id=referral.service.organization_id,
        what=what,
        categories=check.categories,
        release=check.release,
        exception=""
        if check.release
        else f"{ConsentException(exception).label}: {justification.strip()}",
        purpose=_("Referral to %(s)s") % {"s": referral.service},
    )
    token = secrets.token_urlsafe(32)
    link = ProviderLink.objects.create(
        referral=referral,
        token_hash=_token_hash(token),
        sent_to=provider_email.strip(),
        expires_at=now + dt.timedelta(days=agency.provider_link_days),
    )
    url = site_url.rstrip("/") + reverse("referrals:provider_link", args=[token])
    transaction.on_commit(lambda: _email_provider(link, url))
    return referral, token


def _email_provider(link: ProviderLink, url: str) -> None:
    referral = link.referral
    send_mail(
        subject=_("Referral from %(agency)s") % {"agency": _agency(referral)},
        message=_(
            "You have received a referral for %(service)s.\n\n"
            "Open it here (the link works until %(expires)s):\n%(url)s\n\n"
            "The page shows only the information the client agreed to share, and lets you "
            "accept or decline, schedule intake and confirm the start of services. No account "
            "is needed. Please do not forward this link."
        )
        % {"service": referral.service, "expires": link.expires_at.date().isoformat(), "url": url},
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[link.sent_to],
    )


def exception_sender_id(referral: Referral) -> int | None:
    """Who sent the referral under the exception (the staff member on its "sent" event)."""
    return (
        ReferralEvent.objects.filter(referral=referral, to_status=ReferralStatus.SENT)
        .exclude(actor=None)
        .order_by("at", "pk")
        .values_list("actor_id", flat=True)
        .first()
    )


@transaction.atomic
def exception_review(*, actor: User, referral: Referral, note: str) -> Referral:
    """A supervisor of the client's team reviews a referral sent without consent; the
    sender cannot review their own exception."""
    referral = _locked(referral)
    if referral.client.team_id not in policy.supervised_team_ids(actor):
        raise PermissionDenied(_("Only a supervisor of the client's team reviews this."))
    if actor.pk in {referral.case_manager_id, exception_sender_id(referral)}:
        raise PermissionDenied(_("Someone other than the sender reviews the exception."))
    if not referral.consent_exception:
        raise ValidationError(_("This referral was sent with the client's consent."))
    if referral.exception_reviewed_at is not None:
        raise ValidationError(_("This exception was already reviewed."))
    if not note.strip():
        raise ValidationError({"note": _("Write the outcome of your review.")})
    referral.exception_reviewed_by = actor
    referral.exception_reviewed_at = timezone.now()
    referral.exception_review_note = note.strip()
    _update(
        referral,
        actor=Actor(user=actor),
        note=_("Consent exception reviewed: %(n)s") % {"n": note.strip()},
        fields=["exception_reviewed_by", "exception_reviewed_at", "exception_review_note"],
    )
    return referral


# --- Status changes ---------------------------------------------------------------------------


def _required(value: Any, field: str, message: str) -> None:
    if value in (None, ""):
        raise ValidationError({field: message})


def referral_act(
    *,
    actor: Actor,
    referral: Referral,
    action: str,
    note: str = "",
    on: dt.date | None = None,
    outcome: str = "",
) -> Referral:
    """One step of the referral, by staff or by the provider through the link."""
    with transaction.atomic():
        referral = _locked(referral)
        if actor.user is not None:
            _require_worker(actor.user, referral)
        handler = ACTIONS.get(action)
        if handler is None:
            raise ValidationError(_("Unknown action."))
        handler(referral, actor, note.strip(), on, outcome)
        first_answer = action in ("accept", "decline") and referral.responded_at is None
        if first_answer:
            referral.responded_at = timezone.now()
            referral.save(update_fields=["responded_at"])
    if actor.user is None:
        transaction.on_commit(lambda: _email_case_manager(referral, action, note))
    return referral


def _accept(referral: Referral, actor: Actor, note: str, on: dt.date | None, _o: str) -> None:
    _move(referral, to=ReferralStatus.ACCEPTED, actor=actor, note=note)


def _decline(referral: Referral, actor: Actor, note: str, on: dt.date | None, _o: str) -> None:
    _required(note, "note", _("Say why the referral is declined."))
    referral.rejection_reason = note
    _move(referral, to=ReferralStatus.REJECTED, actor=actor, note=note, fields=["rejection_reason"])


def _cancel(referral: Referral, actor: Actor, note: str, on: dt.date | None, _o: str) -> None:
    _required(note, "note", _("Say why the referral is cancelled."))
    referral.cancel_reason = note
    _move(referral, to=ReferralStatus.CANCELLED, actor=actor, note=note, fields=["cancel_reason"])


def _schedule_intake(
    referral: Referral, actor: Actor, note: str, on: dt.date | None, _o: str
) -> None:
    _required(on, "on", _("Give the intake date."))
    referral.intake_on = on
    referral.attended_intake = None
    label = _("Intake scheduled for %(d)s") % {"d": on}
    if referral.status == ReferralStatus.ACCEPTED:
        _move(
            referral,
            to=ReferralStatus.IN_PROGRESS,
            actor=actor,
            note=f"{label}. {note}".strip(),
            fields=["intake_on", "attended_intake"],
        )
    elif referral.status in (ReferralStatus.IN_PROGRESS, ReferralStatus.ON_HOLD):
        _update(
            referral,
            actor=actor,
            note=f"{label}. {note}".strip(),
            fields=["intake_on", "attended_intake"],
        )
    else:
        raise InvalidTransition(_("Intake is scheduled once the provider has accepted."))


def _tour(referral: Referral, actor: Actor, note: str, on: dt.date | None, _o: str) -> None:
    _required(on, "on", _("Give the date of the tour."))
    if referral.status not in (ReferralStatus.ACCEPTED, ReferralStatus.IN_PROGRESS):
        raise InvalidTransition(_("A tour is arranged once the provider has accepted."))
    referral.tour_on = on
    _update(referral, actor=actor, note=_("Tour on %(d)s") % {"d": on}, fields=["tour_on"])


def _start(referral: Referral, actor: Actor, note: str, on: dt.date | None, _o: str) -> None:
    _required(on, "on", _("Give the date services started."))
    assert on is not None  # noqa: S101 - checked above
    if on > timezone.localdate():
        raise ValidationError({"on": _("The start date cannot be in the future.")})
    referral.service_started_on = on
    label = _("Service started on %(d)s") % {"d": on}
    if referral.status == ReferralStatus.ACCEPTED:
        _move(
            referral,
            to=ReferralStatus.IN_PROGRESS,
            actor=actor,
            note=label,
            fields=["service_started_on"],
        )
    elif referral.status == ReferralStatus.IN_PROGRESS:
        _update(referral, actor=actor, note=label, fields=["service_started_on"])
    else:
        raise InvalidTransition(_("Services start once the provider has accepted."))


def _hold(referral: Referral, actor: Actor, note: str, on: dt.date | None, _o: str) -> None:
    _required(note, "note", _("Say why the referral is on hold."))
    _move(referral, to=ReferralStatus.ON_HOLD, actor=actor, note=note)


def _resume(referral: Referral, actor: Actor, note: str, on: dt.date | None, _o: str) -> None:
    if referral.status != ReferralStatus.ON_HOLD:
        raise InvalidTransition(_("Only a referral on hold can be resumed."))
    _move(referral, to=ReferralStatus.IN_PROGRESS, actor=actor, note=note)


def _complete(
    referral: Referral, actor: Actor, note: str, on: dt.date | None, outcome: str
) -> None:
    if not referral.can_move_to(ReferralStatus.COMPLETED):
        raise InvalidTransition(
            _("A referral that is %(current)s cannot become completed.")
            % {"current": referral.get_status_display().lower()}
        )
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": _("Say whether the client was connected.")})
    if outcome == Outcome.NOT_CONNECTED and not note:
        raise ValidationError({"note": _("Say why the client was not connected.")})
    if outcome == Outcome.CONNECTED and referral.service_started_on is None:
        raise ValidationError({"outcome": _("Record the date services started first.")})
    referral.outcome = outcome
    referral.outcome_reason = note
    _move(
        referral,
        to=ReferralStatus.COMPLETED,
        actor=actor,
        note=f"{Outcome(outcome).label}. {note}".strip(),
        fields=["outcome", "outcome_reason"],
    )


def _fail(referral: Referral, actor: Actor, note: str, on: dt.date | None, _o: str) -> None:
    _required(note, "note", _("Say what went wrong."))
    referral.outcome_reason = note
    _move(referral, to=ReferralStatus.FAILED, actor=actor, note=note, fields=["outcome_reason"])


ACTIONS = {
    "accept": _accept,
    "decline": _decline,
    "cancel": _cancel,
    "schedule_intake": _schedule_intake,
    "tour": _tour,
    "start": _start,
    "hold": _hold,
    "resume": _resume,
    "complete": _complete,
    "fail": _fail,
}
#: What the receiving provider may do through the link.
PROVIDER_ACTIONS = ("accept", "decline", "schedule_intake", "tour", "start", "complete")


def _email_case_manager(referral: Referral, action: str, note: str) -> None:
    send_mail(
        subject=_("Referral update: %(client)s, %(service)s")
        % {"client": referral.client.record_number, "service": referral.service},
        message=_("The provider recorded: %(action)s.%(note)s\nThe referral is now %(status)s.")
        % {
            "action": action.replace("_", " "),
            "note": f" {note}" if note else "",
            "status": referral.get_status_display().lower(),
        },
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[referral.case_manager.email],
    )


# --- Warm hand-off and follow-ups ---------------------------------------------------------------


@transaction.atomic
def referral_handoff(
    *, actor: User, referral: Referral, contact: str, at: dt.datetime, method: str
) -> Referral:
    """The warm hand-off: who at the provider the case manager spoke to, when and how."""
    referral = _locked(referral)
    _require_worker(actor, referral)
    if referral.status == ReferralStatus.DRAFT:
        raise InvalidTransition(_("Record the hand-off after sending the referral."))
    errors = {}
    if not contact.strip():
        errors["contact"] = _("Name the person you spoke to.")
    if not method.strip():
        errors["method"] = _("Say how (phone, in person, video …).")
    if at > timezone.now():
        errors["at"] = _("The hand-off cannot be in the future.")
    if errors:
        raise ValidationError(errors)
    referral.handoff_contact, referral.handoff_at = contact.strip(), at
    referral.handoff_method = method.strip()
    _update(
        referral,
        actor=Actor(user=actor),
        note=_("Warm hand-off: spoke with %(c)s by %(m)s") % {"c": contact, "m": method},
        fields=["handoff_contact", "handoff_at", "handoff_method"],
    )
    return referral


@transaction.atomic
def referral_record_attendance(
    *, actor: User, referral: Referral, attended: bool, note: str = ""
) -> Referral:
    """The day after intake: did the client attend?"""
    referral = _locked(referral)
    _require_worker(actor, referral)
    if referral.intake_on is None or referral.intake_on > timezone.localdate():
        raise ValidationError(_("Attendance is recorded after the intake date."))
    referral.attended_intake = attended
    _update(
        referral,
        actor=Actor(user=actor),
        note=(
            _("The client attended intake") if attended else _("The client did not attend intake")
        )
        + (f". {note}" if note else ""),
        fields=["attended_intake"],
    )
    return referral


FIT_DECISIONS = {
    "continue": _("Continue with this provider"),
    "switch": _("Switch provider"),
    "discharge": _("Discharge from this service"),
}


@transaction.atomic
def referral_fit_review(*, actor: User, referral: Referral, decision: str, note: str) -> Referral:
    """About 60 days after services start: is this the right provider?"""
    referral = _locked(referral)
    _require_worker(actor, referral)
    if referral.service_started_on is None:
        raise ValidationError(_("The fit review follows the start of services."))
    if decision not in FIT_DECISIONS:
        raise ValidationError({"decision": _("Choose a decision.")})
    if decision != "continue" and not note.strip():
        raise ValidationError({"note": _("Explain the decision.")})
    referral.fit_review_on = timezone.localdate()
    referral.fit_review_decision = decision
    _update(
        referral,
        actor=Actor(user=actor),
        note=f"{FIT_DECISIONS[decision]}. {note}".strip(),
        fields=["fit_review_on", "fit_review_decision"],
    )
    return referral


# --- The provider's link -----------------------------------------------------------------------


class LinkUnusable(Exception):
    """The link is unknown, expired or revoked."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def provider_link_open(
    token: str, *, ip_address: str | None, user_agent: str, action: str = "view", note: str = ""
) -> ProviderLink:
    """The link for a token, logging the access; LinkUnusable when it may not be used.
    Attempts on expired or revoked links are logged too."""
    link = (
        ProviderLink.objects.select_related("referral__client", "referral__service")
        .filter(token_hash=_token_hash(token))
        .first()
    )
    if link is None:
        raise LinkUnusable("unknown")
    usable = link.is_usable()
    ProviderLinkAccess.objects.create(
        link=link,
        ip_address=ip_address,
        user_agent=user_agent[:300],
        action=action if usable else f"refused {action}",
        note=note,
    )
    if not usable:
        raise LinkUnusable("revoked" if link.revoked_at else "expired")
    return link


@transaction.atomic
def provider_link_revoke(*, actor: User, link: ProviderLink) -> ProviderLink:
    _require_worker(actor, link.referral)
    if link.revoked_at is None:
        link.revoked_at = timezone.now()
        link.revoked_by = actor
        link.save(update_fields=["revoked_at", "revoked_by"])
        _event(
            link.referral,
            actor=Actor(user=actor),
            to=link.referral.status,
            note=_("Provider link to %(e)s revoked") % {"e": link.sent_to},
        )
    return link


@transaction.atomic
def provider_link_reissue(
    *, actor: User, referral: Referral, site_url: str = ""
) -> tuple[ProviderLink, str]:
    """A fresh link (the old ones are revoked), e.g. after expiry."""
    referral = _locked(referral)
    _require_worker(actor, referral)
    if referral.status in (
        ReferralStatus.DRAFT,
        ReferralStatus.COMPLETED,
        ReferralStatus.CANCELLED,
        ReferralStatus.REJECTED,
        ReferralStatus.FAILED,
    ):
        raise InvalidTransition(_("Only a referral that is under way has a provider link."))
    previous = referral.links.filter(revoked_at__isnull=True).first()
    for old in referral.links.filter(revoked_at__isnull=True):
        provider_link_revoke(actor=actor, link=old)
    email = previous.sent_to if previous else referral.links.first().sent_to  # type: ignore[union-attr]
    token = secrets.token_urlsafe(32)
    link = ProviderLink.objects.create(
        referral=referral,
        token_hash=_token_hash(token),
        sent_to=email,
        expires_at=timezone.now() + dt.timedelta(days=_agency(referral).provider_link_days),
    )
    url = site_url.rstrip("/") + reverse("referrals:provider_link", args=[token])
    transaction.on_commit(lambda: _email_provider(link, url))
    return link, token
