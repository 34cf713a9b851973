"""Saving a clinical row so its history says who changed it and why."""

from typing import Any

from django.db import models


def save_with_history(
    instance: models.Model,
    *,
    actor: Any,
    reason: str,
    update_fields: list[str] | None = None,
    force_insert: bool = False,
) -> None:
    """Save with the acting user and the reason in the history row. The history middleware
    knows the user only inside a web request; services are also called from tasks, commands
    and the provider's link, so they name the actor themselves."""
    instance._history_user = actor  # type: ignore[attr-defined]
    instance._change_reason = reason  # type: ignore[attr-defined]
    instance.save(update_fields=update_fields, force_insert=force_insert)
