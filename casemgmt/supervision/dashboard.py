"""The supervisor dashboard: for each case manager of the supervisor's teams, the figures
that show where a caseload needs attention, the list behind each figure, and the team's
charts. The domain queries live in each app's `supervision_selectors`; this module puts
them together, so the page and the API report the same numbers.

Every figure counts only clients of the teams chosen that the supervisor may read. The
number of queries depends on the number of figures (and agencies), never on the number of
case managers or clients."""

from __future__ import annotations

import copy
import datetime as dt
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pygal
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.functional import Promise
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from careplans import supervision_selectors as careplans_selectors
from careplans.charts import CHART_STYLE, _accessible
from casemgmt.accounts import policy
from casemgmt.accounts.models import Agency, Team, User
from casemgmt.audit.models import AccessAction
from casemgmt.audit.services import access_log_record_many
from casemgmt.reminders.rules import local_today, local_zone
from clients import supervision_selectors as clients_selectors
from clients.models import Client
from clients.supervision_selectors import OverdueItem, RuleRows
from notes import supervision_selectors as notes_selectors
from referrals import supervision_selectors as referrals_selectors

#: The date range the charts cover unless the supervisor picks another: the last 90 days.
DEFAULT_RANGE_DAYS = 90


# --- Access and filters -------------------------------------------------------------------


def supervisor_or_404(user: policy.AnyUser) -> User:
    """The dashboard exists only for active supervisors of at least one team; anyone else
    gets a 404, as if the page did not exist."""
    clinician = policy.clinician_or_404(user)
    if not clinician.is_supervisor or not policy.supervised_team_ids(clinician):
        raise Http404
    return clinician


def supervised_teams(user: User) -> list[Team]:
    """The teams the user supervises, by name: the choices of the team filter."""
    return list(Team.objects.filter(pk__in=sorted(policy.supervised_team_ids(user))))


@dataclass(frozen=True)
class Filters:
    """What the supervisor asked for: the teams (always among those they supervise), the
    date range of the charts and late notes (inclusive), and the agency's today."""

    team_ids: tuple[int, ...]
    #: The one team chosen, or None for all the supervisor's teams.
    team_id: int | None
    start: dt.date
    end: dt.date
    today: dt.date

    @property
    def start_at(self) -> dt.datetime:
        """The first instant of `start` in the agency's time zone."""
        return dt.datetime.combine(self.start, dt.time.min, tzinfo=local_zone())

    @property
    def end_at(self) -> dt.datetime:
        """The first instant after `end` in the agency's time zone (the range excludes it)."""
        return dt.datetime.combine(
            self.end + dt.timedelta(days=1), dt.time.min, tzinfo=local_zone()
        )

    @property
    def query(self) -> dict[str, str]:
        """The filters as the parameters of a link (no team when all are chosen)."""
        values = {"start": self.start.isoformat(), "end": self.end.isoformat()}
        if self.team_id is not None:
            values["team"] = str(self.team_id)
        return values


def default_range(today: dt.date) -> tuple[dt.date, dt.date]:
    return today - dt.timedelta(days=DEFAULT_RANGE_DAYS), today


def make_filters(
    user: User,
    *,
    team_id: int | None,
    start: dt.date | None,
    end: dt.date | None,
    today: dt.date | None = None,
) -> Filters:
    """Filters from validated input: one supervised team or all of them; without dates the
    last 90 days (without a start, the 90 days up to the end). A team the user does not
    supervise is a 404."""
    today = today or local_today()
    supervised = policy.supervised_team_ids(user)
    if team_id is not None and team_id not in supervised:
        raise Http404
    end = end or today
    return Filters(
        team_ids=(team_id,) if team_id is not None else tuple(sorted(supervised)),
        team_id=team_id,
        start=start or default_range(end)[0],
        end=end,
        today=today,
    )


def _case_managers(filters: Filters) -> QuerySet[User]:
    return (
        User.objects.filter(is_active=True, is_case_manager=True, member_teams__in=filters.team_ids)
        .distinct()
        .order_by("full_name", "pk")
    )


def case_managers(filters: Filters) -> list[User]:
    """Active case managers who are members of the chosen teams, by name (one query)."""
    return list(_case_managers(filters))


