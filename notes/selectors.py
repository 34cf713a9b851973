"""Reads that span the client record: the timeline, note search and the case file. Every
read starts from the user (the access policy); a client outside their scope is never read."""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
from django.db import models
from django.db.models import F, Func, Prefetch, Q, QuerySet, TextField, Value
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from careplans.assessment_selectors import barrier_labels, needs_in_domain_order
from careplans.models import (
    Assessment,
    AssessmentStatus,
    DomainNeed,
    Goal,
    GoalReview,
    Intervention,
    MeasureAdministration,
    PlanEvent,
    PlanReview,
    PlanStatus,
    ReviewDecision,
    ServicePlan,
)
from casemgmt.accounts import policy
from casemgmt.accounts.models import User
from clients.models import (
    Client,
    Collateral,
    CrisisAction,
    CrisisEvent,
    Disclosure,
    Episode,
    ReleaseCategory,
    ReleaseOfInformation,
    ReleasePurpose,
    SafetyFlag,
)
from referrals.models import Referral, ReferralEvent, ReferralStatus

from .formats import layout
from .models import SECTION_FIELDS, Addendum, CaseNote, NoteStatus

# --- Shared -------------------------------------------------------------------------------

#: Large columns a list never shows (the tsvector above all).
_NOTE_BODY = ("search_vector", *SECTION_FIELDS[1:], "cosign_comment")


def notes_visible_to(user: policy.AnyUser) -> QuerySet[CaseNote]:
    """Signed notes of the clients in the user's scope, and the user's own drafts (a draft is
    its author's until it is signed)."""
    author_id = user.pk if isinstance(user, User) else None
    return CaseNote.objects.visible_to(user).filter(
        Q(status=NoteStatus.SIGNED) | Q(status=NoteStatus.DRAFT, author_id=author_id)
    )


def _client_in_scope(user: policy.AnyUser, client: Client) -> QuerySet[Client]:
    """The client as a subquery, through the access policy (for rows without their own
    `visible_to`)."""
    return Client.objects.visible_to(user).filter(pk=client.pk)


