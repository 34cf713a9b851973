"""The collaterals and crisis part of the demo data: people in the lives of a few demo clients
of `manage.py seed_demo` — most named in a release of information, one not (so the "no active
release" warning shows), one no longer involved — and two crisis events, one still open (the
banner on every page of that client, its follow-up due tomorrow) and one closed after its
follow-up.

Everything is written through the services, acting as the client's own case manager, so the
history rows read as they would in the application. Where `time_machine` is installed (the
dev dependency group, so `make demo`) the past steps run at their dates, as in
`careplans.demo` and `referrals.demo`.

Every person here is fictional; phone numbers use the 555-01xx range reserved for fiction,
e-mail addresses the example.* domains.

Deterministic: the scenes go to the first active demo clients, by record number, who have no
collateral and no crisis event yet. Idempotent: a scene whose first collateral exists (by
name) is left alone, so a second run creates nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef
from django.utils import timezone

from casemgmt.accounts.models import Agency, User

from .collateral_services import collateral_create, collateral_set_involved
from .crisis_services import crisis_event_close, crisis_event_record
from .models import (
    Client,
    ClientStatus,
    Collateral,
    CollateralRelationship,
    CrisisAction,
    CrisisEvent,
    CrisisOutcome,
    DistressLevel,
    ReleaseCategory,
    ReleasePurpose,
)
from .release_services import release_record

try:
    import time_machine
except ImportError:  # pragma: no cover - installed with the dev dependency group
    time_machine = None  # type: ignore[assignment]


@dataclass(frozen=True)
class CollateralSpec:
    name: str
    relationship: str
    detail: str = ""
    organization: str = ""
    phone: str = ""
    email: str = ""
    best_way: str = ""
    emergency: bool = False
    notes: str = ""
    #: Days ago the release naming them was signed; None: no release.
    release_days_ago: int | None = None
    #: Days the release lasts from signing; None: until `release_event`.
    release_days: int | None = 365
    release_event: str = ""
    purposes: tuple[str, ...] = (ReleasePurpose.COORDINATION,)
    involved: bool = True


@dataclass(frozen=True)
class CrisisSpec:
    days_ago: int
    hour: int
    level: str
    description: str
    actions: tuple[str, ...]
    outcome: str
    follow_up_in: int
    actions_detail: str = ""
    consulted_with: str = ""
    crisis_professional: str = ""
    outcome_detail: str = ""
    safety_plan: str = ""
    #: Days after the event the follow-up was done; None: still open.
    closed_after: int | None = None
    closing_note: str = ""


@dataclass(frozen=True)
class Scene:
    collaterals: tuple[CollateralSpec, ...]
    crisis: CrisisSpec | None = None


SCENES = (
    Scene(
        collaterals=(
            CollateralSpec(
                "Gloria Benítez",
                CollateralRelationship.FAMILY,
                detail="Aunt; the client stays with her at weekends",
                phone="(305) 555-0142",
                best_way="Mobile, after 6 pm",
                emergency=True,
                notes="Drives the client to appointments when she can.",
                release_days_ago=20,
                purposes=(ReleasePurpose.FAMILY, ReleasePurpose.COORDINATION),
            ),
            CollateralSpec(
                "Officer Darnell Price",
                CollateralRelationship.PROBATION,
                detail="Probation officer",
                organization="Miami-Dade County Probation",
                phone="(305) 555-0177",
                email="d.price@probation.example.gov",
                best_way="Office phone, mornings",
                notes="Monthly check-ins. The client has not signed a release for him yet.",
            ),
        ),
        crisis=CrisisSpec(
            days_ago=1,
            hour=15,
            level=DistressLevel.ACUTE,
            description=(
                "The client called in tears after an eviction notice was taped to the door. "
                'Said "I can\'t do this anymore" and then "I wouldn\'t hurt myself, I just '
                "don't know where we'll go.\" No plan or means when asked directly."
            ),
            actions=(
                CrisisAction.RESPONDED,
                CrisisAction.LISTENED,
                CrisisAction.CONSULTED,
                CrisisAction.PLANNED,
            ),
            actions_detail=(
                "Stayed on the phone about 40 minutes. Asked directly about suicidal thoughts, "
                "plan and means. Offered 988."
            ),
            consulted_with="Supervisor (by phone, same afternoon)",
            outcome=CrisisOutcome.STABILIZED,
            outcome_detail="Calmer by the end of the call; the aunt came over for the night.",
            safety_plan=(
                "Call the aunt or 988 if the thoughts come back. Legal aid intake booked for "
                "Thursday about the eviction."
            ),
            follow_up_in=2,
        ),
    ),
    Scene(
        collaterals=(
            CollateralSpec(
                "Harold Jenkins",
                CollateralRelationship.LANDLORD,
                detail="Property manager",
                organization="Sunrise Gardens Apartments",
                phone="(786) 555-0119",
                email="office@sunrisegardens.example.com",
                best_way="Office, weekdays 9 to 5",
                release_days_ago=45,
                release_days=180,
                purposes=(ReleasePurpose.HOUSING,),
            ),
            CollateralSpec(
                "Dr. Nadia Rahman",
                CollateralRelationship.PROVIDER,
                detail="Primary care doctor",
                organization="Little River Family Clinic",
                phone="(305) 555-0163",
                best_way="Fax or the nurse line",
                release_days_ago=60,
                release_days=None,
                release_event="when the client stops seeing Dr. Rahman",
            ),
        ),
        crisis=CrisisSpec(
            days_ago=50,
            hour=11,
            level=DistressLevel.IMMINENT,
            description=(
                "At the office visit the client said they had been saving their pills and meant "
                "to take them all tonight. Agitated, would not sit down."
            ),
            actions=(
                CrisisAction.RESPONDED,
                CrisisAction.LISTENED,
                CrisisAction.CONSULTED,
                CrisisAction.ACTED,
                CrisisAction.PLANNED,
            ),
            actions_detail=(
                "Stayed with the client; asked a colleague to call the designated crisis "
                "professional, who came within 30 minutes."
            ),
            consulted_with="Supervisor; designated crisis professional",
            crisis_professional="Joanne Alvarez, designated crisis professional",
            outcome=CrisisOutcome.CRISIS_CENTER,
            outcome_detail="Went voluntarily to the crisis stabilization unit with the DCP.",
            safety_plan="Pills given to the clinic for safe disposal. Daily calls for a week.",
            follow_up_in=3,
            closed_after=3,
            closing_note=(
                "Visited the client after discharge from the crisis unit. Safety plan reviewed "
                "with them and their sister; outpatient appointment kept. Follow-up done."
            ),
        ),
    ),
    Scene(
        collaterals=(
            CollateralSpec(
                "Pastor Samuel Okonkwo",
                CollateralRelationship.FAITH,
                detail="Pastor at the client's church",
                organization="New Hope Fellowship",
                phone="(305) 555-0188",
                best_way="Church office, Tuesday to Friday",
                release_days_ago=10,
                purposes=(ReleasePurpose.COORDINATION,),
            ),
            CollateralSpec(
                "Yvette Charles",
                CollateralRelationship.FRIEND,
                detail="Former roommate",
                phone="(786) 555-0104",
                notes="Moved to Orlando in the spring.",
                involved=False,
            ),
        ),
    ),
)


@dataclass
class Tally:
    collaterals: int = 0
    releases: int = 0
    crisis_events: int = 0
    skipped: list[str] = field(default_factory=list)


@contextmanager
def _on(day: dt.date, hour: int, minute: int = 0) -> Iterator[None]:
    """Run the enclosed services as if on `day` at that time of day, where time_machine is
    installed; today runs at the real time, so nothing is stamped in the future."""
    if time_machine is None or day >= timezone.localdate():
        yield
        return
    moment = dt.datetime.combine(day, dt.time(hour, minute), tzinfo=timezone.get_current_timezone())
    with time_machine.travel(moment, tick=False):
        yield


def _candidates() -> list[Client]:
    """Active clients with a case manager and neither collaterals nor crisis events yet, by
    record number."""
    return list(
        Client.objects.filter(status=ClientStatus.ACTIVE, primary_case_manager__is_active=True)
        .exclude(Exists(Collateral.objects.filter(client=OuterRef("pk"))))
        .exclude(Exists(CrisisEvent.objects.filter(client=OuterRef("pk"))))
        .select_related("team", "primary_case_manager")
        .order_by("record_number")
    )


def _release(
    spec: CollateralSpec, collateral: Collateral, actor: User, agency: Agency, today: dt.date
) -> None:
    assert spec.release_days_ago is not None  # noqa: S101 - the caller checked
    signed = today - dt.timedelta(days=spec.release_days_ago)
    client = collateral.client
    expires = signed + dt.timedelta(days=spec.release_days) if spec.release_days else None
    with _on(signed, 10):
        release_record(
            actor=actor,
            client=client,
            data={
                "discloser": agency.name,
                "recipient_collateral": collateral,
                "recipient_details": ", ".join(
                    p for p in (collateral.organization, collateral.phone) if p
                ),
                "purposes": list(spec.purposes),
                "categories": [ReleaseCategory.GENERAL],
                "effective_on": signed,
                "expires_on": expires,
                "expiration_event": spec.release_event,
                "signer_name": client.legal_name,
                "signer_relationship": "self",
                "signature_method": "wet",
                "signed_on": signed,
                "ack_right_to_revoke": True,
                "ack_no_conditioning": True,
                "ack_redisclosure": True,
            },
        )


def _crisis(spec: CrisisSpec, client: Client, actor: User, today: dt.date, tally: Tally) -> None:
    day = today - dt.timedelta(days=spec.days_ago)
    occurred = dt.datetime.combine(day, dt.time(spec.hour), tzinfo=timezone.get_current_timezone())
    with _on(day, min(spec.hour + 2, 23)):
        event = crisis_event_record(
            actor=actor,
            client=client,
            data={
                "occurred_at": occurred,
                "distress_level": spec.level,
                "description": spec.description,
                "actions": list(spec.actions),
                "actions_detail": spec.actions_detail,
                "consulted_with": spec.consulted_with,
                "crisis_professional_involved": bool(spec.crisis_professional),
                "crisis_professional_name": spec.crisis_professional,
                "outcome": spec.outcome,
                "outcome_detail": spec.outcome_detail,
                "safety_plan": spec.safety_plan,
                "follow_up_on": day + dt.timedelta(days=spec.follow_up_in),
            },
        )
    tally.crisis_events += 1
    if spec.closed_after is not None:
        with _on(day + dt.timedelta(days=spec.closed_after), 16):
            crisis_event_close(actor=actor, event=event, closing_note=spec.closing_note)


def _play(scene: Scene, client: Client, today: dt.date, tally: Tally) -> None:
    actor = client.primary_case_manager
    agency = Agency.for_team(client.team_id)
    earliest = max(
        [c.release_days_ago or 0 for c in scene.collaterals]
        + [scene.crisis.days_ago if scene.crisis else 0]
    )
    for spec in scene.collaterals:
        with _on(today - dt.timedelta(days=earliest + 1), 9):
            collateral = collateral_create(
                actor=actor,
                client=client,
                data={
                    "name": spec.name,
                    "relationship": spec.relationship,
                    "relationship_detail": spec.detail,
                    "organization": spec.organization,
                    "phone": spec.phone,
                    "email": spec.email,
                    "best_way_to_reach": spec.best_way,
                    "is_emergency_contact": spec.emergency,
                    "notes": spec.notes,
                },
            )
        tally.collaterals += 1
        if spec.release_days_ago is not None:
            _release(spec, collateral, actor, agency, today)
            tally.releases += 1
        if not spec.involved:
            collateral_set_involved(actor=actor, collateral=collateral, involved=False)
    if scene.crisis is not None:
        _crisis(scene.crisis, client, actor, today, tally)


def seed_demo_collaterals_and_crises(clients: Sequence[Client] | None = None) -> list[str]:
    """Give a few demo clients collaterals (with and without a release naming them) and two
    crisis events, one open and one closed. `clients` (default: the first active clients by
    record number with neither yet) receive the scenes in order. Returns the summary lines."""
    today = timezone.localdate()
    tally = Tally()
    todo = [s for s in SCENES if not Collateral.objects.filter(name=s.collaterals[0].name).exists()]
    pool = list(clients) if clients is not None else _candidates()
    for scene in todo:
        if not pool:
            tally.skipped.append(scene.collaterals[0].name)
            continue
        _play(scene, pool.pop(0), today, tally)
    lines = [
        f"Collaterals: {tally.collaterals} created ({tally.releases} named in a release), "
        f"{len(SCENES) - len(todo)} demo scenes already present",
        f"Crisis events: {tally.crisis_events} created; "
        f"{CrisisEvent.objects.open().count()} open in the database",
    ]
    if tally.skipped:
        lines.append("  No client left for: " + ", ".join(tally.skipped))
    return lines
