"""The care-plan part of the demo data: assessments, standardized measures, service plans
and their reviews for the demo clients of `manage.py seed_demo`.

Everything is written through the services (assessments, measures, plans, and the safety
flag follow-up of the client record) acting as the client's own case manager, with the
team's supervisor approving, so the rules are enforced and every history row names a
person. Dates are counted back from today, like the enrolment dates of the clients, and
passed to the services explicitly. Where the `time_machine` package is installed (the dev
dependency group, so `make demo`), each step also runs at that date, so the timestamps the
pages show (completed, finalized, approved, status changes, history) agree with the dates.

Deterministic: the casting (who gets what) comes from one seeded generator over the demo
clients in their generated order, and each client's details from a generator seeded with
the client's name and date of birth. Idempotent: a client who already has an assessment,
a measure or a plan is left alone.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Q
from django.utils import timezone

from casemgmt.accounts.models import Agency, User
from clients.management.commands.seed_demo import STAFF, ClientGenerator
from clients.models import Client, ClientStatus, SafetyFlag
from clients.services import safety_flag_resolve

from .models import (
    Agreement,
    Assessment,
    AssessmentKind,
    Barrier,
    Comparison,
    Domain,
    Goal,
    Instrument,
    MeasureAdministration,
    NeedLevel,
    PlanReview,
    PlanStatus,
    Progress,
    ReviewDecision,
    ServicePlan,
)
from .services.assessments import (
    LEVEL_RANK,
    assessment_complete,
    assessment_needs_summary,
    assessment_start,
    assessment_update,
)
from .services.measures import measure_administer
from .services.plans import (
    GoalProgress,
    goal_save,
    intervention_save,
    plan_approve,
    plan_create,
    plan_finalize,
    plan_record_meeting,
    plan_review_record,
    plan_start_review,
)

try:
    import time_machine
except ImportError:  # pragma: no cover - installed with the dev dependency group
    time_machine = None  # type: ignore[assignment]

SEED = 20260102

#: How many of the active demo clients get an intake assessment, and how many a plan.
ASSESSED = 40
PLANNED = 31
REASSESSED = 8
#: Clients enrolled this recently have had their intake but no planning meeting yet.
PLAN_AFTER_DAYS = 30
#: A plan's first review is held at least this many days after it starts.
MIN_REVIEW_GAP = 45

D = Domain
L = NeedLevel

# --- Needs, from the words of the presenting issue ----------------------------------------


@dataclass(frozen=True)
class NeedRule:
    """When the presenting issue contains `keyword`, the domain has at least this level."""

    keyword: str
    domain: Domain
    level: NeedLevel
    note: str


def _rules(domain: Domain, *rows: tuple[str, NeedLevel, str]) -> tuple[NeedRule, ...]:
    return tuple(NeedRule(keyword, domain, level, note) for keyword, level, note in rows)


# The tables below are laid out by hand, one entry to a line or two.
# fmt: off
NEED_RULES: tuple[NeedRule, ...] = (
    *_rules(D.HOUSING,
        ("evicted in the spring", L.HIGH,
         "Evicted; on a cousin's couch until the end of the month."),
        ("sleeping in car", L.HIGH,
         "Sleeping in the car for three months since losing the apartment."),
        ("domestic violence shelter", L.HIGH,
         "At a DV shelter with the children; the stay is time-limited and there is nowhere "
         "safe to go after."),
        ("at risk of losing room", L.MODERATE,
         "Rents a room; behind on rent and at risk of losing it."),
        ("moved between friends", L.HIGH,
         "No stable place since aging out of care; moves between friends' places."),
        ("face eviction", L.HIGH,
         "Code enforcement deadline: the unit must be cleared in 30 days or eviction follows."),
        ("sober home", L.HIGH,
         "Sober-home bed paid only to the end of the month; no income to keep it."),
        ("mold in the bedroom", L.HIGH,
         "Roof leaking since the storm, mold in the bedroom; landlord not repairing."),
        ("assisted living facility", L.HIGH,
         "The ALF has said it may discharge if things don't settle."),
        ("asked to leave family home", L.HIGH,
         "Asked to leave the family home; at the boyfriend's family's for now."),
        ("couch-surfing", L.HIGH, "Couch-surfing with friends since the family cut contact."),
        ("sharing a room with five", L.MODERATE,
         "One room shared with five relatives; crowded but safe for now."),
        ("lives with ex-partner", L.MODERATE,
         "Still living with the ex-partner after the breakup; wants to move out."),
        ("wants to stay home", L.LOW,
         "Owns a condo; wants to stay at home as long as it is safe."),
    ),
    *_rules(D.MENTAL_HEALTH,
        ("phq-9 of 17", L.HIGH,
         "Depressed for about four months (PHQ-9 17 at screening); isolating."),
        ("low mood and poor sleep", L.MODERATE, "Low mood and poor sleep since the eviction."),
        ("baker act", L.HIGH,
         "Schizophrenia; five-day Baker Act stay after stopping medication. Psychiatry "
         "needed within 7 days."),
        ("bipolar", L.MODERATE,
         "Bipolar I, stable on lithium for now; two hospitalizations this year."),
        ("nightmares", L.HIGH, "Nightmares and startle response since the violence back home."),
        ("panic attacks", L.MODERATE, "Panic attacks and poor sleep since leaving."),
        ("adhd", L.MODERATE, "ADHD, never treated; hard to stay with forms and classes."),
        ("ptsd", L.HIGH, "PTSD from deployment, never treated; drinking to sleep."),
        ("low mood, ashamed", L.MODERATE, "Low mood; ashamed about dropping out of care."),
        ("diabetes and depression", L.MODERATE,
         "Depression alongside the diabetes; worse since losing coverage."),
        ("postpartum depression", L.HIGH,
         "Postpartum depression, EPDS 19; no thoughts of harming self or baby."),
        ("anxious and embarrassed", L.MODERATE,
         "Anxious and embarrassed about the apartment; refused help before."),
        ("drinking more in the evenings", L.MODERATE,
         "Grieving since March; lost weight, stopped seeing friends."),
        ("panic disorder", L.HIGH,
         "Panic disorder suspected after three ER visits with a negative cardiac workup."),
        ("anxiety getting worse", L.MODERATE,
         "Anxiety worse with the mold and the son's asthma; not sleeping."),
        ("crying daily", L.HIGH, "Exhausted and crying daily; says cannot go on without help."),
        ("insomnia, headaches", L.MODERATE,
         "Insomnia, headaches and irritability since the wages stopped."),
        ('"empty"', L.HIGH,
         'Feels "empty"; passive suicidal thoughts, no plan. Safety plan done at intake.'),
        ("suicidal ideation after a breakup", L.HIGH,
         "ED visit for suicidal ideation after a breakup; discharged with a safety plan."),
        ("schizoaffective", L.HIGH,
         "Schizoaffective disorder; missed the last two injections, more symptoms per family."),
        ("depressed, recently lost", L.MODERATE,
         "Depressed since the family cut contact; wants an affirming therapist."),
        ("long history of depression", L.MODERATE,
         "Long history of depression, never in treatment."),
        ("hopelessness", L.MODERATE,
         "Hopeless about the debt; at the casino most nights since retiring."),
        ("memory problems", L.LOW, "Memory problems over the past year; no diagnosis yet."),
    ),
    *_rules(D.SUBSTANCE_USE,
        ("second dui", L.HIGH,
         "Drinking most days, up to a pint of rum; court-ordered treatment after a second DUI."),
        ("opioid use disorder", L.MODERATE,
         "Opioid use disorder on buprenorphine, no use in five months; missed two clinic "
         "visits."),
        ("drinking to sleep", L.HIGH, "Drinking every night to get to sleep."),
        ("drinking more in the evenings", L.MODERATE,
         "Drinking more in the evenings since the loss."),
        ("cocaine use", L.MODERATE,
         "Cocaine use before jail; says sober since. Relapse risk with no income or housing."),
        ("drinks on weekends", L.MODERATE, "Drinks on weekends to cope, sometimes to blackout."),
        ("buying pills", L.HIGH,
         "Buying oxycodone when the prescription runs out; wants to stop."),
        ("gambling", L.LOW,
         "No alcohol or drug problem reported; the gambling is under mental health."),
    ),
    *_rules(D.LEGAL,
        ("probation", L.HIGH, "On probation after a second DUI; license suspended."),
        ("humanitarian parole", L.HIGH, "Humanitarian parole; work authorization not filed yet."),
        ("injunction", L.HIGH, "Needs an injunction for protection from the ex-partner."),
        ("released from tgk", L.MODERATE,
         "Released after 11 months; no open charges. Questions about sealing."),
        ("tenant rights", L.MODERATE,
         "Landlord not repairing after the storm; tenant-rights advice needed."),
        ("wage theft", L.MODERATE, "Wage theft: six weeks unpaid."),
        ("workers' comp", L.MODERATE, "Workers' comp claim never filed for the fall at work."),
        ("code enforcement", L.MODERATE, "Open code enforcement case; 30-day deadline."),
        ("updating id", L.LOW, "Wants name and gender marker updated on ID."),
    ),
    *_rules(D.FINANCES_BENEFITS,
        ("rental assistance", L.HIGH,
         "Two months behind when evicted; applying for emergency rental assistance."),
        ("unemployment claim", L.MODERATE,
         "No income since the job ended; unemployment claim not filed; behind on FPL."),
        ("applying for ssi", L.HIGH,
         "No income; mother covers everything. SSI application needed."),
        ("car repossession", L.HIGH, "Debt from a manic episode; car repossessed."),
        ("unpaid bills", L.MODERATE, "Bills going unpaid; daughter starting to help."),
        ("no income, sharing", L.HIGH, "No income yet; relatives covering food."),
        ("lost snap at recertification", L.HIGH,
         "Food insecure since SNAP lapsed at recertification."),
        ("lost medicaid", L.HIGH, "Lost Medicaid at redetermination; rationing insulin."),
        ("wic and diapers", L.MODERATE, "Needs WIC and diapers; partner incarcerated."),
        ("no id, no income", L.HIGH,
         "No income; sober home paid only to the end of the month."),
        ("disconnection notice", L.HIGH,
         "FPL disconnection notice; fixed Social Security income."),
        ("not paid for six weeks", L.HIGH, "Six weeks of wages unpaid; behind on rent and food."),
        ("lost snap and cash assistance", L.HIGH,
         "Lost SNAP and cash assistance after a missed DCF interview; no food last week."),
        ("credit card debt", L.HIGH, "$14,000 in credit card debt, hidden from spouse."),
        ("lost restaurant job", L.MODERATE, "No income since losing the restaurant job."),
        ("caregiver for adult son", L.MODERATE, "Cannot work while caregiving; money tight."),
        ("workers' comp", L.MODERATE, "Out of work since the injury; no comp payments."),
        ("aged out of foster", L.MODERATE,
         "No income; eligible for independent-living payments."),
        ("sleeping in car", L.MODERATE, "Odd jobs only; no VA benefits yet."),
        ("pregnant", L.MODERATE, "No income of her own; needs pregnancy Medicaid and WIC."),
        ("domestic violence shelter", L.MODERATE,
         "Left with nothing; no access to the joint account."),
    ),
    *_rules(D.EMPLOYMENT_EDUCATION,
        ("lost warehouse job", L.HIGH, "Lost the warehouse job after the back injury."),
        ("return to part-time work", L.MODERATE, "Wants to go back to part-time work."),
        ("finish ged", L.HIGH, "Wants to finish the GED and find work."),
        ("job readiness", L.HIGH, "No recent work history; wants job readiness."),
        ("works two jobs", L.MODERATE,
         "Works two jobs; afraid of losing them over missed shifts."),
        ("not paid for six weeks", L.HIGH,
         "Looking for steady work with an employer who pays."),
        ("missed most classes", L.HIGH,
         "Missed most classes this term; considering a medical withdrawal."),
        ("lost restaurant job", L.HIGH,
         "Lost the restaurant job; wants work somewhere affirming."),
        ("work authorization", L.MODERATE, "Cannot work legally until the work permit comes."),
        ("chronic back pain", L.MODERATE, "Out of work since the fall."),
    ),
    *_rules(D.PHYSICAL_HEALTH,
        ("back injury", L.MODERATE, "Back injury from work; not seeing a doctor for it."),
        ("misses labs", L.MODERATE, "Misses lithium level labs."),
        ("geriatric assessment", L.MODERATE,
         "Needs a geriatric assessment; medications being missed."),
        ("hiv-positive", L.HIGH, "HIV, viral load detectable after six months out of care."),
        ("type 2 diabetes", L.HIGH,
         "Type 2 diabetes; rationing insulin; two ER visits this summer."),
        ("not eating well", L.MODERATE, "Not eating well since the birth."),
        ("lost weight", L.MODERATE, "Lost weight since March; has not seen the PCP."),
        ("chest pain", L.LOW, "Cardiac workup negative; no primary care provider."),
        ("asthma", L.MODERATE, "Son's asthma flaring with the mold."),
        ("headaches", L.LOW, "Headaches, probably stress."),
        ("chronic back pain", L.HIGH, "Chronic back pain after a fall; pain not managed."),
        ("heart failure", L.HIGH, "Heart failure, oxygen at night; the heat is dangerous."),
        ("not eating.", L.MODERATE, "Not eating regularly, per family."),
        ("prenatal care", L.HIGH, "28 weeks pregnant with no prenatal care yet."),
        ("medicaid application", L.MODERATE, "No coverage since release; needs Medicaid."),
    ),
    *_rules(D.FAMILY_SOCIAL,
        ("isolating", L.MODERATE, "Isolating; stopped seeing people."),
        ("elderly mother", L.MODERATE,
         "Lives with elderly mother, who worries she cannot manage."),
        ("daughter reports", L.LOW,
         "Daughter involved and supportive; lives 40 minutes away."),
        ("two children", L.HIGH,
         "Two children (6 and 9) need school enrolment and stability."),
        ("partner incarcerated", L.MODERATE,
         "Partner incarcerated; relying on her mother for childcare."),
        ("stopped seeing friends", L.HIGH,
         "Widowed in March; lives alone and has stopped seeing friends."),
        ("caregiver for adult son", L.HIGH,
         "Sole caregiver for an adult son with autism and seizures; no respite."),
        ("hiding it from spouse", L.MODERATE, "Hiding the debt from spouse."),
        ("lives with ex-partner", L.MODERATE, "Living with the ex after the breakup; tense."),
        ("family stopped contact", L.HIGH, "Family stopped contact after she came out."),
        ("asked to leave family home", L.HIGH,
         "Asked to leave by her family; boyfriend's family helping for now."),
        ("brother says", L.LOW, "Brother involved and worried; visits weekly."),
        ("sharing a room with five", L.LOW, "Close to the relatives here."),
    ),
    *_rules(D.DAILY_LIVING,
        ("memory problems", L.HIGH, "Missed medications, stove left on twice, bills unpaid."),
        ("decluttering", L.HIGH, "Hoarding; kitchen and bathroom hard to use."),
        ("not eating.", L.HIGH, "Not eating regularly; ALF staff concerned."),
        ("oxygen at night", L.MODERATE, "Tires quickly; home health assessment needed."),
        ("caregiver for adult son", L.MODERATE, "No time for own appointments or sleep."),
        ("baker act", L.MODERATE, "Mother manages meals and medication."),
        ("aged out of foster", L.MODERATE, "Has never managed a budget or a lease alone."),
    ),
    *_rules(D.TRANSPORTATION,
        ("no car", L.HIGH, "No car; license suspended."),
        ("because of transportation", L.HIGH, "Missed clinic visits for lack of transportation."),
        ("car repossession", L.MODERATE, "Car repossessed; depends on rides."),
        ("sleeping in car", L.LOW, "Has the car (also where sleeping)."),
        ("released from tgk", L.MODERATE, "No car; relies on the bus."),
    ),
    *_rules(D.SAFETY,
        ("abusive partner", L.HIGH,
         "Left an abusive partner three weeks ago; safety plan in place at the shelter."),
        ("suicidal ideation", L.HIGH,
         "Recent suicidal ideation; safety plan from the ED reviewed at intake."),
        ("passive suicidal thoughts", L.MODERATE,
         "Passive suicidal thoughts, no plan or means; safety plan completed at intake."),
        ("stove left on", L.MODERATE, "Stove left on twice; lives alone."),
        ("ac out", L.MODERATE, "AC out with heart failure in the summer heat."),
        ("rationing insulin", L.MODERATE, "Rationing insulin."),
        ("violence back home", L.LOW, "Safe here; the violence was back home."),
        ("mold in the bedroom", L.MODERATE, "Mold in the bedroom; son's asthma worse."),
    ),
    *_rules(D.SPIRITUAL,
        ("stopped going to church", L.MODERATE,
         "Stopped going to church, which used to be a big support."),
        ("spouse of 40 years died", L.MODERATE,
         "Questioning faith since the death; church friends reaching out."),
        ("church pantry", L.LOW, "Church pantry is helping; faith is a support."),
    ),
)

#: Domains no rule touched: mostly none, sometimes low, with what a case manager would note.
QUIET_NOTES: dict[str, tuple[str, ...]] = {
    D.MENTAL_HEALTH: ("Some stress, copes well.", "Sleeps poorly now and then."),
    D.PHYSICAL_HEALTH: ("Due for a check-up; no chronic conditions.",
                        "High blood pressure, on medication."),
    D.SUBSTANCE_USE: ("Drinks socially, a few times a month.", "Smokes half a pack a day."),
    D.HOUSING: ("Rent is a stretch some months.",),
    D.EMPLOYMENT_EDUCATION: ("Would like more hours.", "Interested in an English class."),
    D.FINANCES_BENEFITS: ("Tight at the end of the month.",),
    D.LEGAL: ("Old traffic fines.",),
    D.FAMILY_SOCIAL: ("Few friends nearby.",),
    D.DAILY_LIVING: ("Manages well; needs help with forms.",),
    D.SPIRITUAL: ("Faith matters; not part of a congregation now.",),
    D.TRANSPORTATION: ("Uses the bus; long trips to some appointments.",),
    D.SAFETY: ("Neighbourhood feels unsafe at night.",),
}

BARRIER_RULES: tuple[tuple[Barrier, tuple[str, ...], str], ...] = (
    (Barrier.FINANCIAL_STRAIN,
     ("behind", "no income", "debt", "lost snap", "not paid", "disconnection", "lost medicaid",
      "unpaid bills", "lost restaurant job", "rationing", "cash assistance"),
     "Money runs out before the end of the month."),
    (Barrier.NO_TRANSPORT, ("no car", "transportation", "repossession"),
     "No car; two buses to most appointments."),
    (Barrier.FAMILY_CONFLICT,
     ("abusive", "family stopped contact", "asked to leave", "ex-partner", "hiding it from"),
     "Conflict at home limits who can help."),
    (Barrier.CHILDCARE, ("two children", "baby", "childcare"),
     "Appointments have to fit around the children."),
    (Barrier.DOCUMENTS,
     ("no id", "state id", "birth certificate", "work authorization", "updating id"),
     "Missing documents hold up every application."),
    (Barrier.STIGMA, ("ashamed", "embarrassed", "refused previous", "afraid to complain"),
     "Embarrassed to ask for help; it will take time and trust."),
    (Barrier.DISABILITY, ("back injury", "back pain", "oxygen", "memory problems", "seizure"),
     "Health limits how far and how long the client can walk or sit."),
    (Barrier.WORK_HOURS, ("two jobs",), "Work hours leave only early mornings free."),
)

# --- What people say ----------------------------------------------------------------------

#: For each presenting issue (found by a phrase in it): two ways a client might put what
#: they want, and a strength the case manager noted.
VOICES: tuple[tuple[str, tuple[str, str], str], ...] = (
    ("evicted in the spring",
     ("I just need a place of my own again. I can't keep sleeping on my cousin's couch with "
      "my stuff in bags.",
      "I want to stop moving around. Get an apartment I can afford and sleep through the "
      "night."),
     "Worked steadily until the eviction; good rental history before that."),
    ("lost warehouse job",
     ("I want to get back to work and pay my own bills. And I want to stop feeling like "
      "this. I don't even want to go to church anymore.",
      "Right now I sleep all day. I want the unemployment sorted and to talk to somebody "
      "about how I feel."),
     "Nine years at the warehouse; the church community still calls."),
    ("second dui",
     ("Get this probation done and get my license back. I know the drinking got out of hand.",
      "I want the court off my back. I'll do the classes, I just need a way to get there."),
     "Has not missed a probation appointment; wants the license back to get to work."),
    ("baker act",
     ("I want to stay out of the hospital and not scare my mother again.",
      "Keep taking my medicine and get my own money so my mom doesn't have to pay for "
      "everything."),
     "Mother is devoted and involved; takes medication when reminded."),
    ("bipolar",
     ("Keep my appointments, pay off what I owe, and go back to work part-time.",
      "I don't want to go back in the hospital. I want a budget and a job, even a small one."),
     "Knows the early warning signs; stable on lithium right now."),
    ("memory problems",
     ("I want to stay in my own home. I'm not going to a nursing home.",
      "My daughter worries too much. But OK, if the pills come in a pack, I'll take them."),
     "Has lived independently for decades; knows the neighbours."),
    ("humanitarian parole",
     ("I want to work legally and help my family. And I want to sleep without the dreams.",
      "Papers first. Then a job. I don't want to depend on my cousins forever."),
     "Determined; worked as a home health aide back home; large family network here."),
    ("abusive partner",
     ("Keep me and my kids safe and get a place he can't find.",
      "I want the injunction and my kids back in school. I want to stop shaking every time "
      "the phone rings."),
     "Protective of the children; took the big step of leaving and reached out for help."),
    ("opioid use disorder",
     ("Stay on my medicine and keep my room. I've worked too hard to lose it over a bus "
      "ride.",
      "I don't want to go back to using. I need my ID and a way to get to the clinic."),
     "Five months without use and proud of it; sticks with the buprenorphine."),
    ("aged out of foster",
     ("Get my GED and a job, and a place that's mine.",
      "I want my papers, birth certificate and Social, so I can actually do stuff."),
     "Resourceful; has held part-time jobs on and off; wants to learn."),
    ("army veteran",
     ("Get a roof over my head and get some sleep without drinking first.",
      "I served. I should be able to get VA help. Housing, and to quit needing a drink to "
      "sleep."),
     "Disciplined and wants to be independent; eligible for VA care."),
    ("hiv-positive",
     ("Get back to my doctor and get my numbers down. And have food in the house.",
      "I stopped going because I was ashamed. I want to go back and do it right this time."),
     "Knows the clinic and its staff; was undetectable for years before."),
    ("type 2 diabetes",
     ("Get my Medicaid back so I don't have to cut my insulin.",
      "Stay out of the ER. Have a doctor who knows me."),
     "Knows how to manage the diabetes when insulin is there; checks sugar daily."),
    ("postpartum",
     ("I want to enjoy my baby. Right now I just cry.",
      "I want to feel normal again and have what the baby needs without begging."),
     "Loving and attentive with the baby; her own mother helps every day."),
    ("hoarding",
     ("I want to keep my apartment. I know it's bad, I just can't do it all at once.",
      "Don't throw my things away without asking me. But I'll work on it, a little at a "
      "time."),
     "Honest about the problem; gets on well with the building super."),
    ("spouse of 40 years",
     ("The evenings are the worst. I want to get through them without a bottle.",
      "I want to go back to my friends and my church. Sitting alone is killing me."),
     "Forty years of marriage; church friends who want to help."),
    ("chest pain",
     ("I want to stop ending up in the ER thinking I'm dying. I can't lose these jobs.",
      "Help me understand what's happening to me so I can keep working."),
     "Hard worker holding two jobs; wants to understand the attacks."),
    ("released from tgk",
     ("Stay clean, get a job, get my own place. I'm not going back.",
      "I need my ID first. Without ID I can't do nothing."),
     "Sober since before release; goes to meetings at the sober home."),
    ("roof damaged",
     ("I want my son to breathe. Either they fix it or we move.",
      "I want the landlord to fix the roof, and I want to sleep again."),
     "Keeps photos and copies of every repair request; advocates hard for the son."),
    ("caregiver for adult son",
     ("I love my son but I need help. Just a few hours a week to breathe.",
      "I want someone to take him some days so I can go to the doctor myself."),
     "Knows the son's needs better than anyone; family in town could learn to help."),
    ("not paid for six weeks",
     ("I want my money. I worked those six weeks.",
      "Get paid what they owe me and find work with a boss who pays."),
     "Skilled in drywall and tile; kept a notebook of every hour worked."),
    ("college counselor",
     ("I want to feel something again. And not fail out of school.",
      "Withdraw the right way, get better, and go back in the fall."),
     "Bright; close to a cousin at school; completed a safety plan and is willing to use it."),
    ("chronic back pain",
     ("I want to stop buying pills. I never thought I'd be this person.",
      "Get real treatment for my back and get off the street stuff."),
     "Came in asking for help; steady work record before the fall."),
    ("suicidal ideation after a breakup",
     ("I want to feel safe with myself. And move out of my ex's place.",
      "Have people to call when it gets bad, and get my own place."),
     "Followed through on the ED referral; a close friend checks in daily."),
    ("disconnection notice",
     ("Keep the lights and the AC on. My heart can't take the heat.",
      "I want to stay home and not end up in the hospital again this summer."),
     "Sharp and organised with paperwork; niece visits weekly."),
    ("schizoaffective",
     ("I want to stay where I live. I'll take the shot.",
      "My brother worries. I want to keep my room at the ALF."),
     "Likes the ALF staff; takes the injection when it is scheduled."),
    ("pregnant",
     ("I want my own place before the baby comes.",
      "Have a healthy baby and finish school."),
     "Goes to every appointment she can get to; boyfriend's family supportive for now."),
    ("transgender woman",
     ("I want to be me, have a place to live, and a job where nobody gives me trouble.",
      "Get my ID to say my name, a therapist who gets it, and a room of my own."),
     "Resilient; strong friendships in the LGBTQ community; years of restaurant experience."),
    ("lost snap and cash",
     ("I want my food stamps back. I haven't eaten right in a week.",
      "Get the benefits back, and maybe talk to somebody about the depression. It's been "
      "years."),
     "Knows the pantry network; a neighbour helps with rides."),
    ("gambling",
     ("I want to stop going to the casino and tell my family the truth.",
      "Get the debt under control before it ruins my marriage."),
     "Thirty-five years as a mechanic; honest at intake about the debt."),
)
# fmt: on

TRAITS = (
    "Good sense of humour, even on hard days.",
    "Keeps every letter and appointment card in one folder.",
    "Made the first call to the agency without prompting.",
    "Knows the bus routes well.",
    "Cooks and shares meals with neighbours.",
    "Answers the phone and calls back; easy to reach.",
    "Honest about what is and isn't working.",
    "Walks every morning; says it clears the head.",
    "Good with numbers; wants to manage money better.",
)

# --- Goals and who helps --------------------------------------------------------------------


@dataclass(frozen=True)
class Help:
    """An intervention: by the case manager when `provider` is empty."""

    description: str
    frequency: str
    provider: str = ""


@dataclass(frozen=True)
class GoalTemplate:
    domain: Domain
    #: Used when the presenting issue contains one of these; empty: the domain's default.
    when: tuple[str, ...]
    client_words: str
    indicator: str
    unit: str
    baseline: int
    target: int
    helps: tuple[Help, ...]
    #: PHQ-9 or AUDIT-C: the goal is judged by it when the client has that measure.
    measure: str = ""
    months: int = 6


def _goal(
    domain: Domain,
    when: tuple[str, ...],
    words: str,
    indicator: str,
    amounts: tuple[int, int, str],
    *helps: Help,
    measure: str = "",
) -> GoalTemplate:
    baseline, target, unit = amounts
    return GoalTemplate(domain, when, words, indicator, unit, baseline, target, helps, measure)


CAMILLUS = "Camillus House"
JBH = "Jackson Behavioral Health"
BANYAN = "Banyan Health Systems"
CITRUS = "Citrus Health Network"
LEGAL_AID = "Legal Services of Greater Miami"
CVAC = "Coordinated Victims Assistance Center"
VA = "Miami VA Healthcare System"

# fmt: off
GOALS: tuple[GoalTemplate, ...] = (
    # Housing
    _goal(D.HOUSING, ("abusive partner",),
          "A place for me and the kids that he doesn't know about.",
          "nights in safe, stable housing of our own, past 30 days", (0, 30, "nights"),
          Help("Transitional housing application and safety planning for the move",
               "as scheduled", "Safespace (Miami-Dade Coordinated Victims Assistance Center)"),
          Help("Housing search together: listings, calls, viewings", "weekly")),
    _goal(D.HOUSING, ("army veteran",),
          "A roof over my head. Not the car.",
          "nights housed (not in the car), past 30 days", (0, 30, "nights"),
          Help("HUD-VASH referral and voucher paperwork", "as scheduled", f"{VA} (HUD-VASH)"),
          Help("Shelter bed while the voucher comes through", "nightly as needed", CAMILLUS)),
    _goal(D.HOUSING, ("mold in the bedroom",),
          "I want my son to sleep in a room without mold.",
          "repairs completed, of the 4 requested in writing", (0, 4, "repairs"),
          Help("Repair demand letters and tenant-rights advice", "as scheduled", LEGAL_AID),
          Help("Follow up with the landlord and code enforcement; photos of each room",
               "every two weeks")),
    _goal(D.HOUSING, ("face eviction",),
          "Keep my apartment. I know it's bad in there.",
          "rooms passing the code inspection, of 4", (0, 4, "rooms"),
          Help("Decluttering at home, one area at a time; the client decides what goes",
               "weekly"),
          Help("Talk to the landlord and code enforcement about an extension", "as needed")),
    _goal(D.HOUSING, ("lives with ex-partner",),
          "Get my own place, away from my ex.",
          "nights in a place of my own, past 30 days", (0, 30, "nights"),
          Help("Housing search together and a budget for first month and deposit", "weekly"),
          Help("Rental deposit assistance", "once",
               "Catholic Charities of the Archdiocese of Miami")),
    _goal(D.HOUSING, ("at risk of losing room", "assisted living", "sharing a room",
                      "wants to stay home"),
          "Keep a roof over my head that I can count on.",
          "months with rent paid in full and on time", (0, 3, "months"),
          Help("Budget for rent first; one-time rental assistance application",
               "every two weeks"),
          Help("Emergency rental assistance", "once",
               "Catholic Charities of the Archdiocese of Miami")),
    _goal(D.HOUSING, (),
          "A place of my own where nobody can tell me to leave.",
          "nights in stable housing (own lease or permanent placement), past 30 days",
          (0, 30, "nights"),
          Help("Housing search together: listings, calls to landlords, viewings", "weekly"),
          Help("Rapid re-housing assessment and case conferencing", "as scheduled",
               "Miami-Dade Homeless Trust")),
    # Mental health
    _goal(D.MENTAL_HEALTH, ("schizoaffective", "baker act"),
          "Stay out of the hospital and keep my shots and appointments.",
          "psychiatry appointments kept, of those scheduled (%)", (40, 100, "%"),
          Help("Psychiatry and medication management", "monthly", CITRUS),
          Help("Reminder call before each appointment; bus pass or ride", "monthly")),
    _goal(D.MENTAL_HEALTH, ("bipolar",),
          "Keep my appointments and my labs so I stay stable.",
          "psychiatry visits and lithium labs kept, past 90 days (%)", (50, 100, "%"),
          Help("Psychiatry and lithium monitoring", "monthly", BANYAN),
          Help("Calendar and reminders set up together; check-in before labs", "monthly")),
    _goal(D.MENTAL_HEALTH, ("gambling",),
          "Stop going to the casino and tell my family the truth.",
          "days gambled, past 30 days", (18, 0, "days"),
          Help("Gambling treatment and peer group", "weekly",
               "Florida Council on Compulsive Gambling"),
          Help("Casino self-exclusion paperwork, done together", "once")),
    _goal(D.MENTAL_HEALTH, ("chest pain",),
          "Stop ending up in the ER thinking I'm having a heart attack.",
          "ER visits for chest pain or panic, past 30 days", (3, 0, "visits"),
          Help("CBT for panic disorder, evening appointments", "weekly", JBH),
          Help("Practise the breathing plan; check in after any ER visit", "every two weeks")),
    _goal(D.MENTAL_HEALTH, ("adhd",),
          "Get my ADHD looked at so I can focus on the GED.",
          "psychiatric evaluation and follow-ups attended", (0, 3, "visits"),
          Help("Psychiatric evaluation and follow-up", "monthly", CITRUS)),
    _goal(D.MENTAL_HEALTH, ("postpartum",),
          "I want to enjoy my baby and stop crying all the time.",
          "days a week feeling mostly OK", (1, 5, "days"),
          Help("Perinatal therapy; the baby is welcome at sessions", "weekly",
               f"{JBH} — Perinatal Mental Health"),
          Help("Home visit: mood, sleep and baby supplies", "every two weeks"),
          measure="phq-9"),
    _goal(D.MENTAL_HEALTH, ("transgender woman",),
          "Have a therapist who gets it, and feel less alone.",
          "days a week feeling mostly OK", (1, 5, "days"),
          Help("Affirming individual therapy", "weekly", "Pridelines"),
          Help("Check-in on mood and the support group", "every two weeks"),
          measure="phq-9"),
    _goal(D.MENTAL_HEALTH, ("army veteran",),
          "Sleep through the night without the nightmares.",
          "nights a week with 6 hours of sleep", (1, 5, "nights"),
          Help("PTSD clinic: evaluation and therapy", "weekly", VA),
          Help("Check in on sleep and appointments", "every two weeks"),
          measure="phq-9"),
    _goal(D.MENTAL_HEALTH, ("humanitarian parole",),
          "Sleep without the bad dreams and stop jumping at every noise.",
          "nights a week with 6 hours of sleep", (2, 5, "nights"),
          Help("Trauma therapy in the client's language", "weekly", CITRUS),
          Help("Check in on sleep and worries at each visit", "every two weeks"),
          measure="phq-9"),
    _goal(D.MENTAL_HEALTH, ("spouse of 40 years",),
          "Get through the evenings without it swallowing me.",
          "evenings a week spent with someone or doing something planned", (0, 4, "evenings"),
          Help("Bereavement support group", "weekly", "VITAS Healthcare bereavement services"),
          Help("Plan the week's evenings together", "every two weeks"),
          measure="phq-9"),
    _goal(D.MENTAL_HEALTH, (),
          "I want to feel like myself again: get up in the morning and do things.",
          "days a week out of the house doing something planned", (1, 5, "days"),
          Help("Individual therapy (CBT)", "weekly", JBH),
          Help("Check-in on mood and appointments", "every two weeks"),
          measure="phq-9"),
    # Substance use
    _goal(D.SUBSTANCE_USE, ("opioid use disorder",),
          "Stay on my medicine and never miss the clinic again.",
          "clinic visits kept, of 4 a month", (2, 4, "visits"),
          Help("Buprenorphine treatment and counselling", "weekly", BANYAN),
          Help("Monthly bus pass and a reminder the day before the clinic", "monthly")),
    _goal(D.SUBSTANCE_USE, ("buying pills",),
          "Stop buying pills on the street.",
          "days using pills not prescribed to me, past 30 days", (12, 0, "days"),
          Help("Medication-assisted treatment evaluation and care", "weekly", JBH),
          Help("Check in on cravings and appointments", "weekly")),
    _goal(D.SUBSTANCE_USE, ("cocaine use",),
          "Stay clean now that I'm out.",
          "recovery meetings attended per week", (1, 4, "meetings"),
          Help("Recovery meetings near the sober home", "4 times a week",
               "Narcotics Anonymous (South Florida)"),
          Help("Relapse-prevention check-in", "weekly")),
    _goal(D.SUBSTANCE_USE, ("second dui",),
          "Finish the treatment the court ordered and stay sober.",
          "days with any alcohol, past 30 days", (24, 0, "days"),
          Help("Intensive outpatient program (court-approved)", "3 evenings a week", BANYAN),
          Help("Bus pass and progress letters to the probation officer", "monthly"),
          measure="audit-c"),
    _goal(D.SUBSTANCE_USE, ("army veteran",),
          "Quit needing a drink to fall asleep.",
          "nights with alcohol, past 30 days", (28, 4, "nights"),
          Help("Substance use treatment program", "weekly", VA),
          Help("Check in on drinking and sleep", "every two weeks"),
          measure="audit-c"),
    _goal(D.SUBSTANCE_USE, ("college counselor",),
          "Not get blackout drunk on weekends anymore.",
          "days with 4 or more drinks, past 30 days", (6, 0, "days"),
          Help("Brief intervention and group", "weekly", JBH),
          measure="audit-c"),
    _goal(D.SUBSTANCE_USE, (),
          "Cut back to a glass with dinner, not the whole bottle.",
          "drinks per week", (21, 7, "drinks"),
          Help("Alcohol use assessment and counselling", "weekly", BANYAN),
          Help("Check in on drinking at each visit", "every two weeks"),
          measure="audit-c"),
    # Legal
    _goal(D.LEGAL, ("probation",),
          "Finish probation with no violations.",
          "probation check-ins kept (%)", (60, 100, "%"),
          Help("Reminders and rides to probation reporting", "monthly"),
          Help("Advice on early termination of probation", "once", LEGAL_AID)),
    _goal(D.LEGAL, ("humanitarian parole",),
          "Get my work permit so I can work legally.",
          "immigration applications filed (work permit, status)", (0, 2, "applications"),
          Help("Immigration legal consultation and filings", "as scheduled",
               "Americans for Immigrant Justice"),
          Help("Gather documents and fees together", "weekly")),
    _goal(D.LEGAL, ("injunction",),
          "Get the injunction so he can't come near us.",
          "injunction steps done (petition, hearing, service)", (0, 3, "steps"),
          Help("Injunction petition and court advocate", "as scheduled", CVAC),
          Help("Go with the client to the hearing", "once")),
    _goal(D.LEGAL, ("wage theft",),
          "Get paid for the six weeks I worked.",
          "unpaid wages recovered (dollars)", (0, 4800, "dollars"),
          Help("Wage theft complaint and hearing", "as scheduled", "Miami-Dade Wage Theft Program"),
          Help("Put the hours notebook and pay stubs in order", "once")),
    _goal(D.LEGAL, ("workers' comp",),
          "Get the workers' comp claim sorted out.",
          "claim steps completed (report, medical, filing)", (0, 3, "steps"),
          Help("Workers' compensation advice", "as scheduled", LEGAL_AID)),
    _goal(D.LEGAL, (),
          "Get the legal problem off my back.",
          "legal steps completed", (0, 3, "steps"),
          Help("Legal advice and representation", "as scheduled", LEGAL_AID)),
    # Finances and benefits
    _goal(D.FINANCES_BENEFITS, ("lost snap", "cash assistance", "no income, sharing",
                                "aged out of foster", "wic and diapers"),
          "Get my benefits back so there's food in the house.",
          "benefits in place (SNAP, cash assistance or WIC)", (0, 2, "benefits"),
          Help("ACCESS Florida applications and the DCF interview, done together", "weekly"),
          Help("Food pantry while benefits are pending", "weekly", "Feeding South Florida")),
    _goal(D.FINANCES_BENEFITS, ("applying for ssi",),
          "Get my own money so my mom doesn't pay for everything.",
          "SSI application steps completed, of 4", (0, 4, "steps"),
          Help("SOAR-assisted SSI application", "as scheduled", f"{JBH} (SOAR)")),
    _goal(D.FINANCES_BENEFITS, ("lost medicaid",),
          "Get my Medicaid back so I don't have to cut my insulin.",
          "days without insulin, past 30 days", (10, 0, "days"),
          Help("Medicaid reinstatement and patient assistance for insulin", "weekly"),
          Help("Sliding-fee primary care and insulin program", "monthly",
               "Borinquen Health Care Center")),
    _goal(D.FINANCES_BENEFITS, ("disconnection notice",),
          "Keep the lights and the AC on.",
          "months with the power bill paid", (0, 3, "months"),
          Help("LIHEAP application and medical certificate for FPL", "once",
               "Miami-Dade Community Action and Human Services"),
          Help("Budget together around the Social Security check", "monthly")),
    _goal(D.FINANCES_BENEFITS, ("credit card debt", "car repossession"),
          "Pay down the debt and stop hiding from the bills.",
          "debt owed (dollars)", (14000, 10000, "dollars"),
          Help("Credit counselling and a debt management plan", "monthly",
               "Consumer Credit Counseling Service of Greater Miami"),
          Help("Budget review together", "monthly")),
    _goal(D.FINANCES_BENEFITS, (),
          "Have enough money coming in to cover rent and food.",
          "monthly income (dollars)", (0, 900, "dollars"),
          Help("Benefits screening and applications", "weekly"),
          Help("Free tax and benefits help", "once",
               "Catholic Charities of the Archdiocese of Miami")),
    # Employment and education
    _goal(D.EMPLOYMENT_EDUCATION, ("finish ged",),
          "Finish my GED and get a real job.",
          "GED subject tests passed, of 4", (0, 4, "tests"),
          Help("GED classes", "3 times a week",
               "Miami-Dade County Public Schools Adult Education"),
          Help("Replace the birth certificate and Social Security card", "once")),
    _goal(D.EMPLOYMENT_EDUCATION, ("missed most classes",),
          "Withdraw the right way, get better, and go back next term.",
          "medical withdrawal steps completed, of 3", (0, 3, "steps"),
          Help("Medical withdrawal paperwork with the dean of students", "once"),
          Help("Plan for returning next term", "monthly")),
    _goal(D.EMPLOYMENT_EDUCATION, ("works two jobs",),
          "Keep both jobs.",
          "shifts missed, past 30 days", (6, 0, "shifts"),
          Help("Evening therapy times so no shifts are missed", "once"),
          Help("Letter to the employers if needed, with consent", "as needed")),
    _goal(D.EMPLOYMENT_EDUCATION, (),
          "Get back to work, even part-time.",
          "hours of paid work per week", (0, 20, "hours"),
          Help("Job readiness, résumé and job leads", "weekly", "CareerSource South Florida"),
          Help("Practise interviews and follow up on applications", "every two weeks")),
    # Physical health
    _goal(D.PHYSICAL_HEALTH, ("hiv-positive",),
          "Get my viral load undetectable again.",
          "HIV care visits kept, past 90 days", (0, 3, "visits"),
          Help("Ryan White medical case management and HIV care", "monthly", "Care Resource"),
          Help("Go with the client to the first visit back", "once")),
    _goal(D.PHYSICAL_HEALTH, ("type 2 diabetes",),
          "Get my sugar under control and stay out of the ER.",
          "ER visits for high blood sugar, past 90 days", (2, 0, "visits"),
          Help("Primary care and diabetes education", "monthly",
               "Borinquen Health Care Center")),
    _goal(D.PHYSICAL_HEALTH, ("heart failure",),
          "Stay out of the hospital this summer.",
          "hospital or ER days, past 90 days", (4, 0, "days"),
          Help("Home health assessment and nurse visits", "weekly", "Alliance for Aging"),
          Help("Check on the AC, oxygen and medications", "every two weeks")),
    _goal(D.PHYSICAL_HEALTH, ("prenatal care",),
          "Have a healthy baby.",
          "prenatal visits kept (%)", (0, 100, "%"),
          Help("Healthy Start care coordination", "every two weeks",
               "Healthy Start Coalition of Miami-Dade"),
          Help("Rides to prenatal appointments", "as needed")),
    _goal(D.PHYSICAL_HEALTH, ("chronic back pain", "back injury"),
          "Get my back treated by a doctor.",
          "pain management appointments kept", (0, 3, "visits"),
          Help("Pain management referral", "monthly", "Jackson Health System")),
    _goal(D.PHYSICAL_HEALTH, (),
          "Have a regular doctor.",
          "primary care visits kept", (0, 2, "visits"),
          Help("Primary care appointment and follow-up", "as scheduled",
               "Jessie Trice Community Health System")),
    # Family and social
    _goal(D.FAMILY_SOCIAL, ("caregiver for adult son",),
          "Get a break, even one afternoon a week.",
          "hours of respite per week", (0, 8, "hours"),
          Help("Respite and APD waiver follow-up", "weekly",
               "Agency for Persons with Disabilities"),
          Help("Train a relative to cover one afternoon", "once")),
    _goal(D.FAMILY_SOCIAL, ("two children",),
          "Get the kids back in school and settled.",
          "children enrolled and attending, of 2", (0, 2, "children"),
          Help("School enrolment through the homeless liaison", "once",
               "Miami-Dade County Public Schools"),
          Help("Uniforms and supplies", "once")),
    _goal(D.FAMILY_SOCIAL, ("family stopped contact",),
          "Have people in my life who accept me.",
          "support group meetings attended per month", (0, 4, "meetings"),
          Help("Trans support group", "weekly", "Pridelines")),
    _goal(D.FAMILY_SOCIAL, ("elderly mother",),
          "Take some of the load off my mom.",
          "family education sessions attended, of 8", (0, 8, "sessions"),
          Help("Family-to-Family class for the mother", "weekly", "NAMI Miami-Dade County"),
          Help("Family meeting on who does what at home", "monthly")),
    _goal(D.FAMILY_SOCIAL, ("spouse of 40 years", "retiring", "daughter reports"),
          "See people again instead of sitting alone at home.",
          "outings with friends, family or church per week", (0, 3, "outings"),
          Help("Senior centre activities and lunch", "twice a week",
               "Little Havana Activities & Nutrition Centers"),
          Help("Plan the week together", "every two weeks")),
    _goal(D.FAMILY_SOCIAL, (),
          "See people again instead of sitting alone at home.",
          "outings with friends or family per week", (0, 3, "outings"),
          Help("Peer support group", "weekly", "NAMI Miami-Dade County"),
          Help("Plan the week together", "every two weeks")),
    # Daily living
    _goal(D.DAILY_LIVING, ("memory problems",),
          "Stay in my own home, safely.",
          "missed medication doses per week", (6, 0, "doses"),
          Help("Blister-packed medications and home-delivered meals", "weekly",
               "Alliance for Aging"),
          Help("Geriatric assessment appointment with the daughter", "once")),
    _goal(D.DAILY_LIVING, ("not eating.",),
          "Eat regular meals again.",
          "meals a day", (1, 3, "meals"),
          Help("Meal plan with the ALF staff", "weekly", "the assisted living facility"),
          Help("Check weight and meals at each visit", "every two weeks")),
    _goal(D.DAILY_LIVING, (),
          "Handle my appointments and bills on my own.",
          "appointments kept without a reminder (%)", (30, 80, "%"),
          Help("Set up a calendar and bill-pay routine together", "every two weeks")),
    # Transportation
    _goal(D.TRANSPORTATION, (),
          "Get to my appointments without begging for rides.",
          "appointments missed for lack of transport, past 30 days", (3, 0, "appointments"),
          Help("Monthly bus pass (EASY Card) and trip planning", "monthly"),
          Help("Special Transportation Services application", "once", "Miami-Dade Transit")),
    # Safety
    _goal(D.SAFETY, ("abusive partner",),
          "Keep me and the kids safe.",
          "safety plan steps in place, of 5", (1, 5, "steps"),
          Help("Safety planning and advocacy", "weekly", CVAC)),
    _goal(D.SAFETY, ("suicidal", '"empty"'),
          "Know what to do when it gets dark in my head.",
          "people on my safety plan I have actually called", (0, 3, "people"),
          Help("Review the safety plan; ask about suicidal thoughts at every contact", "weekly"),
          Help("Crisis line and mobile crisis when needed", "as needed",
               "988 Suicide & Crisis Lifeline")),
    _goal(D.SAFETY, (),
          "Feel safe at home.",
          "home safety steps done, of 4", (0, 4, "steps"),
          Help("Home safety check and fixes", "once")),
    # Spiritual
    _goal(D.SPIRITUAL, (),
          "Go back to church.",
          "Sunday services attended per month", (0, 4, "services"),
          Help("Reconnect with the pastor; ride on Sundays", "weekly")),
)
# fmt: on

#: The measures that show how a goal in the domain is going.
RELATED_MEASURES: dict[str, tuple[str, ...]] = {
    D.MENTAL_HEALTH: ("phq-9", "gad-7"),
    D.SUBSTANCE_USE: ("audit-c",),
}

#: What a revision adds where the need it addresses got worse.
EXTRA_HELP: dict[str, Help] = {
    D.SUBSTANCE_USE: Help(
        "Intensive outpatient program while the housing is sorted out",
        "3 mornings a week",
        f"{BANYAN} (IOP)",
    ),
    D.HOUSING: Help("Shelter bed while re-housing", "nightly", CAMILLUS),
}

PROGRESS_NOTES: dict[str, tuple[str, ...]] = {
    Progress.MET: (
        "Target reached; keeping the supports one more period to hold it.",
        "Met. Client proud of this one.",
    ),
    Progress.IN_PROGRESS: (
        "Moving the right way; same plan.",
        "Better than at the start, with some bumps.",
        "Steady progress; keep the same supports.",
    ),
    Progress.NOT_STARTED: (
        "Referral still pending; nothing to show yet.",
        "Not started: the client chose to focus on the most urgent goal first.",
    ),
    Progress.NOT_MET: (
        "No change yet; talked through what is getting in the way.",
        "Stuck. If nothing moves by the next review, try another provider.",
    ),
}

REVIEW_JUSTIFICATIONS = (
    "Progress on most goals; the client wants to keep the same plan.",
    "Going in the right direction. Same goals, same supports.",
    "Some goals moving, others slower; the client chose to continue as is.",
)

BETTER_NOTES: dict[str, str] = {
    D.HOUSING: "Moved into a studio; lease in own name.",
    D.MENTAL_HEALTH: "More stable since the intake; keeping appointments, sleeping most nights.",
    D.SUBSTANCE_USE: "Cut down a lot; going to group.",
    D.LEGAL: "Legal matter on track with the lawyer.",
    D.FINANCES_BENEFITS: "Benefits approved; bills current.",
    D.EMPLOYMENT_EDUCATION: "Working part-time now.",
    D.PHYSICAL_HEALTH: "Seeing a primary care doctor regularly; more stable.",
    D.FAMILY_SOCIAL: "Back in touch with family and friends.",
    D.DAILY_LIVING: "Managing meals and medications with the new supports.",
    D.TRANSPORTATION: "Has a bus pass and uses it.",
    D.SAFETY: "Feels safe; safety plan in place.",
    D.SPIRITUAL: "Back at church most Sundays.",
}
WORSE_NOTES: dict[str, str] = {
    D.HOUSING: "Less secure since the last assessment: behind on rent, landlord's notice.",
    D.MENTAL_HEALTH: "Mood lower again; sleeping badly.",
    D.SUBSTANCE_USE: "Relapse since the last assessment; asking for more support.",
    D.FINANCES_BENEFITS: "Hours cut; behind on bills again.",
    D.PHYSICAL_HEALTH: "New ER visit since the last assessment.",
    D.FAMILY_SOCIAL: "Conflict at home; less support than before.",
    D.EMPLOYMENT_EDUCATION: "Lost the job since the last assessment.",
    D.TRANSPORTATION: "Lost the ride; missing appointments again.",
    D.DAILY_LIVING: "Struggling with meals and medications again.",
    D.LEGAL: "New legal problem since the last assessment.",
    D.SAFETY: "Feels less safe at home than at intake.",
    D.SPIRITUAL: "Stopped going to church again.",
}
#: The story behind the revised plan: the room lost, then a relapse.
RELAPSE_NOTES: dict[str, str] = {
    D.HOUSING: "Lost the room rental last month; staying at Camillus House.",
    D.SUBSTANCE_USE: "Used twice after losing the room; back in daily contact with the clinic.",
}
RELAPSE_WORDS = (
    "I lost my room and then I slipped. I don't want to lose everything; I need more help."
)
BETTER_WORDS: dict[str, str] = {
    D.HOUSING: "Having my own place changed everything.",
    D.MENTAL_HEALTH: "I feel more like myself.",
    D.SUBSTANCE_USE: "I'm staying away from it now.",
    D.FINANCES_BENEFITS: "The benefits came through, thank God.",
    D.EMPLOYMENT_EDUCATION: "I'm working again.",
    D.PHYSICAL_HEALTH: "I have a doctor now.",
    D.FAMILY_SOCIAL: "I'm seeing people again.",
    D.LEGAL: "The legal stuff is moving.",
    D.TRANSPORTATION: "The bus pass helps a lot.",
    D.DAILY_LIVING: "I'm keeping up with things at home.",
    D.SAFETY: "I feel safer now.",
    D.SPIRITUAL: "I'm back at church.",
}
WORSE_WORDS: dict[str, str] = {
    D.HOUSING: "But I'm behind on the rent again.",
    D.SUBSTANCE_USE: "But I slipped, and I need more help with that.",
    D.MENTAL_HEALTH: "But I've been feeling down again.",
    D.FINANCES_BENEFITS: "But money is tight again.",
    D.PHYSICAL_HEALTH: "But my health has been worse.",
    D.FAMILY_SOCIAL: "But things at home are hard right now.",
}

# --- Time ---------------------------------------------------------------------------------


@contextmanager
def _on(day: dt.date, hour: int, minute: int = 0) -> Iterator[None]:
    """Run the enclosed services as if on `day` at that time of day, where time_machine is
    installed; otherwise only the dates passed to them are in the past. Today runs at the
    real time, so nothing is stamped in the future."""
    if time_machine is None or day >= timezone.localdate():
        yield
        return
    moment = dt.datetime.combine(day, dt.time(hour, minute), tzinfo=timezone.get_current_timezone())
    with time_machine.travel(moment, tick=False):
        yield


# --- Casting --------------------------------------------------------------------------------


@dataclass
class Cast:
    """One active demo client and what the demo does with them."""

    client: Client
    case_manager: User
    supervisor: User | None
    enrolled: dt.date
    text: str
    team_index: int
    #: Days enrolled as seed_demo generated them: who gets what is decided on these, so a
    #: run on a later day decides the same.
    generated_age: int
    role: str = ""
    assess: bool = False
    plan: bool = False
    reassess: bool = False
    #: Days from today to the review date the plan ends up with.
    review_in: int = 0
    service_start: dt.date | None = None

    @property
    def seed(self) -> str:
        c = self.client
        return f"{SEED}:{c.legal_first_name}|{c.legal_last_name}|{c.date_of_birth.isoformat()}"

    @property
    def rng(self) -> random.Random:
        return random.Random(self.seed)  # noqa: S311 - demo data, not security

    def pace(self, position: int) -> float:
        """How fast the client moves on the goal in that position: the same at every
        review, so the goal chart draws a steady line."""
        rng = random.Random(f"{self.seed}:goal {position}")  # noqa: S311 - demo data
        return rng.choice((0.0, 0.6, 0.9, 1.1, 1.3, 1.6))

    def has(self, *keywords: str) -> bool:
        return any(k in self.text for k in keywords)


ROLE_SAFETY = "open safety flag"
ROLE_FLAG_FOLLOWED_UP = "safety flag followed up"
ROLE_REVISED = "revised"
ROLE_DECLINED = "declined"
ROLE_UNDER_REVIEW = "under review"
ROLE_AWAITING = "awaiting approval"


def _demo_clients() -> list[tuple[Client, int]]:
    """The demo's clients in the order seed_demo generated them, with the days they had
    been enrolled when generated."""
    specs = ClientGenerator().generate([s.team or "" for s in STAFF if s.is_case_manager])
    wanted = Q()
    for first, last, born in (spec.key for spec in specs):
        wanted |= Q(legal_first_name=first, legal_last_name=last, date_of_birth=born)
    found = {
        (c.legal_first_name, c.legal_last_name, c.date_of_birth): c
        for c in Client.objects.filter(wanted).select_related("primary_case_manager", "team")
    }
    return [
        (
            found[spec.key],
            spec.enrolled_days_ago
            if spec.reenrolled_days_ago is None
            else spec.reenrolled_days_ago,
        )
        for spec in specs
        if spec.key in found
    ]


def cast_clients(today: dt.date, agency: Agency) -> list[Cast]:
    """Decide, for the active demo clients, who gets an assessment, a plan, which review date
    and which featured role. Depends only on the clients, so every run decides the same."""
    rng = random.Random(SEED)  # noqa: S311 - demo data, not security
    case_managers = [s.email for s in STAFF if s.is_case_manager]
    casts: list[Cast] = []
    for client, generated_age in _demo_clients():
        if client.status != ClientStatus.ACTIVE or client.primary_case_manager is None:
            continue
        email = client.primary_case_manager.email
        if email not in case_managers:
            continue
        episode = (
            client.episodes.filter(discharged_on__isnull=True).order_by("-enrolled_on").first()
        )
        if episode is None:
            continue
        casts.append(
            Cast(
                client=client,
                case_manager=client.primary_case_manager,
                supervisor=client.team.supervisors.filter(is_active=True).order_by("pk").first(),
                enrolled=episode.enrolled_on,
                text=client.presenting_issue.lower(),
                team_index=case_managers.index(email),
                generated_age=generated_age,
            )
        )

    def age(c: Cast) -> int:
        return c.generated_age

    def pick(pool: Sequence[Cast], role: str, key: Callable[[Cast], Any]) -> Cast | None:
        free = [c for c in pool if not c.role]
        if not free:
            return None
        chosen = min(free, key=key)
        chosen.role = role
        return chosen

    # The featured clients, chosen by what their presenting issue says.
    pick(
        [c for c in casts if c.has("suicidal ideation") and 35 <= age(c) <= 200]
        or [c for c in casts if 35 <= age(c) <= 200],
        ROLE_SAFETY,
        key=age,
    )
    pick(
        [c for c in casts if c.has("passive suicidal") and age(c) >= 45],
        ROLE_FLAG_FOLLOWED_UP,
        key=age,
    )
    pick(
        [c for c in casts if c.has("opioid use disorder") and age(c) >= 180]
        or [c for c in casts if age(c) >= 180],
        ROLE_REVISED,
        key=lambda c: -age(c),
    )
    pick(
        [c for c in casts if c.has("second dui") and age(c) >= 35]
        or [c for c in casts if age(c) >= 35],
        ROLE_DECLINED,
        key=age,
    )
    pick(
        [c for c in casts if c.team_index == 0 and age(c) >= 100],
        ROLE_UNDER_REVIEW,
        key=age,
    )
    for team in sorted({c.client.team.name for c in casts}):  # one in each team
        members = [c for c in casts if c.client.team.name == team and age(c) > PLAN_AFTER_DAYS]
        pick([c for c in members if age(c) <= 100] or members, ROLE_AWAITING, key=age)

    # Who is assessed: the featured ones and everyone new, then in turn from each caseload.
    chosen = [c for c in casts if c.role or age(c) <= PLAN_AFTER_DAYS]
    pools = [
        [c for c in casts if c.team_index == i and c not in chosen]
        for i in range(len(case_managers))
    ]
    for pool in pools:
        # Roughly newest first (popped from the end): fewer review cycles to replay.
        rng.shuffle(pool)
        pool.sort(key=lambda c: -age(c) + rng.randint(0, 60))
    turn = 0
    while len(chosen) < ASSESSED and any(pools):
        pool = pools[turn % len(pools)]
        if pool:
            chosen.append(pool.pop())
        turn += 1
    for c in chosen:
        c.assess = True

    # Who has a plan: assessed more than a month ago, less a few whose meeting is pending.
    planned = [c for c in casts if c.assess and age(c) > PLAN_AFTER_DAYS]
    pending = [c for c in planned if not c.role]
    rng.shuffle(pending)
    for c in pending[: max(0, len(planned) - PLANNED)]:
        planned.remove(c)
    for c in planned:
        c.plan = True
        _set_schedule(c, today, rng)
    # A reassessment some months in for a few long-standing clients (and the revised plan).
    seasoned = [c for c in planned if not c.role and age(c) >= 200]
    rng.shuffle(seasoned)
    for c in [*seasoned[: REASSESSED - 1], *(c for c in planned if c.role == ROLE_REVISED)]:
        c.reassess = True
    _spread_review_dates([c for c in casts if c.plan], today, agency, rng)
    return casts


def _set_schedule(c: Cast, today: dt.date, rng: random.Random) -> None:
    if c.role == ROLE_AWAITING:
        c.service_start = today - dt.timedelta(days=rng.randint(1, 4))
    else:
        gap = rng.randint(5, 21)
        c.service_start = min(c.enrolled + dt.timedelta(days=gap), today - dt.timedelta(days=2))


def _spread_review_dates(
    plans: list[Cast], today: dt.date, agency: Agency, rng: random.Random
) -> None:
    """Some plans overdue for review, several due within 14 days, most later. A review date
    must be at least `early_review_days` after the last start or review (no reason needed)."""
    interval, early = agency.review_interval_days, agency.early_review_days

    def feasible(c: Cast, days: int) -> bool:
        assert c.service_start is not None  # noqa: S101 - set for every plan
        start = (c.service_start - today).days
        if days < start + early:
            return False
        if days <= start + interval:
            return True  # still the first review period
        # Reviewed since: the last review, an interval before, was in the past and not in
        # the plan's first weeks.
        return start + MIN_REVIEW_GAP <= days - interval <= -1

    for c in plans:
        if c.role == ROLE_UNDER_REVIEW:
            soon = [d for d in range(1, 5) if feasible(c, d)] or [
                d for d in range(1, 15) if feasible(c, d)
            ]
            c.review_in = rng.choice(soon or [1])
        elif c.role == ROLE_REVISED:
            c.review_in = rng.randint(45, 65)
    case_managers = sorted({c.team_index for c in plans})
    for index in case_managers:
        mine = sorted(
            (
                c
                for c in plans
                if c.team_index == index and not c.review_in and c.role != ROLE_AWAITING
            ),
            key=lambda c: c.enrolled,
        )
        wanted = ([-rng.randint(4, 18)] if index in (0, 2, 5) else []) + [
            rng.randint(1, 14) for _ in range(2 if index == 0 else 1)
        ]
        for days in wanted:
            taker = next((c for c in mine if not c.review_in and feasible(c, days)), None)
            if taker is not None:
                taker.review_in = days
        for c in mine:
            if c.review_in:
                continue
            options = [d for d in range(18, interval - 1) if feasible(c, d)]
            assert c.service_start is not None  # noqa: S101
            first_period = [
                d
                for d in options
                if today + dt.timedelta(days=d) <= c.service_start + dt.timedelta(days=interval)
            ]
            c.review_in = rng.choice(first_period or options or [interval])


# --- Measures -------------------------------------------------------------------------------


def _answers(
    rng: random.Random, total: int, maxima: Sequence[int], weights: Sequence[float]
) -> list[int]:
    """Item answers adding up to `total`: the heavier items more often, spread out rather
    than piled on a few."""
    answers = [0] * len(maxima)
    total = max(0, min(total, sum(maxima)))
    while sum(answers) < total:
        open_items = [i for i, m in enumerate(maxima) if answers[i] < m]
        spread = [weights[j] * (maxima[j] - answers[j]) ** 2 for j in open_items]
        answers[rng.choices(open_items, weights=spread)[0]] += 1
    return answers


PHQ9_WEIGHTS = (1.3, 1.5, 1.3, 1.4, 1.0, 1.1, 0.9, 0.6)
GAD7_WEIGHTS = (1.4, 1.3, 1.3, 1.1, 0.7, 1.0, 0.9)
AUDITC_WEIGHTS = (1.5, 1.0, 1.1)


def _phq9(rng: random.Random, total: int, item9: int = 0) -> dict[int, int]:
    rest = _answers(rng, total - item9, [3] * 8, PHQ9_WEIGHTS)
    return {**{i + 1: v for i, v in enumerate(rest)}, 9: item9}


def _gad7(rng: random.Random, total: int) -> dict[int, int]:
    return {i + 1: v for i, v in enumerate(_answers(rng, total, [3] * 7, GAD7_WEIGHTS))}


def _auditc(rng: random.Random, total: int) -> dict[int, int]:
    return {i + 1: v for i, v in enumerate(_answers(rng, total, [4] * 3, AUDITC_WEIGHTS))}


def _trajectory(
    rng: random.Random, start: int, days: Sequence[dt.date], top: int, *, kind: str
) -> list[int]:
    """Scores on `days`: mostly improving, some flat, some worse, and no faster than
    people change (the full improvement takes about five months)."""
    span = max(1, (days[-1] - days[0]).days)
    if kind == "improving":
        end = start - (start - start * rng.uniform(0.3, 0.6)) * min(1.0, span / 150)
    elif kind == "flat":
        end = start + rng.randint(-2, 1)
    else:
        end = start + rng.randint(2, 5) * min(1.0, max(0.4, span / 90))
    scores = [start]
    for i, day in enumerate(days[1:], start=1):
        share = (day - days[0]).days / span
        noise = rng.randint(-1, 1) if i < len(days) - 1 else 0
        scores.append(round(start + (end - start) * share) + noise)
    return [max(0, min(top, s)) for s in scores]


@dataclass
class MeasurePlan:
    code: str
    scores: dict[dt.date, int] = field(default_factory=dict)
    item9: dict[dt.date, int] = field(default_factory=dict)


# --- Seeding --------------------------------------------------------------------------------


@dataclass
class Tally:
    skipped: int = 0
    assessments: Counter[str] = field(default_factory=Counter)
    measures: Counter[str] = field(default_factory=Counter)
    plans: int = 0
    reviews: int = 0


class CarePlanSeeder:
    def __init__(self) -> None:
        self.today = timezone.localdate()
        self.tally = Tally()
        self.instruments = {
            i.code: i for i in Instrument.objects.prefetch_related("items", "bands")
        }

    def run(self) -> list[str]:
        agency = Agency.objects.order_by("pk").first()
        if agency is None:
            return ["Care plans: no demo agency; run seed_demo first."]
        casts = cast_clients(self.today, agency)
        for c in casts:
            if not c.assess:
                continue
            client = c.client
            touched = (
                Assessment.objects.filter(client=client).exists()
                or MeasureAdministration.objects.filter(client=client).exists()
                or ServicePlan.objects.filter(client=client).exists()
            )
            if touched:
                self.tally.skipped += 1
                continue
            self._seed_client(c, agency)
        return self._summary(casts)

    # A client, from intake to today.

    def _seed_client(self, c: Cast, agency: Agency) -> None:
        rng = c.rng
        intake = self._intake(c, rng)
        needs = {n.domain: n.level for n in intake.needs.all()}
        schedule = self._review_schedule(c, agency, rng) if c.plan else []
        review_days = [day for day, _ in schedule]
        measures = self._plan_measures(c, rng, needs, review_days)
        reassess_on = self._reassessment_day(c, review_days)

        plan = self._plan(c, rng, intake, measures, schedule, agency) if c.plan else None
        events = sorted({day for m in measures for day in m.scores} | set(review_days))
        assessment_for: dict[dt.date, Assessment] = {intake.assessed_on: intake}
        for day in events:
            if day == reassess_on:
                assessment_for[day] = self._reassess(c, rng, intake, day, measures)
            for m in measures:
                if day in m.scores:
                    self._administer(c, rng, m, day, assessment_for.get(day))
            if plan is not None and day in review_days:
                plan = self._review(c, rng, plan, schedule, day, measures)
        if plan is not None and c.role == ROLE_UNDER_REVIEW:
            plan_start_review(actor=c.case_manager, plan=plan)

    def _intake(self, c: Cast, rng: random.Random) -> Assessment:
        client, actor, day = c.client, c.case_manager, c.enrolled
        levels: dict[str, tuple[str, list[str]]] = {}
        for rule in NEED_RULES:
            if rule.keyword in c.text:
                level, notes = levels.get(rule.domain, (L.NONE.value, []))
                if LEVEL_RANK[rule.level] > LEVEL_RANK[level]:
                    level = rule.level.value
                levels[rule.domain] = (level, [*notes, rule.note])
        needs: dict[str, tuple[str, str]] = {}
        for domain in Domain.values:
            if domain in levels:
                level, notes = levels[domain]
                needs[domain] = (level, " ".join(notes))
            elif domain == D.SPIRITUAL and rng.random() < 0.3:
                needs[domain] = (
                    L.NOT_ASSESSED.value,
                    "Client preferred not to talk about faith today.",
                )
            elif rng.random() < 0.3:
                needs[domain] = (L.LOW.value, rng.choice(QUIET_NOTES[domain]))
            else:
                needs[domain] = (L.NONE.value, "")

        barriers = [b for b, words, _ in BARRIER_RULES if any(w in c.text for w in words)]
        if client.interpreter_needed:
            barriers.append(Barrier.LANGUAGE)
        if not client.phone:
            barriers.append(Barrier.NO_PHONE)
        notes = [text for b, _, text in BARRIER_RULES if b in barriers]
        if Barrier.LANGUAGE in barriers:
            notes.append(
                f"Needs a {client.primary_language} interpreter for appointments and forms."
            )
        if Barrier.NO_PHONE in barriers:
            notes.append("No working phone; reach through the emergency contact or at drop-in.")

        voice = next((v for v in VOICES if v[0] in c.text), None)
        strengths = []
        if voice is not None:
            strengths.append(voice[2])
        relation = client.emergency_contact_relationship
        estranged = relation in ("Partner", "Spouse") and c.has(
            "partner", "breakup", "spouse", "ex-"
        )
        if client.emergency_contact_name and not estranged:
            first = client.emergency_contact_name.split()[0]
            relation = client.emergency_contact_relationship.lower()
            strengths.append(
                rng.choice(
                    (
                        f"Close to {relation} {first}, who came to the intake.",
                        f"{relation.capitalize()} {first} checks in most days.",
                        f"Can count on {relation} {first} in a pinch.",
                    )
                )
            )
        if client.other_languages:
            strengths.append(
                f"Speaks {client.primary_language} and {', '.join(client.other_languages)}."
            )
        strengths.append(rng.choice(TRAITS))
        words = rng.choice(voice[1]) if voice is not None else "I want things to be stable again."

        with _on(day, 9, 30):
            assessment = assessment_start(actor=actor, client=client, assessed_on=day)
            assessment_update(
                actor=actor,
                assessment=assessment,
                data={
                    "strengths": " ".join(strengths),
                    "barriers": barriers,
                    "barrier_notes": " ".join(notes),
                    "client_words": words,
                },
                needs=needs,
            )
        with _on(day, 10, 40):
            assessment = assessment_complete(actor=actor, assessment=assessment)
        self.tally.assessments[AssessmentKind.INTAKE] += 1
        return assessment

    def _reassessment_day(self, c: Cast, reviews: list[dt.date]) -> dt.date | None:
        """The chosen clients are reassessed on their latest review day, three months or
        more after the intake."""
        late = [day for day in reviews if (day - c.enrolled).days >= 90]
        return late[-1] if c.reassess and late else None

    def _reassess(
        self,
        c: Cast,
        rng: random.Random,
        intake: Assessment,
        day: dt.date,
        measures: list[MeasurePlan],
    ) -> Assessment:
        actor = c.case_manager
        with _on(day, 9, 15):
            assessment = assessment_start(actor=actor, client=c.client, assessed_on=day)
        current = {n.domain: n.level for n in assessment.needs.all()}
        ranked = sorted(
            (d for d, level in current.items() if level in (L.MODERATE, L.HIGH)),
            key=lambda d: -LEVEL_RANK[current[d]],
        )
        scale = [L.NONE.value, L.LOW.value, L.MODERATE.value, L.HIGH.value]
        changes: dict[str, tuple[str, str]] = {}
        better: list[str] = []
        worse: list[str] = []
        if c.role == ROLE_REVISED:
            worse = [D.SUBSTANCE_USE, D.HOUSING]
            better = [d for d in ranked if d not in worse][:1]
        else:
            # What the scores say wins: no "mood better" beside a PHQ-9 that went up.
            trend: dict[str, int] = {}
            for m in measures:
                domain = D.SUBSTANCE_USE if m.code == "audit-c" else D.MENTAL_HEALTH
                earlier = [d for d in m.scores if d <= day]
                change = m.scores[max(earlier)] - m.scores[min(m.scores)]
                trend[domain] = max(trend.get(domain, change), change)
            better = [d for d in ranked if trend.get(d, -1) < 0][: rng.randint(1, 2)]
            worse = [d for d, change in trend.items() if change >= 3 and current.get(d) != L.HIGH][
                :1
            ]
            quiet = [
                d for d, level in current.items() if level in (L.NONE, L.LOW) and d in WORSE_WORDS
            ]
            if not worse and quiet and rng.random() < 0.5:
                worse = [rng.choice(quiet)]
        for d in better:
            level = scale[max(0, LEVEL_RANK[current[d]] - rng.randint(1, 2))]
            changes[d] = (level, BETTER_NOTES[d])
        for d in worse:
            if c.role == ROLE_REVISED:
                changes[d] = (L.HIGH.value, RELAPSE_NOTES[d])
            else:
                changes[d] = (scale[min(3, LEVEL_RANK.get(current[d], 0) + 1)], WORSE_NOTES[d])
        said = [BETTER_WORDS.get(d, "Some things are better.") for d in better[:1]]
        said += [WORSE_WORDS.get(d, "") for d in worse[:1]]
        if c.role == ROLE_REVISED:
            said = [RELAPSE_WORDS]
        with _on(day, 9, 45):
            assessment_update(
                actor=actor,
                assessment=assessment,
                data={"client_words": " ".join(s for s in said if s) or intake.client_words},
                needs=changes,
            )
            assessment = assessment_complete(actor=actor, assessment=assessment)
        self.tally.assessments[AssessmentKind.REASSESSMENT] += 1
        return assessment

    # Measures.

    def _plan_measures(
        self, c: Cast, rng: random.Random, needs: dict[str, str], reviews: list[dt.date]
    ) -> list[MeasurePlan]:
        mental = LEVEL_RANK.get(needs.get(D.MENTAL_HEALTH, ""), 0)
        codes: list[str] = []
        if mental >= 2 and not c.has("schizo", "baker act", "adhd"):
            codes.append("phq-9")
        if c.has("panic", "anxi", "nightmares", "ptsd", "insomnia") and rng.random() < 0.6:
            codes.append("gad-7")
        if c.has("drink", "dui"):
            codes.append("audit-c")
        if c.role == ROLE_SAFETY and "phq-9" not in codes:
            codes.append("phq-9")
        days = [c.enrolled, *reviews]
        if len(days) < 3 and c.plan:
            assert c.service_start is not None  # noqa: S101
            middle = c.service_start + dt.timedelta(days=rng.randint(25, 45))
            if middle < self.today and middle not in days and (not reviews or middle < reviews[0]):
                days.append(middle)
        if len(days) < 2:
            follow_up = c.enrolled + dt.timedelta(days=rng.randint(7, 21))
            if follow_up < self.today:
                days.append(follow_up)
        if c.role == ROLE_SAFETY:
            recent = self.today - dt.timedelta(days=2)
            days = [d for d in days if d < recent - dt.timedelta(days=10)] + [recent]
        days = sorted(set(days))
        if len(days) > 5:
            days = [days[0], *days[-4:]]
        if len(days) < 2:
            return []

        plans = []
        for code in codes:
            when = days
            if code == "audit-c":
                # It asks about drinking over time: not repeated within a month.
                when = [days[0]]
                for day in days[1:]:
                    if (day - when[-1]).days >= 30:
                        when.append(day)
                room = (self.today - days[0]).days - 1
                if len(when) < 2 and room >= 30:
                    when.append(days[0] + dt.timedelta(days=rng.randint(30, min(45, room))))
                if len(when) < 2:
                    continue
            level = LEVEL_RANK.get(
                needs.get(D.SUBSTANCE_USE if code == "audit-c" else D.MENTAL_HEALTH, ""), 0
            )
            if code == "phq-9":
                start = (
                    17
                    if c.has("phq-9 of 17")
                    else rng.randint(15, 21)
                    if level >= 3
                    else rng.randint(10, 14)
                )
                top = 24
            elif code == "gad-7":
                start, top = (rng.randint(14, 18) if level >= 3 else rng.randint(9, 13)), 21
            else:
                start, top = (rng.randint(8, 11) if level >= 3 else rng.randint(5, 7)), 12
            kind = rng.choices(("improving", "flat", "worse"), weights=(70, 15, 15))[0]
            if c.role == ROLE_SAFETY and code == "phq-9":
                kind = "flat"
            scores = _trajectory(rng, start, when, top, kind=kind)
            m = MeasurePlan(code, dict(zip(when, scores, strict=True)))
            if code == "phq-9":
                if c.role == ROLE_FLAG_FOLLOWED_UP:
                    m.item9[days[0]] = 1
                if c.role == ROLE_SAFETY:
                    m.scores[days[-1]] = max(m.scores[days[-1]], 14)
                    m.item9[days[-1]] = 1
            plans.append(m)
        return plans

    def _administer(
        self,
        c: Cast,
        rng: random.Random,
        m: MeasurePlan,
        day: dt.date,
        assessment: Assessment | None,
    ) -> None:
        total = m.scores[day]
        if m.code == "phq-9":
            answers = _phq9(rng, total, m.item9.get(day, 0))
        elif m.code == "gad-7":
            answers = _gad7(rng, total)
        else:
            answers = _auditc(rng, total)
        with _on(day, 10, 50):
            measure_administer(
                actor=c.case_manager,
                client=c.client,
                instrument=self.instruments[m.code],
                answers=answers,
                administered_on=day,
                assessment=assessment,
            )
        self.tally.measures[m.code] += 1
        if m.item9.get(day) and c.role == ROLE_FLAG_FOLLOWED_UP:
            flag = SafetyFlag.objects.filter(client=c.client, resolved_at__isnull=True).first()
            if flag is not None:
                with _on(day, 11, 20):
                    safety_flag_resolve(
                        actor=c.case_manager,
                        flag=flag,
                        follow_up=(
                            "Asked directly: passive thoughts, no plan, intent or means. "
                            "Safety plan written together (cousin and 988 on it); supervisor "
                            "told the same day. Follow-up call booked for tomorrow."
                        ),
                    )

    # Plans.

    def _review_schedule(
        self, c: Cast, agency: Agency, rng: random.Random
    ) -> list[tuple[dt.date, dt.date]]:
        """(review day, next review due) for each review up to today, ending with the review
        date the casting chose; empty when the first review date has not passed."""
        assert c.service_start is not None  # noqa: S101
        if c.role == ROLE_AWAITING:
            return []
        interval, early = agency.review_interval_days, agency.early_review_days
        start = c.service_start
        final = self.today + dt.timedelta(days=c.review_in)
        if (final - start).days <= interval:
            return []
        jitter = 0 if c.role == ROLE_REVISED else rng.randint(0, 4)
        last = max(final - dt.timedelta(days=interval - jitter), start + dt.timedelta(days=early))
        last = min(last, self.today - dt.timedelta(days=1))
        span = (last - start).days
        count = math.ceil(span / (interval - 4))
        days = [start + dt.timedelta(days=round(span * k / count)) for k in range(1, count + 1)]
        schedule = []
        for k, day in enumerate(days):
            due = days[k + 1] + dt.timedelta(days=rng.randint(0, 3)) if k + 1 < len(days) else final
            due = min(due, day + dt.timedelta(days=interval))
            schedule.append((day, due))
        return schedule

    def _templates(self, c: Cast, domain: str) -> GoalTemplate | None:
        fitting = [t for t in GOALS if t.domain == domain]
        return next((t for t in fitting if t.when and c.has(*t.when)), None) or next(
            (t for t in fitting if not t.when), None
        )

    def _plan(
        self,
        c: Cast,
        rng: random.Random,
        intake: Assessment,
        measures: list[MeasurePlan],
        schedule: list[tuple[dt.date, dt.date]],
        agency: Agency,
    ) -> ServicePlan:
        actor, client = c.case_manager, c.client
        start = c.service_start
        assert start is not None  # noqa: S101
        first_due = schedule[0][0] + dt.timedelta(days=rng.randint(0, 3)) if schedule else None
        if first_due is None:
            first_due = self.today + dt.timedelta(days=c.review_in)
            if c.role == ROLE_AWAITING:
                first_due = start + dt.timedelta(days=agency.review_interval_days)
        first_due = min(first_due, start + dt.timedelta(days=agency.review_interval_days))
        meeting = max(start - dt.timedelta(days=rng.randint(0, 2)), intake.assessed_on)
        drafted = max(meeting - dt.timedelta(days=rng.randint(0, 2)), intake.assessed_on)

        with _on(drafted, 14, 0):
            plan = plan_create(
                actor=actor, assessment=intake, service_start=start, review_due=first_due
            )
            self._add_goals(
                c, rng, plan, intake, measures, client_sex_female=client.sex_at_birth == "female"
            )
        name = client.preferred_name or client.legal_first_name
        participants = [f"{client.display_name} (client)", f"{actor.full_name} (case manager)"]
        if client.interpreter_needed:
            participants.append(f"{client.primary_language} interpreter (by phone)")
        if client.emergency_contact_name and rng.random() < 0.35:
            participants.append(
                f"{client.emergency_contact_name} ({client.emergency_contact_relationship.lower()})"
            )
        first_goal = plan.goals.order_by("position").first()
        focus = first_goal.get_domain_display().lower() if first_goal else "the most urgent need"
        notes = rng.choice(
            (
                f"Went through the assessment together; {name} picked the goals and the order. "
                f"Starting with {focus}.",
                f"{name} chose which goals matter most; {focus} first. Talked about who does what "
                "between now and the review.",
                f"Reviewed the assessment and agreed the goals in {name}'s words. "
                f"{focus.capitalize()} is the priority.",
            )
        )
        with _on(meeting, 10, 0):
            plan_record_meeting(
                actor=actor,
                plan=plan,
                meeting_date=meeting,
                participants=", ".join(participants),
                client_participated=True,
                notes=notes,
            )
        if c.role == ROLE_DECLINED:
            agreement, note = (
                Agreement.DECLINED,
                (
                    'Declined to sign: says the court order is "enough paperwork" and wants the '
                    "treatment goal taken out. It stays because treatment is court-ordered; agreed "
                    "to keep working on the other goals and to talk about it again at the review."
                ),
            )
        elif rng.random() < 0.2:
            agreement, note = Agreement.VERBAL, ""
        else:
            agreement, note = Agreement.SIGNED, ""
        with _on(meeting, 10, 45):
            plan = plan_finalize(actor=actor, plan=plan, agreement=agreement, agreement_note=note)
        self.tally.plans += 1
        if (
            plan.status == PlanStatus.FINALIZED
            and c.role != ROLE_AWAITING
            and c.supervisor is not None
        ):
            approved = min(meeting + dt.timedelta(days=rng.randint(1, 3)), self.today)
            with _on(approved, 15, 10):
                plan = plan_approve(actor=c.supervisor, plan=plan)
        return plan

    def _add_goals(
        self,
        c: Cast,
        rng: random.Random,
        plan: ServicePlan,
        intake: Assessment,
        measures: list[MeasurePlan],
        *,
        client_sex_female: bool,
    ) -> None:
        templates: list[GoalTemplate] = []
        for need in assessment_needs_summary(intake):
            template = self._templates(c, need.domain)
            if template is not None and template not in templates:
                templates.append(template)
        if c.role == ROLE_SAFETY:
            safety = self._templates(c, D.SAFETY)
            if safety is not None and safety not in templates:
                templates.insert(1, safety)
        count = 3 if len(templates) >= 3 and rng.random() < 0.6 else 2
        linked = False
        for template in templates[:count]:
            data = self._goal_data(
                c, plan, template, measures, link=not linked, female=client_sex_female
            )
            linked = linked or data.get("instrument") is not None
            goal = goal_save(actor=c.case_manager, plan=plan, data=data)
            helps = template.helps[: rng.randint(1, 2)]
            for help_ in helps:
                delay = 0 if not help_.provider else rng.randint(0, 10)
                intervention_save(
                    actor=c.case_manager,
                    goal=goal,
                    data={
                        "description": help_.description,
                        "staff": None if help_.provider else c.case_manager,
                        "provider": help_.provider,
                        "frequency": help_.frequency,
                        "starts_on": plan.service_start + dt.timedelta(days=delay),
                    },
                )

    def _goal_data(
        self,
        c: Cast,
        plan: ServicePlan,
        template: GoalTemplate,
        measures: list[MeasurePlan],
        *,
        link: bool,
        female: bool,
    ) -> dict[str, Any]:
        data: dict[str, Any] = {
            "domain": template.domain,
            "client_words": template.client_words,
            "indicator": template.indicator,
            "baseline": _amount(template.baseline, template.unit),
            "target": _amount(template.target, template.unit),
            "baseline_value": template.baseline,
            "target_value": template.target,
            "target_date": plan.service_start + dt.timedelta(days=30 * template.months),
            "review_date": plan.review_due,
        }
        measure = next((m for m in measures if m.code == template.measure), None)
        if link and measure is not None:
            instrument = self.instruments[measure.code]
            baseline = measure.scores[min(measure.scores)]
            threshold = 10 if measure.code == "phq-9" else (3 if female else 4)
            if baseline < threshold + 2:
                threshold = 5 if measure.code == "phq-9" else 2
            data.update(
                indicator=f"{instrument.name} total score",
                baseline=f"{baseline} ({_band(instrument, baseline)})",
                target=f"below {threshold}",
                baseline_value=baseline,
                target_value=threshold - 1,
                instrument=instrument,
                instrument_comparison=Comparison.BELOW,
                instrument_threshold=threshold,
            )
        return data

    def _review(
        self,
        c: Cast,
        rng: random.Random,
        plan: ServicePlan,
        schedule: list[tuple[dt.date, dt.date]],
        day: dt.date,
        measures: list[MeasurePlan],
    ) -> ServicePlan:
        index = [d for d, _ in schedule].index(day)
        due = schedule[index][1]
        last = index == len(schedule) - 1
        revise = last and c.role == ROLE_REVISED
        progress = []
        for goal in plan.goals.select_related("instrument"):
            row = self._goal_progress(c, rng, plan, goal, day, index, measures)
            if revise and goal.domain in (D.SUBSTANCE_USE, D.HOUSING):
                # The relapse and the lost room are why the plan changes.
                row = GoalProgress(
                    goal=goal,
                    progress=Progress.NOT_MET,
                    current_value=_amount(int(goal.baseline_value or 0), _unit_of(goal)),
                    current_number=goal.baseline_value,
                    notes="Went backwards since the last review; see today's reassessment.",
                )
            progress.append(row)
        if revise:
            justification = (
                "Reassessment today: substance use and housing worse since the intake (lost the "
                "room rental, used twice since). Adding an intensive outpatient program and a "
                "shelter bed while re-housing, and giving the other goals more time."
            )
        else:
            justification = rng.choice(REVIEW_JUSTIFICATIONS)
        with _on(day, 11, 15):
            _, new_version = plan_review_record(
                actor=c.case_manager,
                plan=plan,
                reviewed_on=day,
                decision=ReviewDecision.REVISE if revise else ReviewDecision.CONTINUE,
                justification=justification,
                goal_progress=progress,
                next_review_date=None if revise else due,
            )
        self.tally.reviews += 1
        if new_version is None:
            return ServicePlan.objects.get(pk=plan.pk)
        return self._revise(c, rng, new_version, day, justification)

    def _goal_progress(
        self,
        c: Cast,
        rng: random.Random,
        plan: ServicePlan,
        goal: Goal,
        day: dt.date,
        index: int,
        measures: list[MeasurePlan],
    ) -> GoalProgress:
        baseline = float(goal.baseline_value or 0)
        target = float(goal.target_value or 0)
        measure = next(
            (m for m in measures if goal.instrument is not None and m.code == goal.instrument.code),
            None,
        )
        if measure is not None and goal.instrument is not None:
            earlier = [d for d in measure.scores if d <= day]
            value = float(measure.scores[max(earlier)]) if earlier else baseline
            threshold = goal.instrument_threshold or 0
            if value < threshold:
                progress = Progress.MET
            elif value < baseline:
                progress = Progress.IN_PROGRESS
            else:
                progress = Progress.NOT_MET if index else Progress.NOT_STARTED
            text = f"{int(value)} ({_band(goal.instrument, int(value))})"
        else:
            related = next(
                (m for m in measures if m.code in RELATED_MEASURES.get(goal.domain, ())), None
            )
            if related is not None:
                # Moves with the client's scores on the matching measure.
                earlier = [d for d in related.scores if d <= day]
                first = related.scores[min(related.scores)]
                now = related.scores[max(earlier)] if earlier else first
                share = min(1.0, max(0.0, 1.8 * (first - now) / max(1, first)))
            else:
                pace = c.pace(goal.position)
                elapsed = (day - plan.service_start).days / max(
                    1, (goal.target_date - plan.service_start).days
                )
                share = min(1.0, pace * elapsed * (1 + index * 0.15))
            value = float(round(baseline + (target - baseline) * share))
            if value == target:
                progress = Progress.MET
            elif value == baseline:
                progress = Progress.NOT_MET if index else Progress.NOT_STARTED
            else:
                progress = Progress.IN_PROGRESS
            text = _amount(int(value), _unit_of(goal))
        return GoalProgress(
            goal=goal,
            progress=progress,
            current_value=text,
            current_number=Decimal(int(value)),
            notes=rng.choice(PROGRESS_NOTES[progress]),
        )

    def _revise(
        self, c: Cast, rng: random.Random, revision: ServicePlan, day: dt.date, reason: str
    ) -> ServicePlan:
        """The new version: an added goal for the need that got worse, more time on the
        others; meeting, agreement and approval on the review day."""
        actor = c.case_manager
        with _on(day, 11, 40):
            goals = list(revision.goals.order_by("position"))
            domains = {g.domain for g in goals}
            for goal in goals:
                goal_save(
                    actor=actor,
                    plan=revision,
                    goal=goal,
                    data={"target_date": max(goal.target_date, day + dt.timedelta(days=120))},
                )
            for domain in (D.SUBSTANCE_USE, D.HOUSING):
                template = self._templates(c, domain)
                if template is None:
                    continue
                if domain in domains:
                    goal = next(g for g in goals if g.domain == domain)
                    extra = EXTRA_HELP[domain]
                    intervention_save(
                        actor=actor,
                        goal=goal,
                        data={
                            "description": extra.description,
                            "staff": None,
                            "provider": extra.provider,
                            "frequency": extra.frequency,
                            "starts_on": day,
                        },
                    )
                else:
                    data = self._goal_data(c, revision, template, [], link=False, female=False)
                    goal = goal_save(actor=actor, plan=revision, data=data)
                    help_ = template.helps[0]
                    intervention_save(
                        actor=actor,
                        goal=goal,
                        data={
                            "description": help_.description,
                            "staff": None if help_.provider else actor,
                            "provider": help_.provider,
                            "frequency": help_.frequency,
                            "starts_on": day,
                        },
                    )
            client = c.client
            plan_record_meeting(
                actor=actor,
                plan=revision,
                meeting_date=day,
                participants=f"{client.display_name} (client), {actor.full_name} (case manager)",
                client_participated=True,
                notes="Went over the reassessment together and changed the plan to match.",
            )
            plan = plan_finalize(actor=actor, plan=revision, agreement=Agreement.SIGNED)
        self.tally.plans += 1
        if plan.status == PlanStatus.FINALIZED and c.supervisor is not None:
            approved = min(day + dt.timedelta(days=1), self.today)
            with _on(approved, 9, 20):
                plan = plan_approve(actor=c.supervisor, plan=plan)
        return plan

    # Summary.

    def _summary(self, casts: list[Cast]) -> list[str]:
        t = self.tally
        clients = [c.client for c in casts]
        assessments = Counter(
            Assessment.objects.filter(client__in=clients).values_list("kind", flat=True)
        )
        measures = Counter(
            MeasureAdministration.objects.filter(client__in=clients).values_list(
                "instrument__name", flat=True
            )
        )
        plans = ServicePlan.objects.filter(client__in=clients)
        statuses = Counter(plans.values_list("status", flat=True))
        in_force = plans.filter(status__in=[PlanStatus.ACTIVE, PlanStatus.UNDER_REVIEW])
        overdue = in_force.filter(review_due__lt=self.today).count()
        soon = in_force.filter(
            review_due__gte=self.today, review_due__lte=self.today + dt.timedelta(days=14)
        ).count()
        flags = SafetyFlag.objects.filter(
            client__in=clients, resolved_at__isnull=True
        ).select_related("client", "client__primary_case_manager")
        reviews = Counter(
            PlanReview.objects.filter(plan__in=plans).values_list("decision", flat=True)
        )
        names: dict[str, str] = {
            PlanStatus.FINALIZED: "awaiting supervisor approval",
            PlanStatus.SUPERSEDED: "superseded by a revision",
        }
        lines = [
            f"Care plans: {t.assessments[AssessmentKind.INTAKE]} clients seeded, "
            f"{t.skipped} already had care-plan data",
            f"  Assessments: {assessments[AssessmentKind.INTAKE]} intake, "
            f"{assessments[AssessmentKind.REASSESSMENT]} reassessments",
            f"  Measures: {sum(measures.values())} ("
            + ", ".join(f"{name} {count}" for name, count in sorted(measures.items()))
            + ")",
            f"  Service plans for {plans.values('client').distinct().count()} clients: "
            + "; ".join(
                f"{count} {names.get(status, PlanStatus(status).label.lower())}"
                for status, count in sorted(statuses.items(), key=lambda s: (-s[1], s[0]))
            ),
            f"  Reviews: {reviews[ReviewDecision.CONTINUE]} continued the plan, "
            f"{reviews[ReviewDecision.REVISE]} revised it; due for review: {overdue} overdue, "
            f"{soon} within 14 days",
        ]
        for flag in flags:
            client = flag.client
            measure = MeasureAdministration.objects.filter(
                pk=flag.source.removeprefix("measure:") if flag.source.startswith("measure:") else 0
            ).first()
            what = flag.reason
            if measure is not None:
                crossed = ", ".join(
                    f"item {item.number} = {measure.answers[str(item.number)]}"
                    for item in measure.instrument.items.exclude(safety_threshold=None)
                )
                what = (
                    f"{measure.instrument.name} of {measure.administered_on.isoformat()}, {crossed}"
                )
            lines.append(
                f"  Open safety flag: {client.record_number} {client.display_name} "
                f"({what}; case manager {client.primary_case_manager})"
            )
        return lines


def _amount(value: int, unit: str) -> str:
    if unit == "%":
        return f"{value}%"
    if unit == "dollars":
        return f"${value:,}"
    if value == 1:
        unit = {"children": "child", "people": "person"}.get(unit, unit.removesuffix("s"))
    return f"{value} {unit}"


def _unit_of(goal: Goal) -> str:
    """The unit in the goal's baseline text ("12 nights", "1 night" → "nights")."""
    baseline = goal.baseline
    if baseline.endswith("%"):
        return "%"
    if baseline.startswith("$"):
        return "dollars"
    unit = baseline.split(" ", 1)[1] if " " in baseline else ""
    plurals = {"child": "children", "person": "people"}
    if unit in plurals.values() or not unit or unit.endswith("s"):
        return unit
    return plurals.get(unit, f"{unit}s")


def _band(instrument: Instrument, score: int) -> str:
    return next(
        (b.label for b in instrument.bands.all() if b.min_score <= score <= b.max_score), ""
    ).lower()


def seed_care_plans() -> list[str]:
    """Seed what is missing; return the summary lines."""
    return CarePlanSeeder().run()
