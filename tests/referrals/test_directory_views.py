"""Directory pages: who may open which, the service page, administrators' edit, verify and
add pages, and the provider search with the client (scope, defaults, fit, quality, offers,
htmx partial, query count)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from careplans.models import Goal
from casemgmt.accounts.models import User
from casemgmt.audit.models import AccessLog
from clients.models import Client, PayerType
from referrals.models import Organization, ReferralStatus, Service

from ..careplans.plan_fixtures import plan_with_goal
from .dir_factories import OrganizationFactory, ServiceFactory, TermFactory, make_referral

pytestmark = pytest.mark.django_db

SEARCH = "referrals:search"


@pytest.fixture
def as_user(client: HttpClient) -> Callable[[User], HttpClient]:
    def login(user: User) -> HttpClient:
        client.force_login(user)
        return client

    return login


def fitting_service(**overrides: object) -> Service:
    """A service Maria (north_client: Spanish, Medicaid, Miami, 40-something) fits."""
    values: dict[str, object] = {
        "languages": ["Spanish", "English"],
        "payers_accepted": [PayerType.MEDICAID],
        "cities": [("Miami", "33125")],
        "minimum_age": 18,
        "wait_time_days": 10,
        **overrides,
    }
    return ServiceFactory.create(**values)


# --- Who may open what --------------------------------------------------------------------


@pytest.mark.parametrize("role", ["case_manager", "supervisor", "admin"])
def test_everyone_signed_in_reads_the_directory(
    request: pytest.FixtureRequest, as_user: Callable[[User], HttpClient], role: str
) -> None:
    service = ServiceFactory.create(name="Food Pantry")
    web = as_user(request.getfixturevalue(role))
    page = web.get(reverse("referrals:directory"))
    assert page.status_code == 200
    assert "Food Pantry" in page.content.decode()
    assert web.get(reverse("referrals:directory_service", args=[service.pk])).status_code == 200
    org_page = reverse("referrals:directory_organization", args=[service.organization_id])
    assert web.get(org_page).status_code == 200
    assert web.get(reverse("referrals:directory") + "?show=organizations").status_code == 200


def test_anonymous_visitors_are_sent_to_sign_in(client: HttpClient) -> None:
    response = client.get(reverse("referrals:directory"))
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_unknown_service_is_404(as_user: Callable[[User], HttpClient], case_manager: User) -> None:
    url = reverse("referrals:directory_service", args=[uuid.uuid4()])
    assert as_user(case_manager).get(url).status_code == 404


@pytest.mark.parametrize("role", ["case_manager", "supervisor"])
def test_editing_pages_are_404_for_clinical_staff(
    request: pytest.FixtureRequest, as_user: Callable[[User], HttpClient], role: str
) -> None:
    service = ServiceFactory.create(wait_time_days=5)
    web = as_user(request.getfixturevalue(role))
    for name in ("directory_service_edit",):
        url = reverse(f"referrals:{name}", args=[service.pk])
        assert web.get(url).status_code == 404
        assert web.post(url, {"status": "active"}).status_code == 404
    verify = reverse("referrals:directory_service_verify", args=[service.pk])
    assert web.post(verify, {"wait_time_days": "1"}).status_code == 404
    for name in ("directory_service_new", "directory_organization_new"):
        assert web.get(reverse(f"referrals:{name}")).status_code == 404
        assert web.post(reverse(f"referrals:{name}"), {"name": "X"}).status_code == 404
    service.refresh_from_db()
    assert service.wait_time_days == 5
    assert not Organization.objects.filter(name="X").exists()
    page = web.get(reverse("referrals:directory_service", args=[service.pk])).content.decode()
    assert "Edit referral details" not in page
    assert "Record verification" not in page


def test_search_is_for_clinical_staff(as_user: Callable[[User], HttpClient], admin: User) -> None:
    assert as_user(admin).get(reverse(SEARCH)).status_code == 404


# --- The service page ---------------------------------------------------------------------


def test_service_page_shows_what_a_case_manager_needs(
    as_user: Callable[[User], HttpClient], case_manager: User
) -> None:
    term = TermFactory.create(name="Rental assistance", parent=TermFactory.create(name="Housing"))
    service = ServiceFactory.create(
        name="Rapid Rehousing",
        description="Short-term rent help.",
        eligibility_description="Families at risk of eviction.",
        minimum_age=18,
        maximum_age=64,
        languages=["Spanish"],
        fees_description="Free.",
        application_process="Call for a screening.",
        required_documents=["Photo ID", "Eviction notice"],
        accepting_new_clients=False,
        wait_time_days=14,
        capacity_note="Next openings in May.",
        payers_accepted=[PayerType.MEDICAID],
        categories=[term],
        cities=[("Miami", "33125")],
        last_verified_on=timezone.localdate() - dt.timedelta(days=200),
    )
    page = as_user(case_manager).get(reverse("referrals:directory_service", args=[service.pk]))
    text = page.content.decode()
    for words in (
        "Short-term rent help.",
        "Families at risk of eviction.",
        "18 to 64",
        "Spanish",
        "Free.",
        "Call for a screening.",
        "Eviction notice",
        "About 14 days",
        "Next openings in May.",
        "Medicaid",
        "Housing / Rental assistance",
        "Miami, FL 33125",
        "Not verified since",
        "No referrals yet",
    ):
        assert words in text, words


def test_service_page_shows_quality(
    as_user: Callable[[User], HttpClient], case_manager: User, north_client: Client
) -> None:
    service = ServiceFactory.create()
    goal = plan_with_goal(north_client, case_manager).goals.get()
    sent = timezone.localdate() - dt.timedelta(days=30)
    for status, started in [
        (ReferralStatus.COMPLETED, 5),
        (ReferralStatus.IN_PROGRESS, 12),
        (ReferralStatus.REJECTED, None),
    ]:
        make_referral(
            service=service,
            client=north_client,
            goal=goal,
            case_manager=case_manager,
            status=status,
            sent_on=sent,
            started_after_days=started,
        )
    page = as_user(case_manager).get(reverse("referrals:directory_service", args=[service.pk]))
    assert "Accepted 2 of 3 referrals; median 8.5 days to start" in page.content.decode()


# --- Administrators -----------------------------------------------------------------------


def test_admin_edits_a_service(as_user: Callable[[User], HttpClient], admin: User) -> None:
    housing = TermFactory.create(name="Housing")
    service = ServiceFactory.create(name="Bridge")
    web = as_user(admin)
    url = reverse("referrals:directory_service_edit", args=[service.pk])
    assert web.get(url).status_code == 200
    response = web.post(
        url,
        {
            "status": "active",
            "wait_time_days": "21",
            "capacity_note": "Waitlist.",
            "payers_accepted": [PayerType.MEDICAID, PayerType.UNINSURED],
            "languages": "Spanish, Haitian Creole,",
            "minimum_age": "18",
            "maximum_age": "",
            "eligibility_description": "Families.",
            "required_documents": "Photo ID\r\n\r\nLease\r\n",
            "categories": [str(housing.pk)],
            "organization-is_internal": "on",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("referrals:directory_service", args=[service.pk])
    service.refresh_from_db()
    assert service.accepting_new_clients is False  # the box was not ticked
    assert service.wait_time_days == 21
    assert service.languages == ["Spanish", "Haitian Creole"]
    assert service.required_documents == ["Photo ID", "Lease"]
    assert service.payers_accepted == [PayerType.MEDICAID, PayerType.UNINSURED]
    assert list(service.categories.all()) == [housing]
    assert service.organization is not None
    assert service.organization.is_internal is True


def test_edit_errors_keep_what_was_typed(
    as_user: Callable[[User], HttpClient], admin: User
) -> None:
    service = ServiceFactory.create(minimum_age=None)
    response = as_user(admin).post(
        reverse("referrals:directory_service_edit", args=[service.pk]),
        {
            "status": "active",
            "minimum_age": "30",
            "maximum_age": "18",
            "capacity_note": "Typed note",
        },
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "There is a problem" in text
    assert "cannot be below the minimum age" in text
    assert "Typed note" in text
    service.refresh_from_db()
    assert service.minimum_age is None


def test_admin_verifies_with_the_provider(
    as_user: Callable[[User], HttpClient], admin: User
) -> None:
    service = ServiceFactory.create(last_verified_on=None, wait_time_days=None)
    web = as_user(admin)
    detail = reverse("referrals:directory_service", args=[service.pk])
    assert "Never verified" in web.get(detail).content.decode()
    response = web.post(
        reverse("referrals:directory_service_verify", args=[service.pk]),
        {"wait_time_days": "9", "accepting_new_clients": "no", "capacity_note": ""},
    )
    assert response.status_code == 302
    service.refresh_from_db()
    assert service.last_verified_on == timezone.localdate()
    assert service.last_verified_by == admin
    assert (service.wait_time_days, service.accepting_new_clients) == (9, False)
    page = web.get(detail).content.decode()
    assert "Never verified" not in page
    assert "Ada Admin" in page


def test_verify_is_post_only_and_checks_input(
    as_user: Callable[[User], HttpClient], admin: User
) -> None:
    service = ServiceFactory.create(last_verified_on=None)
    url = reverse("referrals:directory_service_verify", args=[service.pk])
    web = as_user(admin)
    assert web.get(url).status_code == 405
    response = web.post(url, {"wait_time_days": "-3"})
    assert response.status_code == 400
    service.refresh_from_db()
    assert service.last_verified_on is None


def test_admin_adds_an_organization_then_a_service(
    as_user: Callable[[User], HttpClient], admin: User
) -> None:
    web = as_user(admin)
    assert web.get(reverse("referrals:directory_organization_new")).status_code == 200
    response = web.post(
        reverse("referrals:directory_organization_new"),
        {"name": "Harbor House", "is_internal": "on"},
    )
    organization = Organization.objects.get(name="Harbor House")
    assert organization.is_internal
    assert organization.pk.version == 4
    assert response.status_code == 302
    assert response["Location"].endswith(f"?organization={organization.pk}")
    form_page = web.get(response["Location"])
    assert form_page.status_code == 200
    response = web.post(
        reverse("referrals:directory_service_new"),
        {
            "organization": str(organization.pk),
            "name": "Crisis beds",
            "status": "active",
            "accepting_new_clients": "on",
            "languages": "English",
        },
    )
    service = Service.objects.get(name="Crisis beds")
    assert response.status_code == 302
    assert response["Location"] == reverse("referrals:directory_service", args=[service.pk])
    assert service.organization == organization
    assert service.pk.version == 4


def test_adding_a_service_without_a_name_says_so(
    as_user: Callable[[User], HttpClient], admin: User
) -> None:
    organization = OrganizationFactory.create()
    response = as_user(admin).post(
        reverse("referrals:directory_service_new"),
        {"organization": str(organization.pk), "name": "", "status": "active"},
    )
    assert response.status_code == 400
    assert "There is a problem" in response.content.decode()
    assert not Service.objects.exists()


# --- Searching with the client ------------------------------------------------------------


def search_url(client: Client | None = None, **params: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    base = reverse(SEARCH)
    if client is not None:
        query = f"client={client.pk}" + (f"&{query}" if query else "")
    return f"{base}?{query}" if query else base


def test_search_with_a_client_outside_scope_is_404(
    as_user: Callable[[User], HttpClient], other_team_case_manager: User, north_client: Client
) -> None:
    web = as_user(other_team_case_manager)
    assert web.get(search_url(north_client)).status_code == 404
    assert web.get(reverse(SEARCH) + "?client=abc").status_code == 404
    assert web.get(reverse(SEARCH) + "?client=999999").status_code == 404


def test_search_with_the_client_starts_from_their_facts(
    as_user: Callable[[User], HttpClient], case_manager: User, north_client: Client
) -> None:
    fitting_service(name="Fits")
    fitting_service(name="English only", languages=["English"])
    fitting_service(name="Tampa", cities=[("Tampa", "33601")])
    fitting_service(name="Private pay", payers_accepted=[PayerType.PRIVATE])
    fitting_service(name="Youth", minimum_age=12, maximum_age=21)
    fitting_service(name="Payers unknown", payers_accepted=[])
    response = as_user(case_manager).get(search_url(north_client))
    assert response.status_code == 200
    text = response.content.decode()
    form = response.context["form"]
    assert form["language"].value() == "Spanish"
    assert form["payer"].value() == PayerType.MEDICAID
    assert form["place"].value() == "Miami"
    assert form["fits_age"].value() is True
    shown = [row.service.name for row in response.context["rows"]]
    assert shown == ["Fits", "Payers unknown"]
    assert "Payers not listed; ask the provider about Medicaid." in text
    assert "Offers Spanish." in text
    assert '<option value="Spanish">' in text  # the languages offered, to pick from
    assert "No referrals yet" in text
    assert AccessLog.objects.filter(client_id=north_client.pk, user=case_manager).exists()


def test_clearing_the_defaults_widens_the_list(
    as_user: Callable[[User], HttpClient], case_manager: User, north_client: Client
) -> None:
    fitting_service(name="Fits")
    fitting_service(name="Tampa", cities=[("Tampa", "33601")])
    response = as_user(case_manager).get(search_url(north_client, filtered="1"))
    assert [row.service.name for row in response.context["rows"]] == ["Fits", "Tampa"]


def test_search_without_a_client(as_user: Callable[[User], HttpClient], case_manager: User) -> None:
    ServiceFactory.create(name="Food Pantry", description="Groceries")
    ServiceFactory.create(name="Shelter")
    response = as_user(case_manager).get(search_url(q="groceries", filtered="1"))
    assert response.status_code == 200
    assert [row.service.name for row in response.context["rows"]] == ["Food Pantry"]
    text = response.content.decode()
    assert 'name="offer"' not in text
    assert "fit-lines" not in text


def test_results_offer_services_to_the_client(
    as_user: Callable[[User], HttpClient], case_manager: User, north_client: Client
) -> None:
    chosen = fitting_service(name="Chosen earlier")
    other = fitting_service(name="Another")
    web = as_user(case_manager)
    text = web.get(search_url(north_client, goal="7", offer=str(chosen.pk))).content.decode()
    action = reverse("referrals:referral_new", args=[north_client.pk])
    assert f'action="{action}"' in text
    assert '<input type="hidden" name="goal" value="7">' in text
    assert f'name="offer" value="{other.pk}" id="offer-{other.pk}">' in text
    # The service chosen before stays ticked where it is listed, and is named above.
    assert f'name="offer" value="{chosen.pk}" id="offer-{chosen.pk}" checked>' in text
    assert "1 service chosen to offer the client" in text
    assert text.count(f'value="{chosen.pk}"') == 1


def test_a_choice_not_on_this_page_is_kept(
    as_user: Callable[[User], HttpClient], case_manager: User, north_client: Client
) -> None:
    chosen = fitting_service(name="Chosen earlier")
    fitting_service(name="Another")
    text = (
        as_user(case_manager)
        .get(search_url(north_client, q="another", offer=str(chosen.pk)) + "&offer=junk")
        .content.decode()
    )
    assert f'name="offer" value="{chosen.pk}" id="offered-{chosen.pk}" checked>' in text
    assert "Chosen earlier" in text
    assert "junk" not in text


def test_a_bad_goal_is_not_passed_on(
    as_user: Callable[[User], HttpClient], case_manager: User, north_client: Client
) -> None:
    fitting_service()
    text = as_user(case_manager).get(search_url(north_client, goal="x%22")).content.decode()
    assert 'name="goal"' not in text


def test_stale_services_are_flagged_in_results(
    as_user: Callable[[User], HttpClient], case_manager: User, north_client: Client
) -> None:
    fitting_service(name="Old", last_verified_on=timezone.localdate() - dt.timedelta(days=181))
    fitting_service(name="Fresh", last_verified_on=timezone.localdate() - dt.timedelta(days=180))
    rows = as_user(case_manager).get(search_url(north_client)).context["rows"]
    warnings = {row.service.name: row.warning for row in rows}
    assert warnings["Fresh"] is None
    assert (warnings["Old"] or "").startswith("Not verified since")


def test_bad_filter_input_shows_an_error_not_a_crash(
    as_user: Callable[[User], HttpClient], case_manager: User
) -> None:
    ServiceFactory.create(name="Pantry")
    response = as_user(case_manager).get(
        search_url(filtered="1", max_wait_days="soon", category="not-a-term", payer="gold")
    )
    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()
    assert [row.service.name for row in response.context["rows"]] == ["Pantry"]


def test_htmx_gets_only_the_results(
    as_user: Callable[[User], HttpClient], case_manager: User, north_client: Client
) -> None:
    fitting_service(name="Fits")
    response = as_user(case_manager).get(search_url(north_client), headers={"HX-Request": "true"})
    text = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in text
    assert 'id="results"' in text
    assert "Fits" in text
    assert 'hx-swap-oob="true"' in text


def test_browse_htmx_gets_only_the_results(
    as_user: Callable[[User], HttpClient], case_manager: User
) -> None:
    ServiceFactory.create(name="Pantry")
    response = as_user(case_manager).get(
        reverse("referrals:directory") + "?q=pan", headers={"HX-Request": "true"}
    )
    text = response.content.decode()
    assert "<html" not in text
    assert "Pantry" in text


def test_results_are_paginated(as_user: Callable[[User], HttpClient], case_manager: User) -> None:
    for n in range(25):
        ServiceFactory.create(name=f"Service {n:02d}")
    web = as_user(case_manager)
    first = web.get(search_url(filtered="1"))
    assert len(first.context["rows"]) == 20
    assert "page=2" in first.content.decode()
    second = web.get(search_url(filtered="1", page="2"))
    assert second.context["rows"][0].service.name == "Service 20"
    assert len(second.context["rows"]) == 5


@pytest.fixture
def goal(north_client: Client, case_manager: User) -> Goal:
    return plan_with_goal(north_client, case_manager).goals.get()


def _make_results(count: int, goal: Goal, case_manager: User) -> None:
    north_client = goal.plan.client
    housing = TermFactory.create(name="Housing")
    sent = timezone.localdate() - dt.timedelta(days=20)
    for _ in range(count):
        service = fitting_service(categories=[housing], organization=OrganizationFactory.create())
        make_referral(
            service=service,
            client=north_client,
            goal=goal,
            case_manager=case_manager,
            status=ReferralStatus.COMPLETED,
            sent_on=sent,
            started_after_days=3,
        )


def test_search_query_count_does_not_grow_with_results(
    as_user: Callable[[User], HttpClient], case_manager: User, north_client: Client, goal: Goal
) -> None:
    web = as_user(case_manager)
    url = search_url(north_client)
    _make_results(5, goal, case_manager)
    web.get(url)  # warm any per-process caches
    with CaptureQueriesContext(connection) as five:
        assert len(web.get(url).context["rows"]) == 5
    _make_results(35, goal, case_manager)
    with CaptureQueriesContext(connection) as forty:
        response = web.get(url)
    assert len(response.context["rows"]) == 20
    assert response.context["page"].paginator.count == 40
    assert len(forty) == len(five), [q["sql"][:120] for q in forty.captured_queries]
    assert "Accepted 1 of 1 referral; median 3 days to start" in response.content.decode()


def test_browse_query_count_does_not_grow_with_results(
    as_user: Callable[[User], HttpClient], case_manager: User, goal: Goal
) -> None:
    web = as_user(case_manager)
    url = reverse("referrals:directory")
    _make_results(3, goal, case_manager)
    web.get(url)
    with CaptureQueriesContext(connection) as few:
        web.get(url)
    _make_results(30, goal, case_manager)
    with CaptureQueriesContext(connection) as many:
        web.get(url)
    assert len(many) == len(few)
    with CaptureQueriesContext(connection) as few_orgs:
        web.get(url + "?show=organizations")
    _make_results(5, goal, case_manager)
    with CaptureQueriesContext(connection) as many_orgs:
        web.get(url + "?show=organizations")
    assert len(many_orgs) == len(few_orgs)


# --- A service without an organization ----------------------------------------------------

NO_ORGANIZATION = (
    "This service has no organization in the directory: an administrator completes the entry "
    "before referrals are made to it."
)


def test_a_service_without_organization_shows_without_none(
    as_user: Callable[[User], HttpClient], case_manager: User, admin: User
) -> None:
    from referrals.services.directory import service_search_vectors_refresh

    service = ServiceFactory.create(name="Orphan Shelter", organization=None)
    service_search_vectors_refresh(service_ids=[service.pk])
    assert Service.objects.filter(pk=service.pk, search_vector__isnull=False).exists()
    assert not service.is_internal

    page = as_user(case_manager).get(reverse("referrals:directory_service", args=[service.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Organization not recorded" in text
    assert NO_ORGANIZATION in text
    assert "None" not in text

    web = as_user(admin)
    edit = web.get(reverse("referrals:directory_service_edit", args=[service.pk]))
    assert edit.status_code == 200
    assert "None" not in edit.content.decode()


def test_search_offers_no_service_without_organization(
    as_user: Callable[[User], HttpClient], case_manager: User, north_client: Client
) -> None:
    from referrals.services.directory import service_search_vectors_refresh

    orphan = fitting_service(name="Orphan Shelter", organization=None)
    kept = fitting_service(name="Kept Shelter")
    service_search_vectors_refresh(service_ids=[orphan.pk, kept.pk])
    web = as_user(case_manager)
    response = web.get(search_url(north_client, q="shelter", offer=str(orphan.pk)))
    assert response.status_code == 200
    names = {row.service.name for row in response.context["rows"]}
    assert names == {"Orphan Shelter", "Kept Shelter"}
    text = response.content.decode()
    assert f'name="offer" value="{kept.pk}"' in text
    assert f'name="offer" value="{orphan.pk}"' not in text
    assert NO_ORGANIZATION in text
    assert "None" not in text
    # Nor can it be offered by editing the address: the referral form leaves it out, and
    # with nothing else offered sends the case manager back to the search.
    form = web.get(
        reverse("referrals:referral_new", args=[north_client.pk]) + f"?offer={orphan.pk}"
    )
    assert form.status_code == 302
