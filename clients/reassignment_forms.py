"""The reassignment form: whose clients, which of them, to whom, and why. The choices are
limited to the teams the supervisor supervises; the rules are the service's
(`reassignment_services.clients_reassign`), shown beside the field they concern."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from casemgmt.accounts.models import User

from .models import Client
from .reassignment_selectors import holders_of_caseloads, receivers


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
