"""A supervisor's review that does not uphold a consent exception.

A referral goes without the client's consent only when it is court-ordered or the client's
life is at risk, and another supervisor reviews that decision afterwards
(`referrals.exception_review`). When the reviewer finds the exception not justified, the
referral cannot go on without consent: the review is recorded as not upheld, every provider
link is revoked so nothing more is seen, and a referral still under way is cancelled. The
case manager asks the client for a release and sends a new referral under it. What was
already disclosed stays in the client's accounting of disclosures."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from casemgmt.accounts import policy
from casemgmt.accounts.models import User
from casemgmt.audit.history import save_with_history

from ..models import Referral, ReferralEvent, ReferralStatus
from .referrals import Actor, exception_sender_id, provider_link_revoke, referral_act


@transaction.atomic
def exception_return(*, actor: User, referral: Referral, note: str) -> Referral:
    """A supervisor of the client's team who neither made nor sent the referral finds the
    exception not justified: the review is recorded as not upheld, the provider's links are
    revoked and the referral, if still under way, is cancelled."""
    referral = (
        Referral.objects.select_for_update(of=("self",))
        .select_related("client", "service__organization")
        .get(pk=referral.pk)
    )
    if referral.client.team_id not in policy.supervised_team_ids(actor):
        raise PermissionDenied(_("Only a supervisor of the client's team reviews this."))
    if actor.pk in {referral.case_manager_id, exception_sender_id(referral)}:
        raise PermissionDenied(_("Someone other than the sender reviews the exception."))
    if not referral.consent_exception:
        raise ValidationError(_("This referral was sent with the client's consent."))
    if referral.exception_reviewed_at is not None:
        raise ValidationError(_("This exception was already reviewed."))
    note = note.strip()
    if not note:
        raise ValidationError({"note": _("Say why the exception is not justified.")})
    reason = _("Consent exception not upheld: %(n)s") % {"n": note}
    referral.exception_reviewed_by = actor
    referral.exception_reviewed_at = timezone.now()
    referral.exception_review_note = reason
    referral.updated_at = timezone.now()
    save_with_history(
        referral,
        actor=actor,
        reason=reason,
        update_fields=[
            "exception_reviewed_by",
            "exception_reviewed_at",
            "exception_review_note",
            "updated_at",
        ],
    )
    ReferralEvent.objects.create(
        referral=referral,
        from_status=referral.status,
        to_status=referral.status,
        actor=actor,
        note=reason,
    )
    for link in referral.links.filter(revoked_at__isnull=True):
        provider_link_revoke(actor=actor, link=link)
    if referral.can_move_to(ReferralStatus.CANCELLED):
        referral = referral_act(
            actor=Actor(user=actor), referral=referral, action="cancel", note=reason
        )
    return referral
