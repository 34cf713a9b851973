"""Standardized measures: checking an instrument's definition, scoring answers against it, and
recording an administration (with a safety flag when an answer crosses an item's threshold)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from casemgmt.accounts.models import User
from casemgmt.audit.history import save_with_history as _save
from clients.models import Client
from clients.services import safety_flag_raise

from ..models import Assessment, Instrument, InstrumentItem, MeasureAdministration
from ..permissions import can_work_on_client

#: SafetyFlag.reason holds at most this many characters.
_REASON_MAX = 300


@dataclass(frozen=True)
class ItemSpec:
    """An item as the admin typed it, before it is saved."""

    number: int
    options: Any
    safety_threshold: int | None = None


@dataclass(frozen=True)
class BandSpec:
    min_score: int
    max_score: int
    label: str


def options_validate(options: Any) -> list[dict[str, Any]]:
    """Answer options are a non-empty list of {"value": whole number ≥ 0, "label": text} with
    distinct values; returns them sorted by value."""
    example = '[{"value": 0, "label": "Not at all"}, {"value": 1, "label": "Several days"}]'
    if not isinstance(options, list) or not options:
        raise ValidationError(
            _("List the answer options, for example %(example)s.") % {"example": example}
        )
    seen: set[int] = set()
    for option in options:
        value = option.get("value") if isinstance(option, dict) else None
        label = option.get("label") if isinstance(option, dict) else None
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValidationError(
                _(
                    'Each option needs a "value" that is a whole number of 0 or more, for '
                    "example %(example)s."
                )
                % {"example": example}
            )
        if not isinstance(label, str) or not label.strip():
            raise ValidationError(_('Each option needs a "label": the words the client chooses.'))
        if value in seen:
            raise ValidationError(
                _("Two options have the value %(value)s; each value may appear once.")
                % {"value": value}
            )
        seen.add(value)
    return sorted(options, key=lambda o: o["value"])


def instrument_validate(*, items: Sequence[ItemSpec], bands: Sequence[BandSpec]) -> None:
    """An instrument is usable when it has items with valid options, distinct item numbers,
    thresholds an answer can cross, and severity bands that cover every possible total from 0 to
    the maximum exactly once (no gap, no overlap)."""
    errors: list[ValidationError] = []
    if not items:
        errors.append(ValidationError(_("Add at least one item.")))
    numbers = [item.number for item in items]
    duplicates = sorted({n for n in numbers if numbers.count(n) > 1})
    if duplicates:
        errors.append(
            ValidationError(
                _("Item numbers must be different; repeated: %(numbers)s.")
                % {"numbers": ", ".join(map(str, duplicates))}
            )
        )
    maximum = 0
    for item in sorted(items, key=lambda i: i.number):
        try:
            options = options_validate(item.options)
        except ValidationError as error:
            errors.append(
                ValidationError(
                    _("Item %(number)s: %(problem)s")
                    % {"number": item.number, "problem": " ".join(error.messages)}
                )
            )
            continue
        highest = options[-1]["value"]
        maximum += highest
        if item.safety_threshold is not None and item.safety_threshold >= highest:
            errors.append(
                ValidationError(
                    _(
                        "Item %(number)s: no answer can be above the safety threshold "
                        "%(threshold)s (the highest answer is %(highest)s)."
                    )
                    % {
                        "number": item.number,
                        "threshold": item.safety_threshold,
                        "highest": highest,
                    }
                )
            )
    if errors:
        raise ValidationError(errors)
    errors.extend(_band_problems(bands, maximum))
    if errors:
        raise ValidationError(errors)


def _band_problems(bands: Sequence[BandSpec], maximum: int) -> list[ValidationError]:
    if not bands:
        return [
            ValidationError(
                _("Add severity bands covering the scores 0 to %(max)s.") % {"max": maximum}
            )
        ]
    problems: list[ValidationError] = []
    expected = 0
    for band in sorted(bands, key=lambda b: (b.min_score, b.max_score)):
        if band.max_score < band.min_score:
            problems.append(
                ValidationError(
                    _('The band "%(label)s" ends (%(high)s) before it starts (%(low)s).')
                    % {"label": band.label, "high": band.max_score, "low": band.min_score}
                )
            )
            continue
        if band.min_score > expected:
            problems.append(
                ValidationError(
                    _("No band covers the scores %(low)s to %(high)s.")
                    % {"low": expected, "high": band.min_score - 1}
                )
            )
        elif band.min_score < expected:
            problems.append(
                ValidationError(
                    _('The band "%(label)s" (%(low)s to %(high)s) overlaps the band before it.')
                    % {"label": band.label, "low": band.min_score, "high": band.max_score}
                )
            )
        expected = max(expected, band.max_score + 1)
    if expected <= maximum:
        problems.append(
            ValidationError(
                _(
                    "No band covers the scores %(low)s to %(high)s (the highest possible total is "
                    "%(max)s)."
                )
                % {"low": expected, "high": maximum, "max": maximum}
            )
        )
    elif expected - 1 > maximum:
        problems.append(
            ValidationError(
                _("The bands go up to %(top)s, but the highest possible total is %(max)s.")
                % {"top": expected - 1, "max": maximum}
            )
        )
    return problems


def instrument_validate_saved(instrument: Instrument) -> None:
    """The same check for an instrument already in the database."""
    instrument_validate(
        items=[
            ItemSpec(item.number, item.options, item.safety_threshold)
            for item in instrument.items.all()
        ],
        bands=[BandSpec(b.min_score, b.max_score, b.label) for b in instrument.bands.all()],
    )


def _option_label(item: InstrumentItem, value: int) -> str:
    return next((str(o["label"]) for o in item.options if o.get("value") == value), str(value))


def _normalise(answers: Mapping[Any, Any]) -> dict[int, Any]:
    normalised: dict[int, Any] = {}
    for key, value in answers.items():
        try:
            number = int(key)
        except (TypeError, ValueError):
            raise ValidationError(
                {"answers": _("%(key)s is not an item number.") % {"key": key}}
            ) from None
        normalised[number] = value
    return normalised


def measure_score(*, instrument: Instrument, answers: Mapping[int, int]) -> tuple[int, str]:
    """The total is the sum of the answer values; every item must be answered with one of its
    options, and the total falls in exactly one severity band."""
    given = _normalise(answers)
    items = list(instrument.items.all())
    errors: dict[str, list[str]] = {}
    total = 0
    for item in items:
        value = given.get(item.number)
        allowed = sorted(o["value"] for o in item.options)
        if value is None:
            errors[f"item_{item.number}"] = [
                _("Item %(number)s (%(text)s) is not answered.")
                % {"number": item.number, "text": item.text}
            ]
        elif isinstance(value, bool) or not isinstance(value, int) or value not in allowed:
            errors[f"item_{item.number}"] = [
                _("Item %(number)s (%(text)s): %(value)s is not one of the answers (%(allowed)s).")
                % {
                    "number": item.number,
                    "text": item.text,
                    "value": value,
                    "allowed": ", ".join(map(str, allowed)),
                }
            ]
        else:
            total += value
    unknown = sorted(set(given) - {item.number for item in items})
    if unknown:
        errors["answers"] = [
            _("%(instrument)s has no item %(numbers)s.")
            % {"instrument": instrument.name, "numbers": ", ".join(map(str, unknown))}
        ]
    if errors:
        raise ValidationError(errors)
    band = next((b for b in instrument.bands.all() if b.min_score <= total <= b.max_score), None)
    if band is None:
        raise ValidationError(
            _(
                "%(instrument)s has no severity band for a total of %(total)s; ask an "
                "administrator to correct the instrument."
            )
            % {"instrument": instrument.name, "total": total}
        )
    return total, band.label


def _safety_reason(instrument: Instrument, crossed: Iterable[tuple[InstrumentItem, int]]) -> str:
    parts = [
        _("%(instrument)s item %(number)s (%(text)s) answered '%(answer)s'")
        % {
            "instrument": instrument.name,
            "number": item.number,
            "text": item.text[:1].lower() + item.text[1:],
            "answer": _option_label(item, value),
        }
        for item, value in crossed
    ]
    reason = "; ".join(parts)
    return reason if len(reason) <= _REASON_MAX else reason[: _REASON_MAX - 1] + "…"


@transaction.atomic
def measure_administer(
    *,
    actor: User,
    client: Client,
    instrument: Instrument,
    answers: Mapping[int, int],
    administered_on: dt.date,
    assessment: Assessment | None = None,
) -> MeasureAdministration:
    """Score and record the client's answers; an answer above an item's safety threshold
    (PHQ-9 item 9 above 0) flags the client for safety follow-up."""
    if not can_work_on_client(actor, client):
        raise PermissionDenied(_("You can read this record but not record measures on it."))
    if not instrument.is_active:
        raise ValidationError(
            {"instrument": _("%(instrument)s is no longer offered.") % {"instrument": instrument}}
        )
    if administered_on > timezone.localdate():
        raise ValidationError({"administered_on": _("The date cannot be in the future.")})
    if administered_on < client.date_of_birth:
        raise ValidationError(
            {"administered_on": _("The date cannot be before the client was born.")}
        )
    if assessment is not None and assessment.client_id != client.pk:
        raise ValidationError({"assessment": _("That assessment is of another client.")})
    given = _normalise(answers)
    total, band = measure_score(instrument=instrument, answers=given)
    crossed = [
        (item, given[item.number])
        for item in instrument.items.all()
        if item.safety_threshold is not None and given[item.number] > item.safety_threshold
    ]
    measure = MeasureAdministration(
        client=client,
        instrument=instrument,
        administered_on=administered_on,
        administered_by=actor,
        answers={str(number): value for number, value in sorted(given.items())},
        total_score=total,
        band=band,
        safety_flagged=bool(crossed),
        assessment=assessment,
    )
    measure.full_clean()
    _save(measure, actor=actor, reason=f"{instrument.name} administered")
    if crossed:
        safety_flag_raise(
            actor=actor,
            client=client,
            reason=_safety_reason(instrument, crossed),
            source=f"measure:{measure.pk}",
        )
    return measure
