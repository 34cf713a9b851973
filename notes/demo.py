"""The case-notes part of the demo data: a few months of documented contacts with the active
clients of `manage.py seed_demo`, written after the care plans and referrals they work on.

Featured stories, each on its own client where the caseload allows:

- plan review and linkage: an office visit, a follow-up call with the provider a referral
  was sent to (under the release the referral was sent with), the intake the client was
  accompanied to, and a text reminder — linked to the goal and the referral;
- monitoring: a home visit (with a late-entry addendum), a video call, an attempted visit
  and the call back;
- two late entries (signed days after the contact, so marked late);
- a correction: a signed note with an addendum putting a wrong date right;
- drafts: one nearly done, one written in wording the quality hints flag (so the demo
  shows them), one started and left past the signing deadline;
- co-signature: one case manager is set to need a supervisor's co-signature (staff in
  training); two of their notes are awaiting it, one was returned with a comment, the rest
  are co-signed;
- a collateral contact, only where a collateral with an active release is on file.

Every other active client gets one or two routine contacts. Everything is written through
the note services as the client's own case manager, with the team's supervisor co-signing,
so the rules (links of the same client, signing, the database lock) hold as in the
application. Sign times are passed to `note_sign`; where `time_machine` is installed (the
dev dependency group, so `make demo`) each step also runs at its moment, so created,
signed, co-signed and addendum times and the history agree with the story.

Deterministic: clients are taken in team and record-number order, the routine contacts
from a generator seeded with the record number. Idempotent: a client who already had notes
when the run began is left alone, and the co-signature setting is only ever switched on.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.utils import timezone

from careplans.models import Goal, PlanStatus, ServicePlan
from casemgmt.accounts.models import Agency, User
from clients.models import Client, ClientStatus, Collateral
from referrals.models import Referral, ReferralStatus

from .models import AddendumKind, CaseNote, ContactType, CosignStatus, NoteStatus
from .services import (
    addendum_add,
    collateral_release,
    note_cosign,
    note_draft_create,
    note_sign,
)

try:
    import time_machine
except ImportError:  # pragma: no cover - installed with the dev dependency group
    time_machine = None  # type: ignore[assignment]

SEED = 20260105
#: Plans whose goals a contact works on.
PLANS_IN_FORCE = (PlanStatus.ACTIVE, PlanStatus.UNDER_REVIEW)


@contextmanager
def _at(moment: dt.datetime) -> Iterator[None]:
    """Run the enclosed services as if at `moment`, where time_machine is installed; a
    moment that is not in the past runs at the real time."""
    if time_machine is None or moment >= timezone.now():
        yield
        return
    with time_machine.travel(moment, tick=False):
        yield


# --- What a note says ------------------------------------------------------------------------


@dataclass(frozen=True)
class AddendumSpec:
    kind: AddendumKind
    reason: str
    text: str
    after: dt.timedelta


@dataclass(frozen=True)
class NoteSpec:
    contact_type: ContactType
    at: dt.datetime
    minutes: int
    purpose: str
    observations: str = ""
    client_quotes: str = ""
    impressions: str = ""
    interventions: str = ""
    next_steps: str = ""
    location: str = ""
    client_present: bool = True
    other_participants: str = ""
    goals: tuple[Goal, ...] = ()
    referrals: tuple[Referral, ...] = ()
    collaterals: tuple[Collateral, ...] = ()
    #: Signed this long after the contact ended; None: left a draft.
    sign_after: dt.timedelta | None = dt.timedelta(hours=1)
    addendum: AddendumSpec | None = None
    #: Where the author needs a co-signature: "approve", "return" or "wait".
    cosign: str = "approve"
    cosign_comment: str = ""

    def data(self) -> dict[str, object]:
        return {
            "contact_at": self.at,
            "duration_minutes": self.minutes,
            "contact_type": self.contact_type,
            "location": self.location,
            "client_present": self.client_present,
            "other_participants": self.other_participants,
            "purpose": self.purpose,
            "observations": self.observations,
            "client_quotes": self.client_quotes,
            "impressions": self.impressions,
            "interventions": self.interventions,
            "next_steps": self.next_steps,
        }


HOURS = dt.timedelta(hours=1)
DAYS = dt.timedelta(days=1)


@dataclass
class Ctx:
    """A client and what their notes can refer to."""

    client: Client
    author: User
    supervisor: User | None
    today: dt.date
    #: No contact is dated before this: the enrolment, or the start of the plan in force.
    earliest: dt.date
    goal: Goal | None = None
    #: A referral that was sent under a release (so its provider may be spoken with).
    referral: Referral | None = None

    @property
    def name(self) -> str:
        return self.client.preferred_name or self.client.legal_first_name

    @property
    def history_days(self) -> int:
        return (self.today - self.earliest).days

    def at(self, days_ago: int, hour: int, minute: int = 0) -> dt.datetime:
        """The moment, moved forward to the earliest day if the story would start before it."""
        day = max(self.today - dt.timedelta(days=days_ago), self.earliest)
        return _local(day, hour, minute)

    @property
    def goals(self) -> tuple[Goal, ...]:
        return (self.goal,) if self.goal is not None else ()

    @property
    def goal_words(self) -> str:
        if self.goal is None:
            return f"what {self.name} wants to work on"
        return f"the {self.goal.get_domain_display().lower()} goal (“{self.goal.client_words}”)"

    @property
    def provider(self) -> str:
        if self.referral is None:
            return ""
        org = self.referral.service.organization
        return org.name if org is not None else self.referral.service.name


Story = Callable[[Ctx], list[NoteSpec]]


def _local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=timezone.get_current_timezone())


#: What the provider says when called, by the referral's status at the time of the call.
PROVIDER_ANSWERS: dict[str, str] = {
    ReferralStatus.SENT: "The referral is in their queue; they expect to call {name} this week.",
    ReferralStatus.ACCEPTED: "They have accepted the referral and will call {name} to set the "
    "intake.",
    ReferralStatus.IN_PROGRESS: "{name} has started with them and is attending as planned.",
    ReferralStatus.REJECTED: "They have no opening now; we talked about their waitlist.",
}


def story_linkage(c: Ctx) -> list[NoteSpec]:
    """Choosing a provider with the client, then the referral followed through: anchored on
    the referral's own dates where the client has one that was sent."""
    referral = c.referral
    chose = (
        _local(timezone.localdate(referral.created_at), 9) if referral is not None else c.at(70, 10)
    )
    consent = (
        f"Explained the release of information; {c.name} signed it for {c.provider} after "
        "reading what the referral shares."
        if referral is not None
        else "Explained the release of information and what a referral shares."
    )
    notes = [
        NoteSpec(
            ContactType.OFFICE,
            chose,
            60,
            purpose=f"Service plan review and choice of provider: {c.goal_words}.",
            location="Bayview office, interview room 2",
            observations=f"{c.name} arrived on time with the folder of documents from the last "
            "visit and the list of providers we looked at together, with one marked.",
            client_quotes="“I want to start with this one. It's on my bus line.”",
            impressions=f"{c.name} is leading the choice of provider; transportation is the "
            "barrier named most.",
            interventions="Reviewed the goal and what has changed since the plan was written. "
            f"Went through the options with {c.name}: location, wait time, language and "
            f"payer. {consent}",
            next_steps="Case manager to send the referral and make the warm hand-off. Next "
            "office visit in four weeks.",
            goals=c.goals,
        )
    ]
    if referral is None or referral.sent_at is None:
        return notes
    sent = timezone.localtime(referral.sent_at)
    call = _local(sent.date() + 3 * DAYS, 14)
    if call > timezone.now() - 2 * HOURS:
        call = sent + 3 * HOURS
    if call > timezone.now() - HOURS:
        return notes
    then = referral.events.filter(at__lte=call).order_by("at", "pk").last()
    answer = PROVIDER_ANSWERS.get(then.to_status if then else referral.status, "")
    spoke_with = referral.handoff_contact or f"the intake coordinator at {c.provider}"
    notes.append(
        NoteSpec(
            ContactType.PROVIDER,
            call,
            20,
            purpose=f"Follow-up with {c.provider} on the referral to {referral.service.name}.",
            client_present=False,
            other_participants=f"{spoke_with} ({c.provider})",
            observations=f"Spoke by phone with {spoke_with}. They confirmed the referral packet "
            f"arrived. {answer.format(name=c.name)}".strip(),
            interventions="Shared only what the referral packet lists, under the release on "
            f"file. Gave {c.name}'s preferred phone number and best time to call.",
            next_steps=f"Let {c.name} know what the provider said; bring a photo ID to the intake.",
            goals=c.goals,
            referrals=(referral,),
        )
    )
    reminder = call + DAYS
    if referral.intake_on is not None and referral.attended_intake:
        intake = _local(referral.intake_on, 9, 30)
        notes.append(
            NoteSpec(
                ContactType.COMMUNITY,
                intake,
                90,
                purpose=f"Went with {c.name} to the intake appointment at {c.provider}.",
                location=c.provider,
                observations=f"Met {c.name} at the bus stop at 9:00 and rode there together. "
                f"{c.name} filled in the intake forms at the front desk and met the intake "
                "worker for about 45 minutes while the case manager waited outside.",
                client_quotes="“That went better than I expected. She actually listened.”",
                impressions=f"Relieved after the appointment; {c.name} knows the way now.",
                interventions="Transportation and support at the first visit; went over the "
                "bus route home so the next visits can be made alone.",
                next_steps="Phone check-in after the first session.",
                goals=c.goals,
                referrals=(referral,),
            )
        )
        reminder = intake - DAYS
    notes.append(
        NoteSpec(
            ContactType.TEXT_EMAIL,
            reminder.replace(hour=16, minute=0),
            5,
            purpose=f"Reminder of the appointment with {c.provider}.",
            observations=f"Sent a text reminder, as {c.name} asked at the last visit. "
            f"{c.name} answered within the hour.",
            client_quotes="“Got it. I'll be there at 10.”",
            interventions="Appointment reminder by text.",
            next_steps="Check in by phone after the appointment.",
            referrals=(referral,),
        )
    )
    return notes


