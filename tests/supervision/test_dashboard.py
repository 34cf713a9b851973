"""The supervisor dashboard page and its drill-downs, against the story of
test_dashboard_story.py, read on Monday 2026-06-15 (agency time). Every expected figure is
worked out by hand in a comment from the story's facts.

The story, in short (North and East are the supervisor's teams; South is another's):
- Casey (North): Ana (a1), Ben (a2) active; Cal (a3) discharged.
- Terry (North): Dee (b1) enrolled Feb 2, Eva (b2) enrolled May 20.
- Eve (East): Eli (e1) enrolled Feb 2, nothing else.
- Weights: open crisis event 5, open safety flag 4, high-need domain 2 (not the defaults).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from casemgmt.accounts.models import Team, User
from casemgmt.audit.models import AccessAction, AccessLog
from casemgmt.reminders.selectors import due_items
from casemgmt.supervision import dashboard

from ..factories import UserFactory
from ..reminders.reminder_fixtures import on
from .test_dashboard_story import TODAY, Story

URL = reverse("supervision:dashboard")
FIGURES = ("active", "load", "plans", "follow-ups", "unsigned", "late", "contact", "awaiting")


@pytest.fixture(autouse=True)
def _today() -> Iterator[None]:
    with on(TODAY):
        yield


def _login(http: HttpClient, user: User) -> HttpClient:
    http.force_login(user)
    return http


def _figures(response: Any) -> dict[str, dict[str, int | None]]:
    return {
        str(row.case_manager): {cell.figure.slug: cell.value for cell in row.cells}
        for row in response.context["caseloads"].rows
    }


def _drill_url(person: User, figure: str) -> str:
    return reverse("supervision:drilldown", args=[person.pk, figure])


# Casey, as of June 15, default range March 17 to June 15:
# - active: Ana, Ben = 2 (Cal is discharged).
# - load: Ana 1 + 5*1 open crisis + 4*0 flags + 2*1 high domain (her latest *completed*
#   assessment, Feb 9, has one; the Feb 2 one had three, the June draft four) = 8;
#   Ben 1 + 5*0 (his crisis closed) + 4*1 open flag (the other was followed up) + 2*0 = 5;
#   8 + 5 = 13.
# - plans: Ana's plan review was due May 10 = 1 (Ben's is due July 19).
# - follow-ups: R2 fit review due Apr 11 + 60 = Jun 10; R3 attendance due Apr 9 + 1 =
#   Apr 10; R3 fit review due Apr 10 + 60 = Jun 9; R6 sent Fri Jun 12 is due Wed Jun 17
#   (3 business days), not yet = 3.
# - unsigned: Ana's draft of Jun 10 10:00 was due Jun 13 (72 h) = 1; Ben's draft of Jun 14
#   is due Jun 17, not yet.
# - late: the May 1 phone call signed May 6 = 1 (the Mar 1 contact is before the range).
# - contact: Ana last seen Jun 5 = 10 days; Ben never seen (only an attempted contact) since
#   his enrolment Feb 2: 26 (rest of Feb) + 31 + 30 + 31 + 15 = 133 days; the most is 133.
# - awaiting: R6 = 1 (R5 was declined).
CASEY = {
    "active": 2,
    "load": 13,
    "plans": 1,
    "follow-ups": 3,
    "unsigned": 1,
    "late": 1,
    "contact": 133,
    "awaiting": 1,
}
# Terry:
# - active: Dee, Eva = 2.
# - load: Dee 1 + 2*2 high domains = 5; Eva 1 (no assessment) = 1; 5 + 1 = 6.
# - plans: Dee's plan was reviewed May 15, next review Aug 10 = 0.
# - follow-ups: R1 sent Mon Jun 1, no answer by Thu Jun 4 = 1; R4's fit review was done
#   May 19 = 0 more.
# - unsigned: Dee's draft of Jun 1 was due Jun 4 = 1.
# - late: 0.
# - contact: Dee seen May 16 = 15 + 15 = 30 days; Eva enrolled May 20 = 11 + 15 = 26 days;
#   the most is 30.
# - awaiting: R1 = 1.
TERRY = {
    "active": 2,
    "load": 6,
    "plans": 0,
    "follow-ups": 1,
    "unsigned": 1,
    "late": 0,
    "contact": 30,
    "awaiting": 1,
}
# Eve: Eli, enrolled Feb 2 and never seen: active 1, load 1, contact 133, nothing else.
EVE = {
    "active": 1,
    "load": 1,
    "plans": 0,
    "follow-ups": 0,
    "unsigned": 0,
    "late": 0,
    "contact": 133,
    "awaiting": 0,
}


# --- The figures ------------------------------------------------------------------------------


def test_every_figure_of_every_case_manager(client: HttpClient, story: Story) -> None:
    response = _login(client, story.supervisor).get(URL)
    assert response.status_code == 200
    # Ina (inactive) and Sue (not a case manager) are not listed; Olive's team is not his.
    assert _figures(response) == {"Casey North": CASEY, "Eve East": EVE, "Terry Mate": TERRY}


def test_one_team(client: HttpClient, story: Story) -> None:
    response = _login(client, story.supervisor).get(URL, {"team": story.north.pk})
    assert _figures(response) == {"Casey North": CASEY, "Terry Mate": TERRY}


def test_the_date_range_moves_the_late_notes(client: HttpClient, story: Story) -> None:
    # The May 1 late contact falls outside April; the March 1 one inside March 1 to 31.
    april = {"start": "2026-04-01", "end": "2026-04-30"}
    march = {"start": "2026-03-01", "end": "2026-03-31"}
    http = _login(client, story.supervisor)
    assert _figures(http.get(URL, april))["Casey North"]["late"] == 0
    assert _figures(http.get(URL, march))["Casey North"]["late"] == 1


def test_figures_needing_attention_are_marked_in_words(client: HttpClient, story: Story) -> None:
    response = _login(client, story.supervisor).get(URL, {"team": story.north.pk})
    marked = {
        str(row.case_manager): {c.figure.slug for c in row.cells if c.needs_attention}
        for row in response.context["caseloads"].rows
    }
    # Casey: plans, follow-ups, unsigned and late above 0, 133 days over the agency's 30.
    # Terry: follow-ups and unsigned above 0; 30 days is not over 30.
    assert marked == {
        "Casey North": {"plans", "follow-ups", "unsigned", "late", "contact"},
        "Terry Mate": {"follow-ups", "unsigned"},
    }
    body = response.content.decode()
    assert body.count('class="badge text-bg-warning ms-1">Overdue</span>') == 5
    assert 'class="badge text-bg-warning ms-1">Late</span>' in body
    assert 'class="badge text-bg-warning ms-1">Not seen</span>' in body


def test_each_number_links_to_its_list(client: HttpClient, story: Story) -> None:
    response = _login(client, story.supervisor).get(URL, {"team": story.north.pk})
    body = response.content.decode()
    query = f"start=2026-03-17&amp;end=2026-06-15&amp;team={story.north.pk}"
    for person in (story.casey, story.terry):
        for figure in FIGURES:
            assert f'href="{_drill_url(person, figure)}?{query}"' in body


def test_the_figures_agree_with_my_work_today(story: Story) -> None:
    # Overdue plan reviews, referral follow-ups and unsigned notes are the same items the
    # case manager sees overdue on My work today.
    kinds = {
        "plan_review",
        "referral_no_response",
        "referral_attendance",
        "referral_fit_review",
        "note_unsigned",
    }
    for person, expected in ((story.casey, CASEY), (story.terry, TERRY)):
        overdue = [
            item
            for item in due_items(person, today=TODAY)
            if item.kind in kinds and item.due_on < TODAY
        ]
        assert len(overdue) == expected["plans"] + expected["follow-ups"] + expected["unsigned"]


# --- The team's charts ------------------------------------------------------------------------


def test_team_charts(client: HttpClient, story: Story) -> None:
    response = _login(client, story.supervisor).get(URL, {"team": story.north.pk})
    team = response.context["team"]
    assert [(str(p), n) for p, n in team.caseload_sizes] == [("Casey North", 2), ("Terry Mate", 2)]
    # Sent Mar 17 to Jun 15: R2 (Apr 1), R3 (Apr 6), R5 (May 4), R1 (Jun 1), R6 (Jun 12) = 5
    # (R4 was sent Mar 2; R7 is South's). Accepted: R2, R3 = 2. Started (in progress): R2,
    # R3 = 2. Completed: R2 = 1 (it counts at every earlier stage too).
    assert team.funnel == {"sent": 5, "accepted": 2, "started": 2, "completed": 1}
    # Services started in the range: R4 Mar 20 (sent Mar 2: 18 days), R3 Apr 10 (sent Apr 6:
    # 4 days), R2 Apr 11 (sent Apr 1: 10 days); the median of 4, 10, 18 is 10.
    assert (team.median_days_to_start, team.referrals_started) == (10.0, 3)
    # Reviews in the range: Dee's of May 15 (met, met, partially met, not met); Ana's of
    # Mar 2 (not met) is before it.
    assert team.goal_outcomes == {"met": 2, "partially_met": 1, "not_met": 1}


def test_team_charts_over_another_range(client: HttpClient, story: Story) -> None:
    response = _login(client, story.supervisor).get(
        URL, {"team": str(story.north.pk), "start": "2026-04-01", "end": "2026-04-30"}
    )
    team = response.context["team"]
    # Sent in April: R2, R3, both accepted and started; R2 completed in May still counts.
    assert team.funnel == {"sent": 2, "accepted": 2, "started": 2, "completed": 1}
    # Started in April: R3 (4 days), R2 (10 days): the median is (4 + 10) / 2 = 7.
    assert (team.median_days_to_start, team.referrals_started) == (7.0, 2)
    assert team.goal_outcomes == {"met": 0, "partially_met": 0, "not_met": 0}


def test_no_median_without_a_start(client: HttpClient, story: Story) -> None:
    response = _login(client, story.supervisor).get(
        URL, {"start": "2026-06-01", "end": "2026-06-15"}
    )
    team = response.context["team"]
    assert (team.median_days_to_start, team.referrals_started) == (None, 0)
    assert "No referral's services started in the range." in response.content.decode()


def test_the_other_supervisor_sees_only_their_team(
    client: HttpClient, story: Story, other_team_supervisor: User
) -> None:
    response = _login(client, other_team_supervisor).get(URL)
    assert _figures(response) == {
        # Sol, enrolled Feb 2, never seen; R7 waits for an answer (sent May 4, overdue).
        "Olive South": {
            "active": 1,
            "load": 1,
            "plans": 0,
            "follow-ups": 1,
            "unsigned": 0,
            "late": 0,
            "contact": 133,
            "awaiting": 1,
        }
    }
    assert response.context["team"].funnel == {
        "sent": 1,
        "accepted": 0,
        "started": 0,
        "completed": 0,
    }


def test_charts_are_svg_with_a_table_beside_them(client: HttpClient, story: Story) -> None:
    response = _login(client, story.supervisor).get(URL, {"team": story.north.pk})
    body = response.content.decode()
    assert body.count('role="img"') == 3
    main = body.split("<main", 1)[1].split("</main>", 1)[0]
    assert "<script" not in main
    charts = response.context["charts"]
    assert [c.table for c in charts] == [
        [("Casey North", 2), ("Terry Mate", 2)],
        [("Sent", 5), ("Accepted", 2), ("Started (in progress)", 2), ("Completed", 1)],
        [("Met", 2), ("Partially met", 1), ("Not met", 1)],
    ]
    # The screen reader's description says every bar in words.
    assert "Sent: 5; Accepted: 2; Started (in progress): 2; Completed: 1." in charts[1].svg
    assert re.search(r'<th scope="row" class="fw-normal">Partially met</th><td[^>]*>1</td>', body)
    assert "Median 10 days, over 3 referrals whose services started in the range." in body


# --- Drill-downs ------------------------------------------------------------------------------


def _drill(http: HttpClient, person: User, figure: str, **params: Any) -> Any:
    response = http.get(_drill_url(person, figure), params)
    assert response.status_code == 200, response.content
    return response.context["drill"]


@pytest.mark.parametrize("figure", FIGURES)
def test_each_list_matches_its_figure(client: HttpClient, story: Story, figure: str) -> None:
    http = _login(client, story.supervisor)
    for person, expected in ((story.casey, CASEY), (story.terry, TERRY)):
        drill = _drill(http, person, figure)
        assert drill.value == expected[figure]
        if figure == "load":
            assert sum(row.cells[-1] for row in drill.rows) == expected["load"]
        elif figure == "contact":
            assert max(row.cells[-1] for row in drill.rows) == expected["contact"]
            assert len(drill.rows) == expected["active"]
        else:
            assert len(drill.rows) == expected[figure]


def test_load_list_shows_each_clients_weight(client: HttpClient, story: Story) -> None:
    drill = _drill(_login(client, story.supervisor), story.casey, "load")
    rows = [(row.client.legal_first_name, row.cells) for row in drill.rows]
    # Open crises, open flags, high domains, weight (see CASEY above).
    assert rows == [("Ana", [1, 0, 1, 8]), ("Ben", [0, 1, 0, 5])]
    assert "Weights: 1 per client, plus 5 per open crisis event, 4 per open safety flag" in (
        drill.note
    )


def test_follow_up_list_names_each_item_and_links_to_the_referral(
    client: HttpClient, story: Story
) -> None:
    drill = _drill(_login(client, story.supervisor), story.casey, "follow-ups")
    r2, r3 = story.referrals["R2"], story.referrals["R3"]
    a1 = story.clients["a1"].pk
    # Longest overdue first: R3 attendance (Apr 10: 20 + 31 + 15 = 66 days), R3 fit review
    # (Jun 9: 6 days), R2 fit review (Jun 10: 5 days).
    assert [(row.url, row.cells[0], row.cells[2], row.cells[3]) for row in drill.rows] == [
        (
            reverse("referrals:referral_detail", args=[a1, r3.pk]),
            "Did the client attend intake?",
            dt.date(2026, 4, 10),
            66,
        ),
        (
            reverse("referrals:referral_detail", args=[a1, r3.pk]),
            "Review how the service fits",
            dt.date(2026, 6, 9),
            6,
        ),
        (
            reverse("referrals:referral_detail", args=[a1, r2.pk]),
            "Review how the service fits",
            dt.date(2026, 6, 10),
            5,
        ),
    ]


def test_plan_list_links_to_the_review(client: HttpClient, story: Story) -> None:
    drill = _drill(_login(client, story.supervisor), story.casey, "plans")
    plan = story.plans["a1"]
    # Due May 10: 21 + 15 = 36 days overdue.
    assert [(row.url, row.cells[1:]) for row in drill.rows] == [
        (
            reverse("careplans:plan_review", args=[plan.client_id, plan.pk]),
            [dt.date(2026, 5, 10), 36],
        )
    ]


def test_note_lists(client: HttpClient, story: Story) -> None:
    http = _login(client, story.supervisor)
    a1 = story.clients["a1"].pk
    unsigned = _drill(http, story.casey, "unsigned")
    # Due Jun 13: 2 days overdue; the draft is Casey's, so the link opens Ana's notes.
    assert [(row.url, row.cells[2:]) for row in unsigned.rows] == [
        (reverse("notes:note_list", args=[a1]), [dt.date(2026, 6, 13), 2])
    ]
    late = _drill(http, story.casey, "late")
    note = story.notes["a1_late"]
    assert [row.url for row in late.rows] == [reverse("notes:note_detail", args=[a1, note.pk])]
    earlier = _drill(http, story.casey, "late", start="2026-03-01", end="2026-03-31")
    assert [row.url for row in earlier.rows] == [
        reverse("notes:note_detail", args=[a1, story.notes["a1_late_before_range"].pk])
    ]


def test_contact_list_longest_first_and_says_never_seen(client: HttpClient, story: Story) -> None:
    drill = _drill(_login(client, story.supervisor), story.casey, "contact")
    assert [(row.client.legal_first_name, row.cells) for row in drill.rows] == [
        ("Ben", ["Never seen; counted from 02/02/2026", 133]),
        ("Ana", [dt.date(2026, 6, 5), 10]),
    ]


def test_awaiting_list(client: HttpClient, story: Story) -> None:
    drill = _drill(_login(client, story.supervisor), story.terry, "awaiting")
    r1 = story.referrals["R1"]
    # Sent Jun 1: 14 days waiting.
    assert [(row.url, row.cells[1:]) for row in drill.rows] == [
        (
            reverse("referrals:referral_detail", args=[r1.client_id, r1.pk]),
            [dt.date(2026, 6, 1), 14],
        )
    ]


def test_reading_a_list_writes_the_access_log(client: HttpClient, story: Story) -> None:
    http = _login(client, story.supervisor)
    http.get(_drill_url(story.casey, "active"))
    logged = AccessLog.objects.filter(user=story.supervisor, action=AccessAction.VIEW)
    assert sorted(logged.values_list("client_id", flat=True)) == sorted(
        [story.clients["a1"].pk, story.clients["a2"].pk]
    )
    assert set(logged.values_list("path", flat=True)) == {_drill_url(story.casey, "active")}


def test_the_dashboard_itself_logs_no_client_read(client: HttpClient, story: Story) -> None:
    _login(client, story.supervisor).get(URL)
    assert not AccessLog.objects.filter(user=story.supervisor).exists()


def test_list_page_shows_rows_and_the_way_back(client: HttpClient, story: Story) -> None:
    response = _login(client, story.supervisor).get(
        _drill_url(story.casey, "awaiting"), {"team": story.north.pk}
    )
    body = response.content.decode()
    assert f'href="{URL}?start=2026-03-17&amp;end=2026-06-15&amp;team={story.north.pk}"' in body
    assert "Referrals awaiting an answer: 1" in body
    r6 = story.referrals["R6"]
    assert reverse("referrals:referral_detail", args=[r6.client_id, r6.pk]) in body


# --- Who may see it ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["case_manager", "teammate", "admin", "other_team_case_manager"])
def test_only_supervisors(client: HttpClient, story: Story, role: str, request: Any) -> None:
    user = request.getfixturevalue(role)
    http = _login(client, user)
    assert http.get(URL).status_code == 404
    assert http.get(_drill_url(story.casey, "active")).status_code == 404


def test_an_inactive_supervisor_is_refused(client: HttpClient, story: Story) -> None:
    http = _login(client, story.supervisor)
    story.supervisor.is_active = False
    story.supervisor.save(update_fields=["is_active"])
    assert http.get(URL).status_code in (302, 404)


def test_lists_only_for_case_managers_of_the_supervisors_teams(
    client: HttpClient, story: Story, other_team_supervisor: User, other_team_case_manager: User
) -> None:
    http = _login(client, other_team_supervisor)
    assert http.get(_drill_url(story.casey, "active")).status_code == 404
    assert http.get(_drill_url(other_team_case_manager, "active")).status_code == 200
    http = _login(client, story.supervisor)
    assert http.get(_drill_url(other_team_case_manager, "active")).status_code == 404
    # Eve is on East: listed for all his teams, not when North alone is chosen.
    assert http.get(_drill_url(story.eve, "active")).status_code == 200
    assert http.get(_drill_url(story.eve, "active"), {"team": story.north.pk}).status_code == 404
    inactive = User.objects.get(full_name="Ina Active")
    assert http.get(_drill_url(inactive, "active")).status_code == 404
    not_a_case_manager = User.objects.get(full_name="Sue Pervisor")
    assert http.get(_drill_url(not_a_case_manager, "active")).status_code == 404
    assert http.get(_drill_url(story.supervisor, "active")).status_code == 404
    assert http.get(_drill_url(story.casey, "everything")).status_code == 404
    assert http.get(f"{URL}caseloads/{10**30}/active/").status_code == 404


def test_nobody_logged_for_refused_lists(
    client: HttpClient, story: Story, other_team_supervisor: User
) -> None:
    _login(client, other_team_supervisor).get(_drill_url(story.casey, "active"))
    assert not AccessLog.objects.exists()


# --- Filters ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"start": "yesterday"}, "start", "Enter a date as year-month-day"),
        ({"end": "2026-02-30"}, "end", "Enter a date as year-month-day"),
        ({"start": "2026-05-01", "end": "2026-04-01"}, "start", "on or before the end date"),
        ({"start": "2026-07-01"}, "start", "The range can start today at the latest."),
        ({"start": "2026-06-16", "end": "2026-06-15"}, "start", "on or before the end date"),
        ({"end": "2026-06-16"}, "end", "The range can end today at the latest."),
        ({"end": "9999-12-31"}, "end", "The range can end today at the latest."),
        ({"team": "north"}, "team", "Choose one of the teams you supervise."),
        ({"team": "999999"}, "team", "Choose one of the teams you supervise."),
    ],
)
def test_bad_filters_are_a_message_beside_the_field(
    client: HttpClient, story: Story, params: dict[str, str], field: str, message: str
) -> None:
    http = _login(client, story.supervisor)
    for url in (URL, _drill_url(story.casey, "late")):
        response = http.get(url, params)
        assert response.status_code == 200
        form = response.context["form"]
        assert any(message in error for error in form.errors[field]), form.errors
        assert "caseloads" not in response.context
        assert "drill" not in response.context
        body = response.content.decode()
        assert 'id="error-summary"' in body
        assert f'href="#id_{field}"' in body


def test_another_supervisors_team_is_a_form_error(
    client: HttpClient, story: Story, team_south: Team
) -> None:
    response = _login(client, story.supervisor).get(URL, {"team": team_south.pk})
    assert response.status_code == 200
    assert response.context["form"].errors["team"] == ["Choose one of the teams you supervise."]
    assert "Olive South" not in response.content.decode()


def test_defaults_are_the_last_90_days(client: HttpClient, story: Story) -> None:
    response = _login(client, story.supervisor).get(URL)
    filters = response.context["filters"]
    # June 15 minus 90 days: 15 days back to May 31, 31 to Apr 30, 30 to Mar 31, 14 more.
    assert (filters.start, filters.end) == (dt.date(2026, 3, 17), TODAY)
    body = response.content.decode()
    assert 'value="2026-03-17"' in body
    assert 'value="2026-06-15"' in body


def test_make_filters_refuses_a_team_not_supervised(story: Story, team_south: Team) -> None:
    with pytest.raises(dashboard.Http404):
        dashboard.make_filters(story.supervisor, team_id=team_south.pk, start=None, end=None)


def test_a_supervisor_without_teams_gets_404(client: HttpClient, db: None) -> None:
    lonely = UserFactory.create(is_supervisor=True)
    assert _login(client, lonely).get(URL).status_code == 404
