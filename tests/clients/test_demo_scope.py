"""On the demo data: a North case manager's new client is a 404 to South, page and API."""

from __future__ import annotations

from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client as HttpClient
from django.urls import reverse
from rest_framework.test import APIClient

from casemgmt.accounts.models import Team, User
from clients.models import Client

pytestmark = pytest.mark.django_db


def _sign_in(email: str) -> HttpClient:
    """Through the login page, with the demo password, as a person would."""
    http = HttpClient()
    response = http.post(
        reverse("accounts:login"), {"username": email, "password": settings.DEMO_PASSWORD}
    )
    assert response.status_code == 302, email
    return http


def test_north_intake_is_invisible_to_south() -> None:
    call_command("seed_demo", stdout=StringIO())
    north = _sign_in("cm.north1@example.org")
    cm_north = User.objects.get(email="cm.north1@example.org")
    response = north.post(
        reverse("clients:intake"),
        {
            "legal_first_name": "Imani",
            "legal_last_name": "Achebe-Lorde",
            "date_of_birth": "1993-06-14",
            "primary_language": "English",
            "payer_type": "medicaid",
            "presenting_issue": "Needs stable housing after a fire.",
            "referral_source": "shelter",
            "team": Team.objects.get(name="North").pk,
            "primary_case_manager": cm_north.pk,
            "case_management_model": "strength_based",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    created = Client.objects.get(legal_last_name="Achebe-Lorde")

    south = _sign_in("cm.south1@example.org")
    assert south.get(reverse("clients:detail", args=[created.pk])).status_code == 404
    api = APIClient()
    api.force_login(User.objects.get(email="cm.south1@example.org"))
    assert api.get(f"/api/v1/clients/{created.pk}/").status_code == 404
    # The North supervisor sees it; the South supervisor and the administrator do not.
    for email, expected in [
        ("supervisor.north@example.org", 200),
        ("supervisor.south@example.org", 404),
        ("admin@example.org", 404),
    ]:
        other = _sign_in(email)
        assert other.get(reverse("clients:detail", args=[created.pk])).status_code == expected