def case_manager_or_404(filters: Filters, pk: int) -> User:
    """One case manager of the chosen teams; anyone else is a 404."""
    found = _case_managers(filters).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def agencies_of(filters: Filters) -> list[Agency]:
    """The agencies of the chosen teams, whose settings the reminder rules read."""
    return list(Agency.objects.filter(teams__in=filters.team_ids).distinct().order_by("pk"))


# --- The figures --------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    slug: str
    label: str | Promise
    #: What the number is, for the page's help text.
    help: str | Promise
    #: The word shown beside the number when it needs attention (never colour alone).
    attention: str | Promise = ""


FIGURES: tuple[Figure, ...] = (
    Figure(
        "active",
        gettext_lazy("Active clients"),
        gettext_lazy("Clients whose primary case manager they are, with an active record."),
    ),
    Figure(
        "load",
        gettext_lazy("Weighted load"),
        gettext_lazy(
            "Each active client counts 1, plus the agency's weight for each open crisis "
            "event, each open safety flag and each domain rated high in the client's latest "
            "completed assessment."
        ),
    ),
    Figure(
        "plans",
        gettext_lazy("Plan reviews overdue"),
        gettext_lazy("Service plans in force whose review date has passed."),
        gettext_lazy("Overdue"),
    ),
    Figure(
        "follow-ups",
        gettext_lazy("Referral follow-ups overdue"),
        gettext_lazy(
            "Referrals the provider has not answered in time, intakes nobody has said were "
            "attended, and fit reviews past their date."
        ),
        gettext_lazy("Overdue"),
    ),
    Figure(
        "unsigned",
        gettext_lazy("Notes unsigned past the deadline"),
        gettext_lazy("Draft case notes still unsigned after the agency's signing deadline."),
        gettext_lazy("Overdue"),
    ),
    Figure(
        "late",
        gettext_lazy("Late notes"),
        gettext_lazy(
            "Notes signed after the agency's deadline (late entries), of contacts in the "
            "date range."
        ),
        gettext_lazy("Late"),
    ),
    Figure(
        "contact",
        gettext_lazy("Longest since last contact (days)"),
        gettext_lazy(
            "Over their active clients, the most days since a signed note of a contact with "
            "the client (collateral, provider and attempted contacts do not count). A client "
            "never seen counts from the start of their current episode of care, or, without "
            "an open episode, from the day their record was opened."
        ),
        gettext_lazy("Not seen"),
    ),
    Figure(
        "awaiting",
        gettext_lazy("Referrals awaiting an answer"),
        gettext_lazy("Referrals sent that the provider has not yet accepted or declined."),
    ),
)
FIGURE_BY_SLUG = {figure.slug: figure for figure in FIGURES}


@dataclass
class Cell:
    figure: Figure
    value: int | None
    needs_attention: bool


@dataclass
class CaseloadRow:
    """One case manager's figures, in the order of `FIGURES`."""

    case_manager: User
    cells: list[Cell]

    def value(self, slug: str) -> int | None:
        return next(cell.value for cell in self.cells if cell.figure.slug == slug)


@dataclass
class Caseloads:
    filters: Filters
    rows: list[CaseloadRow]
    #: Days without contact after which the contact figure needs attention (the agency's
    #: monthly monitoring interval).
    contact_days: int


def _needs_attention(slug: str, value: int | None, contact_days: int) -> bool:
    if value is None:
        return False
    if slug == "contact":
        return value > contact_days
    return bool(FIGURE_BY_SLUG[slug].attention) and value > 0


