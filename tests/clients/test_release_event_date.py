"""A release that ends on an event has expired from the day the event happened, not before."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from casemgmt.accounts.models import User
from clients.models import Client, ReleaseOfInformation, ReleaseStatus
from clients.release_services import release_mark_event_expired, release_revoke

from ..referrals.referral_fixtures import make_service, release_for

pytestmark = pytest.mark.django_db


def test_event_expiry_counts_from_the_day_it_happened(
    case_manager: User, north_client: Client
) -> None:
    today = timezone.localdate()
    release = release_for(
        north_client,
        case_manager,
        make_service(),
        expires_on=None,
        effective_on=today - dt.timedelta(days=30),
        expiration_event="Discharge from the shelter",
    )
    release_mark_event_expired(
        actor=case_manager,
        release=release,
        note="Left the shelter",
        happened_on=today - dt.timedelta(days=10),
    )
    release.refresh_from_db()
    assert release.status_on(today - dt.timedelta(days=11)) == ReleaseStatus.ACTIVE
    assert release.status_on(today - dt.timedelta(days=10)) == ReleaseStatus.EXPIRED
    active = ReleaseOfInformation.objects.filter(pk=release.pk)
    assert active.active_on(today - dt.timedelta(days=11)).exists()
    assert not active.active_on(today).exists()
    assert release.event_note == "Left the shelter"


def test_a_release_not_yet_in_effect_can_be_withdrawn(
    case_manager: User, north_client: Client
) -> None:
    today = timezone.localdate()
    release = release_for(
        north_client,
        case_manager,
        make_service(),
        effective_on=today + dt.timedelta(days=7),
        signed_on=today,
    )
    release_revoke(
        actor=case_manager, release=release, revoked_on=today, method="Phoned to withdraw"
    )
    release.refresh_from_db()
    assert release.status_on(today + dt.timedelta(days=8)) == ReleaseStatus.REVOKED