def story_monitoring(c: Ctx) -> list[NoteSpec]:
    """Keeping in touch between reviews: a home visit, a video call, a missed visit."""
    home = "Where " + c.name + " is staying"
    return [
        NoteSpec(
            ContactType.HOME_VISIT,
            c.at(48, 11),
            60,
            purpose=f"Home visit: {c.goal_words}, and how {c.name} is managing day to day.",
            location=home,
            observations=f"{c.name} answered the door dressed and ready. There was food in the "
            "refrigerator; the mail from the last two weeks was opened and sorted on the "
            "table. The wall calendar had this month's appointments written in.",
            client_quotes="“I've been keeping the calendar like we said.”",
            impressions="Keeping up with appointments without reminders; the calendar helps.",
            interventions="Went through the mail together and put two deadlines on the "
            "calendar. Named the progress on the goal.",
            next_steps="Video check-in in three weeks; call sooner if a letter is confusing.",
            goals=c.goals,
            sign_after=20 * HOURS,
            addendum=AddendumSpec(
                AddendumKind.LATE_ENTRY,
                "Left out of the note",
                f"At the end of the visit {c.name} asked where to get food before the SNAP "
                "benefits come in. Gave the Farm Share distribution schedule and the "
                "nearest pantry's hours.",
                3 * DAYS,
            ),
        ),
        NoteSpec(
            ContactType.VIDEO,
            c.at(26, 15),
            30,
            purpose=f"Video check-in between visits on {c.goal_words}.",
            observations=f"Connected on the second try. {c.name} was at home, alone, and said "
            "it was a good time to talk. Camera on throughout.",
            client_quotes="“Some days are harder, but I haven't missed anything.”",
            impressions="Steady; no new concerns. Sounded brighter than last month.",
            interventions="Reviewed what went well this month and what got in the way. "
            "Worked out a ride to next week's appointment.",
            next_steps=f"Home visit next month. {c.name} to call if the ride falls through.",
            goals=c.goals,
        ),
        NoteSpec(
            ContactType.ATTEMPTED,
            c.at(6, 10, 30),
            15,
            purpose="Scheduled home visit.",
            location=home,
            client_present=False,
            observations="No answer at the door at 10:30, nor to a phone call at 10:40. Left a "
            "card with the date and the office number.",
            interventions=f"Left a voice message asking {c.name} to call back.",
            next_steps="Call again tomorrow morning. If there is no contact within a week, "
            "talk with the supervisor about next steps.",
        ),
        NoteSpec(
            ContactType.PHONE,
            c.at(5, 9, 15),
            15,
            purpose="Call back after the missed home visit.",
            observations=f"{c.name} returned the call. An appointment at the clinic ran long "
            "yesterday and the phone battery ran out.",
            client_quotes="“Sorry, I should have called you.”",
            impressions="No sign of a crisis; a scheduling clash.",
            interventions="Agreed to a text the day before each visit. Rescheduled the visit.",
            next_steps="Home visit next week; text reminder the day before.",
            goals=c.goals,
        ),
    ]