def _day_start(day: dt.date) -> dt.datetime:
    """Midnight at the start of `day` in the current (the user's) time zone."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _range_filter(name: str, *, is_date: bool, start: dt.date | None, end: dt.date | None) -> Q:
    """Rows whose `name` falls between the two days (inclusive, in the user's time zone)."""
    condition = Q(**{f"{name}__isnull": False})
    if is_date:
        if start is not None:
            condition &= Q(**{f"{name}__gte": start})
        if end is not None:
            condition &= Q(**{f"{name}__lte": end})
    else:
        if start is not None:
            condition &= Q(**{f"{name}__gte": _day_start(start)})
        if end is not None:
            condition &= Q(**{f"{name}__lt": _day_start(end + dt.timedelta(days=1))})
    return condition


def _person(user: User | None, label: str = "") -> str:
    return str(user) if user is not None else (label or "—")


def _short(text: str, words: int = 18) -> str:
    first_line = " ".join(text.split())
    return Truncator(first_line).words(words)


def _labels(choices: Any, values: Iterable[str]) -> list[str]:
    names = dict(choices.choices)
    return [str(names.get(value, value)) for value in values]


# --- Timeline -----------------------------------------------------------------------------


class TimelineKind(models.TextChoices):
    """What a timeline entry records; the labels name each kind in the filter."""

    NOTE = "note", gettext_lazy("Case notes")
    ADDENDUM = "addendum", gettext_lazy("Addenda")
    PLAN = "plan", gettext_lazy("Service plan changes")
    REVIEW = "review", gettext_lazy("Plan reviews")
    REFERRAL = "referral", gettext_lazy("Referrals")
    CRISIS = "crisis", gettext_lazy("Crisis events")
    SAFETY = "safety", gettext_lazy("Safety flags")
    RELEASE = "release", gettext_lazy("Releases of information")
    ASSESSMENT = "assessment", gettext_lazy("Assessments")
    MEASURE = "measure", gettext_lazy("Measures")
    EPISODE = "episode", gettext_lazy("Enrolment and discharge")


#: One entry's kind, as its badge names it.
TIMELINE_BADGES: dict[str, Any] = {
    TimelineKind.NOTE: gettext_lazy("Case note"),
    TimelineKind.ADDENDUM: gettext_lazy("Addendum"),
    TimelineKind.PLAN: gettext_lazy("Service plan"),
    TimelineKind.REVIEW: gettext_lazy("Plan review"),
    TimelineKind.REFERRAL: gettext_lazy("Referral"),
    TimelineKind.CRISIS: gettext_lazy("Crisis"),
    TimelineKind.SAFETY: gettext_lazy("Safety flag"),
    TimelineKind.RELEASE: gettext_lazy("Release"),
    TimelineKind.ASSESSMENT: gettext_lazy("Assessment"),
    TimelineKind.MEASURE: gettext_lazy("Measure"),
    TimelineKind.EPISODE: gettext_lazy("Episode of care"),
}


@dataclass(frozen=True)
class TimelineItem:
    """One entry: when (a moment, or only a day), what kind, one line, who, where to read it."""

    at: dt.datetime
    kind: str
    summary: str
    who: str
    url: str
    all_day: bool = False
    draft: bool = False
    sort_pk: int = 0

    @property
    def kind_label(self) -> str:
        return str(TIMELINE_BADGES.get(self.kind, self.kind))

    @property
    def day(self) -> dt.date:
        return timezone.localtime(self.at).date()


@dataclass(frozen=True)
class _Source:
    """One kind of row on the timeline: how to read it and how to describe it."""

    kind: str
    #: The dated column: it orders the rows and the date range applies to it.
    column: str
    is_date: bool
    rows: Callable[[User, Client], QuerySet[Any]]
    #: summary, who, url (and draft) of one row
    describe: Callable[[Any, Client], dict[str, Any]]

    def item(self, row: Any, client: Client) -> TimelineItem:
        value = getattr(row, self.column)
        return TimelineItem(
            at=_day_start(value) if self.is_date else value,
            kind=self.kind,
            all_day=self.is_date,
            sort_pk=row.pk,
            **self.describe(row, client),
        )


def _note_url(client: Client, note_id: int, anchor: str = "") -> str:
    return reverse("notes:note_detail", args=[client.pk, note_id]) + anchor


def _case_file_url(client: Client, anchor: str) -> str:
    return reverse("notes:case_file", args=[client.pk]) + anchor


def _note_rows(user: User, client: Client) -> QuerySet[Any]:
    return notes_visible_to(user).filter(client=client).select_related("author").defer(*_NOTE_BODY)


def _note(note: CaseNote, client: Client) -> dict[str, Any]:
    summary = _("%(type)s, %(minutes)s min: %(purpose)s") % {
        "type": note.get_contact_type_display(),
        "minutes": note.duration_minutes,
        "purpose": _short(note.purpose) or _("no purpose written yet"),
    }
    if note.late_entry:
        summary += " " + _("(late entry)")
    return {
        "summary": summary,
        "who": _person(note.author),
        "url": _note_url(client, note.pk),
        "draft": not note.is_signed,
    }


def _addendum_rows(user: User, client: Client) -> QuerySet[Any]:
    return (
        Addendum.objects.visible_to(user)
        .filter(note__client=client, note__status=NoteStatus.SIGNED)
        .select_related("author")
    )


def _addendum(addendum: Addendum, client: Client) -> dict[str, Any]:
    return {
        "summary": _("%(kind)s to a note: %(reason)s")
        % {"kind": addendum.get_kind_display(), "reason": _short(addendum.reason)},
        "who": _person(addendum.author),
        "url": _note_url(client, addendum.note_id, f"#addendum-{addendum.pk}"),
    }


def _plan_event_rows(user: User, client: Client) -> QuerySet[Any]:
    return (
        PlanEvent.objects.filter(
            plan__in=ServicePlan.objects.visible_to(user).filter(client=client)
        )
        .select_related("actor")
        .annotate(plan_version=F("plan__version"))
    )


def _plan_event(event: Any, client: Client) -> dict[str, Any]:
    summary = _("Service plan version %(version)s: %(status)s") % {
        "version": event.plan_version,
        "status": event.get_to_status_display(),
    }
    if event.note:
        summary += f" ({_short(event.note)})"
    return {
        "summary": summary,
        "who": _person(event.actor),
        "url": reverse("careplans:plan_detail", args=[client.pk, event.plan_id]),
    }


def _review_rows(user: User, client: Client) -> QuerySet[Any]:
    return (
        PlanReview.objects.filter(
            plan__in=ServicePlan.objects.visible_to(user).filter(client=client)
        )
        .select_related("reviewed_by")
        .annotate(plan_version=F("plan__version"))
    )


def _review(review: Any, client: Client) -> dict[str, Any]:
    return {
        "summary": _("Service plan version %(version)s reviewed: %(decision)s")
        % {"version": review.plan_version, "decision": review.get_decision_display()},
        "who": _person(review.reviewed_by),
        "url": reverse("careplans:plan_detail", args=[client.pk, review.plan_id]),
    }


def _referral_event_rows(user: User, client: Client) -> QuerySet[Any]:
    return (
        ReferralEvent.objects.filter(
            referral__in=Referral.objects.visible_to(user).filter(client=client)
        )
        .select_related("actor")
        .annotate(service_name=F("referral__service__name"))
    )


def _referral_event(event: Any, client: Client) -> dict[str, Any]:
    summary = _("Referral to %(service)s: %(status)s") % {
        "service": event.service_name,
        "status": event.get_to_status_display(),
    }
    if event.note:
        summary += f" ({_short(event.note)})"
    return {
        "summary": summary,
        "who": _person(event.actor, event.actor_label),
        "url": reverse("referrals:referral_detail", args=[client.pk, event.referral_id]),
    }


def _crisis_rows(user: User, client: Client) -> QuerySet[Any]:
    return (
        CrisisEvent.objects.visible_to(user)
        .filter(client=client)
        .select_related("recorded_by", "closed_by")
    )


def _crisis_recorded(crisis: CrisisEvent, client: Client) -> dict[str, Any]:
    return {
        "summary": _("Crisis recorded: %(level)s; %(outcome)s")
        % {"level": crisis.get_distress_level_display(), "outcome": crisis.get_outcome_display()},
        "who": _person(crisis.recorded_by),
        "url": reverse("clients:crisis_detail", args=[client.pk, crisis.pk]),
    }


def _crisis_closed(crisis: CrisisEvent, client: Client) -> dict[str, Any]:
    return {
        "summary": _("Crisis follow-up done: %(note)s") % {"note": _short(crisis.closing_note)},
        "who": _person(crisis.closed_by),
        "url": reverse("clients:crisis_detail", args=[client.pk, crisis.pk]),
    }


def _flag_rows(user: User, client: Client) -> QuerySet[Any]:
    return SafetyFlag.objects.filter(client__in=_client_in_scope(user, client)).select_related(
        "raised_by", "resolved_by"
    )


def _flag_raised(flag: SafetyFlag, client: Client) -> dict[str, Any]:
    return {
        "summary": _("Safety flag raised: %(reason)s") % {"reason": _short(flag.reason)},
        "who": _person(flag.raised_by),
        "url": _case_file_url(client, f"#flag-{flag.pk}"),
    }


def _flag_resolved(flag: SafetyFlag, client: Client) -> dict[str, Any]:
    return {
        "summary": _("Safety follow-up recorded: %(note)s") % {"note": _short(flag.follow_up)},
        "who": _person(flag.resolved_by),
        "url": _case_file_url(client, f"#flag-{flag.pk}"),
    }


def _release_rows(user: User, client: Client) -> QuerySet[Any]:
    return (
        ReleaseOfInformation.objects.visible_to(user)
        .filter(client=client)
        .select_related("created_by", "revoked_by")
    )


def _release_signed(release: ReleaseOfInformation, client: Client) -> dict[str, Any]:
    return {
        "summary": _("Release of information to %(recipient)s signed")
        % {"recipient": release.recipient_name},
        "who": _person(release.created_by),
        "url": reverse("clients:release_detail", args=[client.pk, release.pk]),
    }


def _release_revoked(release: ReleaseOfInformation, client: Client) -> dict[str, Any]:
    return {
        "summary": _("Release of information to %(recipient)s revoked (%(how)s)")
        % {"recipient": release.recipient_name, "how": release.revocation_method},
        "who": _person(release.revoked_by),
        "url": reverse("clients:release_detail", args=[client.pk, release.pk]),
    }


def _assessment_rows(user: User, client: Client) -> QuerySet[Any]:
    return (
        Assessment.objects.visible_to(user)
        .filter(client=client, status=AssessmentStatus.COMPLETED)
        .select_related("completed_by")
    )


def _assessment(assessment: Assessment, client: Client) -> dict[str, Any]:
    return {
        "summary": _("%(kind)s completed") % {"kind": assessment.get_kind_display()},
        "who": _person(assessment.completed_by),
        "url": reverse("careplans:assessment_detail", args=[client.pk, assessment.pk]),
    }


def _measure_rows(user: User, client: Client) -> QuerySet[Any]:
    return (
        MeasureAdministration.objects.visible_to(user)
        .filter(client=client)
        .select_related("instrument", "administered_by")
    )


def _measure(measure: MeasureAdministration, client: Client) -> dict[str, Any]:
    summary = _("%(instrument)s: %(score)s (%(band)s)") % {
        "instrument": measure.instrument.name,
        "score": measure.total_score,
        "band": measure.band,
    }
    if measure.safety_flagged:
        summary += "; " + _("raised a safety flag")
    return {
        "summary": summary,
        "who": _person(measure.administered_by),
        "url": reverse("careplans:measure_detail", args=[client.pk, measure.pk]),
    }


def _episode_rows(user: User, client: Client) -> QuerySet[Any]:
    return Episode.objects.filter(client__in=_client_in_scope(user, client)).select_related(
        "enrolled_by", "discharged_by"
    )


def _enrolled(episode: Episode, client: Client) -> dict[str, Any]:
    return {
        "summary": _("Enrolled: an episode of care begins"),
        "who": _person(episode.enrolled_by),
        "url": reverse("clients:detail", args=[client.pk]),
    }


def _discharged(episode: Episode, client: Client) -> dict[str, Any]:
    return {
        "summary": _("Discharged: %(reason)s") % {"reason": episode.get_discharge_reason_display()},
        "who": _person(episode.discharged_by),
        "url": reverse("clients:detail", args=[client.pk]),
    }


_K = TimelineKind
TIMELINE_SOURCES: tuple[_Source, ...] = (
    _Source(_K.NOTE, "contact_at", False, _note_rows, _note),
    _Source(_K.ADDENDUM, "signed_at", False, _addendum_rows, _addendum),
    _Source(_K.PLAN, "at", False, _plan_event_rows, _plan_event),
    _Source(_K.REVIEW, "reviewed_on", True, _review_rows, _review),
    _Source(_K.REFERRAL, "at", False, _referral_event_rows, _referral_event),
    _Source(_K.CRISIS, "occurred_at", False, _crisis_rows, _crisis_recorded),
    _Source(_K.CRISIS, "closed_at", False, _crisis_rows, _crisis_closed),
    _Source(_K.SAFETY, "raised_at", False, _flag_rows, _flag_raised),
    _Source(_K.SAFETY, "resolved_at", False, _flag_rows, _flag_resolved),
    _Source(_K.RELEASE, "signed_on", True, _release_rows, _release_signed),
    _Source(_K.RELEASE, "revoked_on", True, _release_rows, _release_revoked),
    _Source(_K.ASSESSMENT, "assessed_on", True, _assessment_rows, _assessment),
    _Source(_K.MEASURE, "administered_on", True, _measure_rows, _measure),
    _Source(_K.EPISODE, "enrolled_on", True, _episode_rows, _enrolled),
    _Source(_K.EPISODE, "discharged_on", True, _episode_rows, _discharged),
)
TIMELINE_PAGE_SIZE = 50


@dataclass(frozen=True)
class TimelinePage:
    items: list[TimelineItem]
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1


def _sort_key(item: TimelineItem) -> tuple[dt.datetime, int]:
    return (item.at, item.sort_pk)


def client_timeline(
    user: User,
    client: Client,
    *,
    kinds: Iterable[str] = (),
    start: dt.date | None = None,
    end: dt.date | None = None,
    page: int = 1,
    per_page: int = TIMELINE_PAGE_SIZE,
) -> TimelinePage:
    """Everything that happened on the record, newest first, merged from one query per
    source (each limited to what the page needs), so the query count never grows with the
    number of entries. `client` comes from clients.selectors.client_for_user."""
    wanted = set(kinds) & set(TimelineKind.values) or set(TimelineKind.values)
    page = max(page, 1)
    limit = page * per_page + 1
    streams: list[list[TimelineItem]] = []
    for source in TIMELINE_SOURCES:
        if source.kind not in wanted:
            continue
        rows = (
            source.rows(user, client)
            .filter(_range_filter(source.column, is_date=source.is_date, start=start, end=end))
            .order_by(f"-{source.column}", "-pk")[:limit]
        )
        streams.append([source.item(row, client) for row in rows])
    merged: Iterator[TimelineItem] = heapq.merge(*streams, key=_sort_key, reverse=True)
    window = list(islice(merged, limit))
    first = (page - 1) * per_page
    return TimelinePage(
        items=window[first : first + per_page],
        number=page,
        has_next=len(window) > page * per_page,
    )


# --- Search -------------------------------------------------------------------------------

#: Marks the headline puts around a match: control characters a note cannot carry into the
#: page, because the text is escaped first and only these become <mark>.
_START, _STOP = "\x02", "\x03"

#: The columns the generated search_vector indexes, in reading order.
_SEARCHED = (*SECTION_FIELDS, "location", "other_participants")


class SearchOrder(models.TextChoices):
    RELEVANCE = "relevance", gettext_lazy("Best match first")
    NEWEST = "newest", gettext_lazy("Newest first")


def note_search(
    user: User,
    *,
    text: str,
    client: Client | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    order: str = SearchOrder.RELEVANCE,
) -> QuerySet[CaseNote]:
    """Notes in the user's scope (signed, and their own drafts) matching `text` as typed in
    a web search box, each with `rank` and a `headline` (use `headline_html` to show it)."""
    query = SearchQuery(text, search_type="websearch", config="english")
    document = Func(
        Value(" … "),
        *(Func(F(name), Value(""), function="NULLIF") for name in _SEARCHED),
        function="CONCAT_WS",
        output_field=TextField(),
    )
    rows = notes_visible_to(user).filter(search_vector=query)
    if client is not None:
        rows = rows.filter(client=client)
    rows = rows.filter(_range_filter("contact_at", is_date=False, start=start, end=end))
    rows = (
        rows.select_related("client", "author")
        .only(
            "pk",
            "status",
            "contact_at",
            "contact_type",
            "duration_minutes",
            "late_entry",
            "client__id",
            "client__legal_first_name",
            "client__legal_last_name",
            "client__preferred_name",
            "client__record_number",
            "author__id",
            "author__full_name",
            "author__email",
        )
        .annotate(
            rank=SearchRank(F("search_vector"), query),
            headline=SearchHeadline(
                document,
                query,
                config="english",
                start_sel=_START,
                stop_sel=_STOP,
                max_words=30,
                min_words=12,
                max_fragments=3,
                fragment_delimiter=" … ",
            ),
        )
    )
    if order == SearchOrder.NEWEST:
        return rows.order_by("-contact_at", "-pk")
    return rows.order_by("-rank", "-contact_at", "-pk")


def headline_html(headline: str) -> SafeString:
    """The headline as safe HTML: the note's text escaped, the matches in <mark>. Marks are
    balanced even if the text itself carried a marker character."""
    parts: list[str] = []
    open_mark = False
    for piece in _split_marks(headline or ""):
        if piece == _START:
            if not open_mark:
                parts.append("<mark>")
                open_mark = True
        elif piece == _STOP:
            if open_mark:
                parts.append("</mark>")
                open_mark = False
        else:
            parts.append(str(escape(piece)))
    if open_mark:
        parts.append("</mark>")
    return mark_safe("".join(parts))  # noqa: S308 - every piece of text is escaped above


def _split_marks(text: str) -> Iterator[str]:
    buffer: list[str] = []
    for char in text:
        if char in (_START, _STOP):
            if buffer:
                yield "".join(buffer)
                buffer = []
            yield char
        else:
            buffer.append(char)
    if buffer:
        yield "".join(buffer)


# --- The case file ------------------------------------------------------------------------


@dataclass(frozen=True)
class AssessmentEntry:
    assessment: Assessment
    needs: list[DomainNeed]
    barriers: list[str]


@dataclass(frozen=True)
class ReleaseEntry:
    release: ReleaseOfInformation
    purposes: list[str]
    categories: list[str]


@dataclass(frozen=True)
class DisclosureEntry:
    disclosure: Disclosure
    categories: list[str]
    #: Substance-use records: the 42 CFR Part 2 notice went with it.
    part2: bool


@dataclass(frozen=True)
class NoteSection:
    label: str
    paragraphs: list[tuple[str, str]]


@dataclass(frozen=True)
class NoteEntry:
    note: CaseNote
    sections: list[NoteSection]
    collaterals: list[Collateral]
    addenda: list[Addendum]


@dataclass(frozen=True)
class CrisisEntry:
    crisis: CrisisEvent
    actions: list[str]


@dataclass(frozen=True)
class Change:
    """One change to the plan or the file, with its reason."""

    at: dt.datetime
    all_day: bool
    what: str
    why: str
    who: str


@dataclass
class CaseFile:
    client: Client
    start: dt.date | None
    end: dt.date | None
    episodes: list[Episode] = field(default_factory=list)
    collaterals: list[Collateral] = field(default_factory=list)
    safety_flags: list[SafetyFlag] = field(default_factory=list)
    assessments: list[AssessmentEntry] = field(default_factory=list)
    measures: list[MeasureAdministration] = field(default_factory=list)
    releases: list[ReleaseEntry] = field(default_factory=list)
    disclosures: list[DisclosureEntry] = field(default_factory=list)
    plans: list[ServicePlan] = field(default_factory=list)
    referrals: list[Referral] = field(default_factory=list)
    notes: list[NoteEntry] = field(default_factory=list)
    crises: list[CrisisEntry] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)

    @property
    def is_limited(self) -> bool:
        return self.start is not None or self.end is not None


