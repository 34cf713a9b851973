"""Provider search: full-text relevance, each filter alone and together, how a client fits a
service line by line, and the providers' quality figures."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from casemgmt.accounts.models import User
from clients.models import Client, PayerType
from referrals.directory_selectors import (
    Fit,
    FitLine,
    Quality,
    client_fit,
    search_services,
    service_quality,
)
from referrals.models import Referral, ReferralStatus, Service, ServiceStatus

from ..careplans.plan_fixtures import plan_with_goal
from .dir_factories import OrganizationFactory, ServiceFactory, TermFactory, make_referral

pytestmark = pytest.mark.django_db


def names(rows: object) -> list[str]:
    return [s.name for s in rows]  # type: ignore[attr-defined]


# --- Relevance ----------------------------------------------------------------------------


def test_a_query_finds_by_name_description_and_category() -> None:
    housing = TermFactory.create(name="Housing")
    by_name = ServiceFactory.create(name="Eviction Defense Clinic")
    by_description = ServiceFactory.create(
        name="Legal Aid Walk-in", description="Lawyers help tenants facing eviction."
    )
    by_category = ServiceFactory.create(name="Bridge Program", categories=[housing])
    ServiceFactory.create(name="Food Pantry", description="Groceries every Tuesday.")

    assert set(names(search_services(q="eviction"))) == {by_name.name, by_description.name}
    assert names(search_services(q="housing")) == [by_category.name]
    # Stemming: "evicted" finds "eviction".
    assert by_name.name in names(search_services(q="evicted"))


def test_name_matches_rank_before_description_matches() -> None:
    ServiceFactory.create(
        name="Alpha Legal Aid",
        description="Counseling referrals, counseling groups and counseling for families.",
    )
    ServiceFactory.create(name="Zeta Counseling Center", description="Walk-in hours.")
    assert names(search_services(q="counseling")) == [
        "Zeta Counseling Center",
        "Alpha Legal Aid",
    ]


def test_the_organization_name_is_searchable() -> None:
    org = OrganizationFactory.create(name="Catholic Charities")
    ServiceFactory.create(name="Rent help", organization=org)
    assert names(search_services(q="charities")) == ["Rent help"]


def test_a_query_without_lexemes_falls_back_to_the_name() -> None:
    ServiceFactory.create(name="The A-Team")
    ServiceFactory.create(name="Other")
    ServiceFactory.create(name="Food")
    # "the" is a stop word: no lexemes, so the name is matched as typed.
    assert names(search_services(q="the")) == ["Other", "The A-Team"]
    assert names(search_services(q="the a-")) == ["The A-Team"]


def test_an_unfinished_word_finds_the_name_while_typing() -> None:
    ServiceFactory.create(name="Hope House Shelter")
    assert names(search_services(q="Hope Hou")) == ["Hope House Shelter"]


def test_search_syntax_does_not_break_the_query() -> None:
    ServiceFactory.create(name="Food Pantry", description="Groceries")
    for text in ['"unclosed', "a & b | !", "-", "():*", "food -groceries", "'; drop table"]:
        list(search_services(q=text))
    assert names(search_services(q="food -groceries")) == []
    assert names(search_services(q='"food pantry"')) == ["Food Pantry"]


def test_only_active_services_are_offered() -> None:
    ServiceFactory.create(name="Open")
    ServiceFactory.create(name="Closed", status=ServiceStatus.TEMPORARILY_CLOSED)
    assert names(search_services(q="")) == ["Open"]
    assert names(search_services(q="", include_inactive=True)) == ["Closed", "Open"]


# --- Filters ------------------------------------------------------------------------------


def test_category_includes_its_children_and_grandchildren() -> None:
    housing = TermFactory.create(name="Housing")
    rental = TermFactory.create(name="Rental assistance", parent=housing)
    deposits = TermFactory.create(name="Deposits", parent=rental)
    food = TermFactory.create(name="Food")
    ServiceFactory.create(name="Shelter", categories=[housing])
    ServiceFactory.create(name="Rent", categories=[rental])
    ServiceFactory.create(name="Deposit fund", categories=[deposits])
    ServiceFactory.create(name="Pantry", categories=[food])
    ServiceFactory.create(name="Both", categories=[food, rental])

    assert names(search_services(q="", category=housing)) == [
        "Both",
        "Deposit fund",
        "Rent",
        "Shelter",
    ]
    assert names(search_services(q="", category=rental.pk)) == ["Both", "Deposit fund", "Rent"]
    assert names(search_services(q="", category=str(food.pk))) == ["Both", "Pantry"]


def test_language_is_case_insensitive() -> None:
    ServiceFactory.create(name="Bilingual", languages=["English", "Spanish"])
    ServiceFactory.create(name="Lowercase", languages=["spanish"])
    ServiceFactory.create(name="English only", languages=["English"])
    ServiceFactory.create(name="Not listed", languages=[])
    assert names(search_services(q="", language="SPANISH")) == ["Bilingual", "Lowercase"]
    assert names(search_services(q="", language=" english ")) == ["Bilingual", "English only"]


def test_age_fits_with_open_ended_ranges(north_client: Client) -> None:
    with time_machine.travel(dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)):
        age = north_client.age  # born 1984-05-17: 42
        assert age == 42
        ServiceFactory.create(name="Adults", minimum_age=18)
        ServiceFactory.create(name="Youth", maximum_age=24)
        ServiceFactory.create(name="Exactly", minimum_age=42, maximum_age=42)
        ServiceFactory.create(name="Seniors", minimum_age=60)
        ServiceFactory.create(name="Anyone")
        rows = search_services(q="", client=north_client, fits_age=True)
        assert names(rows) == ["Adults", "Anyone", "Exactly"]
        # Without asking for it, age does not filter.
        assert len(search_services(q="", client=north_client)) == 5


def test_payer_keeps_services_that_list_no_payers() -> None:
    ServiceFactory.create(name="Medicaid", payers_accepted=[PayerType.MEDICAID])
    ServiceFactory.create(name="Private", payers_accepted=[PayerType.PRIVATE])
    ServiceFactory.create(name="Unknown", payers_accepted=[])
    assert names(search_services(q="", payer=PayerType.MEDICAID)) == ["Medicaid", "Unknown"]


def test_accepting_new_clients() -> None:
    ServiceFactory.create(name="Open", accepting_new_clients=True)
    ServiceFactory.create(name="Full", accepting_new_clients=False)
    assert names(search_services(q="", accepting_only=True)) == ["Open"]


def test_maximum_wait_drops_unknown_waits() -> None:
    ServiceFactory.create(name="Now", wait_time_days=0)
    ServiceFactory.create(name="Two weeks", wait_time_days=14)
    ServiceFactory.create(name="Month", wait_time_days=30)
    ServiceFactory.create(name="Unknown", wait_time_days=None)
    assert names(search_services(q="", max_wait_days=14)) == ["Now", "Two weeks"]
    assert names(search_services(q="", max_wait_days=0)) == ["Now"]


def test_internal_and_external() -> None:
    ours = OrganizationFactory.create(name="Our Agency", is_internal=True)
    ServiceFactory.create(name="Our program", organization=ours)
    ServiceFactory.create(name="Their program")
    assert names(search_services(q="", internal=True)) == ["Our program"]
    assert names(search_services(q="", internal=False)) == ["Their program"]
    assert len(search_services(q="", internal=None)) == 2


def test_place_is_city_or_postal_code_of_any_location() -> None:
    ServiceFactory.create(name="Miami only", cities=[("Miami", "33125")])
    ServiceFactory.create(name="Two sites", cities=[("Hialeah", "33010"), ("Miami", "33130-2211")])
    ServiceFactory.create(name="Nowhere")
    assert names(search_services(q="", place="miami")) == ["Miami only", "Two sites"]
    assert names(search_services(q="", place="33130")) == ["Two sites"]
    assert names(search_services(q="", place="33010")) == ["Two sites"]
    assert names(search_services(q="", place="331")) == []


def test_filters_combine(north_client: Client) -> None:
    housing = TermFactory.create(name="Housing")
    good = {
        "categories": [housing],
        "languages": ["Spanish"],
        "payers_accepted": [PayerType.MEDICAID],
        "accepting_new_clients": True,
        "wait_time_days": 7,
        "minimum_age": 18,
        "cities": [("Miami", "33125")],
        "description": "Rapid re-housing for families",
    }
    ServiceFactory.create(name="Fits everything", **good)
    ServiceFactory.create(name="Wrong language", **{**good, "languages": ["English"]})
    ServiceFactory.create(name="Full", **{**good, "accepting_new_clients": False})
    ServiceFactory.create(name="Long wait", **{**good, "wait_time_days": 90})
    ServiceFactory.create(name="Youth", **{**good, "minimum_age": 12, "maximum_age": 21})
    ServiceFactory.create(name="Elsewhere", **{**good, "cities": [("Tampa", "33601")]})
    ServiceFactory.create(name="Private", **{**good, "payers_accepted": [PayerType.PRIVATE]})
    ServiceFactory.create(name="Other need", **{**good, "categories": [], "description": "x"})
    rows = search_services(
        q="re-housing",
        category=housing,
        language="spanish",
        client=north_client,
        fits_age=True,
        payer=PayerType.MEDICAID,
        accepting_only=True,
        max_wait_days=14,
        internal=False,
        place="Miami",
    )
    assert names(rows) == ["Fits everything"]


def test_search_is_one_query() -> None:
    housing = TermFactory.create(name="Housing")
    for n in range(3):
        ServiceFactory.create(name=f"Shelter {n}", categories=[housing], languages=["Spanish"])
    with CaptureQueriesContext(connection) as queries:
        rows = list(
            search_services(
                q="shelter", category=housing, language="spanish", place="Miami", max_wait_days=3
            )
        )
    assert rows == []
    assert len(queries) == 1


# --- The client's fit ---------------------------------------------------------------------


def fit(service: Service, client: Client, topic: str) -> FitLine:
    return next(line for line in client_fit(service, client) if line.topic == topic)


@pytest.fixture
def forty_two(north_client: Client) -> Client:
    """Maria, 42 on the travelled-to day; Spanish (also English), Medicaid."""
    return north_client


@time_machine.travel(dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC))
@pytest.mark.parametrize(
    ("low", "high", "status", "words"),
    [
        (18, None, Fit.FITS, "Serves ages 18 and over; the client is 42."),
        (18, 64, Fit.FITS, "Serves ages 18 to 64; the client is 42."),
        (None, 42, Fit.FITS, "Serves ages up to 42; the client is 42."),
        (43, None, Fit.DOES_NOT_FIT, "Serves ages 43 and over; the client is 42, outside"),
        (12, 21, Fit.DOES_NOT_FIT, "Serves ages 12 to 21; the client is 42, outside"),
        (None, None, Fit.UNKNOWN, "No age range listed; the client is 42."),
    ],
)
def test_age_line(
    forty_two: Client, low: int | None, high: int | None, status: str, words: str
) -> None:
    service = ServiceFactory.create(minimum_age=low, maximum_age=high)
    line = fit(service, forty_two, "age")
    assert line.status == status
    assert words in line.text


def test_language_offered(forty_two: Client) -> None:
    service = ServiceFactory.create(languages=["english", "spanish"])
    line = fit(service, forty_two, "language")
    assert line.status == Fit.FITS
    assert line.text == "Offers spanish."
    assert line.status_label == "Fits"


def test_language_not_offered_says_what_is(forty_two: Client) -> None:
    service = ServiceFactory.create(
        languages=["English", "French"], interpretation_services="Language Line by phone."
    )
    line = fit(service, forty_two, "language")
    assert line.status == Fit.DOES_NOT_FIT
    assert "Does not list Spanish (offers English, French)." in line.text
    assert "The client also speaks English." in line.text
    assert "Interpreter services: Language Line by phone." in line.text


def test_language_not_listed_is_unknown_and_interpreter_need_is_said(
    forty_two: Client,
) -> None:
    Client.objects.filter(pk=forty_two.pk).update(interpreter_needed=True)
    forty_two.refresh_from_db()
    line = fit(ServiceFactory.create(languages=[]), forty_two, "language")
    assert line.status == Fit.UNKNOWN
    assert "No languages listed; ask about Spanish." in line.text
    assert "needs an interpreter" in line.text


@pytest.mark.parametrize(
    ("payers", "status", "words"),
    [
        ([PayerType.MEDICAID, PayerType.PRIVATE], Fit.FITS, "Accepts Medicaid."),
        (
            [PayerType.PRIVATE, PayerType.MEDICARE],
            Fit.DOES_NOT_FIT,
            "Medicaid is not listed (accepts Private insurance, Medicare).",
        ),
        ([], Fit.UNKNOWN, "Payers not listed; ask the provider about Medicaid."),
    ],
)
def test_payer_line(forty_two: Client, payers: list[str], status: str, words: str) -> None:
    line = fit(ServiceFactory.create(payers_accepted=payers), forty_two, "payer")
    assert line.status == status
    assert line.text == words


def test_accepting_wait_and_eligibility_lines(forty_two: Client) -> None:
    service = ServiceFactory.create(
        accepting_new_clients=False,
        capacity_note="Waitlist opens in March.",
        wait_time_days=None,
        wait_time="2-3 weeks",
        eligibility_description="Residents of Dade County with an eviction notice.",
    )
    lines = {line.topic: line for line in client_fit(service, forty_two)}
    assert list(lines) == ["age", "language", "payer", "accepting", "wait", "eligibility"]
    assert lines["accepting"].status == Fit.DOES_NOT_FIT
    assert lines["accepting"].text == "Not accepting new clients. Waitlist opens in March."
    assert lines["wait"].status == Fit.UNKNOWN
    assert lines["wait"].text == "Wait not verified. Published: 2-3 weeks"
    assert lines["eligibility"].status == Fit.READ
    assert lines["eligibility"].text == "Residents of Dade County with an eviction notice."

    service.accepting_new_clients = True
    service.wait_time_days = 12
    lines = {line.topic: line for line in client_fit(service, forty_two)}
    assert lines["accepting"].status == Fit.FITS
    assert lines["wait"].text == "About 12 days' wait."


# --- Quality ------------------------------------------------------------------------------


Refer = Callable[..., Referral]


@pytest.fixture
def refer(north_client: Client, case_manager: User) -> Refer:
    """make_referral for Maria's plan goal, by her case manager."""
    goal = plan_with_goal(north_client, case_manager).goals.get()
    return functools.partial(
        make_referral, client=north_client, goal=goal, case_manager=case_manager
    )