def caseloads(user: User, filters: Filters) -> Caseloads:
    """Every figure of every case manager of the chosen teams, as of the agency's today."""
    people = case_managers(filters)
    agencies = agencies_of(filters)
    contact_days = min((a.monitoring_contact_days for a in agencies), default=30)
    if not people:
        return Caseloads(filters=filters, rows=[], contact_days=contact_days)
    ids = [person.pk for person in people]
    active = clients_selectors.active_clients(user, filters.team_ids, case_manager_ids=ids)
    common: dict[str, Any] = {
        "agencies": agencies,
        "team_ids": filters.team_ids,
        "case_manager_ids": ids,
        "today": filters.today,
    }
    values: dict[str, dict[int, int]] = {
        "active": clients_selectors.counts_by(active, "primary_case_manager"),
        "load": careplans_selectors.weighted_loads(active),
        "plans": clients_selectors.overdue_counts(
            careplans_selectors.overdue_plan_reviews(user, **common)
        ),
        "follow-ups": clients_selectors.overdue_counts(
            referrals_selectors.overdue_follow_ups(user, **common)
        ),
        "unsigned": clients_selectors.overdue_counts(
            notes_selectors.overdue_unsigned_notes(user, **common)
        ),
        "late": clients_selectors.counts_by(
            notes_selectors.late_notes(
                user,
                filters.team_ids,
                case_manager_ids=ids,
                start=filters.start_at,
                end=filters.end_at,
            ),
            "author_id",
        ),
        "contact": notes_selectors.longest_since_contact(active, today=filters.today),
        "awaiting": clients_selectors.counts_by(
            referrals_selectors.awaiting_answer(user, filters.team_ids, case_manager_ids=ids),
            "case_manager_id",
        ),
    }
    rows = []
    for person in people:
        cells = []
        for figure in FIGURES:
            # Without active clients there is no time since contact to speak of.
            default = None if figure.slug == "contact" else 0
            value = values[figure.slug].get(person.pk, default)
            cells.append(Cell(figure, value, _needs_attention(figure.slug, value, contact_days)))
        rows.append(CaseloadRow(case_manager=person, cells=cells))
    return Caseloads(filters=filters, rows=rows, contact_days=contact_days)


# --- The team's charts --------------------------------------------------------------------


@dataclass
class TeamFigures:
    filters: Filters
    caseload_sizes: list[tuple[User, int]]
    funnel: dict[str, int]
    median_days_to_start: float | None
    referrals_started: int
    goal_outcomes: dict[str, int]


def team_figures(user: User, filters: Filters, loads: Caseloads | None = None) -> TeamFigures:
    """The chart figures of the chosen teams: caseload sizes (taken from `loads` when the
    caller has them), and for the date range the referral funnel, the median days to the
    start of services and the goal outcomes of the reviews recorded."""
    if loads is not None:
        sizes = [(row.case_manager, row.value("active") or 0) for row in loads.rows]
    else:
        people = case_managers(filters)
        active = clients_selectors.counts_by(
            clients_selectors.active_clients(
                user, filters.team_ids, case_manager_ids=[p.pk for p in people]
            ),
            "primary_case_manager",
        )
        sizes = [(person, active.get(person.pk, 0)) for person in people]
    median, started = referrals_selectors.days_to_service_start(
        user, filters.team_ids, start=filters.start, end=filters.end
    )
    return TeamFigures(
        filters=filters,
        caseload_sizes=sizes,
        funnel=referrals_selectors.referral_funnel(
            user, filters.team_ids, start=filters.start_at, end=filters.end_at
        ),
        median_days_to_start=median,
        referrals_started=started,
        goal_outcomes=careplans_selectors.goal_outcomes(
            user, filters.team_ids, start=filters.start, end=filters.end
        ),
    )


FUNNEL_LABELS: tuple[tuple[str, Promise], ...] = (
    ("sent", gettext_lazy("Sent")),
    ("accepted", gettext_lazy("Accepted")),
    ("started", gettext_lazy("Started (in progress)")),
    ("completed", gettext_lazy("Completed")),
)
OUTCOME_LABELS: tuple[tuple[str, Promise], ...] = (
    ("met", gettext_lazy("Met")),
    ("partially_met", gettext_lazy("Partially met")),
    ("not_met", gettext_lazy("Not met")),
)


def _number(value: float) -> str:
    return formats.number_format(value, decimal_pos=0 if float(value).is_integer() else 1)


#: Bars light enough for dark value labels (4.7:1) and dark enough against the white
#: background (3.3:1).
BAR_STYLE = copy.copy(CHART_STYLE)
BAR_STYLE.colors = ("#3d8bfd",)

#: About this many labelled steps on the value axis, each a whole number.
AXIS_STEPS = 10