def story_late_entries(c: Ctx) -> list[NoteSpec]:
    """Two contacts documented days afterwards: marked late entry when signed."""
    return [
        NoteSpec(
            ContactType.COMMUNITY,
            c.at(38, 13),
            120,
            purpose=f"Went with {c.name} to the DCF service center for the SNAP "
            "recertification interview.",
            location="DCF service center, Miami",
            observations=f"Waited about 90 minutes. {c.name} gave the clerk the proof of income "
            "and of address. The clerk said the recertification is complete and the "
            "benefits continue next month.",
            client_quotes="“I thought they were going to cut me off.”",
            impressions="Relieved; this had been a worry for weeks.",
            interventions="Helped put the documents in order beforehand; explained the DCF "
            "letter in plain words.",
            next_steps="Watch for the approval letter and bring it to the next visit.",
            goals=c.goals,
            sign_after=5 * DAYS,
        ),
        NoteSpec(
            ContactType.PHONE,
            c.at(14, 17, 30),
            25,
            purpose=f"{c.name} called about a letter that came in the mail.",
            observations=f"The letter is a notice of a rent increase starting in two months. "
            f"{c.name} read it out on the phone.",
            client_quotes="“I can't pay more than I'm paying now.”",
            impressions="Worried but thinking ahead; not in crisis.",
            interventions="Explained the notice and its timeline. Listed the options to look "
            "at together: rental assistance, the budget, a talk with the landlord.",
            next_steps="Budget review at the next office visit; case manager to look up "
            "rental assistance openings before then.",
            sign_after=4 * DAYS + 2 * HOURS,
        ),
    ]


