"""A directory service, an active plan goal and releases, for referral tests."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.utils import timezone

from careplans.models import Goal, PlanStatus
from casemgmt.accounts.models import User
from clients.models import Client, ReleaseCategory, ReleaseOfInformation
from referrals.models import Contact, Organization, Referral, Service
from referrals.services import referrals as services

from ..careplans.plan_fixtures import plan_in_status


def make_service(
    name: str = "Rapid Re-Housing",
    *,
    internal: bool = False,
    email: str = "intake@provider.example",
) -> Service:
    org = Organization.objects.create(
        id=uuid.uuid4(), name=f"{name} Org", description="A provider", is_internal=internal
    )
    service = Service.objects.create(
        id=uuid.uuid4(), organization=org, name=name, description="Helps people find housing."
    )
    Contact.objects.create(id=uuid.uuid4(), service=service, name="Intake desk", email=email)
    return service


def active_goal(client: Client, actor: User, approver: User) -> Goal:
    plan = plan_in_status(client, actor, PlanStatus.ACTIVE, approver=approver)
    return plan.goals.get()


def release_for(
    client: Client, actor: User, service: Service, **overrides: Any
) -> ReleaseOfInformation:
    today = timezone.localdate()
    data: dict[str, Any] = {
        "client": client,
        "discloser": "Test Agency",
        "recipient_organization_id": service.organization_id,
        "recipient_name": service.provider_name,
        "purposes": ["referral"],
        "categories": [ReleaseCategory.GENERAL],
        "effective_on": today - dt.timedelta(days=1),
        "expires_on": today + dt.timedelta(days=365),
        "signer_name": client.legal_name,
        "signer_relationship": "self",
        "signature_method": "wet",
        "signed_on": today - dt.timedelta(days=1),
        "ack_right_to_revoke": True,
        "ack_no_conditioning": True,
        "ack_redisclosure": True,
        "created_by": actor,
    }
    data.update(overrides)
    return ReleaseOfInformation.objects.create(**data)


def draft_referral(
    client: Client, actor: User, approver: User, service: Service | None = None, **data: Any
) -> Referral:
    service = service or make_service()
    goal = active_goal(client, actor, approver)
    today = timezone.localdate()
    values = {
        "reason": "Needs housing",
        "presenting_issue_summary": "Facing eviction.",
        "desired_services": "Rapid re-housing",
        "urgency": "urgent",
        "target_date": today + dt.timedelta(days=30),
        "review_date": today + dt.timedelta(days=14),
        **data,
    }
    return services.referral_create(
        actor=actor, goal=goal, service=service, offered=[service], data=values
    )