def bar_chart(title: str, bars: Sequence[tuple[str, int]], *, unit: str) -> SafeString:
    """Horizontal bars of counts as inline SVG markup, each labelled with its value; a screen
    reader gets the title and every bar in words. Pages show the same numbers in a table."""
    if bars:
        listed = "; ".join(f"{label}: {_number(value)}" for label, value in bars)
        description = _("%(title)s, in %(unit)s. %(bars)s.") % {
            "title": title,
            "unit": unit,
            "bars": listed,
        }
    else:
        description = _("%(title)s: nothing to show.") % {"title": title}
    top = max((value for _label, value in bars), default=0) or 1
    step = max(1, math.ceil(top / AXIS_STEPS))
    chart = pygal.HorizontalBar(
        js=[],
        disable_xml_declaration=True,
        style=BAR_STYLE,
        title=title,
        show_legend=False,
        print_values=True,
        height=max(180, 90 + 48 * len(bars)),
        width=800,
        margin=16,
        value_formatter=_number,
        truncate_label=-1,
        range=(0, math.ceil(top / step) * step),
        y_labels=list(range(0, top + step, step)),
        no_data_text=_("Nothing to show"),
        classes=["pygal-chart", "chart-bars"],
    )
    # The first bar at the top, as the table beside the chart reads.
    chart.x_labels = [label for label, _value in reversed(bars)]
    chart.add(unit, [value for _label, value in reversed(bars)])
    chart.add_xml_filter(_accessible(title, description))
    return mark_safe(chart.render(is_unicode=True))  # noqa: S308 - ElementTree escapes the text


@dataclass
class Chart:
    title: str
    svg: SafeString
    #: What the rows of the table are (case managers, stages, outcomes).
    heading: str
    #: (label, value) rows of the table beside the chart.
    table: list[tuple[str, int]]
    unit: str


def team_charts(team: TeamFigures) -> list[Chart]:
    """Caseload sizes, the referral funnel and goal outcomes, each as a chart and a table."""
    specs: list[tuple[str, str, str, list[tuple[str, int]]]] = [
        (
            _("Caseload size (active clients)"),
            _("Case manager"),
            _("clients"),
            [(str(person), size) for person, size in team.caseload_sizes],
        ),
        (
            _("Referrals sent in the range: how many reached each stage"),
            _("Stage"),
            _("referrals"),
            [(str(label), team.funnel[key]) for key, label in FUNNEL_LABELS],
        ),
        (
            _("Goal outcomes of the reviews in the range"),
            _("Outcome"),
            _("goals"),
            [(str(label), team.goal_outcomes[key]) for key, label in OUTCOME_LABELS],
        ),
    ]
    return [
        Chart(
            title=title,
            svg=bar_chart(title, table, unit=unit),
            heading=heading,
            table=table,
            unit=unit,
        )
        for title, heading, unit, table in specs
    ]


# --- Drill-down: the list behind a figure -------------------------------------------------


@dataclass
class DrillRow:
    client: Client
    #: Where the work is done: the plan, the referral, the note, the client.
    url: str
    link_text: str
    cells: list[Any]

    @property
    def display_cells(self) -> list[str]:
        """The cells as the page shows them: dates and times short, in the reader's zone."""
        return [_display(cell) for cell in self.cells]


def _display(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, dt.datetime):
        return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")
    if isinstance(value, dt.date):
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    if isinstance(value, int | float):
        return formats.number_format(value)
    return str(value)


@dataclass
class Drilldown:
    figure: Figure
    case_manager: User
    filters: Filters
    columns: list[str]
    rows: list[DrillRow]
    #: The figure as the dashboard shows it, computed from these rows.
    value: int | None
    note: str = ""
    client_ids: set[int] = field(default_factory=set)


Builder = Callable[[User, Filters, User], tuple[list[str], list[DrillRow], int | None, str]]


def _client_url(client: Client) -> str:
    return reverse("clients:detail", args=[client.pk])


def _flags(client: Any) -> str:
    parts = []
    if client.open_crises:
        parts.append(_("open crisis events: %(n)s") % {"n": client.open_crises})
    if client.open_safety_flags:
        parts.append(_("open safety flags: %(n)s") % {"n": client.open_safety_flags})
    return "; ".join(parts)


