from __future__ import annotations

import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from casemgmt.accounts.models import User
from clients.models import Client

pytestmark = pytest.mark.django_db


def test_issue_use_and_revoke_a_token(
    client: HttpClient, case_manager: User, north_client: Client
) -> None:
    client.force_login(case_manager)
    page = client.post(reverse("accounts:api_token"), {"action": "issue"})
    key = page.context["new_key"]
    assert key and key in page.content.decode()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get(f"/api/v1/clients/{north_client.pk}/").status_code == 200
    replaced = client.post(reverse("accounts:api_token"), {"action": "issue"}).context["new_key"]
    assert replaced != key
    assert api.get(f"/api/v1/clients/{north_client.pk}/").status_code in (401, 403)
    client.post(reverse("accounts:api_token"), {"action": "revoke"})
    assert not Token.objects.filter(user=case_manager).exists()
    after = client.get(reverse("accounts:api_token")).content.decode()
    assert replaced not in after
