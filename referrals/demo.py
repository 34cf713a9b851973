"""The referrals part of the demo data: a small Miami-area provider directory and referrals
of the demo clients of `manage.py seed_demo` in every state a case manager meets.

The directory (11 organizations, two of them the agency's own programs, 14 services) is
written through the directory services as the demo administrator, under fixed ids (uuid5
from the names), so a second run finds it. Its locations, phones, contacts and schedules
have no services of their own and are written directly, under fixed ids too. Most services
were verified with the provider in the last 60 days; two over 200 days ago and one never,
so the "not verified since" warning shows.

Referrals are made for goals of the plans in force, through the referral services, acting
as the client's own case manager: a release of information to the recipient (general
information; mental health too where the packet carries the measures), the options offered
and the client's choice, sending, the warm hand-off; the provider's answers come "via the
referral link". Where `time_machine` is installed (the dev dependency group, so `make demo`)
each step runs at its date, as in `careplans.demo`, so sent, answered and event times agree
with the story and the follow-ups (no answer, attendance, fit review) come due.

Deterministic: each scene takes the first demo client, by record number, whose plan in
force has a fitting goal. Idempotent: a scene whose referral exists is left alone, the
directory is created only where its id is missing, and nothing that exists is changed.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.utils import timezone

from careplans.models import Goal, PlanStatus, ServicePlan
from casemgmt.accounts.models import Agency, User
from clients.models import (
    Client,
    ClientStatus,
    PayerType,
    ReleaseCategory,
    ReleaseOfInformation,
    SexAtBirth,
)
from clients.release_services import release_record

from .models import (
    DEFAULT_SECTIONS,
    Address,
    Contact,
    Location,
    Organization,
    PacketSection,
    Phone,
    Referral,
    ReferralStatus,
    Schedule,
    Service,
    ServiceAtLocation,
    Taxonomy,
    TaxonomyTerm,
)
from .referral_selectors import follow_ups
from .services.directory import (
    organization_create,
    service_create,
    service_search_vectors_refresh,
    service_verify,
)
from .services.referrals import (
    Actor,
    referral_act,
    referral_create,
    referral_handoff,
    referral_record_attendance,
    referral_send,
    referral_set_packet,
)

try:
    import time_machine
except ImportError:  # pragma: no cover - installed with the dev dependency group
    time_machine = None  # type: ignore[assignment]

#: Every demo directory id is uuid5 of a name in this namespace.
NAMESPACE = uuid.UUID("6f1d3c1e-6a43-5d0e-9b1f-2a7c6f0d9e11")
ADMIN_EMAIL = "admin@example.org"
TAXONOMY_NAME = "Bayview service categories"
CATEGORIES = (
    "Housing",
    "Shelter",
    "Mental health",
    "Substance use",
    "Legal aid",
    "Food",
    "Primary care",
    "Employment",
    "Benefits",
)
ENGLISH, SPANISH, CREOLE = "English", "Spanish", "Haitian Creole"
ALL_PAYERS = [p.value for p in PayerType]
PUBLIC_PAYERS = [PayerType.MEDICAID, PayerType.MEDICARE, PayerType.UNINSURED]


def demo_id(kind: str, name: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"{kind}:{name}")


# --- The directory --------------------------------------------------------------------------


@dataclass(frozen=True)
class OrgSpec:
    key: str
    name: str
    description: str
    address: tuple[str, str, str]  # street, city, postal code
    phone: str
    website: str = ""
    is_internal: bool = False


@dataclass(frozen=True)
class ServiceSpec:
    key: str
    org: str
    name: str
    categories: tuple[str, ...]
    description: str
    eligibility: str
    application: str
    documents: tuple[str, ...]
    languages: tuple[str, ...]
    payers: tuple[str, ...]
    wait_days: int | None
    capacity: str
    contact: str
    minimum_age: int | None = 18
    maximum_age: int | None = None
    accepting: bool = True
    #: Days since the provider last verified it; None: never verified.
    verified_days_ago: int | None = 20
    fees: str = "Free."


# fmt: off
ORGANIZATIONS = (
    OrgSpec("camillus", "Camillus House",
            "Shelter, housing and recovery services for people experiencing homelessness in "
            "Miami-Dade since 1960.",
            ("1603 NW 7th Ave", "Miami", "33136"), "(305) 555-0131", "https://camillus.org"),
    OrgSpec("jackson", "Jackson Behavioral Health",
            "The behavioral health service of Jackson Health System: outpatient psychiatry, "
            "crisis and inpatient care.",
            ("1695 NW 9th Ave", "Miami", "33136"), "(305) 555-0132",
            "https://jacksonhealth.org"),
    OrgSpec("banyan", "Banyan Health Systems",
            "Community behavioral health: substance-use treatment, medication-assisted "
            "treatment and counseling.",
            ("3800 W Flagler St", "Miami", "33134"), "(305) 555-0133",
            "https://banyanhealth.org"),
    OrgSpec("lsgm", "Legal Services of Greater Miami",
            "Free civil legal help for low-income residents of Miami-Dade and Monroe.",
            ("4343 W Flagler St, Suite 100", "Miami", "33134"), "(305) 555-0134",
            "https://legalservicesmiami.org"),
    OrgSpec("cahsd", "Miami-Dade Community Action and Human Services",
            "County community resource centers: energy assistance, emergency help and "
            "referrals.",
            ("300 E 1st Ave", "Hialeah", "33010"), "(305) 555-0135",
            "https://miamidade.gov/community-action"),
    OrgSpec("farmshare", "Farm Share",
            "Food bank distributing fresh produce and staples at pantries and free "
            "distributions across South Florida.",
            ("14125 SW 320th St", "Homestead", "33033"), "(305) 555-0136",
            "https://farmshare.org"),
    OrgSpec("chi", "Community Health of South Florida",
            "Federally qualified health center: primary care, HIV care, dental and "
            "behavioral health on a sliding fee scale.",
            ("810 W Mowry St", "Homestead", "33030"), "(305) 555-0137",
            "https://chisouthfl.org"),
    OrgSpec("goodwill", "Goodwill Industries of South Florida",
            "Job training and placement for people facing barriers to work.",
            ("2121 NW 21st St", "Miami", "33142"), "(305) 555-0138",
            "https://goodwillsouthflorida.org"),
    OrgSpec("lotus", "Lotus House",
            "Shelter and services for women, youth and children experiencing "
            "homelessness.",
            ("217 NW 15th St", "Miami", "33136"), "(305) 555-0139",
            "https://lotushouse.org"),
    OrgSpec("peer", "Bayview peer support group",
            "Bayview Community Services' own peer-led support groups, run by certified "
            "recovery peer specialists.",
            ("1250 NW 62nd St", "Miami", "33147"), "(305) 555-0140", is_internal=True),
    OrgSpec("benefits", "Bayview benefits navigation",
            "Bayview Community Services' own benefits navigators: SNAP, Medicaid, SSI/SSDI "
            "and other applications and recertifications.",
            ("1250 NW 62nd St", "Miami", "33147"), "(305) 555-0141", is_internal=True),
)

SERVICES = (
    ServiceSpec("shelter", "camillus", "Emergency shelter", ("Shelter", "Housing"),
        "Emergency beds for single adults with meals, showers, case management and an "
        "on-site clinic.",
        "Single adults 18 and older experiencing homelessness in Miami-Dade.",
        "Referral from an outreach team or agency by phone; same-day placement when a bed "
        "is open.",
        ("Photo ID if available",), (ENGLISH, SPANISH, CREOLE), tuple(ALL_PAYERS), 2,
        "Beds open most mornings; call before 10 am.", "Shelter intake desk",
        verified_days_ago=6),
    ServiceSpec("rrh", "camillus", "Rapid re-housing", ("Housing",),
        "Short-term rental assistance and housing search help to move from homelessness "
        "into an apartment of one's own.",
        "Adults who are literally homeless (HUD category 1) with some income or a plan "
        "for it.",
        "Agency referral with a homeless verification letter; assessment at intake.",
        ("Photo ID", "Social Security card", "Proof of income", "Homeless verification letter"),
        (ENGLISH, SPANISH), tuple(ALL_PAYERS), 21, "Limited slots; prioritized by assessment.",
        "Housing intake coordinator", verified_days_ago=13),
    ServiceSpec("psychiatry", "jackson", "Adult outpatient psychiatry", ("Mental health",),
        "Psychiatric evaluation, medication management and therapy for adults with serious "
        "mental illness, including follow-up within 7 days of a hospital discharge.",
        "Adults 18 and older living in Miami-Dade.",
        "Referral with recent records; the clinic calls the client to schedule.",
        ("Photo ID", "Insurance card", "Discharge summary (after a hospital stay)"),
        (ENGLISH, SPANISH, CREOLE), tuple(PUBLIC_PAYERS), 10,
        "Hospital discharges seen within 7 days.", "Outpatient access center",
        verified_days_ago=9),
    ServiceSpec("iop", "banyan", "Intensive outpatient substance-use treatment",
        ("Substance use",),
        "Group and individual counseling three evenings a week for 8 to 12 weeks; court "
        "reporting on request.",
        "Adults with a substance use disorder; court-ordered clients welcome.",
        "Referral or walk-in assessment, Monday to Friday mornings.",
        ("Photo ID", "Insurance card", "Court order (if court-ordered)"),
        (ENGLISH, SPANISH), (PayerType.MEDICAID, PayerType.PRIVATE, PayerType.UNINSURED), 7,
        "Evening groups in English and Spanish.", "Addiction services intake",
        verified_days_ago=27),
    ServiceSpec("mat", "banyan", "Medication-assisted treatment (MAT)",
        ("Substance use", "Primary care"),
        "Buprenorphine and naltrexone with counseling for opioid and alcohol use disorders.",
        "Adults 18 and older with an opioid or alcohol use disorder.",
        "Referral; the first visit is an assessment with a prescriber.",
        ("Photo ID", "Insurance card", "List of current medications"),
        (ENGLISH, SPANISH), tuple(ALL_PAYERS), 5, "Same-week induction appointments.",
        "MAT program coordinator", verified_days_ago=34),
    ServiceSpec("eviction", "lsgm", "Eviction defense", ("Legal aid", "Housing"),
        "Advice and representation for tenants facing eviction, including emergency "
        "rental assistance negotiations.",
        "Tenants in Miami-Dade with income at or below 200% of the poverty level.",
        "Call the intake line; bring the eviction notice or court summons to the first "
        "appointment. Answer deadlines are 5 business days, so call at once.",
        ("Eviction notice or summons", "Lease", "Proof of income"),
        (ENGLISH, SPANISH, CREOLE), tuple(ALL_PAYERS), 3,
        "Tenants with a court date are seen first.", "Housing unit intake",
        verified_days_ago=18),
    ServiceSpec("family_law", "lsgm", "Domestic violence injunctions and family law",
        ("Legal aid",),
        "Help petitioning for an injunction for protection, custody and child support for "
        "survivors of domestic violence.",
        "Survivors of domestic violence in Miami-Dade; income limits apply except for "
        "injunctions.",
        "Referral from a shelter or agency; a paralegal calls back within two business days.",
        ("Photo ID", "Police reports", "Children's birth certificates"),
        (ENGLISH, SPANISH, CREOLE), tuple(ALL_PAYERS), 14, "", "Family law unit",
        verified_days_ago=None),
    ServiceSpec("liheap", "cahsd", "Utility assistance (LIHEAP)", ("Benefits",),
        "Help paying an electric bill, including a shut-off notice, once a year (up to "
        "three times in a crisis).",
        "Miami-Dade households with income at or below 60% of the state median income.",
        "Appointment at a community resource center; the pledge goes to FPL directly.",
        ("Photo ID", "Social Security numbers of the household", "Latest FPL bill",
         "Proof of income for the last 30 days"),
        (ENGLISH, SPANISH, CREOLE), tuple(ALL_PAYERS), 10,
        "Funds are released in rounds; crisis cases first.", "Energy programs",
        verified_days_ago=41),
    ServiceSpec("food", "farmshare", "Free food distribution", ("Food",),
        "Fresh produce, protein and staples at weekly distributions and partner pantries.",
        "Anyone in need; no income documents asked.",
        "Come to a distribution or a partner pantry; no referral needed, but a referral "
        "letter helps with home delivery for people who cannot travel.",
        (), (ENGLISH, SPANISH), tuple(ALL_PAYERS), 0, "", "Community programs",
        minimum_age=None, verified_days_ago=236),
    ServiceSpec("primary_care", "chi", "Primary care and HIV care", ("Primary care",),
        "Adult primary care, chronic disease management and Ryan White HIV care with "
        "on-site pharmacy.",
        "Everyone; sliding fee scale for the uninsured.",
        "Referral or call to schedule a new-patient visit.",
        ("Photo ID", "Insurance card or proof of income"), (ENGLISH, SPANISH, CREOLE),
        tuple(ALL_PAYERS), 12, "New patients seen within two weeks.", "New patient line",
        minimum_age=None, verified_days_ago=22, fees="Sliding fee scale; nobody turned away."),
    ServiceSpec("jobs", "goodwill", "Job training and placement", ("Employment",),
        "Job readiness classes, training in retail and logistics, and placement with "
        "local employers.",
        "Adults 18 and older with a barrier to work (disability, justice involvement, "
        "long unemployment).",
        "Referral, then an orientation session on Tuesday mornings.",
        ("Photo ID", "Social Security card", "Work authorization (if not a citizen)"),
        (ENGLISH, SPANISH), tuple(ALL_PAYERS), 14, "", "Employment services",
        verified_days_ago=214),
    ServiceSpec("womens_shelter", "lotus", "Women's and family shelter", ("Shelter", "Housing"),
        "Shelter for women and women with children, with trauma-informed case management, "
        "a children's program and health services.",
        "Women 18 and older and their children experiencing homelessness.",
        "Referral by an agency; placement as rooms open.",
        ("Photo ID if available", "Children's birth certificates"), (ENGLISH, SPANISH, CREOLE),
        tuple(ALL_PAYERS), 30, "Family rooms full; waitlist only until next month.",
        "Shelter admissions", accepting=False, verified_days_ago=4),
    ServiceSpec("peer_group", "peer", "Peer support group", ("Mental health", "Substance use"),
        "Weekly peer-led groups for recovery from mental illness and substance use, in "
        "English and Spanish.",
        "Bayview clients 18 and older.",
        "Internal referral; the peer specialist calls the client.",
        (), (ENGLISH, SPANISH), tuple(ALL_PAYERS), 7, "Groups Tuesday and Thursday evenings.",
        "Peer specialist", verified_days_ago=11),
    ServiceSpec("benefits_nav", "benefits", "Benefits navigation", ("Benefits", "Food"),
        "Help applying for and keeping SNAP, Medicaid, SSI/SSDI and other benefits, "
        "including recertifications and appeals.",
        "Bayview clients of any age.",
        "Internal referral; a navigator calls within three business days.",
        ("Photo ID", "Social Security card", "Proof of income", "Benefit letters"),
        (ENGLISH, SPANISH, CREOLE), tuple(ALL_PAYERS), 3, "", "Benefits navigator",
        minimum_age=None, verified_days_ago=2),
)
# fmt: on


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


def _slug(text: str) -> str:
    return "".join(ch if ch.isalnum() else "." for ch in text.lower()).strip(".")


@dataclass
class Tally:
    organizations: int = 0
    services: int = 0
    releases: int = 0
    referrals: int = 0
    skipped: list[str] = field(default_factory=list)


class DirectorySeeder:
    def __init__(self, admin: User, tally: Tally) -> None:
        self.admin = admin
        self.tally = tally
        self.today = timezone.localdate()

    def run(self) -> dict[str, Service]:
        terms = self._taxonomy()
        orgs = {spec.key: self._organization(spec) for spec in ORGANIZATIONS}
        created: list[uuid.UUID] = []
        services: dict[str, Service] = {}
        for spec in SERVICES:
            service = Service.objects.filter(pk=demo_id("service", spec.name)).first()
            if service is None:
                service = self._service(spec, orgs[spec.org], terms)
                created.append(service.pk)
            services[spec.key] = service
        if created:
            service_search_vectors_refresh(service_ids=created)
        return services

    def _taxonomy(self) -> dict[str, TaxonomyTerm]:
        taxonomy, _ = Taxonomy.objects.get_or_create(
            id=demo_id("taxonomy", TAXONOMY_NAME),
            defaults={
                "name": TAXONOMY_NAME,
                "description": "The agency's own short list of service categories.",
            },
        )
        terms = {}
        for name in CATEGORIES:
            terms[name], _ = TaxonomyTerm.objects.get_or_create(
                id=demo_id("term", name),
                defaults={"taxonomy": taxonomy, "name": name, "code": _slug(name)},
            )
        return terms

    def _organization(self, spec: OrgSpec) -> Organization:
        pk = demo_id("organization", spec.name)
        existing = Organization.objects.filter(pk=pk).first()
        if existing is not None:
            return existing
        organization = organization_create(
            actor=self.admin,
            data={
                "name": spec.name,
                "description": spec.description,
                "email": f"info.{spec.key}@example.org",
                "website": spec.website,
                "is_internal": spec.is_internal,
            },
        )
        # The service gives a new id; the demo's is fixed so a second run finds it.
        Organization.objects.filter(pk=organization.pk).update(id=pk)
        Organization.history.filter(id=organization.pk).update(id=pk)
        organization = Organization.objects.get(pk=pk)
        street, city, postal = spec.address
        location = Location.objects.create(
            id=demo_id("location", spec.name),
            organization=organization,
            name=f"{spec.name} — {city}",
            transportation="Metrobus stop within two blocks.",
        )
        Address.objects.create(
            id=demo_id("address", spec.name),
            location=location,
            address_1=street,
            city=city,
            state_province="FL",
            postal_code=postal,
        )
        Phone.objects.create(
            id=demo_id("phone", spec.name),
            organization=organization,
            number=spec.phone,
            type="voice",
            description="Main line",
        )
        self.tally.organizations += 1
        return organization

    def _service(
        self, spec: ServiceSpec, organization: Organization, terms: dict[str, TaxonomyTerm]
    ) -> Service:
        pk = demo_id("service", spec.name)
        service = service_create(
            actor=self.admin,
            organization=organization,
            data={
                "name": spec.name,
                "description": spec.description,
                "email": f"intake.{_slug(spec.key)}@example.org",
                "application_process": spec.application,
                "fees_description": spec.fees,
                "interpretation_services": "Telephone interpreters for other languages.",
                "status": "active",
                "accepting_new_clients": spec.accepting,
                "wait_time_days": spec.wait_days,
                "capacity_note": spec.capacity,
                "payers_accepted": list(spec.payers),
                "languages": list(spec.languages),
                "minimum_age": spec.minimum_age,
                "maximum_age": spec.maximum_age,
                "eligibility_description": spec.eligibility,
                "required_documents": list(spec.documents),
            },
        )
        # Fixed id, as for organizations; the categories are set under it.
        Service.objects.filter(pk=service.pk).update(id=pk)
        Service.history.filter(id=service.pk).update(id=pk)
        service = Service.objects.select_related("organization").get(pk=pk)
        service.categories.set([terms[name] for name in spec.categories])
        location = Location.objects.get(pk=demo_id("location", organization.name))
        main_line = organization.phones.order_by("pk").first()
        ServiceAtLocation.objects.create(
            id=demo_id("service_at_location", spec.name), service=service, location=location
        )
        contact = Contact.objects.create(
            id=demo_id("contact", spec.name),
            service=service,
            name=spec.contact,
            email=f"intake.{_slug(spec.key)}@example.org",
        )
        Phone.objects.create(
            id=demo_id("phone", spec.name),
            service=service,
            contact=contact,
            number=main_line.number if main_line else "",
            extension=str(100 + SERVICES.index(spec)),
            type="voice",
            languages=list(spec.languages),
        )
        Schedule.objects.create(
            id=demo_id("schedule", spec.name),
            service=service,
            freq="WEEKLY",
            byday="MO,TU,WE,TH,FR",
            opens_at=dt.time(9),
            closes_at=dt.time(17),
            description="Monday to Friday, 9 am to 5 pm",
        )
        if spec.verified_days_ago is not None:
            day = self.today - dt.timedelta(days=spec.verified_days_ago)
            with _on(day, 11):
                service_verify(actor=self.admin, service=service)
            if time_machine is None:  # pragma: no cover - without the dev dependencies
                Service.objects.filter(pk=pk).update(last_verified_on=day)
        self.tally.services += 1
        return service


# --- Referrals --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scene:
    """One referral of the demo and the client it suits."""

    key: str
    service: str
    offered: tuple[str, ...]
    domain: str
    #: Words of the goal that make the best fit ("" for any goal in the domain).
    words: str
    reason: str
    desired: str
    #: Days ago it was drafted, sent (negative: business days ago), accepted (or declined),
    #: intake (negative: days ahead), services started, completed.
    drafted: int
    sent: int | None = None
    answered: int | None = None
    intake: int | None = None
    started: int | None = None
    completed: int | None = None
    declined: str = ""
    with_release: bool = True
    mental_health: bool = False
    handoff: tuple[str, str] | None = None  # (contact, method)
    attended: bool = False
    female_only: bool = False
    urgency: str = "routine"


# fmt: off
SCENES = (
    Scene("draft without release", "rrh", ("rrh", "womens_shelter"), "housing", "my own place",
          "Needs a place of her own away from her ex-partner.",
          "Rapid re-housing: rental assistance and housing search.", drafted=1,
          with_release=False),
    Scene("draft with release", "food", ("food", "benefits_nav"), "finances_benefits", "food",
          "Food insecure since SNAP stopped; needs food while the reapplication is pending.",
          "Weekly groceries; home delivery if possible.", drafted=0),
    Scene("sent, no answer", "iop", ("iop", "mat", "peer_group"), "substance_use", "court",
          "Court-ordered to complete substance-use treatment as a condition of probation.",
          "Intensive outpatient program with court progress reports.", drafted=9, sent=-5,
          handoff=("Yesenia Ramos, intake coordinator", "phone"), urgency="urgent"),
    Scene("sent, answer not yet due", "shelter", ("shelter", "rrh"), "housing", "not the car",
          "Sleeping in the car for three months; needs a bed tonight while housing is "
          "worked out.", "Emergency shelter bed, then a rapid re-housing assessment.",
          drafted=1, sent=-1, handoff=("Luis Ortega, shelter intake", "phone"),
          urgency="urgent"),
    Scene("accepted, intake ahead", "mat", ("mat", "iop"), "substance_use", "pills",
          "Buying pills on the street when the prescription runs out; wants to stop.",
          "Assessment for buprenorphine with counseling.", drafted=7, sent=6, answered=4,
          intake=-5, handoff=("Dr. Anika Shah's nurse, Pam", "phone")),
    Scene("accepted, intake missed check", "psychiatry", ("psychiatry", "peer_group"),
          "mental_health", "hospital",
          "Bipolar I with two hospitalizations this year; needs a psychiatrist to manage "
          "lithium and labs.", "Psychiatric evaluation and medication management.",
          drafted=16, sent=15, answered=12, intake=2, mental_health=True,
          handoff=("Marta Díaz, access center", "video call")),
    Scene("accepted, awaiting date", "primary_care", ("primary_care", "benefits_nav"),
          "physical_health", "viral load",
          "Out of HIV care for six months; viral load detectable. Needs re-linkage.",
          "New-patient visit and Ryan White enrolment.", drafted=5, sent=4, answered=2,
          handoff=("Keith Brown, linkage coordinator", "in person")),
    Scene("in progress", "jobs", ("jobs", "benefits_nav"), "employment_education", "work",
          "Wants to get back to work, even part-time.",
          "Job readiness classes and placement.", drafted=32, sent=30, answered=27,
          intake=24, started=20, attended=True,
          handoff=("Carla Jiménez, employment services", "phone")),
    Scene("in progress, fit review due", "peer_group", ("peer_group", "psychiatry"),
          "mental_health", "myself again",
          "Depressed and isolating; wants people who have been through it.",
          "Weekly peer support group.", drafted=82, sent=80, answered=78, intake=74,
          started=70, attended=True, mental_health=True,
          handoff=("Andre Walker, peer specialist", "in person")),
    Scene("completed", "liheap", ("liheap", "benefits_nav"), "finances_benefits", "lights",
          "FPL shut-off notice; cannot keep the AC on through the summer.",
          "Help paying the FPL bill before the shut-off date.", drafted=47, sent=45,
          answered=43, intake=40, started=38, completed=30, attended=True,
          handoff=("Gladys Moreno, energy programs", "phone"), urgency="urgent"),
    Scene("declined", "womens_shelter", ("womens_shelter", "shelter"), "housing", "kids",
          "Leaving a domestic violence shelter whose stay is ending; needs a safe place "
          "with her two children.", "Family room at a women's shelter.", drafted=10,
          sent=9, answered=8, female_only=True,
          declined="No family rooms open until next month. We can put her on the waitlist; "
          "please call back on the 1st.",
          handoff=("Mercedes Alvarez, admissions", "phone")),
)
# fmt: on


def business_days_before(day: dt.date, days: int) -> dt.date:
    while days > 0:
        day -= dt.timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day


class ReferralSeeder:
    def __init__(self, services: dict[str, Service], agency: Agency, tally: Tally) -> None:
        self.services = services
        self.agency = agency
        self.tally = tally
        self.today = timezone.localdate()

    def _day(self, days_ago: int) -> dt.date:
        """Days ago (negative: days ahead)."""
        return self.today - dt.timedelta(days=days_ago)

    def _sent_day(self, days_ago: int) -> dt.date:
        """Days ago; negative: business days ago, as the provider's answer is counted."""
        if days_ago < 0:
            return business_days_before(self.today, -days_ago)
        return self._day(days_ago)

    def run(self) -> None:
        done = {
            scene.key
            for scene in SCENES
            if Referral.objects.filter(
                service=self.services[scene.service], reason=scene.reason
            ).exists()
        }
        todo = [s for s in SCENES if s.key not in done]
        if not todo:
            return
        busy = set(Referral.objects.values_list("client_id", flat=True))
        plans = list(
            ServicePlan.objects.filter(
                status=PlanStatus.ACTIVE,
                client__status=ClientStatus.ACTIVE,
                client__primary_case_manager__isnull=False,
            )
            .exclude(client_id__in=busy)
            .select_related("client", "client__primary_case_manager")
            .prefetch_related("goals")
            .order_by("client__record_number")
        )
        for scene in todo:
            picked = self._pick(scene, plans)
            if picked is None:
                self.tally.skipped.append(scene.key)
                continue
            plan, goal = picked
            plans.remove(plan)
            self._play(scene, plan.client, goal)

    def _pick(self, scene: Scene, plans: list[ServicePlan]) -> tuple[ServicePlan, Goal] | None:
        """The first plan with a goal in the scene's domain, best fitting first: the goal's
        words, a plan in force when the referral was drafted, and the service's ages."""
        service = self.services[scene.service]
        drafted = self._day(scene.drafted)

        def fits(plan: ServicePlan, *, words: bool, dated: bool) -> Goal | None:
            client = plan.client
            if scene.female_only and client.sex_at_birth != SexAtBirth.FEMALE:
                return None
            age = client.age_on(self.today)
            if service.minimum_age is not None and age < service.minimum_age:
                return None
            if service.maximum_age is not None and age > service.maximum_age:
                return None
            if dated and plan.service_start > drafted:
                return None
            for goal in plan.goals.all():
                if goal.domain != scene.domain:
                    continue
                if words and scene.words.lower() not in goal.client_words.lower():
                    continue
                return goal
            return None

        for words, dated in ((True, True), (False, True), (True, False), (False, False)):
            for plan in plans:
                goal = fits(plan, words=words, dated=dated)
                if goal is not None:
                    return plan, goal
        return None

    def _play(self, scene: Scene, client: Client, goal: Goal) -> None:
        actor = client.primary_case_manager
        assert actor is not None  # noqa: S101 - filtered on in run()
        service = self.services[scene.service]
        org = service.organization
        assert org is not None  # noqa: S101 - every demo service has its organization
        provider = Actor(label=f"{org.name} (via the referral link)")
        drafted = self._day(scene.drafted)
        if scene.sent is not None:  # business days back may reach past the drafting day
            drafted = min(drafted, self._sent_day(scene.sent))

        with _on(drafted, 10):
            if scene.with_release:
                categories = [ReleaseCategory.GENERAL]
                if scene.mental_health:
                    categories.append(ReleaseCategory.MENTAL_HEALTH)
                release_record(
                    actor=actor,
                    client=client,
                    data={
                        "discloser": self.agency.name,
                        "recipient_organization_id": org.pk,
                        "purposes": ["referral", "coordination"],
                        "categories": categories,
                        "effective_on": drafted,
                        "expires_on": drafted + dt.timedelta(days=365),
                        "signer_name": client.legal_name,
                        "signer_relationship": "self",
                        "signature_method": "wet",
                        "signed_on": drafted,
                        "ack_right_to_revoke": True,
                        "ack_no_conditioning": True,
                        "ack_redisclosure": True,
                    },
                )
                self.tally.releases += 1
            referral = referral_create(
                actor=actor,
                goal=goal,
                service=service,
                offered=[self.services[key] for key in scene.offered],
                data={
                    "reason": scene.reason,
                    "presenting_issue_summary": client.presenting_issue,
                    "desired_services": scene.desired,
                    "urgency": scene.urgency,
                    "target_date": drafted + dt.timedelta(days=30),
                    "review_date": drafted + dt.timedelta(days=14),
                },
            )
            if scene.mental_health:
                referral = referral_set_packet(
                    actor=actor,
                    referral=referral,
                    sections=[*DEFAULT_SECTIONS, PacketSection.MEASURES],
                    document_ids=[],
                )
        self.tally.referrals += 1
        if scene.sent is None:
            return

        sent = self._sent_day(scene.sent)
        contact = service.contacts.order_by("pk").first()
        with _on(sent, 10, 30):
            referral, _token = referral_send(
                actor=actor,
                referral=referral,
                provider_email=contact.email if contact else f"intake@{org.pk}.example.org",
            )
        if scene.handoff is not None:
            with _on(sent, 11, 15):
                referral_handoff(
                    actor=actor,
                    referral=referral,
                    contact=scene.handoff[0],
                    method=scene.handoff[1],
                    at=timezone.now(),
                )
        if scene.answered is None:
            return

        answered = self._day(scene.answered)
        with _on(answered, 14):
            if scene.declined:
                referral_act(
                    actor=provider, referral=referral, action="decline", note=scene.declined
                )
                return
            referral_act(
                actor=provider,
                referral=referral,
                action="accept",
                note="We can see the client; we will call to set the intake.",
            )
            if scene.intake is not None:
                referral_act(
                    actor=provider,
                    referral=referral,
                    action="schedule_intake",
                    on=self._day(scene.intake),
                    note="Please bring the documents on our list.",
                )
        if scene.intake is not None and scene.attended:
            with _on(self._day(scene.intake - 1), 9, 30):
                referral_record_attendance(
                    actor=actor, referral=referral, attended=True, note="Confirmed by phone."
                )
        if scene.started is not None:
            with _on(self._day(scene.started), 15):
                referral_act(
                    actor=provider,
                    referral=referral,
                    action="start",
                    on=self._day(scene.started),
                )
        if scene.completed is not None:
            completed = self._day(scene.completed)
            with _on(completed, 16):
                referral_act(
                    actor=provider,
                    referral=referral,
                    action="complete",
                    outcome="connected",
                    note="Pledge paid to FPL; the account is current.",
                )