def _active(user: User, filters: Filters, person: User) -> QuerySet[Client]:
    return clients_selectors.active_clients(
        user, filters.team_ids, case_manager_ids=[person.pk]
    ).select_related("team__agency")


def _drill_active(
    user: User, filters: Filters, person: User
) -> tuple[list[str], list[DrillRow], int | None, str]:
    rows = [
        DrillRow(client, _client_url(client), client.display_name, [_flags(client)])
        for client in clients_selectors.with_open_flags(_active(user, filters, person))
    ]
    return [_("Open crises and safety flags")], rows, len(rows), ""


def _drill_load(
    user: User, filters: Filters, person: User
) -> tuple[list[str], list[DrillRow], int | None, str]:
    clients = list(careplans_selectors.with_acuity(_active(user, filters, person)))
    clients.sort(key=lambda c: (-c.acuity, c.legal_last_name, c.legal_first_name, c.pk))
    rows = [
        DrillRow(
            client,
            _client_url(client),
            client.display_name,
            [client.open_crises, client.open_safety_flags, client.high_needs, client.acuity],
        )
        for client in clients
    ]
    columns = [
        _("Open crisis events"),
        _("Open safety flags"),
        _("High-need domains"),
        _("Weight"),
    ]
    note = ""
    if clients:
        agency = clients[0].team.agency
        note = _(
            "Weights: 1 per client, plus %(crisis)s per open crisis event, %(flag)s per open "
            "safety flag, %(need)s per high-need domain."
        ) % {
            "crisis": agency.acuity_weight_crisis,
            "flag": agency.acuity_weight_safety_flag,
            "need": agency.acuity_weight_high_need,
        }
    return columns, rows, sum(c.acuity for c in clients), note


def _common(user: User, filters: Filters, person: User) -> dict[str, Any]:
    return {
        "agencies": agencies_of(filters),
        "team_ids": filters.team_ids,
        "case_manager_ids": [person.pk],
        "today": filters.today,
    }


def _days_overdue(item: OverdueItem, today: dt.date) -> int:
    return (today - item.due_on).days


def _drill_plans(
    user: User, filters: Filters, person: User
) -> tuple[list[str], list[DrillRow], int | None, str]:
    items = clients_selectors.overdue_items(
        careplans_selectors.overdue_plan_reviews(user, **_common(user, filters, person))
    )
    plans = careplans_selectors.plans_by_id(item.object_id for item in items)
    rows = [
        DrillRow(
            plan.client,
            item.rule.url(plan.pk, plan.client_id),
            plan.client.display_name,
            [
                _("Service plan v%(version)s") % {"version": plan.version},
                item.due_on,
                _days_overdue(item, filters.today),
            ],
        )
        for item in items
        if (plan := plans.get(item.object_id)) is not None
    ]
    return [_("Plan"), _("Review due"), _("Days overdue")], rows, len(rows), ""


def _rule_items(rows: RuleRows) -> list[OverdueItem]:
    return clients_selectors.overdue_items(rows)


def _drill_follow_ups(
    user: User, filters: Filters, person: User
) -> tuple[list[str], list[DrillRow], int | None, str]:
    items = _rule_items(
        referrals_selectors.overdue_follow_ups(user, **_common(user, filters, person))
    )
    referrals = referrals_selectors.referrals_by_id(item.object_id for item in items)
    rows = [
        DrillRow(
            referral.client,
            item.rule.url(referral.pk, referral.client_id),
            referral.client.display_name,
            [
                str(item.rule.label),
                str(referral.service),
                item.due_on,
                _days_overdue(item, filters.today),
            ],
        )
        for item in items
        if (referral := referrals.get(item.object_id)) is not None
    ]
    return [_("Follow-up"), _("Service"), _("Due"), _("Days overdue")], rows, len(rows), ""


