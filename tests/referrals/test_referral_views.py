"""Referral pages and the provider's link page: access, the packet, logging, query counts."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from casemgmt.accounts.models import Team, User
from clients.models import Client
from referrals.models import ProviderLinkAccess, Referral, ReferralStatus

from ..factories import make_client
from .referral_fixtures import active_goal, draft_referral, make_service, release_for

pytestmark = pytest.mark.django_db


def _as(http: HttpClient, user: User) -> HttpClient:
    http.force_login(user)
    return http


@pytest.mark.parametrize(
    ("role", "read", "write"),
    [
        ("case_manager", 200, 200),
        ("supervisor", 200, 200),
        ("teammate", 200, 403),
        ("other_team_case_manager", 404, 404),
        ("admin", 404, 404),
    ],
)
def test_access_matrix(
    request: pytest.FixtureRequest,
    client: HttpClient,
    case_manager: User,
    supervisor: User,
    north_client: Client,
    role: str,
    read: int,
    write: int,
) -> None:
    referral = draft_referral(north_client, case_manager, supervisor)
    _as(client, request.getfixturevalue(role))
    args = [north_client.pk, referral.pk]
    assert (
        client.get(reverse("referrals:referral_list", args=[north_client.pk])).status_code == read
    )
    assert client.get(reverse("referrals:referral_detail", args=args)).status_code == read
    assert client.get(reverse("referrals:referral_send", args=args)).status_code == write
    response = client.get(
        reverse("referrals:referral_new", args=[north_client.pk]),
        {"offer": str(referral.service_id)},
    )
    assert response.status_code == write


def test_making_and_sending_through_the_pages(
    client: HttpClient,
    case_manager: User,
    supervisor: User,
    north_client: Client,
    django_capture_on_commit_callbacks,
) -> None:
    chosen, other = make_service("Chosen housing"), make_service("Other housing")
    goal = active_goal(north_client, case_manager, supervisor)
    _as(client, case_manager)
    new_url = reverse("referrals:referral_new", args=[north_client.pk])
    page = client.get(new_url, {"offer": [str(chosen.pk), str(other.pk)], "goal": str(goal.pk)})
    assert "Chosen housing" in page.content.decode() and "Other housing" in page.content.decode()
    today = timezone.localdate()
    response = client.post(
        new_url,
        {
            "offer": [str(chosen.pk), str(other.pk)],
            "goal": goal.pk,
            "service": str(chosen.pk),
            "reason": "Eviction next month",
            "presenting_issue_summary": "Needs housing",
            "desired_services": "Rapid re-housing",
            "urgency": "urgent",
            "target_date": today.isoformat(),
            "review_date": today.isoformat(),
            "payer_type": "medicaid",
            "payer_name": "",
            "member_id": "",
        },
    )
    referral = Referral.objects.get()
    assert response["Location"] == reverse(
        "referrals:referral_packet", args=[north_client.pk, referral.pk]
    )
    send_url = reverse("referrals:referral_send", args=[north_client.pk, referral.pk])
    refused = client.post(
        send_url,
        {"provider_email": "intake@provider.example", "exception": "", "justification": ""},
    )
    assert "Nothing can be sent without consent" in refused.content.decode()
    release_for(north_client, case_manager, chosen)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            send_url,
            {"provider_email": "intake@provider.example", "exception": "", "justification": ""},
        )
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.SENT
    found = re.search(r"/r/([^/]+)/", str(mail.outbox[0].body))
    assert found is not None
    token = found.group(1)

    # The provider, with no account, in a separate browser session.
    provider = HttpClient()
    link_page = provider.get(
        reverse("referrals:provider_link", args=[token]), REMOTE_ADDR="198.51.100.7"
    )
    body = link_page.content.decode()
    assert link_page.status_code == 200
    assert north_client.legal_name in body and "Needs housing" in body
    assert north_client.presenting_issue not in body  # the back-story stays home
    provider.post(
        reverse("referrals:provider_link", args=[token]),
        {"action": "accept", "note": "We can take her"},
        REMOTE_ADDR="198.51.100.7",
    )
    provider.post(
        reverse("referrals:provider_link", args=[token]),
        {"action": "schedule_intake", "on": today.isoformat(), "note": ""},
        REMOTE_ADDR="198.51.100.7",
    )
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.IN_PROGRESS and referral.intake_on == today
    assert list(ProviderLinkAccess.objects.values_list("action", flat=True).order_by("at")) == [
        "view",
        "accept",
        "schedule_intake",
    ]
    assert all(a.ip_address == "198.51.100.7" for a in ProviderLinkAccess.objects.all())
    detail = client.get(
        reverse("referrals:referral_detail", args=[north_client.pk, referral.pk])
    ).content.decode()
    assert "We can take her" in detail and "via the referral link" in detail


def test_provider_cannot_do_staff_only_steps(
    case_manager: User, supervisor: User, north_client: Client
) -> None:
    from referrals.services import referrals as services

    referral = draft_referral(north_client, case_manager, supervisor)
    release_for(north_client, case_manager, referral.service)
    _sent, token = services.referral_send(
        actor=case_manager, referral=referral, provider_email="p@example.org"
    )
    provider = HttpClient()
    response = provider.post(
        reverse("referrals:provider_link", args=[token]), {"action": "cancel", "note": "x"}
    )
    assert "Check the date and try again" in response.content.decode()
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.SENT


def test_unknown_expired_and_revoked_links(
    case_manager: User, supervisor: User, north_client: Client
) -> None:
    from referrals.services import referrals as services

    assert HttpClient().get("/r/nothing-here/").status_code == 404
    referral = draft_referral(north_client, case_manager, supervisor)
    release_for(north_client, case_manager, referral.service)
    _sent, token = services.referral_send(
        actor=case_manager, referral=referral, provider_email="p@example.org"
    )
    services.provider_link_revoke(actor=case_manager, link=referral.links.get())
    response = HttpClient().get(f"/r/{token}/")
    assert response.status_code == 410 and "withdrawn" in response.content.decode()


def test_referral_list_query_count_is_flat(
    client: HttpClient, case_manager: User, supervisor: User, team_north: Team
) -> None:
    target = make_client(case_manager=case_manager, team=team_north)
    service = make_service()
    from referrals.services import referrals as services

    goal = active_goal(target, case_manager, supervisor)
    today = timezone.localdate()

    def add(n: int) -> None:
        for _ in range(n):
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

    _as(client, case_manager)
    url = reverse("referrals:referral_list", args=[target.pk])
    add(2)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    add(10)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(few) == len(many)


def test_exceptions_queue_is_for_supervisors(
    client: HttpClient, case_manager: User, supervisor: User
) -> None:
    assert _as(client, case_manager).get(reverse("referrals:exceptions")).status_code == 404
    assert _as(client, supervisor).get(reverse("referrals:exceptions")).status_code == 200


def test_exceptions_queue_query_count_is_flat(
    client: HttpClient, case_manager: User, supervisor: User, team_north: Team
) -> None:
    from referrals.services import referrals as services

    target = make_client(case_manager=case_manager, team=team_north)
    goal = active_goal(target, case_manager, supervisor)
    today = timezone.localdate()

    def add(n: int) -> None:
        for _ in range(n):
            service = make_service()
            referral = services.referral_create(
                actor=case_manager,
                goal=goal,
                service=service,
                offered=[service],
                data={
                    "reason": "r",
                    "presenting_issue_summary": "p",
                    "desired_services": "d",
                    "urgency": "emergency",
                    "target_date": today,
                    "review_date": today,
                },
            )
            services.referral_send(
                actor=case_manager,
                referral=referral,
                provider_email="crisis@example.org",
                exception="life_at_risk",
                justification="Imminent risk",
            )

    _as(client, supervisor)
    url = reverse("referrals:exceptions")
    add(2)
    with CaptureQueriesContext(connection) as few:
        assert "Imminent risk" in client.get(url).content.decode()
    add(8)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(few) == len(many)