def test_quality_hand_computed(refer: Refer) -> None:
    """10 sent: 8 accepted or later, 2 declined; starts 5, 12 and 20 days after sending."""
    service = ServiceFactory.create()
    sent = timezone.localdate() - dt.timedelta(days=60)
    statuses = [
        (ReferralStatus.ACCEPTED, None),
        (ReferralStatus.ACCEPTED, None),
        (ReferralStatus.ACCEPTED, None),
        (ReferralStatus.IN_PROGRESS, 5),
        (ReferralStatus.IN_PROGRESS, 12),
        (ReferralStatus.COMPLETED, 20),
        (ReferralStatus.ON_HOLD, None),
        (ReferralStatus.ON_HOLD, None),
        (ReferralStatus.REJECTED, None),
        (ReferralStatus.REJECTED, None),
    ]
    for status, started in statuses:
        refer(service=service, status=status, sent_on=sent, started_after_days=started)
    # Not counted: never sent, cancelled, failed, and still waiting for an answer.
    refer(service=service, status=ReferralStatus.DRAFT)
    refer(service=service, status=ReferralStatus.CANCELLED, sent_on=sent)
    refer(service=service, status=ReferralStatus.FAILED, sent_on=sent)
    refer(service=service, status=ReferralStatus.SENT, sent_on=sent)

    quality = service_quality([service.pk])[service.pk]
    assert (quality.accepted, quality.answered) == (8, 10)
    assert quality.acceptance_rate == 0.8
    assert quality.median_days_to_start == 12
    assert quality.summary == "Accepted 8 of 10 referrals; median 12 days to start"


