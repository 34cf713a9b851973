"""The due items staffing meetings raise: the tasks and plan updates decided there."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from casemgmt.reminders import rules

from .meeting_selectors import open_tasks

if TYPE_CHECKING:
    from casemgmt.accounts.models import Agency

#: A task is on its assignee's list from the day the meeting is recorded, however far off
#: its due date (a year covers any sensible one).
TASK_HORIZON_DAYS = 366


class StaffingTaskRule(rules.Rule):
    """A decision of a recorded staffing meeting is due on its due date, for the person it
    was assigned to, from the day the minutes are recorded. Marking it done clears it; a
    plan update also clears when the client's plan is reviewed or a new version is approved
    after the meeting."""

    kind = "staffing_task"
    label = _("Task from a staffing meeting")

    def horizon_days(self, agency: Agency) -> int:
        return TASK_HORIZON_DAYS

    def items(self, agency: Agency, until: dt.date, today: dt.date | None = None) -> QuerySet[Any]:
        return rules.due_rows(
            open_tasks().filter(item__client__team__agency=agency),
            due="due_on",
            until=until,
            client_id="item__client_id",
            recipient="assigned_to_id",
        )

    def url_name(self) -> str:
        return "supervision:task"

    def url_args(self, object_id: int, client_id: int) -> list[int]:
        return [object_id]


rules.register(StaffingTaskRule())