def _overlaps(
    began: dt.date | None, ended: dt.date | None, start: dt.date | None, end: dt.date | None
) -> bool:
    """A period [began, ended] (ended None: still going) touches the range [start, end]."""
    if end is not None and began is not None and began > end:
        return False
    return not (start is not None and ended is not None and ended < start)


def _local_day(moment: dt.datetime | None) -> dt.date | None:
    return timezone.localtime(moment).date() if moment is not None else None


def note_sections(note: CaseNote) -> list[NoteSection]:
    """The note's text under its format's headings (notes/formats.py); empty ones left out."""
    labels = {f.name: str(f.verbose_name) for f in CaseNote._meta.concrete_fields}
    sections = []
    for heading in layout(note.note_format):
        paragraphs = [
            (labels[name], getattr(note, name))
            for name in heading.fields
            if getattr(note, name).strip()
        ]
        if paragraphs:
            sections.append(NoteSection(label=str(heading.label), paragraphs=paragraphs))
    return sections


_ENDED_PLAN = (PlanStatus.CLOSED, PlanStatus.SUPERSEDED)
_ENDED_REFERRAL = (
    ReferralStatus.REJECTED,
    ReferralStatus.CANCELLED,
    ReferralStatus.COMPLETED,
    ReferralStatus.FAILED,
)


