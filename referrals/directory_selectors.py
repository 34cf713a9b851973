"""Reads of the provider directory: browsing, searching for providers with a client, how the
client fits each service, whether a service's details are fresh, and how each provider has
answered the agency's referrals.

The directory itself is not client data: every signed-in member of staff may read it. The
quality figures are counts over all referrals, never a client's record."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import models
from django.db.models import (
    Aggregate,
    Count,
    Exists,
    F,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    TextField,
    Value,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import TruncDate
from django.shortcuts import get_object_or_404
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from casemgmt.accounts import policy
from casemgmt.accounts.models import Agency, Team, User
from clients.models import Client, PayerType

from .models import (
    Address,
    Location,
    Organization,
    Referral,
    ReferralStatus,
    Service,
    ServiceAtLocation,
    ServiceStatus,
    TaxonomyTerm,
)
from .services.directory import SEARCH_CONFIG

PAGE_SIZE = 20

#: A referral the provider accepted, whatever happened after.
ACCEPTED_OR_LATER = (
    ReferralStatus.ACCEPTED,
    ReferralStatus.IN_PROGRESS,
    ReferralStatus.ON_HOLD,
    ReferralStatus.COMPLETED,
)
#: A referral the provider answered: accepted (or later) or declined.
ANSWERED = (*ACCEPTED_OR_LATER, ReferralStatus.REJECTED)

_LIST_SEPARATOR = "\x1f"


# --- The agency's settings and freshness ---------------------------------------------------


def user_agency(user: policy.AnyUser) -> Agency:
    """The agency whose settings apply to the user: their team's, else the installation's
    agency, else the defaults."""
    rows = Agency.objects.order_by("pk")
    if isinstance(user, User):
        mine = Team.objects.filter(agency=OuterRef("pk")).filter(
            Q(members=user) | Q(supervisors=user)
        )
        rows = rows.annotate(mine=Exists(mine)).order_by("-mine", "pk")
    return rows.first() or Agency(name="")


def verification_warning(
    service: Service, agency: Agency, *, today: dt.date | None = None
) -> str | None:
    """ "Never verified" or "Not verified since <date>" when nobody has checked the service
    with the provider within the agency's `stale_directory_days`; None while it is fresh."""
    if not service.verification_stale(max_age_days=agency.stale_directory_days, today=today):
        return None
    if service.last_verified_on is None:
        return _("Never verified")
    return _("Not verified since %(date)s") % {
        "date": formats.date_format(service.last_verified_on, "DATE_FORMAT")
    }


# --- Search -------------------------------------------------------------------------------


def _term_and_descendants(term_id: uuid.UUID | str) -> RawSQL:
    return RawSQL(
        "WITH RECURSIVE tree(id) AS ("
        " SELECT %s::uuid"
        " UNION SELECT t.id FROM referrals_taxonomyterm AS t JOIN tree ON t.parent_id = tree.id"
        ") SELECT id FROM tree",
        [str(term_id)],
    )


def _lowered_languages() -> Func:
    """The service's languages in lower case, as text[] (for a case-insensitive contains)."""
    joined = Func(F("languages"), Value(_LIST_SEPARATOR), function="array_to_string")
    return Func(
        Func(joined, function="lower"),
        Value(_LIST_SEPARATOR),
        function="string_to_array",
        output_field=ArrayField(TextField()),
    )


