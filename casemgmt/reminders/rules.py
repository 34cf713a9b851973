"""The rules that say what is due. Each domain app declares its own in `<app>/reminders.py`
and registers them here; the sweep, "My work today" and the calendar feed all read them.

A rule is one set-based query: `items(agency, until, today)` returns a queryset of the due
items of the agency's clients with `due_on <= until`, as `.values()` rows named

    r_object     the id of the object the work is on (plan, goal, referral, note …)
    r_client     the client's id
    r_recipient  the user who is to do it
    r_due        the date it is due

so the sweep can insert them all with one INSERT … SELECT, whatever their number. `today`
(the agency's date, `local_today()` when omitted) matters to rules whose items depend on it,
such as a release that has expired or a client not seen lately. The sweep looks ahead to
`sweep_until(agency, today)`; "My work today" and the calendar pass their own `until`.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import F, QuerySet
from django.urls import reverse
from django.utils import timezone
from django_stubs_ext import StrOrPromise

if TYPE_CHECKING:
    from casemgmt.accounts.models import Agency

#: The columns every rule's rows carry, in this order.
COLUMNS = ("r_object", "r_client", "r_recipient", "r_due")


def local_zone() -> ZoneInfo:
    """The agency's time zone (the TIME_ZONE setting), whoever is signed in."""
    return ZoneInfo(settings.TIME_ZONE)


def local_today(now: dt.datetime | None = None) -> dt.date:
    """Today's date in the agency's time zone (not the signed-in user's)."""
    return timezone.localtime(now or timezone.now(), local_zone()).date()


class Rule(ABC):
    #: Stable identifier stored on each reminder (never rename one that has rows).
    kind: str = ""
    #: What the item is, for people ("Service plan review"); usually a lazy translation.
    label: StrOrPromise = ""
    #: Where the lead-time notices (14 and 3 days ahead by default) apply; rules without
    #: them are noticed on the due date.
    uses_lead_times: bool = False
    #: Urgent from the start (e-mailed at once), not only once overdue.
    always_urgent: bool = False

    @abstractmethod
    def items(self, agency: Agency, until: dt.date, today: dt.date | None = None) -> QuerySet[Any]:
        """The agency's due items with due_on <= until, as `.values(*COLUMNS)` rows;
        `today` defaults to `local_today()`."""

    def horizon_days(self, agency: Agency) -> int:
        """How many days before the due date the sweep records the item: the agency's first
        lead time for rules that use lead times, else none (recorded on the due date)."""
        return agency.reminder_lead_days if self.uses_lead_times else 0

    def sweep_until(self, agency: Agency, today: dt.date) -> dt.date:
        """The `until` the sweep passes to `items`."""
        return today + dt.timedelta(days=self.horizon_days(agency))

    @abstractmethod
    def url_name(self) -> str:
        """The URL name of the page where the work is done; reversed with `url_args`."""

    def url_args(self, object_id: int, client_id: int) -> list[int]:
        return [client_id, object_id]

    def url(self, object_id: int, client_id: int) -> str:
        return reverse(self.url_name(), args=self.url_args(object_id, client_id))

    def describe(self, object_id: int, client_name: str, due_on: dt.date) -> str:
        """One line for lists, digests and the calendar."""
        return f"{self.label}: {client_name}"


def due_rows(
    rows: QuerySet[Any],
    *,
    due: str | Any,
    until: dt.date,
    recipient: str,
    object_id: str = "pk",
    client_id: str = "client_id",
) -> QuerySet[Any]:
    """A rule's rows in the shape the engine reads (`COLUMNS`): `due` is a field name or an
    expression for the due date; only items due by `until`; no ordering (the engine and
    the pages sort for themselves)."""
    due_expression = F(due) if isinstance(due, str) else due
    return (
        rows.annotate(r_due=due_expression)
        .filter(r_due__lte=until)
        .order_by()
        .values(
            "r_due",
            r_object=F(object_id),
            r_client=F(client_id),
            r_recipient=F(recipient),
        )
    )


_REGISTRY: dict[str, Rule] = {}


def register(rule: Rule) -> Rule:
    if not rule.kind:
        raise ValueError("A reminder rule needs a kind.")
    if rule.kind in _REGISTRY and type(_REGISTRY[rule.kind]) is not type(rule):
        raise ValueError(f"Two reminder rules share the kind {rule.kind!r}.")
    _REGISTRY[rule.kind] = rule
    return rule


def all_rules() -> list[Rule]:
    return list(_REGISTRY.values())


def rule_for(kind: str) -> Rule | None:
    return _REGISTRY.get(kind)
