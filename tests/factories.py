"""factory_boy factories for the core records."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

import factory
from factory.django import DjangoModelFactory

from casemgmt.accounts.models import Agency, Team, User
from clients import services
from clients.models import Client, PayerType, ReferralSource


class AgencyFactory(DjangoModelFactory[Agency]):
    class Meta:
        model = Agency
        django_get_or_create = ("name",)

    name = "Test Agency"


class TeamFactory(DjangoModelFactory[Team]):
    class Meta:
        model = Team
        django_get_or_create = ("agency", "name")

    agency = factory.SubFactory(AgencyFactory)
    name = factory.Sequence(lambda n: f"Team {n}")


class UserFactory(DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    full_name = factory.Faker("name")
    password = factory.django.Password("correct horse battery")

    @factory.post_generation
    def teams(self, create: bool, extracted: list[Team] | None, **kwargs: Any) -> None:
        if create and extracted:
            for team in extracted:
                team.members.add(cast(User, self))

    @factory.post_generation
    def supervises(self, create: bool, extracted: list[Team] | None, **kwargs: Any) -> None:
        if create and extracted:
            for team in extracted:
                team.supervisors.add(cast(User, self))


def client_data(**overrides: Any) -> dict[str, Any]:
    """A valid fact sheet, as a form's cleaned_data would hold it."""
    data: dict[str, Any] = {
        "legal_first_name": "Maria",
        "legal_last_name": "Rivera",
        "preferred_name": "",
        "pronouns": "she/her",
        "date_of_birth": dt.date(1984, 5, 17),
        "sex_at_birth": "",
        "gender_identity": "",
        "primary_language": "Spanish",
        "other_languages": ["English"],
        "interpreter_needed": False,
        "phone": "305-555-0100",
        "phone_ok_to_contact": True,
        "email": "",
        "email_ok_to_contact": False,
        "address_line1": "",
        "address_line2": "",
        "city": "Miami",
        "state": "FL",
        "postal_code": "33125",
        "address_ok_to_contact": False,
        "emergency_contact_name": "",
        "emergency_contact_relationship": "",
        "emergency_contact_phone": "",
        "payer_type": PayerType.MEDICAID,
        "payer_name": "Sunshine Health",
        "member_id": "",
        "presenting_issue": "Facing eviction; low mood since losing her job.",
        "referral_source": ReferralSource.SELF,
        "case_management_model": "strength_based",
    }
    data.update(overrides)
    return data


_counter = iter(range(10_000_000))


def make_client(*, case_manager: User, team: Team, **overrides: Any) -> Client:
    """A client opened through the intake service, as the case manager would."""
    n = next(_counter)
    overrides.setdefault("legal_first_name", f"Client{n}")
    overrides.setdefault("legal_last_name", f"Person{n}")
    data = client_data(team=team, primary_case_manager=case_manager, **overrides)
    return services.client_intake(actor=case_manager, data=data)