def _plan_ended_on(plan: ServicePlan) -> dt.date | None:
    if plan.status not in _ENDED_PLAN:
        return None
    ends = [e.at for e in plan.events.all() if e.to_status in _ENDED_PLAN]
    return _local_day(max(ends)) if ends else None


def _referral_ended_on(referral: Referral) -> dt.date | None:
    if referral.status not in _ENDED_REFERRAL:
        return None
    moments = [e.at for e in referral.events.all()] or [referral.updated_at]
    return _local_day(max(moments))


def case_file(
    user: User, client: Client, *, start: dt.date | None = None, end: dt.date | None = None
) -> CaseFile:
    """The whole record in the agency's order (fact sheet, assessments, releases, service
    plans, referrals, case notes, updates). A date range keeps dated items inside it and
    periods (releases, plans, referrals, flags) that touch it. A fixed number of queries
    whatever the size of the record. `client` comes from clients.selectors.client_for_user."""
    scope = _client_in_scope(user, client)
    result = CaseFile(client=client, start=start, end=end)

    # 1. Fact sheet: the client (already loaded with episodes), collaterals, safety flags.
    result.episodes = sorted(client.episodes.all(), key=lambda e: (e.enrolled_on, e.pk))
    result.collaterals = list(Collateral.objects.visible_to(user).filter(client=client))
    flags = SafetyFlag.objects.filter(client__in=scope).select_related("raised_by", "resolved_by")
    result.safety_flags = [
        flag
        for flag in flags.order_by("raised_at", "pk")
        if _overlaps(_local_day(flag.raised_at), _local_day(flag.resolved_at), start, end)
    ]

    # 2. Assessments (completed) with domain ratings, and measures.
    assessments = (
        Assessment.objects.visible_to(user)
        .filter(client=client, status=AssessmentStatus.COMPLETED)
        .filter(_range_filter("assessed_on", is_date=True, start=start, end=end))
        .select_related("completed_by")
        .prefetch_related("needs")
        .order_by("assessed_on", "pk")
    )
    result.assessments = [
        AssessmentEntry(a, needs_in_domain_order(a), barrier_labels(a)) for a in assessments
    ]
    result.measures = list(
        MeasureAdministration.objects.visible_to(user)
        .filter(client=client)
        .filter(_range_filter("administered_on", is_date=True, start=start, end=end))
        .select_related("instrument", "administered_by")
        .order_by("instrument__name", "administered_on", "pk")
    )

    # 3. Releases of information and the accounting of disclosures.
    releases = (
        ReleaseOfInformation.objects.visible_to(user)
        .filter(client=client)
        .select_related("created_by", "revoked_by", "recipient_collateral")
        .order_by("effective_on", "pk")
    )
    result.releases = [
        ReleaseEntry(
            release,
            _labels(ReleasePurpose, release.purposes),
            _labels(ReleaseCategory, release.categories),
        )
        for release in releases
        if _overlaps(
            release.effective_on,
            min(
                (
                    d
                    for d in (release.expires_on, release.revoked_on, release.event_happened_on)
                    if d is not None
                ),
                default=None,
            ),
            start,
            end,
        )
    ]
    disclosures = (
        Disclosure.objects.filter(client__in=scope)
        .filter(_range_filter("disclosed_at", is_date=False, start=start, end=end))
        .select_related("release", "disclosed_by")
        .order_by("disclosed_at", "pk")
    )
    result.disclosures = [
        DisclosureEntry(
            d,
            _labels(ReleaseCategory, d.categories),
            d.redisclosure_notice or ReleaseCategory.SUD_PART2 in d.categories,
        )
        for d in disclosures
    ]

    # 4. Service plans: every version with goals, interventions, reviews and events.
    plans = (
        ServicePlan.objects.visible_to(user)
        .filter(client=client)
        .select_related("assessment", "created_by", "finalized_by", "approved_by")
        .prefetch_related(
            Prefetch(
                "goals",
                queryset=Goal.objects.select_related("instrument").prefetch_related(
                    Prefetch("interventions", queryset=Intervention.objects.select_related("staff"))
                ),
            ),
            Prefetch(
                "reviews",
                queryset=PlanReview.objects.filter(
                    _range_filter("reviewed_on", is_date=True, start=start, end=end)
                )
                .select_related("reviewed_by")
                .prefetch_related(
                    Prefetch(
                        "goal_reviews",
                        queryset=GoalReview.objects.select_related("goal").order_by(
                            "goal__position", "goal__pk"
                        ),
                    )
                )
                .order_by("reviewed_on", "pk"),
            ),
            Prefetch("events", queryset=PlanEvent.objects.select_related("actor")),
        )
        .order_by("version")
    )
    result.plans = [
        plan for plan in plans if _overlaps(plan.service_start, _plan_ended_on(plan), start, end)
    ]

    # 5. Referrals with their status history.
    referrals = (
        Referral.objects.visible_to(user)
        .filter(client=client)
        .select_related("service__organization", "goal", "case_manager", "release")
        .prefetch_related(
            Prefetch("events", queryset=ReferralEvent.objects.select_related("actor"))
        )
        .order_by("created_at", "pk")
    )
    result.referrals = [
        r
        for r in referrals
        if _overlaps(_local_day(r.created_at), _referral_ended_on(r), start, end)
    ]

    # 6. Signed case notes, oldest first, each with its addenda.
    notes = (
        CaseNote.objects.visible_to(user)
        .signed()
        .filter(client=client)
        .filter(_range_filter("contact_at", is_date=False, start=start, end=end))
        .defer("search_vector")
        .select_related("author", "signed_by", "cosigned_by")
        .prefetch_related(
            "collaterals",
            Prefetch("addenda", queryset=Addendum.objects.select_related("author")),
        )
        .order_by("contact_at", "pk")
    )
    result.notes = [
        NoteEntry(note, note_sections(note), list(note.collaterals.all()), list(note.addenda.all()))
        for note in notes
    ]

    # 7. Updates: crisis events, and changes to the plan and the file with their reasons.
    crises = (
        CrisisEvent.objects.visible_to(user)
        .filter(client=client)
        .filter(_range_filter("occurred_at", is_date=False, start=start, end=end))
        .select_related("recorded_by", "closed_by")
        .order_by("occurred_at", "pk")
    )
    result.crises = [CrisisEntry(c, _labels(CrisisAction, c.actions)) for c in crises]
    result.changes = _changes(result, all_plans=list(plans), start=start, end=end)
    return result


