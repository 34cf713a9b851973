"""Links to the case notes from other parts of the record (the plan's goals), counted in
one query for the whole plan."""

from __future__ import annotations

from typing import Any

from django import template

from notes import note_selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def goal_note_counts(context: template.Context, plan: Any) -> dict[str, int]:
    """The number of notes the user may read linked to each goal of a plan version (any
    version of the goal)."""
    user = context["request"].user
    keys = [goal.key for goal in plan.goals.all()]
    return note_selectors.goal_note_counts(user, plan.client, keys)


@register.filter
def note_count(counts: dict[str, int], key: Any) -> int:
    return counts.get(str(key), 0)
