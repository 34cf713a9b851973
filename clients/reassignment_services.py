"""Moving clients from one primary case manager to another.

A supervisor of the client's team reassigns one client or many at once, always with a
reason. Each move is kept as a `Reassignment` row (the hand-over history) and in the
client's change history; both case managers hear about it through the reminder engine (the
`reassigned_first_contact` and `client_handed_over` rules in clients/reminders.py), whose
sweep runs as soon as the change is committed.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from casemgmt.accounts import policy
from casemgmt.accounts.models import User
from casemgmt.audit.history import save_with_history

from .models import Client, Reassignment


def can_reassign(user: policy.AnyUser, client: Client) -> bool:
    """Only a supervisor of the client's team moves a client between case managers."""
    return client.team_id in policy.supervised_team_ids(user)


def record_reassignment(
    *, actor: User, client: Client, from_case_manager_id: int, reason: str, batch: uuid.UUID
) -> Reassignment:
    """Keep the hand-over of a client whose primary case manager has just changed, and tell
    both case managers once the change is committed."""
    move = Reassignment(
        client=client,
        from_case_manager_id=from_case_manager_id,
        to_case_manager_id=client.primary_case_manager_id,
        reason=reason,
        batch=batch,
        reassigned_by=actor,
        reassigned_at=timezone.now(),
    )
    move.full_clean()
    move.save()
    _notify_on_commit()
    return move


def _notify_on_commit() -> None:
    from casemgmt.reminders.tasks import reminders_sweep

    reminders_sweep.delay_on_commit()


@transaction.atomic
def clients_reassign(
    *, actor: User, client_ids: Sequence[int], to_case_manager: User, reason: str
) -> list[Reassignment]:
    """Move the clients `client_ids` to `to_case_manager`, all or none.

    The actor supervises every client's team; the new case manager is an active case
    manager on that team and is not already the client's; the reason is required."""
    reason = reason.strip()
    errors: dict[str, list[str]] = {}
    if not reason:
        errors["reason"] = [_("Say why the clients are being reassigned.")]
    if not client_ids:
        errors["clients"] = [_("Choose at least one client.")]
    if errors:
        raise ValidationError(errors)

    clients = list(
        Client.objects.select_for_update()
        .filter(pk__in=sorted(set(client_ids)))
        .select_related("primary_case_manager", "team")
        .order_by("record_number")
    )
    if len(clients) != len(set(client_ids)) or not all(can_reassign(actor, c) for c in clients):
        raise PermissionDenied(_("You can only reassign clients of the teams you supervise."))

    # Locked, so a deactivation running at the same moment waits and then sees the clients.
    to_case_manager = User.objects.select_for_update().get(pk=to_case_manager.pk)
    member_of = set(to_case_manager.member_teams.values_list("pk", flat=True))
    if not (to_case_manager.is_active and to_case_manager.is_case_manager):
        errors["to_case_manager"] = [
            _("%(name)s is not an active case manager.") % {"name": to_case_manager}
        ]
    else:
        other_team = [c.record_number for c in clients if c.team_id not in member_of]
        if other_team:
            errors["to_case_manager"] = [
                _("%(name)s is not on the team of %(records)s.")
                % {"name": to_case_manager, "records": ", ".join(other_team)}
            ]
    already = [c.record_number for c in clients if c.primary_case_manager_id == to_case_manager.pk]
    if already:
        errors.setdefault("clients", []).append(
            _("%(records)s already have %(name)s as their case manager.")
            % {"records": ", ".join(already), "name": to_case_manager}
        )
    if errors:
        raise ValidationError(errors)

    batch = uuid.uuid4()
    now = timezone.now()
    moves = []
    for client in clients:
        previous = client.primary_case_manager_id
        client.primary_case_manager = to_case_manager
        client.version += 1
        client.updated_at = now
        client.full_clean()
        save_with_history(
            client, actor=actor, reason=_("Reassigned: %(reason)s") % {"reason": reason}
        )
        moves.append(
            record_reassignment(
                actor=actor,
                client=client,
                from_case_manager_id=previous,
                reason=reason,
                batch=batch,
            )
        )
    return moves