def story_correction(c: Ctx) -> list[NoteSpec]:
    """A signed note with a wrong date, corrected by an addendum (the note never changes)."""
    return [
        NoteSpec(
            ContactType.OFFICE,
            c.at(24, 10),
            45,
            purpose="Prepare for the primary care appointment.",
            location="Bayview office, interview room 1",
            observations=f"{c.name} brought the appointment letter: the clinic visit is on the "
            "4th at 2 pm. Went through the list of current medications together; two "
            "bottles were brought in.",
            client_quotes="“I never know what to ask the doctor.”",
            impressions="Wants to take part in the visit; a written list of questions will help.",
            interventions="Wrote three questions for the doctor together. Updated the "
            "medication list for the record.",
            next_steps=f"{c.name} to attend the clinic on the 4th; reminder call the day before.",
            goals=c.goals,
            addendum=AddendumSpec(
                AddendumKind.CORRECTION,
                "Wrong date in the observations",
                f"The clinic appointment is on the 14th at 2 pm, not the 4th as written "
                f"above. Re-read the letter with {c.name} by phone today; the reminder call "
                "moves to the 13th.",
                2 * DAYS,
            ),
        ),
    ]


#: The draft written in wording the quality hints are there to catch.
HINTED_OBSERVATIONS = (
    "Client seems unmotivated and was noncompliant with meds again. Refused to look at the "
    "housing list. Appears tired."
)


def story_drafts(c: Ctx) -> list[NoteSpec]:
    """Notes not signed yet: nearly done, in need of rewording, and overdue."""
    return [
        NoteSpec(
            ContactType.PHONE,
            c.at(1, 16),
            20,
            purpose=f"Check-in call on {c.goal_words}.",
            observations=f"{c.name} picked up on the first try and had the appointment card "
            "at hand.",
            client_quotes="“I went to the first group. I'll go again Thursday.”",
            interventions="Went over the week's appointments.",
            goals=c.goals,
            sign_after=None,
        ),
        NoteSpec(
            ContactType.OFFICE,
            c.at(2, 11),
            50,
            purpose="Monthly visit.",
            location="Bayview office, interview room 2",
            observations=HINTED_OBSERVATIONS,
            impressions="Resistant to the plan.",
            interventions="Talked about the plan.",
            goals=c.goals,
            sign_after=None,
        ),
        NoteSpec(
            ContactType.HOME_VISIT,
            c.at(5, 14),
            60,
            purpose=f"Home visit on {c.goal_words}.",
            location="Where " + c.name + " is staying",
            observations=f"{c.name} showed the letters that came this week; one needs an "
            "answer by Friday.",
            goals=c.goals,
            sign_after=None,
        ),
    ]


