"""Every agency setting is editable in the admin: the fieldsets name each field once."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import Client as HttpClient
from django.urls import reverse

from casemgmt.accounts.models import Agency, User

pytestmark = pytest.mark.django_db


def test_the_agency_admin_shows_every_setting_once() -> None:
    fieldsets = admin.site._registry[Agency].fieldsets
    assert fieldsets is not None
    shown = [name for _title, options in fieldsets for name in options["fields"]]
    editable = [f.name for f in Agency._meta.concrete_fields if f.editable and not f.primary_key]
    assert sorted(shown) == sorted(editable)


def test_an_administrator_changes_the_reminder_lead_times(admin: User) -> None:
    admin.is_staff = True
    admin.is_superuser = True
    admin.save()
    agency = Agency.objects.create(name="Harbor Agency")
    http = HttpClient()
    http.force_login(admin)
    url = reverse("admin:accounts_agency_change", args=[agency.pk])
    page = http.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {name: form.initial.get(name, "") for name in form.fields}
    data = {k: ("" if v is None else v) for k, v in data.items()}
    data.update(reminder_lead_days=21, escalation_days=5, plan_approval_required="on")
    data = {k: v for k, v in data.items() if not isinstance(v, bool) or v}
    response = http.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    agency.refresh_from_db()
    assert (agency.reminder_lead_days, agency.escalation_days) == (21, 5)
