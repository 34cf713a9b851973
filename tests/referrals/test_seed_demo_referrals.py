"""`manage.py seed_demo` gives the demo a provider directory and referrals in every state
(through `seed_demo_referrals`): counts, consent, follow-ups due, and only once."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction

from casemgmt.accounts.models import Agency
from clients.models import ReleaseOfInformation
from referrals.demo import ORGANIZATIONS, SERVICES, demo_id
from referrals.models import (
    Organization,
    Referral,
    ReferralEvent,
    ReferralOption,
    ReferralStatus,
    Service,
)
from referrals.referral_selectors import follow_ups
from referrals.services.referrals import covering_releases

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module", autouse=True)
def seeded(django_db_setup: None, django_db_blocker: Any) -> Iterator[str]:
    """Seed once for the module inside a transaction rolled back at the end; each test runs
    in a savepoint of it."""
    with django_db_blocker.unblock(), transaction.atomic():
        out = StringIO()
        call_command("seed_demo", stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)


def snapshot() -> dict[str, Any]:
    return {
        "organizations": Organization.objects.count(),
        "services": Service.objects.count(),
        "services_history": Service.history.count(),
        "referrals": Referral.objects.count(),
        "referrals_history": Referral.history.count(),
        "events": ReferralEvent.objects.count(),
        "options": ReferralOption.objects.count(),
        "releases": ReleaseOfInformation.objects.count(),
        "statuses": sorted(Counter(Referral.objects.values_list("status", flat=True)).items()),
        "verified": sorted(
            (str(pk), str(day)) for pk, day in Service.objects.values_list("pk", "last_verified_on")
        ),
    }


def test_the_directory(seeded: str) -> None:
    assert Organization.objects.count() == len(ORGANIZATIONS) == 11
    assert Service.objects.count() == len(SERVICES) == 14
    assert Organization.objects.filter(is_internal=True).count() == 2
    assert Service.objects.filter(accepting_new_clients=False).count() == 1
    # Fixed ids, so a second run finds them.
    assert Service.objects.filter(pk=demo_id("service", "Emergency shelter")).exists()
    agency = Agency.objects.get()
    stale = [
        s
        for s in Service.objects.all()
        if s.verification_stale(max_age_days=agency.stale_directory_days)
    ]
    assert len(stale) == 3
    assert Service.objects.filter(last_verified_on__isnull=True).count() == 1
    for service in Service.objects.prefetch_related(
        "categories", "contacts", "schedules", "service_at_locations__location__addresses"
    ):
        assert service.categories.exists()
        assert service.search_vector is not None
        assert service.contacts.get().email.endswith("@example.org")
        assert service.schedules.get().byday == "MO,TU,WE,TH,FR"
        address = service.service_at_locations.get().location.addresses.get()
        assert address.city in {"Miami", "Hialeah", "Homestead"}
    assert "Referrals: directory 11 organizations and 14 services created" in seeded


def test_referrals_in_every_state() -> None:
    statuses = Counter(Referral.objects.values_list("status", flat=True))
    assert statuses == {
        ReferralStatus.DRAFT: 2,
        ReferralStatus.SENT: 2,
        ReferralStatus.ACCEPTED: 1,
        ReferralStatus.IN_PROGRESS: 4,
        ReferralStatus.COMPLETED: 1,
        ReferralStatus.REJECTED: 1,
    }
    assert Referral.objects.values("client").distinct().count() == 11
    for referral in Referral.objects.all():
        assert 2 <= referral.options.count() <= 3
        assert referral.options.filter(chosen=True).get().service_id == referral.service_id
        assert referral.case_manager_id == referral.client.primary_case_manager_id
    assert Referral.objects.filter(is_internal=True).exists()
    rejected = Referral.objects.get(status=ReferralStatus.REJECTED)
    assert rejected.rejection_reason
    assert rejected.events.filter(
        actor__isnull=True, actor_label__endswith="(via the referral link)"
    ).exists()
    assert Referral.objects.get(status=ReferralStatus.COMPLETED).outcome == "connected"
    sent = Referral.objects.exclude(status=ReferralStatus.DRAFT)
    assert sent.exclude(handoff_contact="").count() >= sent.count() - 1


def test_nothing_is_sent_without_a_release() -> None:
    for referral in Referral.objects.exclude(status=ReferralStatus.DRAFT):
        assert referral.release is not None
        assert referral.consent_exception == ""
        assert referral.release.recipient_organization_id == referral.service.organization_id
        assert set(referral.packet_categories()) <= set(referral.release.categories)
    drafts = Referral.objects.filter(status=ReferralStatus.DRAFT)
    covered = [covering_releases(d).exists() for d in drafts]
    assert sorted(covered) == [False, True]  # one draft shows the consent gate


def test_follow_ups_are_due() -> None:
    agency = Agency.objects.get()
    due = Counter(
        f.kind
        for r in Referral.objects.select_related("service__organization")
        for f in follow_ups(r, agency)
    )
    assert due == {"no_response": 1, "attendance": 1, "fit_review": 1}


def test_second_run_creates_and_changes_nothing() -> None:
    before = snapshot()
    out = StringIO()

    call_command("seed_demo", stdout=out)

    assert snapshot() == before
    assert "11 referrals created" not in out.getvalue()
    assert "0 referrals created, 11 in the demo" in out.getvalue()
