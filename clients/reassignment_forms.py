"""The reassignment form: whose clients, which of them, to whom, and why. The choices are
limited to the teams the supervisor supervises; the rules are the service's
(`reassignment_services.clients_reassign`), shown beside the field they concern."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from casemgmt.accounts import policy
from casemgmt.accounts.models import User

from .models import Client, ClientStatus


class CaseManagerChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        label = str(obj)
        if not obj.is_active:
            label = _("%(name)s (deactivated)") % {"name": label}
        count = getattr(obj, "active_clients", None)
        if count is not None:
            label = _("%(name)s — %(count)s active clients") % {"name": label, "count": count}
        return label


class ClientChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.display_name} ({obj.record_number})"


def holders_of_caseloads(user: User) -> QuerySet[User]:
    """Everyone, active or not, who is primary case manager of an active client on the
    teams `user` supervises, with how many: a deactivated worker's caseload shows here
    until it is moved."""
    teams = sorted(policy.supervised_team_ids(user))
    in_teams = Q(primary_clients__team__in=teams, primary_clients__status=ClientStatus.ACTIVE)
    return (
        User.objects.annotate(active_clients=Count("primary_clients", filter=in_teams))
        .filter(active_clients__gt=0)
        .order_by("full_name", "pk")
    )


def receivers(user: User) -> QuerySet[User]:
    """Active case managers on the teams `user` supervises."""
    teams = sorted(policy.supervised_team_ids(user))
    return (
        User.objects.filter(is_active=True, is_case_manager=True, member_teams__in=teams)
        .distinct()
        .order_by("full_name", "pk")
    )


class ChooseCaseManagerForm(forms.Form):
    """Step one (GET): whose caseload to look at."""

    from_user = CaseManagerChoice(
        queryset=User.objects.none(), label=_("Reassign clients of"), empty_label=None
    )

    def __init__(self, *args: Any, supervisor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["from_user"].queryset = holders_of_caseloads(supervisor)  # type: ignore[attr-defined]


class ReassignForm(forms.Form):
    """Step two (POST): which of the clients, to whom, and why."""

    clients = ClientChoices(
        queryset=Client.objects.none(),
        label=_("Clients to move"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one client.")},
    )
    to_case_manager = CaseManagerChoice(
        queryset=User.objects.none(), label=_("New primary case manager")
    )
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text=_(
            "Kept in each client's history and shown to both case managers, e.g. "
            "“Caseload balancing”, “Leaving the agency”, “Client asked for a change”."
        ),
        error_messages={"required": _("Say why the clients are being reassigned.")},
    )

    def __init__(
        self, *args: Any, supervisor: User, clients: QuerySet[Client], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["clients"].queryset = clients  # type: ignore[attr-defined]
        self.fields["to_case_manager"].queryset = receivers(supervisor)  # type: ignore[attr-defined]