def search_services(
    *,
    q: str = "",
    category: TaxonomyTerm | uuid.UUID | str | None = None,
    language: str | None = None,
    client: Client | None = None,
    fits_age: bool = False,
    payer: str | None = None,
    accepting_only: bool = False,
    max_wait_days: int | None = None,
    internal: bool | None = None,
    place: str | None = None,
    include_inactive: bool = False,
) -> QuerySet[Service]:
    """Services a case manager may refer to (active ones unless `include_inactive`), found by
    full-text search over names (ranked first), organization, categories, description and
    eligibility, and narrowed by the filters given. A payer filter keeps services that list
    no payers (unknown: the page says so); an unknown wait fails a maximum wait."""
    rows = Service.objects.all() if include_inactive else Service.objects.offered()
    rows = rows.select_related("organization", "last_verified_by")

    text = (q or "").strip()
    if text:
        query = SearchQuery(text, search_type="websearch", config=SEARCH_CONFIG)
        rows = rows.annotate(
            lexemes=Func(query, function="numnode", output_field=IntegerField()),
            rank=SearchRank(F("search_vector"), query),
        ).filter(
            # A query of stop words or punctuation has no lexemes: fall back to the name.
            Q(lexemes__gt=0, search_vector=query) | Q(name__icontains=text)
        )
        rows = rows.order_by("-rank", "name", "pk")
    else:
        rows = rows.order_by("name", "pk")

    if category:
        term_id = category.pk if isinstance(category, TaxonomyTerm) else category
        rows = rows.filter(
            Exists(
                Service.categories.through.objects.filter(
                    service_id=OuterRef("pk"), taxonomyterm_id__in=_term_and_descendants(term_id)
                )
            )
        )
    if language and language.strip():
        rows = rows.alias(languages_lower=_lowered_languages()).filter(
            Q(languages_lower__contains=[language.strip().lower()])
        )
    if fits_age and client is not None:
        age = client.age
        rows = rows.filter(
            Q(minimum_age__isnull=True) | Q(minimum_age__lte=age),
            Q(maximum_age__isnull=True) | Q(maximum_age__gte=age),
        )
    if payer:
        rows = rows.filter(Q(payers_accepted__contains=[payer]) | Q(payers_accepted=[]))
    if accepting_only:
        rows = rows.filter(accepting_new_clients=True)
    if max_wait_days is not None:
        rows = rows.filter(wait_time_days__lte=max_wait_days)
    if internal is not None:
        # A service without an organization counts as another agency's.
        rows = rows.filter(
            Q(organization__is_internal=True)
            if internal
            else Q(organization__is_internal=False) | Q(organization__isnull=True)
        )
    if place and place.strip():
        where = place.strip()
        addresses = Address.objects.filter(
            location__service_at_locations__service=OuterRef("pk")
        ).filter(
            Q(city__iexact=where)
            | Q(postal_code__iexact=where)
            | Q(postal_code__istartswith=f"{where}-")
        )
        rows = rows.filter(Exists(addresses))
    return rows


def with_result_details(rows: QuerySet[Service]) -> QuerySet[Service]:
    """What a result shows beside the service: categories and the cities it is offered in."""
    return rows.prefetch_related(
        "categories",
        Prefetch(
            "service_at_locations",
            queryset=ServiceAtLocation.objects.select_related("location").prefetch_related(
                "location__addresses"
            ),
        ),
    )


def category_choices() -> QuerySet[TaxonomyTerm]:
    """Categories worth filtering by: those with services, and their parents."""
    return (
        TaxonomyTerm.objects.filter(Q(services__isnull=False) | Q(children__isnull=False))
        .select_related("parent")
        .distinct()
        .order_by("name", "pk")
    )


def known_languages() -> list[str]:
    """Languages some active service offers, once each (case-insensitive), A to Z."""
    values = (
        Service.objects.offered()
        .annotate(language=Func(F("languages"), function="unnest"))
        .values_list("language", flat=True)
        .order_by()
        .distinct()
    )
    seen: dict[str, str] = {}
    for value in values:
        if value and value.strip():
            seen.setdefault(value.strip().casefold(), value.strip())
    return sorted(seen.values(), key=str.casefold)


# --- The client's fit -----------------------------------------------------------------------


class Fit(models.TextChoices):
    """A fit line's verdict, always shown in words (never by colour alone)."""

    FITS = "fits", gettext_lazy("Fits")
    DOES_NOT_FIT = "does_not_fit", gettext_lazy("Does not fit")
    UNKNOWN = "unknown", gettext_lazy("Not known")
    READ = "read", gettext_lazy("Read together")


@dataclass(frozen=True)
class FitLine:
    """One line of how a client fits a service: what it is about, a verdict, and words."""

    topic: str
    label: str
    status: Fit
    text: str

    @property
    def status_label(self) -> str:
        return str(Fit(self.status).label)


def _age_range(low: int | None, high: int | None) -> str:
    if low is not None and high is not None:
        return _("ages %(low)d to %(high)d") % {"low": low, "high": high}
    if low is not None:
        return _("ages %(low)d and over") % {"low": low}
    return _("ages up to %(high)d") % {"high": high}


def _age_line(service: Service, client: Client) -> FitLine:
    low, high = service.minimum_age, service.maximum_age
    age = client.age
    if low is None and high is None:
        return FitLine(
            "age",
            _("Age"),
            Fit.UNKNOWN,
            _("No age range listed; the client is %(age)d.") % {"age": age},
        )
    inside = (low is None or age >= low) and (high is None or age <= high)
    words = {"range": _age_range(low, high), "age": age}
    if inside:
        return FitLine(
            "age", _("Age"), Fit.FITS, _("Serves %(range)s; the client is %(age)d.") % words
        )
    return FitLine(
        "age",
        _("Age"),
        Fit.DOES_NOT_FIT,
        _("Serves %(range)s; the client is %(age)d, outside the range.") % words,
    )


