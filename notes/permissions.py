"""Who may write, sign and co-sign case notes. Views use these to show controls; services
call them to enforce."""

from casemgmt.accounts import policy
from clients.models import Client
from clients.permissions import can_change_client

from .models import CaseNote, CosignStatus


def can_write_notes(user: policy.AnyUser, client: Client) -> bool:
    """The assigned case manager and the team's supervisors document contacts."""
    return can_change_client(user, client)


def can_edit_draft(user: policy.AnyUser, note: CaseNote) -> bool:
    """A draft belongs to its author until it is signed."""
    return not note.is_signed and note.author_id == user.pk and can_write_notes(user, note.client)


def can_add_addendum(user: policy.AnyUser, note: CaseNote) -> bool:
    """The author corrects their own note; a supervisor of the team may add to any signed
    note (for example to answer for an author who has left)."""
    if not note.is_signed:
        return False
    if note.author_id == user.pk:
        return can_write_notes(user, note.client)
    return note.client.team_id in policy.supervised_team_ids(user)


def can_cosign(user: policy.AnyUser, note: CaseNote) -> bool:
    """A supervisor of the client's team, never the note's own author."""
    return (
        note.cosign_status == CosignStatus.PENDING
        and note.author_id != user.pk
        and note.client.team_id in policy.supervised_team_ids(user)
    )