def _admin() -> User | None:
    return User.objects.filter(email__iexact=ADMIN_EMAIL, is_agency_admin=True).first()


def seed_referrals() -> list[str]:
    """Seed what is missing; return the summary lines."""
    agency = Agency.objects.order_by("pk").first()
    admin = _admin()
    if agency is None or admin is None:
        return ["Referrals: no demo agency or administrator; run seed_demo first."]
    tally = Tally()
    services = DirectorySeeder(admin, tally).run()
    ReferralSeeder(services, agency, tally).run()
    return _summary(agency, services, tally)


def _summary(agency: Agency, services: dict[str, Service], tally: Tally) -> list[str]:
    today = timezone.localdate()
    demo_services = Service.objects.filter(pk__in=[s.pk for s in services.values()])
    stale = [
        s for s in demo_services if s.verification_stale(max_age_days=agency.stale_directory_days)
    ]
    internal = Organization.objects.filter(
        pk__in={s.organization_id for s in services.values()}, is_internal=True
    ).count()
    referrals = list(
        Referral.objects.filter(service__in=demo_services).select_related(
            "service__organization", "client"
        )
    )
    statuses = Counter(r.status for r in referrals)
    due = Counter(f.kind for r in referrals for f in follow_ups(r, agency, today))
    releases = ReleaseOfInformation.objects.filter(
        recipient_organization_id__in={s.organization_id for s in services.values()}
    ).count()
    lines = [
        f"Referrals: directory {tally.organizations} organizations and {tally.services} "
        f"services created ({len(services)} demo services, {internal} internal programs, "
        f"{len(stale)} not verified in {agency.stale_directory_days} days)",
        f"  {tally.referrals} referrals created, {len(referrals)} in the demo: "
        + ", ".join(
            f"{count} {ReferralStatus(status).label.lower()}"
            for status, count in sorted(statuses.items(), key=lambda s: (-s[1], s[0]))
        ),
        f"  Releases of information to demo providers: {releases} ({tally.releases} recorded now)",
        "  Follow-ups due: "
        + (", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in sorted(due.items())) or "none"),
    ]
    if tally.skipped:
        lines.append("  No fitting client for: " + ", ".join(tally.skipped))
    return lines
