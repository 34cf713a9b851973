"""Reading the audit trail: a record's change history as readable differences."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import models

from casemgmt.accounts.models import User


@dataclass(frozen=True)
class FieldChange:
    field: str
    label: str
    old: str
    new: str


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    user: User | None
    kind: str
    reason: str
    changes: list[FieldChange]


def _display(record: models.Model, field: models.Field[Any, Any]) -> str:
    if field.choices:
        value = getattr(record, field.attname)
        return str(dict(field.flatchoices).get(value, value) or "—")
    value = getattr(record, field.attname)
    if value in (None, "", []):
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if field.is_relation:
        related = getattr(record, field.name, None)
        return str(related) if related is not None else str(value)
    return str(value)


KINDS = {"+": "created", "~": "changed", "-": "deleted"}


def history_entries(instance: models.Model) -> list[HistoryEntry]:
    """Newest first: each saved version with who made it and what it changed."""
    records = list(
        instance.history.select_related("history_user").order_by("-history_date", "-history_id")  # type: ignore[attr-defined]
    )
    entries = []
    for index, record in enumerate(records):
        previous = records[index + 1] if index + 1 < len(records) else None
        changes: list[FieldChange] = []
        if previous is not None:
            delta = record.diff_against(previous)
            for change in delta.changes:
                field = instance._meta.get_field(change.field)
                if not isinstance(field, models.Field):
                    continue
                changes.append(
                    FieldChange(
                        field=change.field,
                        label=str(getattr(field, "verbose_name", change.field)),
                        old=_display(previous, field),
                        new=_display(record, field),
                    )
                )
        entries.append(
            HistoryEntry(
                at=record.history_date,
                user=record.history_user,
                kind=KINDS.get(record.history_type, record.history_type),
                reason=record.history_change_reason or "",
                changes=changes,
            )
        )
    return entries
