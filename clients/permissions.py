"""Predicates about client records; views use them to show controls, services to enforce."""

from casemgmt.accounts import policy
from casemgmt.accounts.models import Team

from .models import Client


def can_change_client(user: policy.AnyUser, client: Client) -> bool:
    """The assigned case manager and the team's supervisors edit; teammates only read."""
    return policy.can_change_record(user, client)


def can_open_client_in(user: policy.AnyUser, team: Team) -> bool:
    """Intake is done by a member or supervisor of the team that will hold the record."""
    return policy.can_create_records_for(user, team)


def can_read_client_history(user: policy.AnyUser, client: Client) -> bool:
    """Supervisors of the client's team read who changed what on the record."""
    return policy.can_read_change_history(user, client)
