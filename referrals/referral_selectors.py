"""Reads of referrals, through the access policy; the packet a provider sees; follow-ups."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from careplans.models import Domain, MeasureAdministration
from casemgmt.accounts import policy
from casemgmt.accounts.models import Agency, User
from clients.models import Client

from .models import (
    PacketSection,
    ProviderLink,
    Referral,
    ReferralEvent,
    ReferralOption,
    ReferralStatus,
)

#: Statuses in which the referral is still travelling.
OPEN_STATUSES = (
    ReferralStatus.DRAFT,
    ReferralStatus.SENT,
    ReferralStatus.ACCEPTED,
    ReferralStatus.IN_PROGRESS,
    ReferralStatus.ON_HOLD,
)


def _with_details(referrals: QuerySet[Referral]) -> QuerySet[Referral]:
    return referrals.select_related(
        "client",
        "goal",
        "goal__plan",
        "service",
        "service__organization",
        "case_manager",
        "release",
        "exception_reviewed_by",
    )


def referrals_for_client(user: policy.AnyUser, client: Client) -> list[Referral]:
    return list(
        _with_details(Referral.objects.visible_to(user).filter(client=client)).order_by(
            "-created_at", "-pk"
        )
    )


def referral_for_user(user: policy.AnyUser, client: Client, pk: int) -> Referral:
    """One referral with its options, events and links; 404 outside scope."""
    return get_object_or_404(
        _with_details(Referral.objects.visible_to(user).filter(client=client)).prefetch_related(
            Prefetch(
                "options", queryset=ReferralOption.objects.select_related("service__organization")
            ),
            Prefetch("events", queryset=ReferralEvent.objects.select_related("actor")),
            Prefetch("links", queryset=ProviderLink.objects.order_by("-created_at")),
        ),
        pk=pk,
    )


def exceptions_awaiting_review(user: User) -> QuerySet[Referral]:
    """Referrals sent without consent that a supervisor of the client's team has not yet
    reviewed; oldest first."""
    teams = sorted(policy.supervised_team_ids(user))
    return (
        _with_details(Referral.objects.visible_to(user))
        .filter(client__team_id__in=teams, exception_reviewed_at__isnull=True)
        .exclude(consent_exception="")
        .order_by("sent_at", "pk")
    )


@dataclass(frozen=True)
class FollowUp:
    """Something due on a referral: what, since when, and whether it is overdue."""

    kind: str
    text: str
    due_on: dt.date
    overdue: bool


def add_business_days(start: dt.date, days: int) -> dt.date:
    day = start
    while days > 0:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day


def follow_ups(referral: Referral, agency: Agency, today: dt.date | None = None) -> list[FollowUp]:
    """What the case manager should do next on this referral, computed from its state:
    no answer from the provider after the agency's business days; the day after intake,
    did the client attend; the fit review some 60 days after services start."""
    today = today or timezone.localdate()
    items: list[FollowUp] = []
    if referral.status == ReferralStatus.SENT and referral.sent_at is not None:
        due = add_business_days(
            timezone.localtime(referral.sent_at).date(), agency.provider_response_business_days
        )
        if today >= due:
            items.append(
                FollowUp(
                    kind="no_response",
                    due_on=due,
                    overdue=today > due,
                    text=_("No answer from %(s)s since the referral was sent on %(d)s: call them.")
                    % {"s": referral.service.provider_name, "d": referral.sent_at.date()},
                )
            )
    if referral.intake_on is not None and referral.attended_intake is None:
        due = referral.intake_on + dt.timedelta(days=1)
        if today >= due and referral.status in (ReferralStatus.IN_PROGRESS, ReferralStatus.ON_HOLD):
            items.append(
                FollowUp(
                    kind="attendance",
                    due_on=due,
                    overdue=today > due,
                    text=_("Did the client attend intake on %(d)s?") % {"d": referral.intake_on},
                )
            )
    if referral.service_started_on is not None and referral.fit_review_on is None:
        due = referral.service_started_on + dt.timedelta(days=agency.fit_review_days)
        if today >= due and referral.status in (
            ReferralStatus.IN_PROGRESS,
            ReferralStatus.COMPLETED,
        ):
            items.append(
                FollowUp(
                    kind="fit_review",
                    due_on=due,
                    overdue=today > due,
                    text=_(
                        "Review how the service fits (%(n)s days after it started): continue, "
                        "switch provider or discharge."
                    )
                    % {"n": agency.fit_review_days},
                )
            )
    return items


@dataclass(frozen=True)
class PacketPart:
    label: str
    lines: list[str]


def packet(referral: Referral) -> list[PacketPart]:
    """The minimum-necessary packet: only the sections the case manager chose."""
    client = referral.client
    parts: list[PacketPart] = []
    chosen = set(referral.packet_sections)

    def add(section: PacketSection, lines: list[str]) -> None:
        if section in chosen:
            parts.append(PacketPart(label=str(section.label), lines=[ln for ln in lines if ln]))

    add(
        PacketSection.IDENTITY,
        [
            _("Name: %(n)s") % {"n": client.legal_name}
            + (
                _(" (goes by %(p)s)") % {"p": client.preferred_name}
                if client.preferred_name
                else ""
            ),
            _("Pronouns: %(p)s") % {"p": client.pronouns} if client.pronouns else "",
            _("Date of birth: %(d)s") % {"d": client.date_of_birth.isoformat()},
        ],
    )
    add(
        PacketSection.CONTACT,
        [
            _("Phone: %(p)s") % {"p": client.phone} if client.phone_ok_to_contact else "",
            _("E-mail: %(e)s") % {"e": client.email} if client.email_ok_to_contact else "",
            (
                _("Address: %(a)s, %(c)s %(z)s")
                % {"a": client.address_line1, "c": client.city, "z": client.postal_code}
            )
            if client.address_ok_to_contact and client.address_line1
            else "",
            ""
            if (client.phone_ok_to_contact or client.email_ok_to_contact)
            else _("Contact the client through the case manager."),
        ],
    )
    add(
        PacketSection.LANGUAGE,
        [
            client.primary_language
            + (_(" — needs an interpreter") if client.interpreter_needed else ""),
        ],
    )
    add(PacketSection.PRESENTING_ISSUE, [referral.presenting_issue_summary])
    add(PacketSection.DESIRED_SERVICES, [referral.desired_services])
    add(
        PacketSection.PAY_INFORMATION,
        [
            str(referral.get_payer_type_display()),
            referral.payer_name,
            _("Member id: %(m)s") % {"m": referral.member_id} if referral.member_id else "",
        ],
    )
    add(
        PacketSection.GOAL,
        [
            _("In the client's words: “%(w)s”") % {"w": referral.goal.client_words},
            _("Measured by: %(i)s (now %(b)s, aiming for %(t)s)")
            % {
                "i": referral.goal.indicator,
                "b": referral.goal.baseline,
                "t": referral.goal.target,
            },
        ],
    )
    if PacketSection.MEASURES in chosen:
        latest: dict[int, MeasureAdministration] = {}
        for measure in (
            MeasureAdministration.objects.filter(client=client)
            .select_related("instrument")
            .order_by("-administered_on", "-pk")
        ):
            latest.setdefault(measure.instrument_id, measure)
        add(
            PacketSection.MEASURES,
            [
                f"{m.instrument}: {m.total_score} ({m.band}), {m.administered_on.isoformat()}"
                for m in latest.values()
            ]
            or [_("No standardized measures recorded.")],
        )
    if chosen & {PacketSection.SUBSTANCE_USE, PacketSection.BACKSTORY}:
        assessment = referral.goal.plan.assessment
        needs = {n.domain: n for n in assessment.needs.all()}
        substance = needs.get(Domain.SUBSTANCE_USE)
        add(
            PacketSection.SUBSTANCE_USE,
            [
                f"{substance.get_level_display()}: {substance.notes}" if substance else "",
            ],
        )
        add(
            PacketSection.BACKSTORY,
            [
                _("Strengths: %(s)s") % {"s": assessment.strengths} if assessment.strengths else "",
                *[
                    f"{n.get_domain_display()} ({n.get_level_display()}): {n.notes}"
                    for n in needs.values()
                    if n.notes and n.domain != Domain.SUBSTANCE_USE
                ],
            ],
        )
    return parts
