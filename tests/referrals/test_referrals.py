"""Referral rules: the consent gate, the accounting of disclosures, the provider link's
expiry and revocation, every status transition, follow-ups and exception review."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from casemgmt.accounts.models import Team, User
from clients.models import Client, ClientDocument, Disclosure, ReleaseCategory
from referrals.models import ProviderLinkAccess, ReferralEvent, ReferralStatus
from referrals.referral_selectors import add_business_days, follow_ups
from referrals.services import referrals as services

from ..factories import UserFactory
from .referral_fixtures import draft_referral, make_service, release_for

pytestmark = pytest.mark.django_db

STAFF = services.Actor


def _send(referral, actor: User, **kwargs):
    return services.referral_send(
        actor=actor, referral=referral, provider_email="intake@provider.example", **kwargs
    )


# --- Making it -------------------------------------------------------------------------------


def test_referral_from_a_goal_records_options_and_choice(
    case_manager: User, supervisor: User, north_client: Client
) -> None:
    chosen, other = make_service("Chosen"), make_service("Other", internal=True)
    from .referral_fixtures import active_goal

    goal = active_goal(north_client, case_manager, supervisor)
    today = timezone.localdate()
    referral = services.referral_create(
        actor=case_manager,
        goal=goal,
        service=chosen,
        offered=[chosen, other],
        data={
            "reason": "r",
            "presenting_issue_summary": "p",
            "desired_services": "d",
            "urgency": "routine",
            "target_date": today,
            "review_date": today,
        },
    )
    assert referral.status == ReferralStatus.DRAFT and not referral.is_internal
    assert {(o.service_id, o.chosen) for o in referral.options.all()} == {
        (chosen.pk, True),
        (other.pk, False),
    }
    assert referral.payer_type == north_client.payer_type
    assert "backstory" not in referral.packet_sections


def test_referrals_need_a_plan_in_force(case_manager: User, north_client: Client) -> None:
    from careplans.models import PlanStatus

    from ..careplans.plan_fixtures import plan_in_status

    goal = plan_in_status(north_client, case_manager, PlanStatus.DRAFT).goals.get()
    service = make_service()
    today = timezone.localdate()
    with pytest.raises(ValidationError) as caught:
        services.referral_create(
            actor=case_manager,
            goal=goal,
            service=service,
            offered=[service],
            data={
                "reason": "r",
                "presenting_issue_summary": "p",
                "desired_services": "d",
                "urgency": "routine",
                "target_date": today,
                "review_date": today,
            },
        )
    assert "goal" in caught.value.message_dict


# --- The consent gate -----------------------------------------------------------------------


def test_no_release_refuses_to_send(
    case_manager: User, supervisor: User, north_client: Client
) -> None:
    referral = draft_referral(north_client, case_manager, supervisor)
    with pytest.raises(ValidationError, match="No release of information names"):
        _send(referral, case_manager)
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.DRAFT
    assert not Disclosure.objects.exists() and not mail.outbox


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"expires_on": dt.date(2020, 1, 1), "effective_on": dt.date(2019, 1, 1)},
            "have expired, been revoked",
        ),
        ({"revoked_on": "today", "revocation_method": "In writing"}, "have expired, been revoked"),
        ({"effective_on": "tomorrow"}, "not yet in effect"),
        (
            {"expired_by_event": True, "expires_on": None, "expiration_event": "End of treatment"},
            "have expired",
        ),
    ],
)
def test_releases_not_in_effect_do_not_cover(
    case_manager: User,
    supervisor: User,
    north_client: Client,
    overrides: dict,
    message: str,
) -> None:
    today = timezone.localdate()
    values = {
        k: (today if v == "today" else today + dt.timedelta(days=1) if v == "tomorrow" else v)
        for k, v in overrides.items()
    }
    referral = draft_referral(north_client, case_manager, supervisor)
    release_for(north_client, case_manager, referral.service, **values)
    with pytest.raises(ValidationError, match=message):
        _send(referral, case_manager)


def test_a_release_to_another_recipient_does_not_cover(
    case_manager: User, supervisor: User, north_client: Client
) -> None:
    referral = draft_referral(north_client, case_manager, supervisor)
    release_for(north_client, case_manager, make_service("Someone else"))
    with pytest.raises(ValidationError, match="No release of information names"):
        _send(referral, case_manager)


def test_every_category_in_the_packet_must_be_covered(
    case_manager: User,
    supervisor: User,
    north_client: Client,
    tmp_path,
    settings,
) -> None:
    settings.MEDIA_ROOT = tmp_path
    referral = draft_referral(north_client, case_manager, supervisor)
    release = release_for(north_client, case_manager, referral.service)
    services.referral_set_packet(
        actor=case_manager,
        referral=referral,
        sections=[*referral.packet_sections, "substance_use"],
        document_ids=[],
    )
    with pytest.raises(ValidationError, match="does not cover everything"):
        _send(referral, case_manager)
    release.delete()
    referral.refresh_from_db()
    release_for(
        north_client,
        case_manager,
        referral.service,
        categories=[ReleaseCategory.GENERAL, ReleaseCategory.SUD_PART2],
    )
    from django.core.files.base import ContentFile

    hiv = ClientDocument.objects.create(
        client=north_client,
        title="Lab result",
        category=ReleaseCategory.HIV,
        uploaded_by=case_manager,
        file=ContentFile(b"%PDF-1.4", name="lab.pdf"),
    )
    services.referral_set_packet(
        actor=case_manager,
        referral=referral,
        sections=referral.packet_sections,
        document_ids=[hiv.pk],
    )
    with pytest.raises(ValidationError, match="does not cover everything"):
        _send(referral, case_manager)
    services.referral_set_packet(
        actor=case_manager, referral=referral, sections=referral.packet_sections, document_ids=[]
    )
    sent, _token = _send(referral, case_manager)
    assert sent.status == ReferralStatus.SENT
    disclosure = Disclosure.objects.get()
    assert disclosure.redisclosure_notice  # Part 2 went out with the notice
    assert set(disclosure.categories) == {"general", "sud_part2"}


def test_sending_under_a_release_discloses_logs_and_emails_a_link(
    case_manager: User,
    supervisor: User,
    north_client: Client,
    django_capture_on_commit_callbacks,
) -> None:
    referral = draft_referral(north_client, case_manager, supervisor)
    release = release_for(north_client, case_manager, referral.service)
    with django_capture_on_commit_callbacks(execute=True):
        sent, token = _send(referral, case_manager, site_url="https://cw.example/")
    assert sent.release == release and sent.sent_at is not None
    disclosure = Disclosure.objects.get()
    assert disclosure.release == release and disclosure.recipient_name == str(
        referral.service.organization
    )
    assert "Name and date of birth" in disclosure.what
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["intake@provider.example"]
    assert f"https://cw.example/r/{token}/" in mail.outbox[0].body
    link = sent.links.get()
    assert link.token_hash != token and len(link.token_hash) == 64


def test_exception_path_needs_a_justification_and_a_supervisor_review(
    case_manager: User, supervisor: User, north_client: Client, team_north: Team
) -> None:
    referral = draft_referral(north_client, case_manager, supervisor)
    with pytest.raises(ValidationError) as caught:
        _send(referral, case_manager, exception="life_at_risk", justification=" ")
    assert "justification" in caught.value.message_dict
    _send(
        referral,
        case_manager,
        exception="life_at_risk",
        justification="Client in active crisis; the crisis unit must take over now.",
    )
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.SENT and referral.release is None
    disclosure = Disclosure.objects.get()
    assert disclosure.release is None and disclosure.exception.startswith("Life at risk")
    from referrals.referral_selectors import exceptions_awaiting_review

    assert list(exceptions_awaiting_review(supervisor)) == [referral]
    with pytest.raises(PermissionDenied):
        services.exception_review(actor=case_manager, referral=referral, note="fine")
    services.exception_review(
        actor=supervisor, referral=referral, note="Justified: called the crisis unit with her."
    )
    assert list(exceptions_awaiting_review(supervisor)) == []


def test_sender_cannot_review_their_own_exception(
    team_north: Team, supervisor: User, north_client: Client
) -> None:
    supervisor.is_case_manager = True
    supervisor.save()
    team_north.members.add(supervisor)
    referral = draft_referral(
        north_client, supervisor, UserFactory.create(is_supervisor=True, supervises=[team_north])
    )
    _send(referral, supervisor, exception="court_ordered", justification="Court order 123")
    with pytest.raises(PermissionDenied, match="other than the sender"):
        services.exception_review(actor=supervisor, referral=referral, note="ok")


def test_a_supervisor_who_sent_a_case_managers_referral_cannot_review_the_exception(
    team_north: Team, case_manager: User, supervisor: User, north_client: Client
) -> None:
    referral = draft_referral(north_client, case_manager, supervisor)
    _send(referral, supervisor, exception="life_at_risk", justification="Threat to life tonight")
    with pytest.raises(PermissionDenied, match="other than the sender"):
        services.exception_review(actor=supervisor, referral=referral, note="ok")
    second = UserFactory.create(is_supervisor=True, supervises=[team_north])
    reviewed = services.exception_review(actor=second, referral=referral, note="Justified")
    assert reviewed.exception_reviewed_by == second


def test_teammates_cannot_send(
    case_manager: User, teammate: User, supervisor: User, north_client: Client
) -> None:
    referral = draft_referral(north_client, case_manager, supervisor)
    release_for(north_client, case_manager, referral.service)
    with pytest.raises(PermissionDenied):
        _send(referral, teammate)


# --- The provider's link ------------------------------------------------------------------------


def _sent(case_manager: User, supervisor: User, client: Client):
    referral = draft_referral(client, case_manager, supervisor)
    release_for(client, case_manager, referral.service)
    return _send(referral, case_manager)


def test_link_works_until_expiry_then_refuses_and_logs(
    case_manager: User, supervisor: User, north_client: Client
) -> None:
    referral, token = _sent(case_manager, supervisor, north_client)
    link = services.provider_link_open(token, ip_address="203.0.113.9", user_agent="x")
    assert link.referral == referral
    later = timezone.now() + dt.timedelta(days=14, minutes=1)
    with time_machine.travel(later), pytest.raises(services.LinkUnusable) as caught:
        services.provider_link_open(token, ip_address="203.0.113.9", user_agent="x")
    assert caught.value.reason == "expired"
    actions = list(ProviderLinkAccess.objects.order_by("at").values_list("action", "ip_address"))
    assert actions == [("view", "203.0.113.9"), ("refused view", "203.0.113.9")]
    with pytest.raises(services.LinkUnusable):
        services.provider_link_open("not-a-token", ip_address=None, user_agent="")


def test_revoked_link_refuses_and_a_new_one_works(
    case_manager: User, supervisor: User, north_client: Client
) -> None:
    referral, token = _sent(case_manager, supervisor, north_client)
    services.provider_link_revoke(actor=case_manager, link=referral.links.get())
    with pytest.raises(services.LinkUnusable) as caught:
        services.provider_link_open(token, ip_address=None, user_agent="")
    assert caught.value.reason == "revoked"
    _link, fresh = services.provider_link_reissue(actor=case_manager, referral=referral)
    assert services.provider_link_open(fresh, ip_address=None, user_agent="").referral == referral


# --- Status transitions -------------------------------------------------------------------------


def test_the_closed_loop_through_every_step(
    case_manager: User,
    supervisor: User,
    north_client: Client,
    django_capture_on_commit_callbacks,
) -> None:
    referral, _token = _sent(case_manager, supervisor, north_client)
    provider = STAFF(label="Provider (via the referral link)", ip_address="198.51.100.4")
    today = timezone.localdate()
    with django_capture_on_commit_callbacks(execute=True):
        services.referral_act(actor=provider, referral=referral, action="accept", note="Yes")
    assert mail.outbox[-1].to == [case_manager.email]  # the case manager is told at once
    services.referral_act(actor=provider, referral=referral, action="tour", on=today)
    services.referral_act(actor=provider, referral=referral, action="schedule_intake", on=today)
    services.referral_act(
        actor=STAFF(user=case_manager), referral=referral, action="hold", note="Client in hospital"
    )
    services.referral_act(actor=STAFF(user=case_manager), referral=referral, action="resume")
    services.referral_act(actor=provider, referral=referral, action="start", on=today)
    services.referral_act(actor=provider, referral=referral, action="complete", outcome="connected")
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.COMPLETED and referral.responded_at is not None
    steps = list(
        ReferralEvent.objects.filter(referral=referral).values_list("from_status", "to_status")
    )
    assert steps == [
        ("", "draft"),
        ("draft", "sent"),
        ("sent", "accepted"),
        ("accepted", "accepted"),
        ("accepted", "in_progress"),
        ("in_progress", "on_hold"),
        ("on_hold", "in_progress"),
        ("in_progress", "in_progress"),
        ("in_progress", "completed"),
    ]
    provider_events = ReferralEvent.objects.filter(referral=referral, actor__isnull=True)
    assert all(e.actor_label and e.ip_address == "198.51.100.4" for e in provider_events)


@pytest.mark.parametrize(
    ("path", "action", "message"),
    [
        ([], "accept", "cannot become accepted"),  # a draft
        (["sent"], "complete", "cannot become completed"),
        (["sent", "decline"], "accept", "cannot become accepted"),
        (["sent", "cancel"], "schedule_intake", "once the provider has accepted"),
        (["sent", "accept"], "resume", "Only a referral on hold can be resumed"),
        (["sent"], "start", "once the provider has accepted"),
    ],
)
def test_illegal_transitions_are_refused(
    case_manager: User,
    supervisor: User,
    north_client: Client,
    path: list[str],
    action: str,
    message: str,
) -> None:
    referral = draft_referral(north_client, case_manager, supervisor)
    release_for(north_client, case_manager, referral.service)
    actor = STAFF(user=case_manager)
    for step in path:
        if step == "sent":
            _send(referral, case_manager)
        else:
            services.referral_act(actor=actor, referral=referral, action=step, note="because")
    referral.refresh_from_db()
    before = referral.status
    with pytest.raises(ValidationError, match=message):
        services.referral_act(
            actor=actor,
            referral=referral,
            action=action,
            note="n",
            on=timezone.localdate(),
            outcome="connected",
        )
    referral.refresh_from_db()
    assert referral.status == before


def test_decline_cancel_and_not_connected_need_reasons(
    case_manager: User, supervisor: User, north_client: Client
) -> None:
    referral, _token = _sent(case_manager, supervisor, north_client)
    actor = STAFF(user=case_manager)
    with pytest.raises(ValidationError):
        services.referral_act(actor=actor, referral=referral, action="decline")
    services.referral_act(actor=actor, referral=referral, action="accept")
    services.referral_act(
        actor=actor, referral=referral, action="schedule_intake", on=timezone.localdate()
    )
    with pytest.raises(ValidationError) as caught:
        services.referral_act(
            actor=actor, referral=referral, action="complete", outcome="connected"
        )
    assert "outcome" in caught.value.message_dict  # start date first
    with pytest.raises(ValidationError):
        services.referral_act(
            actor=actor, referral=referral, action="complete", outcome="not_connected"
        )
    services.referral_act(
        actor=actor,
        referral=referral,
        action="complete",
        outcome="not_connected",
        note="Moved out of county",
    )
    referral.refresh_from_db()
    assert referral.outcome_reason == "Moved out of county"


def test_handoff_attendance_and_fit_review(
    case_manager: User, supervisor: User, north_client: Client
) -> None:
    referral, _token = _sent(case_manager, supervisor, north_client)
    services.referral_handoff(
        actor=case_manager,
        referral=referral,
        contact="Ana at intake",
        at=timezone.now() - dt.timedelta(minutes=5),
        method="phone",
    )
    actor = STAFF(user=case_manager)
    services.referral_act(actor=actor, referral=referral, action="accept")
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    services.referral_act(actor=actor, referral=referral, action="schedule_intake", on=yesterday)
    services.referral_record_attendance(actor=case_manager, referral=referral, attended=True)
    with pytest.raises(ValidationError):
        services.referral_fit_review(
            actor=case_manager, referral=referral, decision="continue", note=""
        )
    services.referral_act(actor=actor, referral=referral, action="start", on=yesterday)
    with pytest.raises(ValidationError):
        services.referral_fit_review(
            actor=case_manager, referral=referral, decision="switch", note=""
        )
    services.referral_fit_review(
        actor=case_manager, referral=referral, decision="continue", note=""
    )
    referral.refresh_from_db()
    assert referral.handoff_contact == "Ana at intake" and referral.attended_intake is True
    assert referral.fit_review_decision == "continue"


# --- Follow-ups ---------------------------------------------------------------------------------


def test_business_days_skip_weekends() -> None:
    friday = dt.date(2026, 11, 20)
    assert add_business_days(friday, 1) == dt.date(2026, 11, 23)
    assert add_business_days(friday, 3) == dt.date(2026, 11, 25)


def test_follow_ups_are_computed_from_the_referral(
    case_manager: User, supervisor: User, north_client: Client, team_north: Team
) -> None:
    agency = team_north.agency
    monday = dt.datetime(2026, 11, 23, 10, tzinfo=dt.UTC)
    with time_machine.travel(monday, tick=False):
        referral, _token = _sent(case_manager, supervisor, north_client)
    kinds = lambda day: [f.kind for f in follow_ups(referral, agency, day)]  # noqa: E731
    assert kinds(dt.date(2026, 11, 25)) == []
    assert kinds(dt.date(2026, 11, 26)) == ["no_response"]
    actor = STAFF(user=case_manager)
    services.referral_act(actor=actor, referral=referral, action="accept")
    referral.intake_on = dt.date(2026, 12, 1)
    referral.status = ReferralStatus.IN_PROGRESS
    referral.save()
    assert kinds(dt.date(2026, 12, 1)) == []
    assert kinds(dt.date(2026, 12, 2)) == ["attendance"]
    referral.attended_intake = True
    referral.service_started_on = dt.date(2026, 12, 3)
    referral.save()
    assert kinds(dt.date(2027, 1, 31)) == []
    assert kinds(dt.date(2027, 2, 1)) == ["fit_review"]


def test_a_service_without_organization_takes_no_referrals(
    case_manager: User, supervisor: User, north_client: Client
) -> None:
    from .referral_fixtures import active_goal

    service = make_service("Orphan")
    service.organization = None
    service.save()
    goal = active_goal(north_client, case_manager, supervisor)
    today = timezone.localdate()
    with pytest.raises(ValidationError) as caught:
        services.referral_create(
            actor=case_manager,
            goal=goal,
            service=service,
            offered=[service],
            data={
                "reason": "r",
                "presenting_issue_summary": "p",
                "desired_services": "d",
                "urgency": "routine",
                "target_date": today,
                "review_date": today,
            },
        )
    assert caught.value.message_dict["service"] == [
        "This service has no organization in the directory: an administrator completes the "
        "entry before referrals are made to it."
    ]
    assert not service.referrals.exists()
