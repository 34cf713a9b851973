"""Reads of standardized measures, always starting from the user (the access policy)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from casemgmt.accounts import policy
from clients.models import Client

from .models import Instrument, InstrumentItem, MeasureAdministration, SeverityBand


def _with_definition(instruments: QuerySet[Instrument]) -> QuerySet[Instrument]:
    return instruments.prefetch_related(
        Prefetch("items", queryset=InstrumentItem.objects.order_by("number")),
        Prefetch("bands", queryset=SeverityBand.objects.order_by("min_score")),
    )


def active_instruments() -> QuerySet[Instrument]:
    """The instruments offered for new administrations."""
    return Instrument.objects.filter(is_active=True).order_by("name")


def instrument_by_code(code: str, *, active_only: bool = True) -> Instrument:
    """One instrument with its items and bands; 404 when there is no such (offered) one."""
    instruments = active_instruments() if active_only else Instrument.objects.all()
    return get_object_or_404(_with_definition(instruments), code=code)


def measures_for_client(user: policy.AnyUser, client: Client) -> QuerySet[MeasureAdministration]:
    """The client's administrations the user may read, newest first."""
    return (
        MeasureAdministration.objects.visible_to(user)
        .filter(client=client)
        .select_related("instrument", "administered_by")
        .order_by("-administered_on", "-pk")
    )


def measure_for_user(user: policy.AnyUser, client: Client, pk: int) -> MeasureAdministration:
    """One administration with its instrument's items and bands; 404 outside the scope."""
    return get_object_or_404(
        measures_for_client(user, client).prefetch_related(
            Prefetch("instrument__items", queryset=InstrumentItem.objects.order_by("number")),
            Prefetch("instrument__bands", queryset=SeverityBand.objects.order_by("min_score")),
        ),
        pk=pk,
    )


@dataclass
class MeasureSeries:
    """One instrument's totals for one client, oldest first, for a chart over time."""

    instrument: Instrument
    points: list[tuple[dt.date, int]] = field(default_factory=list)

    @property
    def bands(self) -> list[tuple[float, float, str]]:
        return [(b.min_score, b.max_score, b.label) for b in self.instrument.bands.all()]

    @property
    def max_score(self) -> int:
        return self.instrument.max_score


def measure_series(user: policy.AnyUser, client: Client) -> list[MeasureSeries]:
    """Per instrument the client has answered, the (date, total) pairs in date order; a fixed
    number of queries however many administrations there are."""
    rows = list(
        MeasureAdministration.objects.visible_to(user)
        .filter(client=client)
        .order_by("administered_on", "pk")
        .values_list("instrument_id", "administered_on", "total_score")
    )
    if not rows:
        return []
    instruments = {
        i.pk: MeasureSeries(i)
        for i in _with_definition(Instrument.objects.filter(pk__in={r[0] for r in rows}))
    }
    for instrument_id, day, total in rows:
        instruments[instrument_id].points.append((day, total))
    return sorted(instruments.values(), key=lambda s: s.instrument.name)