RETURN_COMMENT = (
    "Please add what the client said about the plan in their own words, and who makes the "
    "call to the provider and by when."
)


def story_cosign(c: Ctx) -> list[NoteSpec]:
    """A case manager in training: co-signed, returned with a comment, and two waiting."""
    return [
        NoteSpec(
            ContactType.OFFICE,
            c.at(30, 10),
            45,
            purpose=f"First visit after the plan was agreed: {c.goal_words}.",
            location="Bayview office, interview room 1",
            observations=f"{c.name} came with a sister. Read through the plan together; "
            f"{c.name} kept the copy.",
            client_quotes="“I like that it's written how I said it.”",
            impressions="Engaged and hopeful about the plan.",
            interventions="Went over each goal, its target date and who does what.",
            next_steps="Home visit in two weeks.",
            goals=c.goals,
            cosign="approve",
            cosign_comment="Clear and complete. Thank you.",
        ),
        NoteSpec(
            ContactType.HOME_VISIT,
            c.at(12, 11),
            50,
            purpose=f"Home visit on {c.goal_words}.",
            location="Where " + c.name + " is staying",
            observations=f"{c.name} had started the application we talked about; two pages "
            "were filled in.",
            interventions="Helped with the rest of the application.",
            next_steps="Send the application.",
            goals=c.goals,
            cosign="return",
            cosign_comment=RETURN_COMMENT,
        ),
        NoteSpec(
            ContactType.PHONE,
            c.at(3, 9, 30),
            15,
            purpose="Confirm next week's appointment.",
            observations=f"{c.name} confirmed the appointment and has a ride with a neighbor.",
            client_quotes="“My neighbor said she'd take me.”",
            interventions="Confirmed the time and the address.",
            next_steps="Office visit next Tuesday at 10.",
            goals=c.goals,
            cosign="wait",
        ),
        NoteSpec(
            ContactType.COMMUNITY,
            c.at(1, 13),
            60,
            purpose=f"Met {c.name} at the public library to look at job listings.",
            location="Miami-Dade Public Library, main branch",
            observations=f"{c.name} had a list of four openings from the job board and an "
            "updated résumé on a flash drive.",
            client_quotes="“I want something with mornings, so I can pick up my son.”",
            impressions="Focused and organized today.",
            interventions="Applied online for two of the openings together; saved the log-in "
            "details in the client's phone.",
            next_steps="Follow up on the two applications next week.",
            goals=c.goals,
            cosign="wait",
        ),
    ]


def story_collateral(c: Ctx, collateral: Collateral) -> list[NoteSpec]:
    """A contact with someone in the client's life, under the release naming them."""
    who = collateral.relationship_detail or collateral.get_relationship_display()
    return [
        NoteSpec(
            ContactType.COLLATERAL,
            c.at(9, 15),
            15,
            purpose=f"Call with {collateral.name} ({who}), as {c.name} asked.",
            client_present=False,
            other_participants=f"{collateral.name}, {who}",
            observations=f"{collateral.name} said {c.name} has been coming to family dinners "
            "again and asked how to help with rides to appointments.",
            interventions=f"Shared only what the release covers. Gave the dates of {c.name}'s "
            "next two appointments, with the client's agreement.",
            next_steps=f"Tell {c.name} about the call at the next visit.",
            goals=c.goals,
            collaterals=(collateral,),
        )
    ]


# --- Routine contacts --------------------------------------------------------------------------