def _language_line(service: Service, client: Client) -> FitLine:
    wanted = client.primary_language.strip()
    offered = {lang.strip().casefold(): lang.strip() for lang in service.languages}
    parts: list[str] = []
    if not offered:
        status = Fit.UNKNOWN
        parts.append(_("No languages listed; ask about %(lang)s.") % {"lang": wanted})
    elif wanted.casefold() in offered:
        status = Fit.FITS
        parts.append(_("Offers %(lang)s.") % {"lang": offered[wanted.casefold()]})
    else:
        status = Fit.DOES_NOT_FIT
        parts.append(
            _("Does not list %(lang)s (offers %(offered)s).")
            % {"lang": wanted, "offered": ", ".join(offered.values())}
        )
        also = [
            offered[o.strip().casefold()]
            for o in client.other_languages
            if o.strip().casefold() in offered
        ]
        if also:
            parts.append(_("The client also speaks %(langs)s.") % {"langs": ", ".join(also)})
    if service.interpretation_services.strip():
        parts.append(
            _("Interpreter services: %(text)s") % {"text": service.interpretation_services.strip()}
        )
    elif client.interpreter_needed and status != Fit.FITS:
        parts.append(_("The client needs an interpreter; none is listed."))
    return FitLine("language", _("Language"), status, " ".join(parts))


def _payer_label(value: str) -> str:
    try:
        return str(PayerType(value).label)
    except ValueError:
        return value


def payer_labels(values: Iterable[str]) -> list[str]:
    """Payer codes in words, e.g. ["Medicaid", "Private insurance"]."""
    return [_payer_label(value) for value in values]


def _payer_line(service: Service, client: Client) -> FitLine:
    payer = _payer_label(client.payer_type)
    if not service.payers_accepted:
        return FitLine(
            "payer",
            _("Payer"),
            Fit.UNKNOWN,
            _("Payers not listed; ask the provider about %(payer)s.") % {"payer": payer},
        )
    if client.payer_type in service.payers_accepted:
        return FitLine("payer", _("Payer"), Fit.FITS, _("Accepts %(payer)s.") % {"payer": payer})
    accepted = ", ".join(payer_labels(service.payers_accepted))
    return FitLine(
        "payer",
        _("Payer"),
        Fit.DOES_NOT_FIT,
        _("%(payer)s is not listed (accepts %(accepted)s).")
        % {"payer": payer, "accepted": accepted},
    )


def _accepting_line(service: Service) -> FitLine:
    note = service.capacity_note.strip()
    if service.accepting_new_clients:
        text = _("Accepting new clients.")
        status = Fit.FITS
    else:
        text = _("Not accepting new clients.")
        status = Fit.DOES_NOT_FIT
    return FitLine("accepting", _("New clients"), status, f"{text} {note}".strip())


def _wait_line(service: Service) -> FitLine:
    if service.wait_time_days is None:
        published = service.wait_time.strip()
        text = _("Wait not verified.")
        if published:
            text += " " + _("Published: %(text)s") % {"text": published}
        return FitLine("wait", _("Wait"), Fit.UNKNOWN, text)
    days = service.wait_time_days
    if days == 0:
        text = _("No wait.")
    else:
        text = ngettext("About %(n)d day's wait.", "About %(n)d days' wait.", days) % {"n": days}
    return FitLine("wait", _("Wait"), Fit.READ, text)


def _eligibility_line(service: Service) -> FitLine:
    text = service.eligibility_description.strip() or _("No eligibility rules listed.")
    return FitLine("eligibility", _("Eligibility"), Fit.READ, text)


def client_fit(service: Service, client: Client) -> list[FitLine]:
    """How the client fits the service, line by line: age, language, payer, new clients,
    wait, and the eligibility rules for the case manager to read with the client."""
    return [
        _age_line(service, client),
        _language_line(service, client),
        _payer_line(service, client),
        _accepting_line(service),
        _wait_line(service),
        _eligibility_line(service),
    ]


# --- Quality --------------------------------------------------------------------------------


class Median(Aggregate):
    """The median (PostgreSQL's continuous percentile at 0.5) of an expression."""

    name = "Median"
    function = "percentile_cont"
    template = "percentile_cont(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


@dataclass(frozen=True)
class Quality:
    """How a provider has answered the agency's sent referrals."""

    sent: int = 0
    accepted: int = 0
    answered: int = 0
    median_days_to_start: float | None = None

    @property
    def acceptance_rate(self) -> float | None:
        return self.accepted / self.answered if self.answered else None

    @property
    def summary(self) -> str:
        if not self.sent:
            return _("No referrals yet")
        if not self.answered:
            return ngettext(
                "%(n)d referral sent, not yet answered",
                "%(n)d referrals sent, none answered yet",
                self.sent,
            ) % {"n": self.sent}
        accepted = ngettext(
            "Accepted %(accepted)d of %(answered)d referral",
            "Accepted %(accepted)d of %(answered)d referrals",
            self.answered,
        ) % {"accepted": self.accepted, "answered": self.answered}
        if self.median_days_to_start is None:
            return _("%(accepted)s; no start dates yet") % {"accepted": accepted}
        days = self.median_days_to_start
        shown = formats.number_format(days, 0 if days == int(days) else 1)
        return ngettext(
            "%(accepted)s; median %(days)s day to start",
            "%(accepted)s; median %(days)s days to start",
            int(days) if days == int(days) else 2,
        ) % {"accepted": accepted, "days": shown}


