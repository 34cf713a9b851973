"""`manage.py seed_demo`: a demonstration agency with two teams, staff logins and 60 clients.

Every person here is fictional. Phone numbers use the 555-01xx range reserved for fiction,
e-mail addresses the example.* domains.

The data is deterministic: one seeded random generator, dates of birth counted back from a
fixed reference date. Enrolment dates are counted back from today so the caseload always
looks current. Running the command again changes nothing: users, teams and the agency are
looked up by e-mail or name, clients by legal name and date of birth, and only what is
missing is created. Passwords are set only when an account is created.

Clients are opened through `clients.services.client_intake` (and some discharged or
re-enrolled through the episode services) so record numbers, episodes of care and history
rows come about exactly as they do for a record opened in the application.

At the end it runs `seed_demo_careplans` (assessments, measures and service plans),
`seed_demo_referrals` (the demo directory and referrals) and `seed_demo_notes` (collaterals,
crisis events and case notes) for these clients.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from casemgmt.accounts.models import Agency, Team, User
from clients.models import (
    CaseManagementModel,
    Client,
    DischargeReason,
    PayerType,
    ReferralSource,
    SexAtBirth,
)
from clients.services import client_intake, episode_discharge, episode_reenrol

SEED = 20260101
#: Dates of birth are counted back from here, so the same people are generated every run.
REFERENCE_DATE = date(2026, 1, 1)
CLIENTS_PER_CASE_MANAGER = 10

AGENCY_NAME = "Bayview Community Services"
AGENCY_CRISIS_LINE = "988 (call or text) · after hours (305) 555-0100"
TEAM_NAMES = ("North", "South")


# --- Staff -------------------------------------------------------------------------------


@dataclass(frozen=True)
class StaffSpec:
    email: str
    full_name: str
    team: str | None = None
    is_case_manager: bool = False
    is_supervisor: bool = False
    is_agency_admin: bool = False
    is_staff: bool = False
    is_superuser: bool = False

    @property
    def role_label(self) -> str:
        if self.is_agency_admin:
            return "administrator (no client records)"
        if self.is_supervisor:
            return f"supervisor, {self.team}"
        return f"case manager, {self.team}"


ROLE_FIELDS = ("is_case_manager", "is_supervisor", "is_agency_admin", "is_staff", "is_superuser")

STAFF = (
    StaffSpec(
        "admin@example.org",
        "Priya Raman",
        is_agency_admin=True,
        is_staff=True,
        is_superuser=True,
    ),
    StaffSpec("supervisor.north@example.org", "Monique Baptiste", "North", is_supervisor=True),
    StaffSpec("supervisor.south@example.org", "Roberto Álvarez", "South", is_supervisor=True),
    StaffSpec("cm.north1@example.org", "Tasha Greene", "North", is_case_manager=True),
    StaffSpec("cm.north2@example.org", "Daniel Okafor", "North", is_case_manager=True),
    StaffSpec("cm.north3@example.org", "Lucía Mendoza", "North", is_case_manager=True),
    StaffSpec("cm.south1@example.org", "Kevin Tran", "South", is_case_manager=True),
    StaffSpec("cm.south2@example.org", "Stephanie Morales", "South", is_case_manager=True),
    StaffSpec("cm.south3@example.org", "Jean-Marc Fleurant", "South", is_case_manager=True),
)


# --- Who the clients are -----------------------------------------------------------------


@dataclass(frozen=True)
class Background:
    count: int
    female: tuple[str, ...]
    male: tuple[str, ...]
    surnames: tuple[str, ...]
    #: Where surnames are gendered (Russian), the women's forms in the same order.
    female_surnames: tuple[str, ...] = ()
    #: Languages other than English people of this background may speak at home.
    languages: tuple[str, ...] = ()
    #: Share of clients whose primary language is not English.
    non_english_share: float = 0.0
    #: Further languages some speak (French for Haitian clients, say).
    extra_languages: tuple[str, ...] = ()


def _names(text: str) -> tuple[str, ...]:
    """A comma-separated list, so long name pools stay readable."""
    return tuple(name.strip() for name in text.split(","))


BACKGROUNDS = (
    Background(  # Cuban, Colombian, Venezuelan, Nicaraguan, Puerto Rican …
        19,
        _names(
            "María, Yolanda, Daniela, Lourdes, Gabriela, Marisol, Ana, Carmen, Yanelis, "
            "Milagros, Guadalupe"
        ),
        _names(
            "José, Luis, Carlos, Alejandro, Ramón, Jorge, Miguel, Yoandry, Ernesto, Andrés, Osvaldo"
        ),
        _names(
            "Rodríguez, Fernández, Pérez, González, Hernández, Martínez, Díaz, Álvarez, "
            "Castillo, Suárez, Rivera, Morales, Guzmán, Cabrera, Ortiz, Rodríguez Pérez, Valdés"
        ),
        languages=("Spanish",),
        non_english_share=0.55,
    ),
    Background(  # Haitian
        10,
        _names("Marie-Claude, Nadège, Fabienne, Widline, Guerline, Rose-Merline, Mirlande, Esther"),
        _names("Jean-Baptiste, Wilner, Fritznel, Jacques, Réginald, Ernst, Frantz, Wilson"),
        _names(
            "Pierre, Jean-Louis, Joseph, Dorval, Célestin, Toussaint, Augustin, Michel, Charles, "
            "Desrosiers"
        ),
        languages=("Haitian Creole",),
        non_english_share=0.7,
        extra_languages=("French",),
    ),
    Background(  # African American
        10,
        _names("Keisha, Tamara, Denise, Jasmine, Brittany, Angela, Shirley, Latoya, Gloria"),
        _names("Marcus, Darnell, Terrence, Andre, Calvin, Curtis, Reginald, DeShawn"),
        _names(
            "Johnson, Williams, Jackson, Robinson, Harris, Brown, Washington, Thomas, Mitchell, "
            "Coleman"
        ),
    ),
    Background(  # White American
        7,
        _names("Jennifer, Megan, Linda, Patricia, Kayla, Susan"),
        _names("Michael, Robert, Kevin, Dustin, Gary, Brian"),
        _names("Miller, Murphy, Sullivan, Kowalski, Anderson, Schultz, O'Brien, Walsh"),
    ),
    Background(  # Brazilian
        5,
        _names("Ana Paula, Luciana, Fernanda, Juliana, Camila"),
        _names("João, Thiago, Rafael, Marcelo, Rodrigo"),
        _names("Silva, Oliveira, Souza, Costa, Almeida, Ferreira, Carvalho"),
        languages=("Portuguese",),
        non_english_share=0.8,
        extra_languages=("Spanish",),
    ),
    Background(  # Vietnamese
        4,
        _names("Linh, Thu, Mai, Hoa, Lan"),
        _names("Minh, Tuan, Duc, Quang, Hung"),
        _names("Nguyen, Tran, Le, Pham, Hoang, Vo"),
        languages=("Vietnamese",),
        non_english_share=0.75,
    ),
    Background(  # Jamaican, Bahamian
        3,
        _names("Simone, Tanisha, Shanice"),
        _names("Devon, Omari, Kemar"),
        _names("Campbell, Thompson, Grant, Bailey"),
    ),
    Background(  # Russian, Ukrainian
        2,
        _names("Olga, Svetlana, Tatiana"),
        _names("Dmitri, Sergei, Alexei"),
        _names("Volkov, Petrov, Sokolov"),
        female_surnames=_names("Volkova, Petrova, Sokolova"),
        languages=("Russian",),
        non_english_share=0.6,
        extra_languages=("Ukrainian",),
    ),
)

#: Legal first name = the name some people go by.
NICKNAMES = dict(
    pair.split("=")
    for pair in _names(
        "Alejandro=Alex, Jean-Baptiste=JB, Marie-Claude=Claudie, Patricia=Trish, Robert=Bobby, "
        "Michael=Mike, Jennifer=Jen, Daniela=Dani, Guadalupe=Lupe, Dmitri=Dima, Svetlana=Lana, "
        "Minh=Mike, Thu=Tina, Quang=Kevin, Fritznel=Fritz, Réginald=Reggie, Reginald=Reggie, "
        "Rose-Merline=Rose, Ernesto=Neto, José=Pepe, Andrés=Andy, Ana Paula=Paula, "
        "Terrence=Terry, Tatiana=Tanya, Alexei=Sasha, Latoya=Toya, Gabriela=Gaby, Marisol=Sol, "
        "Milagros=Mila, Osvaldo=Ossie, DeShawn=Shawn"
    )
)


@dataclass(frozen=True)
class Issue:
    text: str
    referrals: tuple[str, ...]
    min_age: int = 18
    max_age: int = 120
    unhoused: bool = False
    #: At a domestic-violence shelter: the location is confidential, so no address is kept.
    confidential_address: bool = False
    #: Pregnancy and postpartum: women who were assigned female at birth only.
    female_only: bool = False
    #: Written about someone with limited English.
    limited_english: bool = False
    #: Written about someone who grew up in the US (veteran, foster care, college).
    english: bool = False
    #: Written about a transgender woman; only she gets it.
    trans_woman: bool = False
    #: The situation implies no coverage (lost Medicaid, just released, just arrived).
    uninsured: bool = False


R = ReferralSource
ISSUES = (
    Issue(
        "Evicted in the spring after falling two months behind on rent; staying on a cousin's "
        "couch and has to leave by the end of the month. Reports low mood and poor sleep since "
        "the eviction. Needs help with the housing search and an emergency rental assistance "
        "application.",
        (R.SHELTER, R.HOTLINE, R.COMMUNITY),
        unhoused=True,
    ),
    Issue(
        "Lost warehouse job after a back injury; depressed for about four months (PHQ-9 of 17 "
        "at screening). Isolating, stopped going to church, behind on FPL bill. Wants help "
        "with the unemployment claim and a referral for outpatient therapy.",
        (R.PRIMARY_CARE, R.SELF, R.FAMILY),
    ),
    Issue(
        "On probation after a second DUI; court-ordered to complete substance use treatment. "
        "Reports drinking most days, up to a pint of rum; last drink three days ago. Needs "
        "linkage to IOP and help keeping up with probation reporting. No car, license "
        "suspended.",
        (R.COURT,),
    ),
    Issue(
        "Discharged after a five-day Baker Act stay (auditory hallucinations, stopped "
        "medication). Diagnosis of schizophrenia. Lives with elderly mother who is worried "
        "she cannot manage. Needs a psychiatry appointment within 7 days and help applying "
        "for SSI.",
        (R.HOSPITAL,),
    ),
    Issue(
        "Bipolar I disorder, two hospitalizations this year. Currently stable on lithium but "
        "misses labs. Has debt from a manic episode and a car repossession. Goals: keep "
        "appointments, budget, and return to part-time work.",
        (R.HOSPITAL, R.COMMUNITY, R.SELF),
    ),
    Issue(
        "Daughter reports memory problems over the past year: missed medications, stove left "
        "on twice, unpaid bills. Lives alone and wants to stay home. Needs a geriatric "
        "assessment, medication packaging and meals on wheels.",
        (R.FAMILY, R.PRIMARY_CARE),
        min_age=62,
    ),
    Issue(
        "Arrived eight months ago on humanitarian parole. No income, sharing a room with five "
        "relatives. Nightmares and startle response after violence back home. Needs help with "
        "the work authorization application, benefits screening and a trauma-informed "
        "therapist who speaks their language.",
        (R.COMMUNITY, R.FAMILY, R.HOTLINE),
        limited_english=True,
        uninsured=True,
    ),
    Issue(
        "Left an abusive partner three weeks ago; staying at a domestic violence shelter with "
        "two children (6 and 9). Panic attacks, not sleeping. Needs legal aid referral for an "
        "injunction, school enrolment for the kids and a plan for housing after the shelter.",
        (R.SHELTER, R.HOTLINE),
        max_age=55,
        unhoused=True,
        confidential_address=True,
    ),
    Issue(
        "Opioid use disorder, on buprenorphine through a clinic since last year, no use in "
        "five months. At risk of losing room rental; missed two clinic visits because of "
        "transportation. Wants help with bus pass, housing and getting a state ID.",
        (R.PRIMARY_CARE, R.COMMUNITY, R.SELF),
    ),
    Issue(
        "Aged out of foster care at 18; has moved between friends' places since. ADHD, "
        "untreated. Wants to finish GED and find work. Eligible for independent-living "
        "supports; needs birth certificate and Social Security card replaced.",
        (R.COMMUNITY, R.SCHOOL, R.SHELTER),
        max_age=23,
        unhoused=True,
        english=True,
    ),
    Issue(
        "Army veteran, PTSD, sleeping in car for three months since losing apartment. Not "
        "enrolled at the VA; drinking to sleep. Needs VA enrolment, HUD-VASH referral and "
        "treatment for alcohol use.",
        (R.HOTLINE, R.SHELTER, R.HOSPITAL),
        min_age=24,
        unhoused=True,
        english=True,
    ),
    Issue(
        "HIV-positive, viral load detectable after missing medical visits for six months. Food "
        "insecure, lost SNAP at recertification. Low mood, ashamed to go back to clinic. "
        "Needs Ryan White re-linkage, SNAP reapplication and support attending appointments.",
        (R.PRIMARY_CARE, R.COMMUNITY),
    ),
    Issue(
        "Type 2 diabetes and depression. Lost Medicaid at redetermination and rationing "
        "insulin. Two ER visits for high blood sugar this summer. Needs Medicaid reinstatement "
        "or a patient assistance program and a primary care home.",
        (R.HOSPITAL, R.PRIMARY_CARE),
        uninsured=True,
    ),
    Issue(
        "Postpartum depression; baby is three months old. Partner incarcerated, relying on "
        "mother for childcare. Tearful, not eating well, EPDS 19. No thoughts of harming self "
        "or baby. Needs perinatal mental health referral, WIC and diapers.",
        (R.PRIMARY_CARE, R.HOSPITAL, R.FAMILY),
        max_age=42,
        female_only=True,
    ),
    Issue(
        "Hoarding; code enforcement has given 30 days to clear the unit or face eviction. "
        "Anxious and embarrassed, refused previous cleanout offers. Needs gradual decluttering "
        "plan, landlord negotiation and therapy for hoarding disorder.",
        (R.COMMUNITY, R.FAMILY),
        min_age=40,
    ),
    Issue(
        "Spouse of 40 years died in March. Since then drinking more in the evenings, lost "
        "weight, stopped seeing friends. Lives alone. Needs grief support group, PCP follow-up "
        "and assessment of alcohol use.",
        (R.FAMILY, R.PRIMARY_CARE),
        min_age=60,
    ),
    Issue(
        "Three ER visits in the past month for chest pain; cardiac workup negative. Panic "
        "disorder suspected. Works two jobs, afraid of losing them over missed shifts. Needs "
        "outpatient therapy and a PCP.",
        (R.HOSPITAL,),
    ),
    Issue(
        "Released from TGK jail two weeks ago after 11 months. Cocaine use before "
        "incarceration; says sober since. No ID, no income, staying in a sober home paid "
        "through the end of the month. Needs ID, SNAP, Medicaid application and job "
        "readiness.",
        (R.COURT, R.COMMUNITY),
        unhoused=True,
        uninsured=True,
    ),
    Issue(
        "Roof damaged in the storm; landlord not repairing and mold in the bedroom. Son has "
        "asthma flare-ups. Anxiety getting worse, not sleeping. Needs tenant rights referral "
        "(legal aid), possible relocation and anxiety treatment.",
        (R.SELF, R.COMMUNITY, R.HOTLINE),
    ),
    Issue(
        "Full-time caregiver for adult son with autism and seizure disorder. Exhausted, "
        "crying daily, says they cannot continue without help. Needs respite care, APD "
        "waiver waitlist follow-up and support for own depression.",
        (R.FAMILY, R.PRIMARY_CARE, R.COMMUNITY),
        min_age=40,
    ),
    Issue(
        "Construction worker, not paid for six weeks of work; employer stopped answering. "
        "Insomnia, headaches, irritability. Limited English, afraid to complain. Needs wage "
        "theft claim referral, food pantry and counselling.",
        (R.COMMUNITY, R.SELF, R.FAMILY),
        max_age=65,
        limited_english=True,
    ),
    Issue(
        'Referred by college counselor: missed most classes this term, says feels "empty" '
        "and drinks on weekends to cope. Passive suicidal thoughts, no plan. Safety plan "
        "completed at intake. Needs therapy and help with a medical withdrawal from classes.",
        (R.SCHOOL,),
        max_age=26,
        english=True,
    ),
    Issue(
        "Chronic back pain after a fall at work; prescribed oxycodone for two years and now "
        "buying pills when the prescription runs out. Wants to stop. Needs MAT evaluation, "
        "pain management referral and help with a workers' comp claim.",
        (R.PRIMARY_CARE, R.HOSPITAL),
        min_age=25,
    ),
    Issue(
        "Seen in ED for suicidal ideation after a breakup; discharged with a safety plan. "
        "Needs follow-up within 7 days, outpatient therapy and support with living "
        "arrangements (currently lives with ex-partner).",
        (R.HOSPITAL,),
    ),
    Issue(
        "Received a disconnection notice from FPL; AC out in the summer. Heart failure, on "
        "oxygen at night. Fixed income from Social Security. Needs LIHEAP application, "
        "medical certificate for the utility and a home health assessment.",
        (R.PRIMARY_CARE, R.FAMILY, R.HOTLINE),
        min_age=58,
    ),
    Issue(
        "Schizoaffective disorder, missed last two long-acting injections. Brother says "
        "talking to himself more and not eating. Assisted living facility threatening to "
        "discharge. Needs medication follow-up and ALF coordination.",
        (R.FAMILY, R.HOSPITAL, R.COMMUNITY),
        min_age=25,
    ),
    Issue(
        "19 and pregnant (28 weeks), asked to leave family home. Staying with boyfriend's "
        "family short-term. Wants her own place before the baby arrives. Needs Healthy Start "
        "referral, prenatal care and housing search.",
        (R.SCHOOL, R.PRIMARY_CARE, R.HOTLINE),
        max_age=21,
        female_only=True,
    ),
    Issue(
        "Transgender woman; family stopped contact after she came out. Couch-surfing, "
        "depressed, recently lost restaurant job. Wants affirming therapy, help updating ID "
        "and a stable place to live.",
        (R.COMMUNITY, R.SELF, R.HOTLINE),
        unhoused=True,
        trans_woman=True,
    ),
    Issue(
        "Lost SNAP and cash assistance after missing a DCF interview. Has not been able to "
        "buy food for the past week; relying on church pantry. Long history of depression, "
        "not in treatment. Needs benefits reinstated and linkage to outpatient care.",
        (R.COMMUNITY, R.HOTLINE, R.SELF),
    ),
    Issue(
        "Gambling at the casino most nights since retiring; $14,000 in credit card debt and "
        "hiding it from spouse. Reports hopelessness. Needs gambling treatment, credit "
        "counselling and assessment for depression.",
        (R.SELF, R.FAMILY),
        min_age=55,
    ),
)

DISCHARGES = (
    (
        DischargeReason.GOALS_MET,
        "Goals on the service plan met: stable housing for three months, benefits in place "
        "and attending outpatient appointments on their own. Crisis plan and 988 reviewed. "
        "Knows to call intake to re-engage.",
    ),
    (
        DischargeReason.LOST_CONTACT,
        "No contact for 45 days despite four calls, two letters and a home visit to the last "
        "known address. Closure letter mailed with the agency number and 988. Record may be "
        "reopened as soon as the client gets in touch.",
    ),
    (
        DischargeReason.TRANSFERRED,
        "Transferred to an ACT team for a higher level of care after two hospitalizations in "
        "60 days. Warm hand-off meeting held with the ACT team lead; records sent with the "
        "client's signed release.",
    ),
    (
        DischargeReason.MOVED,
        "Moved to live with family in Orlando. Gave a list of Orange County behavioral-health "
        "providers and 211; explained how to change Medicaid plan. Prescriptions transferred "
        "to a pharmacy near the new address.",
    ),
    (
        DischargeReason.CLIENT_CHOICE,
        "Asked to end services: feels stable and is working full time. Reviewed warning signs "
        "and the crisis plan; continues medication management with PCP. Welcome to return at "
        "any time.",
    ),
    (
        DischargeReason.GOALS_MET,
        "Linked to all needed supports (primary care, therapy, food pantry) and managing "
        "appointments independently. Closing summary sent to PCP with signed release.",
    ),
)
#: Which of the discharged clients (by case manager, in STAFF order) came back later.
REENROLLED_CASE_MANAGERS = (1, 4)

# City, ZIP, street prefix, highest house number, highest street number.
NORTH_PLACES = (
    ("Miami", "33127", "NW", 3999, 79),
    ("Miami", "33137", "NE", 899, 79),
    ("Miami", "33150", "NW", 1999, 95),
    ("North Miami", "33161", "NE", 1999, 145),
    ("North Miami", "33168", "NW", 1499, 135),
    ("North Miami Beach", "33162", "NE", 2499, 183),
    ("Miami Gardens", "33054", "NW", 2999, 199),
    ("Miami Gardens", "33056", "NW", 3999, 207),
    ("Opa-locka", "33054", "NW", 2899, 151),
    ("Hialeah", "33012", "W", 1999, 68),
    ("Hialeah", "33010", "E", 999, 49),
)
SOUTH_PLACES = (
    ("Homestead", "33030", "SW", 1499, 24),
    ("Homestead", "33033", "SE", 999, 28),
    ("Florida City", "33034", "NW", 999, 16),
    ("Cutler Bay", "33189", "SW", 21999, 220),
    ("Palmetto Bay", "33157", "SW", 17999, 184),
    ("Miami", "33176", "SW", 13999, 137),
    ("Miami", "33186", "SW", 14999, 152),
    ("Miami", "33165", "SW", 12999, 122),
    ("South Miami", "33143", "SW", 7999, 87),
)
SHELTERS = {
    "North": ("1550 N Miami Ave", "c/o Chapman Partnership", "Miami", "33136"),
    "South": ("28205 SW 124th Ct", "c/o Chapman Partnership South", "Homestead", "33033"),
}
STREET_KINDS = ("St", "St", "Ave", "Ave", "Ct", "Ter", "Pl")

MEDICAID_PLANS = _names(
    "Sunshine Health, Simply Healthcare Plans, Humana Healthy Horizons, Molina Healthcare of "
    "Florida, Aetna Better Health of Florida, UnitedHealthcare Community Plan, Community Care Plan"
)
MEDICARE_PLANS = _names(
    "Original Medicare, Humana Gold Plus HMO, Devoted Health, AARP Medicare Advantage, "
    "Leon Medicare Advantage"
)
PRIVATE_PLANS = _names("Florida Blue, Aetna, Cigna, AvMed, Oscar Health")
OTHER_PLANS = (
    ("VA health care", "VA"),
    ("TRICARE", "TRI"),
    ("Jackson Health System financial assistance", "JHS"),
)


#: Ages on the reference date: mostly working-age adults, some young adults and elders.
AGE_BANDS = ((18, 24), (25, 44), (45, 64), (65, 79))
AGE_WEIGHTS = (12, 40, 33, 15)


@dataclass
class ClientSpec:
    """One demo client, fully decided before anything is written."""

    data: dict[str, Any]
    case_manager_index: int
    enrolled_days_ago: int
    discharge: tuple[str, str, int] | None = None  # reason, plan, days ago
    reenrolled_days_ago: int | None = None

    @property
    def key(self) -> tuple[str, str, date]:
        return (
            self.data["legal_first_name"],
            self.data["legal_last_name"],
            self.data["date_of_birth"],
        )


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _ascii(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in plain.lower() if c.isalnum())


class ClientGenerator:
    """Draws the 60 clients from one seeded generator; the output never depends on the
    database, so every run yields the same people."""

    def __init__(self, seed: int = SEED) -> None:
        self.rng = random.Random(seed)
        self.member_ids: set[str] = set()
        self.names: set[tuple[str, str]] = set()
        self.issue_uses: dict[int, int] = {}

    def phone(self) -> str:
        """Miami area codes, numbers in the 555-0100 to 555-0199 range reserved for fiction."""
        return f"({self.rng.choice(('305', '786'))}) 555-01{self.rng.randrange(100):02d}"

    def generate(self, teams_by_case_manager: list[str]) -> list[ClientSpec]:
        rng = self.rng
        backgrounds = [bg for bg in BACKGROUNDS for _ in range(bg.count)]
        rng.shuffle(backgrounds)
        total = len(backgrounds)
        gender_diverse = dict(
            zip(rng.sample(range(total), 3), ("trans_woman", "trans_man", "nonbinary"), strict=True)
        )
        per_cm = CLIENTS_PER_CASE_MANAGER
        discharged = {
            cm * per_cm + rng.randrange(per_cm): cm for cm in range(len(teams_by_case_manager))
        }
        specs = []
        for index, background in enumerate(backgrounds):
            cm = index // per_cm
            spec = self._client(background, teams_by_case_manager[cm], gender_diverse.get(index))
            spec.case_manager_index = cm
            if index in discharged:
                reason, plan = DISCHARGES[cm % len(DISCHARGES)]
                spec.enrolled_days_ago = rng.randint(230, 360)
                discharged_days_ago = spec.enrolled_days_ago - rng.randint(60, 150)
                spec.discharge = (reason, plan, discharged_days_ago)
                if cm in REENROLLED_CASE_MANAGERS:
                    spec.reenrolled_days_ago = discharged_days_ago - rng.randint(21, 50)
            specs.append(spec)
        return specs

    def _client(self, bg: Background, team: str, gender_diverse: str | None) -> ClientSpec:
        rng = self.rng
        female_at_birth = rng.random() < 0.55
        if gender_diverse == "trans_woman":
            female_at_birth = False
        elif gender_diverse == "trans_man":
            female_at_birth = True

        while True:
            first = rng.choice(bg.female if female_at_birth else bg.male)
            surname_index = rng.randrange(len(bg.surnames))
            last = (
                bg.female_surnames[surname_index]
                if female_at_birth and bg.female_surnames
                else bg.surnames[surname_index]
            )
            if (first, last) not in self.names:
                self.names.add((first, last))
                break

        low, high = rng.choices(AGE_BANDS, weights=AGE_WEIGHTS)[0]
        age = rng.randint(low, high)
        # `age` on the reference date: born within the year before their birthday that year.
        born = date(REFERENCE_DATE.year - age - 1, 1, 2) + timedelta(days=rng.randrange(365))

        preferred, pronouns, identity = "", "", ""
        sex = SexAtBirth.FEMALE if female_at_birth else SexAtBirth.MALE
        if gender_diverse == "trans_woman":
            preferred, pronouns, identity = rng.choice(bg.female), "she/her", "Transgender woman"
        elif gender_diverse == "trans_man":
            preferred, pronouns, identity = rng.choice(bg.male), "he/him", "Transgender man"
        elif gender_diverse == "nonbinary":
            pronouns, identity = "they/them", "Non-binary"
            preferred = NICKNAMES.get(first, "")
        else:
            if first in NICKNAMES and rng.random() < 0.45:
                preferred = NICKNAMES[first]
            roll = rng.random()
            if roll < 0.04:
                sex = SexAtBirth.DECLINED
            elif roll < 0.6:
                pronouns = "she/her" if female_at_birth else "he/him"
                identity = "Woman" if female_at_birth else "Man"

        primary, other, interpreter = "English", [], False
        if bg.languages and rng.random() < bg.non_english_share:
            primary = rng.choice(bg.languages)
            speaks_english = rng.random() < 0.45
            other = ["English"] if speaks_english else []
            other += [lang for lang in bg.extra_languages if rng.random() < 0.4]
            interpreter = not speaks_english or rng.random() < 0.15
        elif bg.languages and rng.random() < 0.7:
            other = [bg.languages[0]]

        issue = self._issue(
            age,
            cis_female=female_at_birth and gender_diverse is None,
            trans_woman=gender_diverse == "trans_woman",
            limited_english=interpreter,
        )
        referral = rng.choice(issue.referrals)
        address = self._address(
            team, unhoused=issue.unhoused, confidential=issue.confidential_address
        )

        phone = self.phone() if rng.random() < 0.9 else ""
        email = ""
        if rng.random() < 0.35:
            email = f"{_ascii(first)}.{_ascii(last)}{rng.randrange(10, 99)}@example.com"

        contact = self._emergency_contact(bg, first, last, age)
        payer_type, payer_name, member_id = (
            (PayerType.UNINSURED, "", "") if issue.uninsured else self._payer(age)
        )
        model = rng.choices(
            (
                CaseManagementModel.STRENGTH_BASED,
                CaseManagementModel.CLINICAL,
                CaseManagementModel.BROKERAGE,
            ),
            weights=(5, 3, 2),
        )[0]

        data: dict[str, Any] = {
            "legal_first_name": first,
            "legal_last_name": last,
            "preferred_name": preferred,
            "pronouns": pronouns,
            "date_of_birth": born,
            "sex_at_birth": sex,
            "gender_identity": identity,
            "primary_language": primary,
            "other_languages": other,
            "interpreter_needed": interpreter,
            "phone": phone,
            "phone_ok_to_contact": bool(phone) and rng.random() < 0.8,
            "email": email,
            "email_ok_to_contact": bool(email) and rng.random() < 0.7,
            **address,
            "address_ok_to_contact": bool(address["address_line1"]) and rng.random() < 0.6,
            **contact,
            "payer_type": payer_type,
            "payer_name": payer_name,
            "member_id": member_id,
            "presenting_issue": issue.text,
            "referral_source": referral,
            "case_management_model": model,
        }
        return ClientSpec(data=data, case_manager_index=0, enrolled_days_ago=rng.randint(3, 360))

    def _issue(
        self, age: int, *, cis_female: bool, trans_woman: bool, limited_english: bool
    ) -> Issue:
        """The least-used issue that fits the person, so the 30 issues spread evenly."""
        candidates = [
            i
            for i, issue in enumerate(ISSUES)
            if issue.min_age <= age <= issue.max_age
            and issue.trans_woman == trans_woman
            and (cis_female or not issue.female_only)
            and (limited_english or not issue.limited_english)
            and not (limited_english and issue.english)
        ]
        least_used = min(self.issue_uses.get(i, 0) for i in candidates)
        chosen = self.rng.choice([i for i in candidates if self.issue_uses.get(i, 0) == least_used])
        self.issue_uses[chosen] = least_used + 1
        return ISSUES[chosen]

    def _address(self, team: str, *, unhoused: bool, confidential: bool) -> dict[str, str]:
        rng = self.rng
        if unhoused:
            if not confidential and rng.random() < 0.5:
                line1, line2, city, postal = SHELTERS[team]
                return {
                    "address_line1": line1,
                    "address_line2": line2,
                    "city": city,
                    "state": "FL",
                    "postal_code": postal,
                }
            return {
                "address_line1": "",
                "address_line2": "",
                "city": "Miami",
                "state": "FL",
                "postal_code": "",
            }
        city, postal, prefix, max_number, max_street = rng.choice(
            NORTH_PLACES if team == "North" else SOUTH_PLACES
        )
        street = (
            f"{rng.randint(100, max_number)} {prefix} {_ordinal(rng.randint(1, max_street))} "
            f"{rng.choice(STREET_KINDS)}"
        )
        line2 = ""
        if rng.random() < 0.45:
            line2 = f"Apt {rng.randint(1, 24)}{rng.choice('ABCD')}"
        return {
            "address_line1": street,
            "address_line2": line2,
            "city": city,
            "state": "FL",
            "postal_code": postal,
        }

    def _emergency_contact(
        self, bg: Background, client_first: str, last: str, age: int
    ) -> dict[str, str]:
        rng = self.rng
        empty = {
            "emergency_contact_name": "",
            "emergency_contact_relationship": "",
            "emergency_contact_phone": "",
        }
        if rng.random() < 0.18:
            return empty
        options: tuple[str, ...]
        if age < 30:
            options = ("Mother", "Father", "Grandmother", "Aunt", "Sister", "Brother", "Friend")
        elif age < 60:
            options = ("Spouse", "Partner", "Sister", "Brother", "Cousin", "Friend", "Mother")
        else:
            options = ("Daughter", "Son", "Niece", "Spouse", "Neighbor", "Pastor")
        relationship = rng.choice(options)
        female = {
            "Mother": True,
            "Grandmother": True,
            "Aunt": True,
            "Sister": True,
            "Daughter": True,
            "Niece": True,
            "Father": False,
            "Brother": False,
            "Son": False,
        }.get(relationship, rng.random() < 0.5)
        first = rng.choice([n for n in (bg.female if female else bg.male) if n != client_first])
        family = relationship not in ("Friend", "Partner", "Neighbor", "Pastor", "Spouse")
        surname = last if family and rng.random() < 0.8 else rng.choice(bg.surnames)
        if female and bg.female_surnames and surname in bg.surnames:
            surname = bg.female_surnames[bg.surnames.index(surname)]
        elif not female and bg.female_surnames and surname in bg.female_surnames:
            surname = bg.surnames[bg.female_surnames.index(surname)]
        return {
            "emergency_contact_name": f"{first} {surname}",
            "emergency_contact_relationship": relationship,
            "emergency_contact_phone": self.phone(),
        }

    def _payer(self, age: int) -> tuple[str, str, str]:
        rng = self.rng
        # Medicare under 65 means disability (SSDI for two years), so not for the young.
        P = PayerType
        kinds: tuple[PayerType, ...]
        weights: tuple[int, ...]
        if age >= 65:
            kinds, weights = (P.MEDICARE, P.MEDICAID, P.OTHER), (75, 15, 10)
        elif age >= 35:
            kinds = (P.MEDICAID, P.UNINSURED, P.PRIVATE, P.MEDICARE, P.OTHER)
            weights = (60, 17, 13, 5, 5)
        else:
            kinds, weights = (P.MEDICAID, P.UNINSURED, P.PRIVATE, P.OTHER), (62, 18, 14, 6)
        kind = rng.choices(kinds, weights=weights)[0]
        if kind == PayerType.UNINSURED:
            return kind, "", ""
        while True:
            if kind == PayerType.MEDICAID:
                name = rng.choice(MEDICAID_PLANS)
                member_id = "".join(rng.choices("0123456789", k=10))
            elif kind == PayerType.MEDICARE:
                name = rng.choice(MEDICARE_PLANS)
                member_id = self._medicare_id()
            elif kind == PayerType.PRIVATE:
                name = rng.choice(PRIVATE_PLANS)
                member_id = "".join(rng.choices("ABCDEFGHJKMNPQRTUVWXY", k=3)) + "".join(
                    rng.choices("0123456789", k=9)
                )
            else:
                name, prefix = rng.choice(OTHER_PLANS)
                member_id = f"{prefix}-{''.join(rng.choices('0123456789', k=7))}"
            if member_id not in self.member_ids:
                self.member_ids.add(member_id)
                return kind, name, member_id

    def _medicare_id(self) -> str:
        """Shaped like a Medicare Beneficiary Identifier (11 characters, no S L O I B Z)."""
        rng = self.rng
        letters, digits = "ACDEFGHJKMNPQRTUVWXY", "0123456789"
        both = letters + digits
        pattern = ("123456789", letters, both, digits, letters, both, digits, letters, letters)
        return "".join(rng.choice(chars) for chars in pattern) + f"{rng.randrange(100):02d}"


# --- The command -------------------------------------------------------------------------


class Command(BaseCommand):
    help = (
        "Create a demo agency, teams North and South, nine staff logins and 60 fictional "
        "clients with their assessments, measures and service plans. Safe to run again: only "
        "what is missing is created."
    )

    _hash: str | None = None

    def handle(self, *args: Any, **options: Any) -> None:
        # The demo accounts share a published password: never in a production database.
        if settings.SETTINGS_MODULE.endswith(".production"):
            raise CommandError(
                "seed_demo creates accounts with a published password; "
                "it does not run with the production settings."
            )
        # One transaction: a failure part-way leaves nothing half-seeded. The summary is
        # printed only after the commit, so a closed pipe (`| head`) cannot undo the work.
        with transaction.atomic():
            summary = self._seed()
        for line in summary:
            self.stdout.write(line)
        # Assessments, measures and service plans for these clients (careplans owns them).
        call_command("seed_demo_careplans", stdout=self.stdout, stderr=self.stderr)
        call_command("seed_demo_referrals", stdout=self.stdout, stderr=self.stderr)
        call_command("seed_demo_notes", stdout=self.stdout, stderr=self.stderr)
        call_command("seed_demo_supervision", stdout=self.stdout, stderr=self.stderr)
        self.stdout.write("")
        self.stdout.write(
            f'Demo logins (password "{settings.DEMO_PASSWORD}" from settings.DEMO_PASSWORD; '
            "set only when an account is created):"
        )
        width = max(len(s.email) for s in STAFF)
        for staff in STAFF:
            self.stdout.write(f"  {staff.email:<{width}}  {staff.full_name} — {staff.role_label}")
        self.stdout.write(self.style.SUCCESS("Demo data ready."))

    def _seed(self) -> list[str]:
        """Create whatever is missing; return the summary lines."""
        today = timezone.localdate()

        agency, agency_created = self._agency()
        teams: dict[str, Team] = {}
        teams_created = 0
        for name in TEAM_NAMES:
            teams[name], created = Team.objects.get_or_create(agency=agency, name=name)
            teams_created += created

        users: dict[str, User] = {}
        users_created = users_corrected = 0
        for staff in STAFF:
            user, status = self._user(staff)
            users[staff.email] = user
            users_created += status == "created"
            users_corrected += status == "corrected"
            if staff.team is not None:
                team = teams[staff.team]
                if staff.is_supervisor and not team.supervisors.filter(pk=user.pk).exists():
                    team.supervisors.add(user)
                if staff.is_case_manager and not team.members.filter(pk=user.pk).exists():
                    team.members.add(user)

        case_managers = [s for s in STAFF if s.is_case_manager]
        specs = ClientGenerator().generate([s.team or "" for s in case_managers])
        existing = set(
            Client.objects.values_list("legal_first_name", "legal_last_name", "date_of_birth")
        )
        clients_created = discharged = reenrolled = 0
        for spec in specs:
            if spec.key in existing:
                continue
            staff = case_managers[spec.case_manager_index]
            actor = users[staff.email]
            data = {**spec.data, "team": teams[staff.team or ""], "primary_case_manager": actor}
            client = client_intake(
                actor=actor,
                data=data,
                enrolled_on=today - timedelta(days=spec.enrolled_days_ago),
            )
            clients_created += 1
            if spec.discharge is not None:
                reason, plan, days_ago = spec.discharge
                episode_discharge(
                    actor=actor,
                    client=client,
                    discharged_on=today - timedelta(days=days_ago),
                    reason=reason,
                    plan=plan,
                )
                discharged += 1
            if spec.reenrolled_days_ago is not None:
                episode_reenrol(
                    actor=actor,
                    client=client,
                    enrolled_on=today - timedelta(days=spec.reenrolled_days_ago),
                )
                reenrolled += 1

        agency_status = "created" if agency_created else "already present"
        user_line = f"Users: {users_created} created, {len(STAFF) - users_created} already present"
        if users_corrected:
            user_line += f" ({users_corrected} had their roles corrected)"
        client_line = (
            f"Clients: {clients_created} created, {len(specs) - clients_created} already present"
        )
        if clients_created:
            client_line += f" ({discharged} discharged, {reenrolled} of them re-enrolled)"
        return [
            f"Agency: {agency.name} ({agency_status})",
            f"Teams: {teams_created} created, {len(TEAM_NAMES) - teams_created} already present",
            user_line,
            client_line,
        ]

    def _agency(self) -> tuple[Agency, bool]:
        """The demo agency; an installation has one agency, so an existing one is reused."""
        agency = (
            Agency.objects.filter(name=AGENCY_NAME).first() or Agency.objects.order_by("pk").first()
        )
        if agency is not None:
            return agency, False
        return Agency.objects.create(name=AGENCY_NAME, crisis_line=AGENCY_CRISIS_LINE), True

    def _password_hash(self) -> str:
        """settings.DEMO_PASSWORD hashed once for every account created (hashing is slow on
        purpose, and these accounts share a published password anyway)."""
        if self._hash is None:
            self._hash = make_password(settings.DEMO_PASSWORD)
        return self._hash

    def _user(self, staff: StaffSpec) -> tuple[User, str]:
        """Create the account, or make sure an existing one holds its demo roles. The
        password is set only on creation."""
        roles = {f: getattr(staff, f) for f in ROLE_FIELDS}
        user = User.objects.filter(email__iexact=staff.email).first()
        if user is None:
            user = User(
                email=staff.email,
                full_name=staff.full_name,
                password=self._password_hash(),
                **roles,
            )
            user.full_clean(exclude=["password"])
            user.save()
            return user, "created"
        wrong = [
            f for f, value in {**roles, "is_active": True}.items() if getattr(user, f) != value
        ]
        if not wrong:
            return user, "present"
        for f in wrong:
            setattr(user, f, True if f == "is_active" else roles[f])
        user.save(update_fields=wrong)
        return user, "corrected"