def _drill_unsigned(
    user: User, filters: Filters, person: User
) -> tuple[list[str], list[DrillRow], int | None, str]:
    items = _rule_items(
        notes_selectors.overdue_unsigned_notes(user, **_common(user, filters, person))
    )
    notes = notes_selectors.notes_by_id(item.object_id for item in items)
    rows = [
        DrillRow(
            note.client,
            reverse("notes:note_list", args=[note.client_id]),
            note.client.display_name,
            [
                note.get_contact_type_display(),
                note.contact_at,
                item.due_on,
                _days_overdue(item, filters.today),
            ],
        )
        for item in items
        if (note := notes.get(item.object_id)) is not None
    ]
    columns = [_("Contact"), _("Contact on"), _("Sign by"), _("Days overdue")]
    note_text = _(
        "A draft is its author's until it is signed, so each link opens the client's notes."
    )
    return columns, rows, len(rows), note_text


def _drill_late(
    user: User, filters: Filters, person: User
) -> tuple[list[str], list[DrillRow], int | None, str]:
    notes = notes_selectors.late_notes(
        user,
        filters.team_ids,
        case_manager_ids=[person.pk],
        start=filters.start_at,
        end=filters.end_at,
    )
    rows = [
        DrillRow(
            note.client,
            reverse("notes:note_detail", args=[note.client_id, note.pk]),
            note.client.display_name,
            [note.get_contact_type_display(), note.contact_at, note.signed_at],
        )
        for note in notes
    ]
    return [_("Contact"), _("Contact on"), _("Signed on")], rows, len(rows), ""


def _drill_contact(
    user: User, filters: Filters, person: User
) -> tuple[list[str], list[DrillRow], int | None, str]:
    clients = notes_selectors.with_last_contact(_active(user, filters, person)).order_by(
        "contact_since", "legal_last_name", "legal_first_name", "pk"
    )
    rows = []
    for client in clients:
        days = (filters.today - client.contact_since).days
        since = (
            client.last_contact_on
            if client.last_contact_on is not None
            else _("Never seen; counted from %(day)s")
            % {"day": formats.date_format(client.contact_since, "SHORT_DATE_FORMAT")}
        )
        rows.append(
            DrillRow(
                client,
                reverse("notes:note_list", args=[client.pk]),
                client.display_name,
                [since, days],
            )
        )
    value = rows[0].cells[1] if rows else None
    return [_("Last contact"), _("Days since")], rows, value, ""


def _drill_awaiting(
    user: User, filters: Filters, person: User
) -> tuple[list[str], list[DrillRow], int | None, str]:
    referrals = referrals_selectors.awaiting_answer(
        user, filters.team_ids, case_manager_ids=[person.pk]
    )
    rows = []
    for referral in referrals:
        sent_on = referral.sent_at.astimezone(local_zone()).date() if referral.sent_at else None
        waiting = (filters.today - sent_on).days if sent_on else None
        rows.append(
            DrillRow(
                referral.client,
                reverse("referrals:referral_detail", args=[referral.client_id, referral.pk]),
                referral.client.display_name,
                [str(referral.service), sent_on, waiting],
            )
        )
    return [_("Service"), _("Sent on"), _("Days waiting")], rows, len(rows), ""


BUILDERS: dict[str, Builder] = {
    "active": _drill_active,
    "load": _drill_load,
    "plans": _drill_plans,
    "follow-ups": _drill_follow_ups,
    "unsigned": _drill_unsigned,
    "late": _drill_late,
    "contact": _drill_contact,
    "awaiting": _drill_awaiting,
}


def drilldown(user: User, filters: Filters, person: User, slug: str) -> Drilldown:
    """The clients and items behind one figure of one case manager, from the same queries
    as the figure; an unknown figure is a 404."""
    figure = FIGURE_BY_SLUG.get(slug)
    if figure is None:
        raise Http404
    columns, rows, value, note = BUILDERS[slug](user, filters, person)
    return Drilldown(
        figure=figure,
        case_manager=person,
        filters=filters,
        columns=columns,
        rows=rows,
        value=value,
        note=note,
        client_ids={row.client.pk for row in rows},
    )


def log_clients_read(request: HttpRequest, user: User, client_ids: Iterable[int]) -> None:
    """A page listing client records leaves one access-log row per client listed."""
    access_log_record_many(
        actor=user, client_ids=client_ids, action=AccessAction.VIEW, request=request
    )
