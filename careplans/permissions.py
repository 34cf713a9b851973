"""Predicates about assessments, measures and plans. Views use them to show controls;
services call them to enforce."""

from casemgmt.accounts import policy
from clients.models import Client
from clients.permissions import can_change_client

from .models import ServicePlan


def can_work_on_client(user: policy.AnyUser, client: Client) -> bool:
    """Assessing, administering measures and planning are changes to the record: the
    assigned case manager or the team's supervisors."""
    return can_change_client(user, client)


def can_approve_plan(user: policy.AnyUser, plan: ServicePlan) -> bool:
    """A supervisor of the client's team approves, and never a plan they wrote or finalized."""
    if plan.client.team_id not in policy.supervised_team_ids(user):
        return False
    return user.pk not in {plan.created_by_id, plan.finalized_by_id}
