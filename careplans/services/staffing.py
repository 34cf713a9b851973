"""What a staffing meeting (case conference) writes on a service plan: the team decided the
plan must change, and the plan's own history says so until the case manager reviews or
revises it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from casemgmt.accounts.models import User

from ..models import PlanEvent, PlanStatus, ServicePlan
from ..permissions import can_work_on_client

#: The plan versions in force: the ones a staffing decision updates.
IN_FORCE = (PlanStatus.ACTIVE, PlanStatus.UNDER_REVIEW)


def plans_in_force(client_ids: Iterable[int]) -> dict[int, ServicePlan]:
    """Each client's plan in force (the latest version when a revision sits beside it), in
    one query."""
    found: dict[int, ServicePlan] = {}
    for plan in ServicePlan.objects.filter(
        client_id__in=sorted(set(client_ids)), status__in=IN_FORCE
    ).order_by("client_id", "-version"):
        found.setdefault(plan.client_id, plan)
    return found


@transaction.atomic
def plan_staffing_decision_record(
    *, actor: User, plan: ServicePlan, held_on: dt.date, decision: str
) -> PlanEvent:
    """Record on the plan in force that a staffing meeting decided it must change: an
    event that keeps the plan's status, carrying the decision. Only someone who may work on
    the client's plan records it, and only on a plan in force."""
    plan = ServicePlan.objects.select_for_update().select_related("client").get(pk=plan.pk)
    if not can_work_on_client(actor, plan.client):
        raise PermissionDenied(_("You can read this plan but not change it."))
    if plan.status not in IN_FORCE:
        raise ValidationError(
            _("Version %(v)s of the service plan is %(status)s, no longer in force.")
            % {"v": plan.version, "status": plan.get_status_display().lower()}
        )
    if not decision.strip():
        raise ValidationError({"text": _("Say what in the plan is to change.")})
    return PlanEvent.objects.create(
        plan=plan,
        from_status=plan.status,
        to_status=plan.status,
        actor=actor,
        note=_("Staffing meeting on %(day)s decided: update the plan — %(what)s")
        % {"day": held_on.isoformat(), "what": decision.strip()},
    )


__all__ = ["IN_FORCE", "plan_staffing_decision_record", "plans_in_force"]