def _changes(
    result: CaseFile, *, all_plans: list[ServicePlan], start: dt.date | None, end: dt.date | None
) -> list[Change]:
    """Plan status changes and revisions, review decisions that changed the plan, and
    enrolments and discharges, oldest first, inside the range."""
    changes: list[Change] = []
    for plan in all_plans:
        for event in plan.events.all():
            what = _("Service plan version %(version)s: %(from)s → %(to)s") % {
                "version": plan.version,
                "from": event.get_from_status_display() or _("new"),
                "to": event.get_to_status_display(),
            }
            why = event.note
            if not event.from_status and plan.previous_id is not None:
                why = why or plan.revision_reason
            changes.append(Change(event.at, False, what, why, _person(event.actor)))
        for review in plan.reviews.all():
            if review.decision == ReviewDecision.CONTINUE:
                continue
            what = _("Review of service plan version %(version)s: %(decision)s") % {
                "version": plan.version,
                "decision": review.get_decision_display(),
            }
            changes.append(
                Change(
                    _day_start(review.reviewed_on),
                    True,
                    what,
                    review.justification,
                    _person(review.reviewed_by),
                )
            )
    for episode in result.episodes:
        changes.append(
            Change(
                _day_start(episode.enrolled_on),
                True,
                _("Enrolled: an episode of care begins"),
                "",
                _person(episode.enrolled_by),
            )
        )
        if episode.discharged_on is not None:
            changes.append(
                Change(
                    _day_start(episode.discharged_on),
                    True,
                    _("Discharged: %(reason)s")
                    % {"reason": episode.get_discharge_reason_display()},
                    episode.discharge_plan,
                    _person(episode.discharged_by),
                )
            )
    inside = [c for c in changes if _overlaps(_local_day(c.at), _local_day(c.at), start, end)]
    return sorted(inside, key=lambda c: c.at)


__all__ = [
    "CaseFile",
    "Change",
    "SearchOrder",
    "TimelineItem",
    "TimelineKind",
    "TimelinePage",
    "case_file",
    "client_timeline",
    "headline_html",
    "note_search",
    "note_sections",
    "notes_visible_to",
]
