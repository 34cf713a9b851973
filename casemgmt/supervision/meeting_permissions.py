"""Who may run a staffing meeting and act on its tasks. Views use these to show controls;
the services call them to enforce."""

from __future__ import annotations

from casemgmt.accounts import policy

from .models import Decision, StaffingMeeting


def can_run_meeting(user: policy.AnyUser, meeting: StaffingMeeting) -> bool:
    """Supervisors of the meeting's team prepare, change and record it."""
    return meeting.team_id in policy.supervised_team_ids(user)


def can_mark_done(user: policy.AnyUser, decision: Decision, team_id: int) -> bool:
    """The person a task is assigned to, or a supervisor of the meeting's team."""
    return decision.assigned_to_id == user.pk or team_id in policy.supervised_team_ids(user)
