"""Assessment pages: access by role for every URL, start, the draft form (save, complete,
errors beside fields, nothing typed lost), completed ones read-only, the comparison, the
access log, and a list whose query count does not grow with rows."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from careplans.models import Assessment, AssessmentStatus, Barrier, Domain, NeedLevel
from careplans.services import assessments as services
from casemgmt.accounts.models import Team, User
from casemgmt.audit.models import AccessAction, AccessLog
from clients.models import Client

from ..factories import make_client
from .test_assessments import completed

pytestmark = pytest.mark.django_db


def _login(http: HttpClient, user: User) -> HttpClient:
    http.force_login(user)
    return http


def _form(action: str = "save", **overrides: Any) -> dict[str, Any]:
    """The draft form as a browser posts it: every domain low, with notes."""
    data: dict[str, Any] = {
        "action": action,
        "assessed_on": timezone.localdate().isoformat(),
        "strengths": "Plays guitar at church; close to her sister.",
        "barriers": [Barrier.NO_TRANSPORT, Barrier.FINANCIAL_STRAIN],
        "barrier_notes": "Bus pass ran out.",
        "client_words": "I want my own place and to feel less down.",
    }
    for domain in Domain.values:
        data[f"{domain}_level"] = NeedLevel.LOW
        data[f"{domain}_notes"] = f"About {domain}."
    data.update(overrides)
    return data


@pytest.fixture
def history(case_manager: User, north_client: Client) -> dict[str, Assessment]:
    """Two completed assessments of the North client and a reassessment in progress."""
    first = completed(
        case_manager,
        north_client,
        assessed_on=timezone.localdate() - dt.timedelta(days=100),
        housing=NeedLevel.HIGH,
        employment_education=NeedLevel.LOW,
    )
    second = completed(
        case_manager,
        north_client,
        assessed_on=timezone.localdate() - dt.timedelta(days=10),
        housing=NeedLevel.MODERATE,
        employment_education=NeedLevel.HIGH,
    )
    draft = services.assessment_start(actor=case_manager, client=north_client)
    return {"first": first, "second": second, "draft": draft}


def _url(name: str, client: Client, history: dict[str, Assessment]) -> str:
    if name == "careplans:assessment_detail":
        return reverse(name, args=[client.pk, history["second"].pk])
    if name == "careplans:assessment_edit":
        return reverse(name, args=[client.pk, history["draft"].pk])
    if name == "careplans:assessment_compare":
        return (
            reverse(name, args=[client.pk]) + f"?a={history['first'].pk}&b={history['second'].pk}"
        )
    return reverse(name, args=[client.pk])


READ_PAGES = [
    "careplans:assessment_list",
    "careplans:assessment_detail",
    "careplans:assessment_compare",
]
ROLES_READING = {
    "case_manager": 200,
    "supervisor": 200,
    "teammate": 200,
    "other_team_case_manager": 404,
    "other_team_supervisor": 404,
    "admin": 404,
}
ROLES_WRITING = {**ROLES_READING, "teammate": 403}


@pytest.mark.parametrize("page", READ_PAGES)
@pytest.mark.parametrize(("role", "expected"), ROLES_READING.items())
def test_read_pages_by_role(
    request: pytest.FixtureRequest,
    client: HttpClient,
    north_client: Client,
    history: dict[str, Assessment],
    page: str,
    role: str,
    expected: int,
) -> None:
    user = request.getfixturevalue(role)
    response = _login(client, user).get(_url(page, north_client, history))
    assert response.status_code == expected


@pytest.mark.parametrize(("role", "expected"), ROLES_WRITING.items())
def test_edit_page_by_role(
    request: pytest.FixtureRequest,
    client: HttpClient,
    north_client: Client,
    history: dict[str, Assessment],
    role: str,
    expected: int,
) -> None:
    user = request.getfixturevalue(role)
    http = _login(client, user)
    url = _url("careplans:assessment_edit", north_client, history)
    assert http.get(url).status_code == expected
    response = http.post(url, _form(client_words="Changed by someone"))
    assert response.status_code == (302 if expected == 200 else expected)
    history["draft"].refresh_from_db()
    changed = history["draft"].client_words == "Changed by someone"
    assert changed is (expected == 200)


@pytest.mark.parametrize(
    ("role", "expected"),
    {**ROLES_WRITING, "case_manager": 302, "supervisor": 302}.items(),
)
def test_start_by_role(
    request: pytest.FixtureRequest,
    client: HttpClient,
    north_client: Client,
    role: str,
    expected: int,
) -> None:
    user = request.getfixturevalue(role)
    response = _login(client, user).post(
        reverse("careplans:assessment_start", args=[north_client.pk])
    )
    assert response.status_code == expected
    assert Assessment.objects.filter(client=north_client).count() == (1 if expected == 302 else 0)


@pytest.mark.parametrize("page", ["careplans:assessment_start", "careplans:assessment_compare"])
def test_wrong_methods_are_refused(
    client: HttpClient, case_manager: User, north_client: Client, page: str
) -> None:
    http = _login(client, case_manager)
    url = reverse(page, args=[north_client.pk])
    response = http.get(url) if page.endswith("start") else http.post(url)
    assert response.status_code == 405


def test_list_offers_intake_then_reassessment_and_shows_counts(
    client: HttpClient, case_manager: User, north_client: Client
) -> None:
    http = _login(client, case_manager)
    url = reverse("careplans:assessment_list", args=[north_client.pk])
    page = http.get(url).content.decode()
    assert "Start intake assessment" in page and "No assessments yet." in page
    assert 'aria-current="page"' in page  # the Assessments tab is the current one
    completed(case_manager, north_client, housing=NeedLevel.HIGH, legal=NeedLevel.MODERATE)
    page = http.get(url).content.decode()
    assert "Start reassessment" in page and "Start intake assessment" not in page
    assert "update what has changed" in page
    assert (
        "Intake assessment" in page and "Completed" in page and "completed by Casey North" in page
    )
    response = http.get(url)
    (row,) = response.context["assessments"]
    assert (row.high_needs, row.moderate_needs) == (1, 1)


def test_list_for_a_teammate_is_read_only(
    client: HttpClient, case_manager: User, teammate: User, north_client: Client
) -> None:
    completed(case_manager, north_client)
    page = _login(client, teammate).get(
        reverse("careplans:assessment_list", args=[north_client.pk])
    )
    body = page.content.decode()
    assert "Start reassessment" not in body
    assert "You can read these assessments" in body


def test_list_offers_comparison_of_two_completed(
    client: HttpClient, north_client: Client, case_manager: User, history: dict[str, Assessment]
) -> None:
    response = _login(client, case_manager).get(
        reverse("careplans:assessment_list", args=[north_client.pk])
    )
    body = response.content.decode()
    assert "Compare two assessments" in body
    assert "Continue the assessment in progress" in body
    assert response.context["compare_first"] == history["first"]
    assert response.context["compare_second"] == history["second"]
    assert [a.pk for a in response.context["completed"]] == [
        history["second"].pk,
        history["first"].pk,
    ]


def test_start_creates_a_draft_and_a_second_start_opens_it(
    client: HttpClient, case_manager: User, north_client: Client
) -> None:
    http = _login(client, case_manager)
    url = reverse("careplans:assessment_start", args=[north_client.pk])
    response = http.post(url)
    draft = Assessment.objects.get(client=north_client)
    edit_url = reverse("careplans:assessment_edit", args=[north_client.pk, draft.pk])
    assert response["Location"] == edit_url
    again = http.post(url, follow=True)
    assert again.redirect_chain[-1][0] == edit_url
    assert "already has an assessment in progress" in again.content.decode()
    assert Assessment.objects.filter(client=north_client).count() == 1


def test_reassessment_page_says_it_is_prefilled(
    client: HttpClient, case_manager: User, north_client: Client
) -> None:
    previous = completed(case_manager, north_client, housing=NeedLevel.HIGH)
    http = _login(client, case_manager)
    response = http.post(reverse("careplans:assessment_start", args=[north_client.pk]), follow=True)
    body = response.content.decode()
    assert "The reassessment is started from the answers of the last completed" in body
    assert "filled in with the answers of the assessment of" in body
    assert response.context["previous"] == previous
    form = response.context["form"]
    assert form["housing_level"].value() == NeedLevel.HIGH
    assert form["client_words"].value() == previous.client_words


def test_edit_page_has_a_fieldset_and_legend_per_domain(
    client: HttpClient, case_manager: User, north_client: Client
) -> None:
    draft = services.assessment_start(actor=case_manager, client=north_client)
    body = (
        _login(client, case_manager)
        .get(reverse("careplans:assessment_edit", args=[north_client.pk, draft.pk]))
        .content.decode()
    )
    for domain in Domain:
        assert f'id="domain-{domain.value}"' in body
        assert f"<legend>{domain.label}</legend>" in body
        assert f'<label class="form-check-label" for="id_{domain.value}_level_0">' in body
        assert f'for="id_{domain.value}_notes"' in body
    assert body.count("<fieldset") >= 2 * len(Domain)
    assert "Save draft" in body and "Complete assessment" in body
    assert 'for="id_client_words"' in body


def test_save_draft_keeps_everything_and_stays_a_draft(
    client: HttpClient, case_manager: User, north_client: Client
) -> None:
    draft = services.assessment_start(actor=case_manager, client=north_client)
    url = reverse("careplans:assessment_edit", args=[north_client.pk, draft.pk])
    response = _login(client, case_manager).post(
        url, _form(housing_level=NeedLevel.HIGH, housing_notes="Eviction on the 30th.")
    )
    assert response.status_code == 302 and response["Location"] == url
    draft.refresh_from_db()
    assert draft.status == AssessmentStatus.DRAFT
    assert draft.barriers == [Barrier.FINANCIAL_STRAIN, Barrier.NO_TRANSPORT]
    housing = draft.needs.get(domain=Domain.HOUSING)
    assert (housing.level, housing.notes) == (NeedLevel.HIGH, "Eviction on the 30th.")
    assert housing.history.latest().history_user == case_manager


def test_complete_through_the_page(
    client: HttpClient, case_manager: User, north_client: Client
) -> None:
    draft = services.assessment_start(actor=case_manager, client=north_client)
    response = _login(client, case_manager).post(
        reverse("careplans:assessment_edit", args=[north_client.pk, draft.pk]),
        _form("complete"),
    )
    assert response["Location"] == reverse(
        "careplans:assessment_detail", args=[north_client.pk, draft.pk]
    )
    draft.refresh_from_db()
    assert draft.status == AssessmentStatus.COMPLETED
    assert draft.completed_by == case_manager
    assert draft.history.latest().history_user == case_manager


def test_completing_too_early_shows_the_problems_and_loses_nothing(
    client: HttpClient, case_manager: User, north_client: Client
) -> None:
    draft = services.assessment_start(actor=case_manager, client=north_client)
    response = _login(client, case_manager).post(
        reverse("careplans:assessment_edit", args=[north_client.pk, draft.pk]),
        _form(
            "complete",
            housing_level=NeedLevel.NOT_ASSESSED,
            housing_notes="",
            legal_level=NeedLevel.NOT_ASSESSED,
            legal_notes="",
            client_words="",
            strengths="Typed before the error",
        ),
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "There is a problem" in body
    assert body.count("Still missing: Housing, Legal.") == 1  # in the summary, not twice
    assert 'href="#id_housing_level_0"' in body and "Housing — need level" in body
    assert 'href="#id_client_words"' in body
    assert 'id="id_housing_level_error"' in body  # beside the field too
    assert "Typed before the error" in body
    assert "saved in the draft" in body
    draft.refresh_from_db()
    assert draft.status == AssessmentStatus.DRAFT
    assert draft.strengths == "Typed before the error"


def test_bad_input_is_shown_beside_the_field_and_saves_nothing(
    client: HttpClient, case_manager: User, north_client: Client
) -> None:
    draft = services.assessment_start(actor=case_manager, client=north_client)
    future = (timezone.localdate() + dt.timedelta(days=2)).isoformat()
    url = reverse("careplans:assessment_edit", args=[north_client.pk, draft.pk])
    http = _login(client, case_manager)
    for bad in ({"assessed_on": "31/02/2024"}, {"assessed_on": future}, {"barriers": ["bad"]}):
        response = http.post(url, _form(strengths="Kept after the error", **bad))
        assert response.status_code == 200
        form = response.context["form"]
        assert set(form.errors) == ({"barriers"} if "barriers" in bad else {"assessed_on"})
        assert "Kept after the error" in response.content.decode()
    draft.refresh_from_db()
    assert draft.strengths == ""


def test_a_completed_assessment_redirects_and_refuses_posts(
    client: HttpClient, case_manager: User, north_client: Client
) -> None:
    done = completed(case_manager, north_client)
    url = reverse("careplans:assessment_edit", args=[north_client.pk, done.pk])
    detail = reverse("careplans:assessment_detail", args=[north_client.pk, done.pk])
    http = _login(client, case_manager)
    response = http.get(url, follow=True)
    assert response.redirect_chain[0] == (detail, 302)
    assert "A completed assessment cannot be changed; start a reassessment." in (
        response.content.decode()
    )
    response = http.post(url, _form("complete", client_words="Overwritten"), follow=True)
    assert response.redirect_chain[0] == (detail, 302)
    assert "start a reassessment" in response.content.decode()
    done.refresh_from_db()
    assert done.client_words == "I want a place of my own."


def test_autosave_through_htmx_returns_the_status_only(
    client: HttpClient, case_manager: User, north_client: Client
) -> None:
    draft = services.assessment_start(actor=case_manager, client=north_client)
    url = reverse("careplans:assessment_edit", args=[north_client.pk, draft.pk])
    http = _login(client, case_manager)
    data = _form(client_words="Saved as I type")
    del data["action"]
    response = http.post(url, {**data, "autosave": "1"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body and 'id="autosave-status"' in body
    assert "Draft saved automatically." in body
    draft.refresh_from_db()
    assert draft.client_words == "Saved as I type"
    assert draft.status == AssessmentStatus.DRAFT
    bad = http.post(
        url, {**data, "assessed_on": "nonsense", "autosave": "1"}, headers={"HX-Request": "true"}
    )
    assert "Not saved automatically" in bad.content.decode()


def test_detail_groups_needs_high_first_and_quotes_the_client(
    client: HttpClient, teammate: User, north_client: Client, case_manager: User
) -> None:
    done = completed(
        case_manager,
        north_client,
        words="I want to see my kids on weekends.",
        safety=NeedLevel.HIGH,
        housing=NeedLevel.MODERATE,
    )
    response = _login(client, teammate).get(
        reverse("careplans:assessment_detail", args=[north_client.pk, done.pk])
    )
    body = response.content.decode()
    assert [g[0] for g in response.context["groups"]] == ["high", "moderate", "low"]
    assert body.index("High need") < body.index("Moderate need") < body.index("Low need")
    assert "<blockquote" in body and "I want to see my kids on weekends." in body
    assert "No transport" in body and "Close to her sister." in body
    assert "Continue the assessment" not in body


def test_compare_marks_changes_in_words(
    client: HttpClient, case_manager: User, north_client: Client, history: dict[str, Assessment]
) -> None:
    # Asked for in either order, the earlier one is shown first.
    url = (
        reverse("careplans:assessment_compare", args=[north_client.pk])
        + f"?a={history['second'].pk}&b={history['first'].pk}"
    )
    response = _login(client, case_manager).get(url)
    assert response.status_code == 200
    comparison = response.context["comparison"]
    assert comparison.first == history["first"]
    body = response.content.decode()
    assert "↓ better" in body  # housing high → moderate
    assert "↑ worse" in body  # employment low → high
    assert "no change" in body


def test_compare_needs_two_assessments_of_this_client(
    client: HttpClient,
    case_manager: User,
    north_client: Client,
    team_north: Team,
    history: dict[str, Assessment],
) -> None:
    http = _login(client, case_manager)
    base = reverse("careplans:assessment_compare", args=[north_client.pk])
    for query in ("", "?a=1", f"?a={history['first'].pk}&b={history['first'].pk}", "?a=x&b=y"):
        response = http.get(base + query, follow=True)
        assert response.redirect_chain[0][0] == reverse(
            "careplans:assessment_list", args=[north_client.pk]
        )
        assert "Choose two different assessments to compare." in response.content.decode()
    other = make_client(case_manager=case_manager, team=team_north)
    elsewhere = completed(case_manager, other)
    response = http.get(base + f"?a={history['first'].pk}&b={elsewhere.pk}")
    assert response.status_code == 404
    response = http.get(
        reverse("careplans:assessment_detail", args=[other.pk, history["first"].pk])
    )
    assert response.status_code == 404


def test_list_detail_and_compare_are_logged(
    client: HttpClient, teammate: User, north_client: Client, history: dict[str, Assessment]
) -> None:
    http = _login(client, teammate)
    for page in READ_PAGES:
        http.get(_url(page, north_client, history))
    entries = AccessLog.objects.filter(user=teammate, client_id=north_client.pk)
    assert entries.count() == 3
    assert {e.action for e in entries} == {AccessAction.VIEW}
    assert {e.path.split("?")[0] for e in entries} == {
        _url(p, north_client, history).split("?")[0] for p in READ_PAGES
    }


def test_list_query_count_does_not_grow_with_rows(
    client: HttpClient, case_manager: User, north_client: Client
) -> None:
    http = _login(client, case_manager)
    url = reverse("careplans:assessment_list", args=[north_client.pk])
    for _ in range(2):
        completed(case_manager, north_client, housing=NeedLevel.HIGH)
    with CaptureQueriesContext(connection) as two:
        assert http.get(url).status_code == 200
    for _ in range(18):
        completed(case_manager, north_client, legal=NeedLevel.MODERATE)
    with CaptureQueriesContext(connection) as twenty:
        response = http.get(url)
    assert response.status_code == 200
    assert len(response.context["assessments"]) == 20
    assert len(twenty) == len(two), [q["sql"] for q in twenty.captured_queries]


def test_out_of_scope_start_and_edit_change_nothing(
    client: HttpClient,
    other_team_case_manager: User,
    north_client: Client,
    case_manager: User,
) -> None:
    draft = services.assessment_start(actor=case_manager, client=north_client)
    http = _login(client, other_team_case_manager)
    url = reverse("careplans:assessment_edit", args=[north_client.pk, draft.pk])
    assert http.post(url, _form("complete")).status_code == 404
    draft.refresh_from_db()
    assert draft.status == AssessmentStatus.DRAFT


def test_an_empty_post_shows_errors_not_a_server_error(
    client: HttpClient, case_manager: User, north_client: Client
) -> None:
    draft = services.assessment_start(actor=case_manager, client=north_client)
    response = _login(client, case_manager).post(
        reverse("careplans:assessment_edit", args=[north_client.pk, draft.pk]), {}
    )
    assert response.status_code == 200
    assert "assessed_on" in response.context["form"].errors
    assert "Choose a need level, or “Not assessed”." in response.content.decode()