ROUTINE: tuple[tuple[ContactType, int, str, str, str, str, str, str], ...] = (
    # type, minutes, purpose, observations, quotes, impressions, interventions, next steps
    (
        ContactType.OFFICE,
        45,
        "Monthly visit: {goal}.",
        "{name} came on time. Reviewed the plan; one step toward the goal is done since the "
        "last visit.",
        "“It's slow, but it's moving.”",
        "Steady progress.",
        "Reviewed the goal and the next step; problem-solved the main barrier.",
        "Next visit in four weeks.",
    ),
    (
        ContactType.PHONE,
        15,
        "Check-in call on {goal}.",
        "{name} answered and had time to talk. No new concerns raised.",
        "“Everything's okay this week.”",
        "",
        "Went over the next appointment and what to bring.",
        "Office visit later this month.",
    ),
    (
        ContactType.VIDEO,
        30,
        "Video check-in on {goal}.",
        "{name} joined from home on a phone; the call stayed connected throughout.",
        "“I did the thing we talked about last time.”",
        "More confident than at the start of the plan.",
        "Named the progress; agreed on one step for the coming weeks.",
        "Call again in two weeks.",
    ),
    (
        ContactType.HOME_VISIT,
        60,
        "Home visit on {goal}.",
        "{name} showed the letters that came this month; all were opened. The home was "
        "warm and the refrigerator stocked.",
        "“I'm managing better than last month.”",
        "Managing day to day; asked for help only with paperwork.",
        "Read the letters together and put one deadline on the calendar.",
        "Next home visit in a month.",
    ),
)

FIRST_CONTACT = (
    ContactType.OFFICE,
    40,
    "First meeting after intake: what the agency offers and what comes next.",
    "{name} came with the intake papers. Went through the assessment appointment and the "
    "release of information form.",
    "“I just want someone to help me sort it out.”",
    "Hopeful; overwhelmed by the number of appointments.",
    "Explained case management, the service plan and the client's choices in it. "
    "Scheduled the assessment.",
    "Assessment appointment next week.",
)


def story_routine(c: Ctx) -> list[NoteSpec]:
    """One or two everyday contacts, chosen by a generator seeded with the record number."""
    rng = random.Random(f"{SEED}:{c.client.record_number}")  # noqa: S311 - demo data
    templates = ROUTINE if c.goal is not None or c.history_days > 30 else (FIRST_CONTACT,)
    moments = [rng.randint(3, 14)]
    if c.history_days > 25 and c.goal is not None:
        moments.append(rng.randint(20, 45))
    notes = []
    for days_ago in sorted(moments, reverse=True):
        kind, minutes, purpose, observations, quotes, impressions, actions, next_steps = rng.choice(
            templates
        )
        fill = {"name": c.name, "goal": c.goal_words}
        notes.append(
            NoteSpec(
                kind,
                c.at(days_ago, rng.choice((9, 10, 11, 13, 14, 15))),
                minutes,
                purpose=purpose.format(**fill),
                observations=observations.format(**fill),
                client_quotes=quotes,
                impressions=impressions,
                interventions=actions,
                next_steps=next_steps,
                location="Bayview office" if kind == ContactType.OFFICE else "",
                goals=c.goals,
                sign_after=rng.choice((1, 2, 3)) * HOURS,
            )
        )
    return notes


# --- The seeder -------------------------------------------------------------------------------


@dataclass
class Tally:
    notes: int = 0
    addenda: int = 0
    skipped: int = 0
    stories: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