def service_quality(service_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Quality]:
    """Acceptance (accepted or later ÷ answered) and the median days from sending to the
    service starting, over referrals that were sent; one query for any number of services."""
    ids = list(dict.fromkeys(service_ids))
    figures: dict[uuid.UUID, Quality] = {pk: Quality() for pk in ids}
    if not ids:
        return figures
    days_to_start = Func(
        F("service_started_on"),
        TruncDate("sent_at"),
        template="(%(expressions)s)",
        arg_joiner=" - ",
        output_field=IntegerField(),
    )
    rows = (
        Referral.objects.filter(service_id__in=ids, sent_at__isnull=False)
        .values("service_id")
        .annotate(
            sent=Count("pk"),
            accepted=Count("pk", filter=Q(status__in=ACCEPTED_OR_LATER)),
            answered=Count("pk", filter=Q(status__in=ANSWERED)),
            median=Median(days_to_start, filter=Q(service_started_on__isnull=False)),
        )
        .order_by()
    )
    for row in rows:
        figures[row["service_id"]] = Quality(
            sent=row["sent"],
            accepted=row["accepted"],
            answered=row["answered"],
            median_days_to_start=row["median"],
        )
    return figures


# --- Result rows and pages ------------------------------------------------------------------


@dataclass
class ResultRow:
    """A service as a result shows it: with its warning, quality and (with a client) fit."""

    service: Service
    quality: Quality
    warning: str | None
    fit: list[FitLine] = field(default_factory=list)

    @property
    def cities(self) -> list[str]:
        seen: dict[str, str] = {}
        for sal in self.service.service_at_locations.all():
            for address in sal.location.addresses.all():
                seen.setdefault(address.city.casefold(), address.city)
        return list(seen.values())


def result_rows(
    services: Sequence[Service], *, agency: Agency, client: Client | None = None
) -> list[ResultRow]:
    today = timezone.localdate()
    quality = service_quality(s.pk for s in services)
    return [
        ResultRow(
            service=service,
            quality=quality[service.pk],
            warning=verification_warning(service, agency, today=today),
            fit=client_fit(service, client) if client is not None else [],
        )
        for service in services
    ]


def services_by_ids(ids: Iterable[str]) -> list[Service]:
    """Services (any status) among the given ids, ignoring what is not a service id."""
    valid: list[uuid.UUID] = []
    for raw in ids:
        try:
            valid.append(uuid.UUID(str(raw)))
        except ValueError:
            continue
    if not valid:
        return []
    return list(
        Service.objects.filter(pk__in=valid).select_related("organization").order_by("name")
    )


def service_for_page(pk: uuid.UUID) -> Service:
    """One service with everything its page shows; 404 when there is none."""
    return get_object_or_404(
        Service.objects.select_related("organization", "last_verified_by").prefetch_related(
            Prefetch("categories", queryset=TaxonomyTerm.objects.select_related("parent")),
            Prefetch(
                "service_at_locations",
                queryset=ServiceAtLocation.objects.select_related("location").prefetch_related(
                    "location__addresses",
                    "location__accessibility",
                    "location__schedules",
                    "schedules",
                    "phones",
                ),
            ),
            "phones",
            "contacts",
            "schedules",
        ),
        pk=pk,
    )


def organizations(*, q: str = "") -> QuerySet[Organization]:
    """Organizations by name (or alternate name), with their services."""
    rows = Organization.objects.annotate(
        active_services=Count("services", filter=Q(services__status=ServiceStatus.ACTIVE))
    ).prefetch_related(Prefetch("services", queryset=Service.objects.order_by("name")))
    text = q.strip()
    if text:
        rows = rows.filter(Q(name__icontains=text) | Q(alternate_name__icontains=text))
    return rows.order_by("name", "pk")


def organization_for_page(pk: uuid.UUID) -> Organization:
    return get_object_or_404(
        Organization.objects.prefetch_related(
            Prefetch("services", queryset=Service.objects.order_by("name")),
            "phones",
            "contacts",
            Prefetch(
                "locations",
                queryset=Location.objects.prefetch_related("addresses").order_by("name"),
            ),
        ),
        pk=pk,
    )
