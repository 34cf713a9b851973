"""Note search: scoped to the user, ranked, headlines escaped, filters, pages, no access log,
the access matrix and a flat query count."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from casemgmt.accounts.models import Team, User
from casemgmt.audit.models import AccessLog
from clients.models import Client
from notes.selectors import headline_html, note_search

from ..factories import make_client
from .note_fixtures import draft_note, signed_note

pytestmark = pytest.mark.django_db

URL = "notes:search"


def _as(http: HttpClient, user: User) -> HttpClient:
    http.force_login(user)
    return http


def _found(http: HttpClient, **params: str) -> list[int]:
    response = http.get(reverse(URL), params)
    assert response.status_code == 200
    return [note.pk for note, _snippet in response.context["hits"]]


@pytest.fixture
def south_client(other_team_case_manager: User, team_south: Team) -> Client:
    return make_client(
        case_manager=other_team_case_manager,
        team=team_south,
        legal_first_name="Ana",
        legal_last_name="Lopez",
    )


def test_each_user_finds_only_their_scope(
    client: HttpClient,
    case_manager: User,
    teammate: User,
    supervisor: User,
    other_team_case_manager: User,
    other_team_supervisor: User,
    north_client: Client,
    south_client: Client,
) -> None:
    north = signed_note(north_client, case_manager, observations="Eviction notice on the door.")
    south = signed_note(
        south_client, other_team_case_manager, observations="Eviction hearing set for May."
    )
    assert _found(_as(client, case_manager), q="eviction") == [north.pk]
    assert _found(_as(client, teammate), q="eviction") == [north.pk]
    assert _found(_as(client, supervisor), q="eviction") == [north.pk]
    assert _found(_as(client, other_team_case_manager), q="eviction") == [south.pk]
    assert _found(_as(client, other_team_supervisor), q="eviction") == [south.pk]


def test_admin_without_a_clinical_role_gets_404_and_no_query_sees_anything(
    client: HttpClient, admin: User, case_manager: User, north_client: Client
) -> None:
    signed_note(north_client, case_manager, observations="Eviction notice on the door.")
    assert _as(client, admin).get(reverse(URL), {"q": "eviction"}).status_code == 404
    assert not note_search(admin, text="eviction").exists()


def test_anonymous_is_sent_to_login(client: HttpClient) -> None:
    response = client.get(reverse(URL), {"q": "eviction"})
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_drafts_only_of_their_author(
    client: HttpClient, case_manager: User, supervisor: User, north_client: Client
) -> None:
    mine = draft_note(north_client, case_manager, observations="Landlord called twice.")
    theirs = draft_note(north_client, supervisor, observations="Landlord meeting notes.")
    assert _found(_as(client, case_manager), q="landlord") == [mine.pk]
    assert _found(_as(client, supervisor), q="landlord") == [theirs.pk]
    html = _as(client, case_manager).get(reverse(URL), {"q": "landlord"}).content.decode()
    assert "Draft (only you see it)" in html


def test_best_match_first_and_newest_first(
    client: HttpClient, case_manager: User, north_client: Client
) -> None:
    now = timezone.now()
    weak = signed_note(
        north_client,
        case_manager,
        contact_at=now - dt.timedelta(hours=1),
        observations="Mentioned the food pantry once.",
    )
    strong = signed_note(
        north_client,
        case_manager,
        contact_at=now - dt.timedelta(days=3),
        purpose="Food pantry enrolment.",
        observations="Food pantry hours reviewed; pantry card issued by the food pantry.",
    )
    _as(client, case_manager)
    assert _found(client, q="food pantry") == [strong.pk, weak.pk]
    assert _found(client, q="food pantry", order="newest") == [weak.pk, strong.pk]
    assert _found(client, q='"pantry card"') == [strong.pk]
    assert _found(client, q="pantry -card") == [weak.pk]


def test_headline_marks_matches_and_escapes_note_text(
    client: HttpClient, case_manager: User, north_client: Client
) -> None:
    note = signed_note(
        north_client,
        case_manager,
        observations="Typed <script>alert('x')</script> and <b>bold</b> in the housing form.",
        impressions="x < y && <img src=x onerror=alert(1)> housing",
    )
    response = _as(client, case_manager).get(reverse(URL), {"q": "housing"})
    html = response.content.decode()
    assert [n.pk for n, _s in response.context["hits"]] == [note.pk]
    assert "<mark>housing</mark>" in html
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert "<b>bold</b>" not in html
    assert reverse("notes:note_detail", args=[north_client.pk, note.pk]) in html


def test_headline_html_escapes_and_balances() -> None:
    start, stop = "\x02", "\x03"
    assert headline_html(f"a {start}b{stop} <i>c</i>") == "a <mark>b</mark> &lt;i&gt;c&lt;/i&gt;"
    # A marker smuggled in the note itself cannot open an unclosed or nested tag.
    assert headline_html(f"{start}{start}x{stop}{stop} y{start}") == "<mark>x</mark> y<mark></mark>"
    assert headline_html("") == ""
    assert headline_html("\"&'") == "&quot;&amp;&#x27;"


def test_client_filter_and_date_range(
    client: HttpClient,
    case_manager: User,
    team_north: Team,
    north_client: Client,
    south_client: Client,
) -> None:
    other = make_client(case_manager=case_manager, team=team_north)
    now = timezone.now()
    old = signed_note(north_client, case_manager, contact_at=now - dt.timedelta(days=30))
    recent = signed_note(north_client, case_manager, contact_at=now - dt.timedelta(days=1))
    elsewhere = signed_note(other, case_manager)
    _as(client, case_manager)
    assert set(_found(client, q="apartment")) == {old.pk, recent.pk, elsewhere.pk}
    assert set(_found(client, q="apartment", client=str(north_client.pk))) == {old.pk, recent.pk}
    since = (timezone.localdate() - dt.timedelta(days=7)).isoformat()
    assert set(_found(client, q="apartment", client=str(north_client.pk), **{"from": since})) == {
        recent.pk
    }
    # Another team's client cannot be chosen: the form says so and nothing is searched.
    response = client.get(reverse(URL), {"q": "apartment", "client": str(south_client.pk)})
    assert response.status_code == 200
    assert response.context["form"].errors["client"]
    assert response.context["hits"] == []
    response = client.get(
        reverse(URL), {"q": "apartment", "from": "2024-02-01", "to": "2024-01-01"}
    )
    assert response.status_code == 200 and response.context["hits"] == []
    assert "There is a problem" in response.content.decode()


def test_empty_or_stopword_queries_find_nothing_quietly(
    client: HttpClient, case_manager: User, north_client: Client
) -> None:
    signed_note(north_client, case_manager)
    _as(client, case_manager)
    assert client.get(reverse(URL)).context["page"] is None
    assert _found(client, q="the") == []
    assert _found(client, q='"unclosed & | ! (') == []


def test_searching_writes_no_access_log(
    client: HttpClient, case_manager: User, north_client: Client
) -> None:
    signed_note(north_client, case_manager)
    _found(_as(client, case_manager), q="apartment")
    assert not AccessLog.objects.exists()


def test_results_are_paged(client: HttpClient, case_manager: User, north_client: Client) -> None:
    now = timezone.now()
    for hours in range(23):
        signed_note(north_client, case_manager, contact_at=now - dt.timedelta(hours=hours + 1))
    _as(client, case_manager)
    first = client.get(reverse(URL), {"q": "apartment", "order": "newest"})
    second = client.get(reverse(URL), {"q": "apartment", "order": "newest", "page": "2"})
    assert first.context["page"].paginator.count == 23
    assert len(first.context["hits"]) == 20 and len(second.context["hits"]) == 3
    assert "page=2" in first.content.decode()


def test_query_count_does_not_grow_with_hits(
    client: HttpClient, case_manager: User, north_client: Client, team_north: Team
) -> None:
    signed_note(north_client, case_manager)
    _as(client, case_manager)
    params = {"q": "apartment"}
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse(URL), params).status_code == 200
    for _n in range(8):
        other = make_client(case_manager=case_manager, team=team_north)
        signed_note(other, case_manager)
        draft_note(north_client, case_manager)
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse(URL), params)
    assert len(response.context["hits"]) == 17
    assert len(many) == len(few)


def test_a_common_word_is_counted_only_up_to_the_cap(
    client: HttpClient,
    case_manager: User,
    north_client: Client,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from notes.casefile_views import CappedPaginator

    monkeypatch.setattr(CappedPaginator, "cap", 4)
    now = timezone.now()
    for hours in range(6):
        signed_note(north_client, case_manager, contact_at=now - dt.timedelta(hours=hours + 1))
    _as(client, case_manager)
    response = client.get(reverse(URL), {"q": "apartment"})
    assert response.context["page"].paginator.more_than_cap
    assert "More than 4 notes found" in response.content.decode()
    assert len(response.context["hits"]) == 5  # the count stops at cap + 1; hits still show
    monkeypatch.setattr(CappedPaginator, "cap", 10)
    response = client.get(reverse(URL), {"q": "apartment"})
    assert "6 notes found" in response.content.decode()


def test_the_page_lists_no_clients_and_names_the_one_chosen(
    client: HttpClient, case_manager: User, north_client: Client
) -> None:
    signed_note(north_client, case_manager)
    _as(client, case_manager)
    everyone = client.get(reverse(URL), {"q": "apartment"}).content.decode()
    assert "<option" not in everyone.split('name="order"')[0]  # no list of every client
    assert "All my clients" in everyone
    one = client.get(reverse(URL), {"q": "apartment", "client": str(north_client.pk)})
    html = one.content.decode()
    assert f'name="client" value="{north_client.pk}"' in html
    assert north_client.display_name in html and "search all my clients" in html