class NoteSeeder:
    def __init__(self, agency: Agency) -> None:
        self.agency = agency
        self.today = timezone.localdate()
        self.tally = Tally()

    def run(self) -> list[str]:
        contexts = self._contexts()
        if not contexts:
            return ["Case notes: no active clients with a case manager; run seed_demo first."]
        had_notes = set(
            CaseNote.objects.filter(client__in=[c.client for c in contexts]).values_list(
                "client_id", flat=True
            )
        )
        trainee = self._trainee(contexts)
        if trainee is not None and not trainee.notes_need_cosign:
            trainee.notes_need_cosign = True
            trainee.save(update_fields=["notes_need_cosign"])
        # Refresh the flag on every context's author (the same person, another instance).
        for c in contexts:
            if trainee is not None and c.author.pk == trainee.pk:
                c.author.notes_need_cosign = True

        plan = self._cast(contexts, trainee)
        for label, c, story in plan:
            if c.client.pk in had_notes:
                self.tally.skipped += 1
                continue
            for spec in story(c):
                self._write(c, spec)
            self.tally.stories.append(label)
        return self._summary(trainee)

    # Who is who.

    def _contexts(self) -> list[Ctx]:
        clients = list(
            Client.objects.filter(
                team__agency=self.agency,
                status=ClientStatus.ACTIVE,
                primary_case_manager__is_active=True,
                primary_case_manager__is_case_manager=True,
            )
            .select_related("primary_case_manager", "team")
            .prefetch_related("team__supervisors", "episodes")
            .order_by("team__name", "record_number")
        )
        plans = {
            plan.client_id: plan
            for plan in ServicePlan.objects.filter(
                client__in=clients, status__in=PLANS_IN_FORCE
            ).order_by("client_id", "version")
        }
        client_of_plan = {plan.pk: client_id for client_id, plan in plans.items()}
        goals: dict[int, Goal] = {}
        for goal in Goal.objects.filter(plan__in=plans.values()).order_by(
            "plan_id", "position", "pk"
        ):
            goals.setdefault(client_of_plan[goal.plan_id], goal)
        referrals: dict[int, Referral] = {}
        for referral in (
            Referral.objects.filter(
                client__in=clients, sent_at__isnull=False, release__isnull=False
            )
            .select_related("service__organization", "goal")
            .order_by("sent_at", "pk")
        ):
            referrals.setdefault(referral.client_id, referral)
        contexts = []
        for client in clients:
            author = client.primary_case_manager
            assert author is not None  # noqa: S101 - filtered on above
            supervisors = sorted(client.team.supervisors.all(), key=lambda u: u.pk)
            episodes = [e for e in client.episodes.all() if e.discharged_on is None]
            earliest = max((e.enrolled_on for e in episodes), default=self.today)
            plan = plans.get(client.pk)
            if plan is not None:
                earliest = max(earliest, plan.service_start)
            sent = referrals.get(client.pk)
            worked_on = sent.goal if sent is not None else goals.get(client.pk)
            contexts.append(
                Ctx(
                    client=client,
                    author=author,
                    supervisor=next((s for s in supervisors if s.is_active), None),
                    today=self.today,
                    earliest=min(earliest, self.today - DAYS),
                    goal=worked_on,
                    referral=sent,
                )
            )
        return contexts

    def _trainee(self, contexts: Sequence[Ctx]) -> User | None:
        """The case manager whose notes need co-signature: the newest account among those
        on supervised teams, as staff in training are."""
        candidates = [c.author for c in contexts if c.supervisor is not None]
        if not candidates:
            return None
        return max(candidates, key=lambda user: (user.date_joined, user.pk))

    def _cast(
        self, contexts: list[Ctx], trainee: User | None
    ) -> list[tuple[str, Ctx, Callable[[Ctx], list[NoteSpec]]]]:
        """Which client plays which story; depends only on the clients, so every run casts
        the same."""
        theirs = [c for c in contexts if trainee is not None and c.author.pk == trainee.pk]
        others = [c for c in contexts if c not in theirs] or list(contexts)
        used: set[int] = set()
        plan: list[tuple[str, Ctx, Callable[[Ctx], list[NoteSpec]]]] = []

        def pick(pool: Sequence[Ctx], *wishes: Callable[[Ctx], bool]) -> Ctx | None:
            fresh = [c for c in pool if c.client.pk not in used] or list(pool)
            for count in range(len(wishes), -1, -1):
                for c in fresh:
                    if all(wish(c) for wish in wishes[:count]):
                        used.add(c.client.pk)
                        return c
            return None

        def has_goal(c: Ctx) -> bool:
            return c.goal is not None

        def history(days: int) -> Callable[[Ctx], bool]:
            return lambda c: c.history_days >= days

        stories: list[tuple[str, Story, tuple[Callable[[Ctx], bool], ...]]] = [
            (
                "linkage",
                story_linkage,
                (
                    lambda c: c.referral is not None,
                    lambda c: bool(c.referral and c.referral.attended_intake),
                    has_goal,
                ),
            ),
            ("monitoring", story_monitoring, (has_goal, history(50))),
            ("late entries", story_late_entries, (has_goal, history(40))),
            ("correction", story_correction, (has_goal, history(26))),
            ("drafts", story_drafts, (has_goal, history(6))),
        ]
        for label, story, wishes in stories:
            c = pick(others, *wishes)
            if c is not None:
                plan.append((label, c, story))
        if theirs:
            c = pick(theirs, has_goal, history(30))
            if c is not None and c.supervisor is not None:
                plan.append(("co-signature", c, story_cosign))
        collateral_plan = self._collateral(contexts)
        if collateral_plan is not None:
            c, collateral = collateral_plan
            plan.append(("collateral", c, lambda ctx: story_collateral(ctx, collateral)))
        else:
            self.tally.missing.append("collateral contact (no collateral with a release)")
        cast = {c.client.pk for _, c, _ in plan}
        for c in contexts:
            if c.client.pk not in cast:
                plan.append(("routine", c, story_routine))
        return plan

    def _collateral(self, contexts: list[Ctx]) -> tuple[Ctx, Collateral] | None:
        """The first client with a collateral named by a release in effect on the day of
        the contact; None when no collateral is on file (another part of the demo adds
        them)."""
        by_client = {c.client.pk: c for c in contexts}
        for collateral in Collateral.objects.filter(
            client_id__in=by_client, is_active=True
        ).order_by("client__team__name", "client__record_number", "pk"):
            c = by_client[collateral.client_id]
            day = timezone.localdate(c.at(9, 15))
            if collateral_release(collateral, day) is not None:
                return c, collateral
        return None

    # Writing a note as it happened.

    def _write(self, c: Ctx, spec: NoteSpec) -> None:
        author = c.author
        if spec.at + dt.timedelta(minutes=spec.minutes + 10) > timezone.now():
            return  # a story anchored on today's events: nothing to document yet
        started = min(spec.at + dt.timedelta(minutes=spec.minutes + 10), timezone.now())
        with _at(started):
            note = note_draft_create(
                actor=author,
                client=c.client,
                data=spec.data(),
                goals=spec.goals,
                referrals=spec.referrals,
                collaterals=spec.collaterals,
            )
        self.tally.notes += 1
        if spec.sign_after is None:
            return
        signed = min(
            spec.at + dt.timedelta(minutes=spec.minutes) + spec.sign_after,
            timezone.now() - dt.timedelta(minutes=1),
        )
        with _at(signed):
            note = note_sign(actor=author, note=note, now=signed)
        if spec.addendum is not None:
            with _at(min(signed + spec.addendum.after, timezone.now())):
                addendum_add(
                    actor=author,
                    note=note,
                    kind=spec.addendum.kind,
                    reason=spec.addendum.reason,
                    text=spec.addendum.text,
                )
            self.tally.addenda += 1
        if note.cosign_status != CosignStatus.PENDING or spec.cosign == "wait":
            return
        supervisor = c.supervisor
        if supervisor is None:
            return
        with _at(min(signed + DAYS, timezone.now())):
            note_cosign(
                actor=supervisor,
                note=note,
                approve=spec.cosign == "approve",
                comment=spec.cosign_comment,
            )

    def _summary(self, trainee: User | None) -> list[str]:
        notes = CaseNote.objects.filter(client__team__agency=self.agency)
        signed = notes.filter(status=NoteStatus.SIGNED)
        cosign = Counter(signed.exclude(cosign_status="").values_list("cosign_status", flat=True))
        kinds = Counter(signed.values_list("contact_type", flat=True))
        lines = [
            f"Case notes: {self.tally.notes} created, {self.tally.addenda} addenda "
            f"({self.tally.skipped} stories skipped: the client already had notes)",
            f"  In the demo: {signed.count()} signed ({signed.filter(late_entry=True).count()} "
            f"late entries), {notes.filter(status=NoteStatus.DRAFT).count()} drafts",
            "  Signed by contact type: "
            + ", ".join(f"{kinds[t]} {t.label.lower()}" for t in ContactType if kinds[t]),
        ]
        if trainee is not None:
            lines.append(
                f"  Co-signature asked of {trainee.full_name}: "
                f"{cosign[CosignStatus.PENDING]} awaiting, {cosign[CosignStatus.RETURNED]} "
                f"returned, {cosign[CosignStatus.APPROVED]} co-signed"
            )
        for missing in self.tally.missing:
            lines.append(f"  Not seeded: {missing}")
        return lines


def seed_demo_notes(*, agency: Agency | None = None) -> list[str]:
    """Seed what is missing for the agency's active clients (the first agency when none
    is given); return the summary lines."""
    agency = agency or Agency.objects.order_by("pk").first()
    if agency is None:
        return ["Case notes: no demo agency; run seed_demo first."]
    return NoteSeeder(agency).run()


__all__ = ["HINTED_OBSERVATIONS", "RETURN_COMMENT", "seed_demo_notes"]
