"""The Measures tab: who may see and administer, the dynamic form with its errors, the result
page with the crisis action plan, charts with their tables, and query counts that do not grow
with the number of administrations."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from careplans.models import MeasureAdministration
from casemgmt.accounts.models import User
from casemgmt.audit.models import AccessAction, AccessLog
from clients.models import Client, SafetyFlag

from .test_measures import administer, load_instrument

pytestmark = pytest.mark.django_db

CRISIS_TEXT = "Stay with the person, or keep them on the line."


def _login(http: HttpClient, user: User) -> HttpClient:
    http.force_login(user)
    return http


def _form(answers: dict[int, int], day: dt.date | None = None) -> dict[str, str]:
    data = {f"item_{n}": str(v) for n, v in answers.items()}
    data["administered_on"] = (day or timezone.localdate()).isoformat()
    return data


@pytest.fixture
def measure(case_manager: User, north_client: Client) -> MeasureAdministration:
    return administer(case_manager, north_client, "gad-7", total=6)


def _url(page: str, client: Client, measure: MeasureAdministration) -> str:
    if page == "list":
        return reverse("careplans:measure_list", args=[client.pk])
    if page == "new":
        return reverse("careplans:measure_new", args=[client.pk, "phq-9"])
    return reverse("careplans:measure_detail", args=[client.pk, measure.pk])


@pytest.mark.parametrize(
    ("role", "page", "expected"),
    [
        ("case_manager", "list", 200),
        ("case_manager", "new", 200),
        ("case_manager", "detail", 200),
        ("teammate", "list", 200),
        ("teammate", "new", 403),
        ("teammate", "detail", 200),
        ("supervisor", "list", 200),
        ("supervisor", "new", 200),
        ("supervisor", "detail", 200),
        ("other_team_case_manager", "list", 404),
        ("other_team_case_manager", "new", 404),
        ("other_team_case_manager", "detail", 404),
        ("other_team_supervisor", "list", 404),
        ("other_team_supervisor", "new", 404),
        ("other_team_supervisor", "detail", 404),
        ("admin", "list", 404),
        ("admin", "new", 404),
        ("admin", "detail", 404),
    ],
)
def test_role_by_page_matrix(
    request: pytest.FixtureRequest,
    client: HttpClient,
    north_client: Client,
    measure: MeasureAdministration,
    role: str,
    page: str,
    expected: int,
) -> None:
    user = request.getfixturevalue(role)
    response = _login(client, user).get(_url(page, north_client, measure))
    assert response.status_code == expected


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("teammate", 403),
        ("other_team_case_manager", 404),
        ("other_team_supervisor", 404),
        ("admin", 404),
    ],
)
def test_posts_by_those_who_may_not_administer_save_nothing(
    request: pytest.FixtureRequest,
    client: HttpClient,
    north_client: Client,
    role: str,
    expected: int,
) -> None:
    user = request.getfixturevalue(role)
    response = _login(client, user).post(
        reverse("careplans:measure_new", args=[north_client.pk, "phq-9"]),
        _form(dict.fromkeys(range(1, 10), 1)),
    )
    assert response.status_code == expected
    assert not MeasureAdministration.objects.exists()
    assert not SafetyFlag.objects.exists()


def test_a_measure_of_another_client_is_404(
    client: HttpClient,
    case_manager: User,
    north_client: Client,
    team_north: Any,
    measure: MeasureAdministration,
) -> None:
    from ..factories import make_client

    other = make_client(case_manager=case_manager, team=team_north)
    response = _login(client, case_manager).get(
        reverse("careplans:measure_detail", args=[other.pk, measure.pk])
    )
    assert response.status_code == 404


def test_unknown_or_retired_instrument_is_404(
    client: HttpClient, case_manager: User, north_client: Client
) -> None:
    _login(client, case_manager)
    assert (
        client.get(reverse("careplans:measure_new", args=[north_client.pk, "no-such"])).status_code
        == 404
    )
    load_instrument("audit-c")
    from careplans.models import Instrument

    Instrument.objects.filter(code="audit-c").update(is_active=False)
    assert (
        client.get(reverse("careplans:measure_new", args=[north_client.pk, "audit-c"])).status_code
        == 404
    )


def test_form_has_a_fieldset_and_legend_per_item(
    client: HttpClient, case_manager: User, north_client: Client
) -> None:
    load_instrument("phq-9")
    page = (
        _login(client, case_manager)
        .get(reverse("careplans:measure_new", args=[north_client.pk, "phq-9"]))
        .content.decode()
    )
    assert page.count("<fieldset") >= 10  # the instructions, then one per item
    assert "9. Thoughts that you would be better off dead" in page
    assert page.count('type="radio"') == 36
    assert 'name="administered_on"' in page
    assert "Over the last 2 weeks" in page


def test_administer_through_the_page_redirects_to_the_result(
    client: HttpClient, case_manager: User, north_client: Client
) -> None:
    load_instrument("phq-9")
    _login(client, case_manager)
    response = client.post(
        reverse("careplans:measure_new", args=[north_client.pk, "phq-9"]),
        _form({1: 1, 2: 2, 3: 0, 4: 3, 5: 1, 6: 0, 7: 2, 8: 1, 9: 0}),
    )
    measure = MeasureAdministration.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "careplans:measure_detail", args=[north_client.pk, measure.pk]
    )
    assert (measure.total_score, measure.band) == (10, "Moderate")
    result = client.get(response["Location"]).content.decode()
    assert "Moderate" in result and "10" in result
    assert "More than half the days" in result  # item 2's answer as words
    assert CRISIS_TEXT not in result
    assert not SafetyFlag.objects.exists()


def test_missing_answers_show_errors_beside_items_and_save_nothing(
    client: HttpClient, case_manager: User, north_client: Client
) -> None:
    load_instrument("phq-9")
    _login(client, case_manager)
    data = _form({1: 1, 2: 1, 4: 1, 5: 1, 6: 1, 7: 1, 8: 1, 9: 2})
    response = client.post(reverse("careplans:measure_new", args=[north_client.pk, "phq-9"]), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "There is a problem" in page
    assert 'href="#id_item_3_0"' in page
    assert "3. Trouble falling or staying asleep, or sleeping too much: Choose the client" in page
    assert 'id="error_1_id_item_3"' in page or "invalid-feedback" in page
    # What was chosen is kept.
    assert response.context["form"]["item_9"].value() == "2"
    assert re.search(r'<input[^>]*id="id_item_9_2"[^>]*checked', page)
    assert not MeasureAdministration.objects.exists()
    assert not SafetyFlag.objects.exists()


def test_impossible_answer_and_future_date_are_refused(
    client: HttpClient, case_manager: User, north_client: Client
) -> None:
    load_instrument("gad-7")
    _login(client, case_manager)
    data = _form(dict.fromkeys(range(1, 8), 1), timezone.localdate() + dt.timedelta(days=2))
    data["item_4"] = "7"
    response = client.post(reverse("careplans:measure_new", args=[north_client.pk, "gad-7"]), data)
    assert response.status_code == 200
    form = response.context["form"]
    assert "item_4" in form.errors and "administered_on" in form.errors
    assert "The date cannot be in the future." in response.content.decode()
    assert not MeasureAdministration.objects.exists()


def test_item9_answer_flags_the_client_and_the_result_shows_the_crisis_plan(
    client: HttpClient, case_manager: User, north_client: Client
) -> None:
    load_instrument("phq-9")
    _login(client, case_manager)
    response = client.post(
        reverse("careplans:measure_new", args=[north_client.pk, "phq-9"]),
        _form({1: 2, 2: 2, 3: 1, 4: 1, 5: 0, 6: 1, 7: 0, 8: 0, 9: 1}),
        follow=True,
    )
    assert response.status_code == 200
    page = response.content.decode()
    flag = SafetyFlag.objects.get(client=north_client)
    assert flag.is_open and "Several days" in flag.reason
    assert "Safety follow-up needed now" in page
    assert CRISIS_TEXT in page
    assert escape(flag.reason) in page  # the client header shows the open flag too
    assert "needs safety follow-up" in page
    # The list marks it in words, not colour alone.
    listing = client.get(reverse("careplans:measure_list", args=[north_client.pk]))
    assert "Follow-up needed" in listing.content.decode()


def test_agency_crisis_plan_text_is_the_agencys_own(
    client: HttpClient, case_manager: User, north_client: Client
) -> None:
    agency = north_client.team.agency
    agency.crisis_action_plan = "Call Dr. Okafor on 555-0199 at once."
    agency.crisis_line = "988"
    agency.save()
    measure = administer(
        case_manager, north_client, "phq-9", {**dict.fromkeys(range(1, 9), 0), 9: 2}
    )
    page = (
        _login(client, case_manager)
        .get(reverse("careplans:measure_detail", args=[north_client.pk, measure.pk]))
        .content.decode()
    )
    assert "Call Dr. Okafor on 555-0199 at once." in page
    assert "988" in page


def test_list_shows_charts_tables_and_buttons(
    client: HttpClient, case_manager: User, teammate: User, north_client: Client
) -> None:
    today = timezone.localdate()
    for weeks, total in ((8, 18), (4, 12), (0, 7)):
        administer(
            case_manager, north_client, "phq-9", total=total, on=today - dt.timedelta(weeks=weeks)
        )
    administer(case_manager, north_client, "gad-7", total=9, on=today)
    page = (
        _login(client, case_manager)
        .get(reverse("careplans:measure_list", args=[north_client.pk]))
        .content.decode()
    )
    assert page.count("<svg") == 2
    assert "<script" not in page.split("<main", 1)[1].split("</main>", 1)[0]
    assert "PHQ-9 scores as a table" in page and "GAD-7 scores as a table" in page
    assert "Moderately severe" in page and "Mild" in page
    for label in ("Administer PHQ-9", "Administer GAD-7", "Administer AUDIT-C"):
        assert label in page
    assert 'aria-current="page"' in page and "Measures" in page
    teammate_page = (
        _login(HttpClient(), teammate)
        .get(reverse("careplans:measure_list", args=[north_client.pk]))
        .content.decode()
    )
    assert "Administer PHQ-9" not in teammate_page
    assert "<svg" in teammate_page


def test_empty_list(client: HttpClient, case_manager: User, north_client: Client) -> None:
    load_instrument("phq-9")
    page = (
        _login(client, case_manager)
        .get(reverse("careplans:measure_list", args=[north_client.pk]))
        .content.decode()
    )
    assert "No measures recorded yet." in page and "<svg" not in page
    assert "Administer PHQ-9" in page


def test_list_and_detail_views_are_logged(
    client: HttpClient, teammate: User, north_client: Client, measure: MeasureAdministration
) -> None:
    _login(client, teammate)
    client.get(reverse("careplans:measure_list", args=[north_client.pk]))
    client.get(reverse("careplans:measure_detail", args=[north_client.pk, measure.pk]))
    logged = AccessLog.objects.filter(user=teammate, client_id=north_client.pk)
    assert logged.filter(action=AccessAction.VIEW).count() == 2
    assert {row.path for row in logged} == {
        reverse("careplans:measure_list", args=[north_client.pk]),
        reverse("careplans:measure_detail", args=[north_client.pk, measure.pk]),
    }


def test_list_query_count_does_not_grow_with_rows(
    client: HttpClient, case_manager: User, north_client: Client
) -> None:
    today = timezone.localdate()
    url = reverse("careplans:measure_list", args=[north_client.pk])
    _login(client, case_manager)

    def add(count: int, start: int) -> None:
        for n in range(start, start + count):
            code = "phq-9" if n % 2 else "gad-7"
            administer(
                case_manager, north_client, code, total=n % 8, on=today - dt.timedelta(days=n)
            )

    add(3, 0)
    with CaptureQueriesContext(connection) as three:
        assert client.get(url).status_code == 200
    add(27, 3)
    with CaptureQueriesContext(connection) as thirty:
        assert client.get(url).status_code == 200
    assert MeasureAdministration.objects.count() == 30
    assert len(thirty) == len(three), [q["sql"] for q in thirty.captured_queries]


def test_detail_query_count_is_bounded(
    client: HttpClient,
    case_manager: User,
    measure: MeasureAdministration,
    north_client: Client,
    django_assert_max_num_queries: Any,
) -> None:
    _login(client, case_manager)
    with django_assert_max_num_queries(16):
        client.get(reverse("careplans:measure_detail", args=[north_client.pk, measure.pk]))