def test_quality_median_of_an_even_count_and_no_referrals(
    refer: Refer,
) -> None:
    busy = ServiceFactory.create()
    quiet = ServiceFactory.create()
    waiting = ServiceFactory.create()
    sent = timezone.localdate() - dt.timedelta(days=40)
    for days in (4, 9):
        refer(service=busy, status=ReferralStatus.COMPLETED, sent_on=sent, started_after_days=days)
    refer(service=waiting, status=ReferralStatus.SENT, sent_on=sent)

    figures = service_quality([busy.pk, quiet.pk, waiting.pk])
    assert figures[busy.pk].median_days_to_start == 6.5
    assert figures[busy.pk].summary == "Accepted 2 of 2 referrals; median 6.5 days to start"
    assert figures[quiet.pk] == Quality()
    assert figures[quiet.pk].summary == "No referrals yet"
    assert figures[waiting.pk].summary == "1 referral sent, not yet answered"


def test_quality_for_many_services_is_one_query(refer: Refer) -> None:
    services = [ServiceFactory.create() for _ in range(6)]
    sent = timezone.localdate() - dt.timedelta(days=10)
    for service in services:
        refer(service=service, status=ReferralStatus.ACCEPTED, sent_on=sent)
    with CaptureQueriesContext(connection) as queries:
        figures = service_quality(s.pk for s in services)
    assert len(queries) == 1
    assert all(
        f.summary == "Accepted 1 of 1 referral; no start dates yet" for f in figures.values()
    )
