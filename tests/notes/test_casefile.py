"""The case file: the sections in the agency's order on screen, in print and as a PDF; the
date range; notes in their format with addenda, late entry and co-signature; the access log;
the access matrix; a flat query count; and a PDF renderer that never fetches a remote URL."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from careplans.models import PlanStatus
from careplans.services.plans import GoalProgress, plan_review_record
from casemgmt.accounts.models import User
from casemgmt.audit.models import AccessAction, AccessLog
from clients.models import Client
from notes.models import CaseNote, NoteFormat
from notes.pdf import LocalOnlyFetcher, RemoteURLRefused, html_to_pdf
from notes.selectors import case_file
from notes.services import addendum_add, note_cosign
from referrals.services import referrals as referral_services

from .note_fixtures import draft_note, signed_note
from .test_timeline import crisis, fill_record

pytestmark = pytest.mark.django_db

HEADINGS = [
    "1. Fact sheet",
    "2. Assessments",
    "3. Releases of information",
    "4. Service plans",
    "5. Referrals",
    "6. Case notes",
    "7. Updates",
]
PAGES = ["notes:case_file", "notes:case_file_print", "notes:case_file_pdf"]


def _as(http: HttpClient, user: User) -> HttpClient:
    http.force_login(user)
    return http


def _pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def _needs_cosign(user: User) -> None:
    user.notes_need_cosign = True
    user.save(update_fields=["notes_need_cosign"])


def _in_order(text: str, headings: list[str]) -> None:
    """Each heading appears after the one before it (after the table of contents)."""
    body = text.split(headings[-1], 1)[1]  # the contents list ends with the last heading
    cursor = -1
    for heading in headings:
        position = body.find(heading, cursor + 1)
        assert position > cursor, f"{heading!r} is missing or out of order"
        cursor = position


def test_pdf_export_holds_every_section_in_order_with_notes_and_addenda(
    client: HttpClient, case_manager: User, supervisor: User, north_client: Client
) -> None:
    record = fill_record(north_client, case_manager, supervisor)
    response = _as(client, case_manager).get(reverse("notes:case_file_pdf", args=[north_client.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert north_client.record_number in disposition
    assert timezone.localdate().isoformat() in disposition
    assert re.fullmatch(r'attachment; filename="case-file-[\w.-]+\.pdf"', disposition)

    text = _pdf_text(response.content)
    _in_order(text, HEADINGS)
    assert "Contents" in text and "Confidential" in text
    assert north_client.record_number in text and "Maria Rivera" in text
    note: CaseNote = record["note"]
    assert "Apartment tidy; two housing applications on the table." in text
    assert "It was Tuesday." in text  # the addendum
    assert "Wrong day" in text  # its reason
    assert record["referral"].service.name in text
    assert "Called in tears after the eviction notice." in text  # the crisis event
    assert "GAD-7" in text
    assert note.get_contact_type_display() in text


def test_screen_and_print_pages_read_in_the_agencys_order(
    client: HttpClient, case_manager: User, supervisor: User, north_client: Client
) -> None:
    fill_record(north_client, case_manager, supervisor)
    _as(client, case_manager)
    for name in ("notes:case_file", "notes:case_file_print"):
        response = client.get(reverse(name, args=[north_client.pk]))
        assert response.status_code == 200
        html = response.content.decode()
        plain = " ".join(re.sub(r"<[^>]+>", " ", html).split())
        _in_order(plain, HEADINGS)
        assert "It was Tuesday." in html
        assert 'href="#cf-notes"' in html and 'id="cf-notes"' in html
    print_page = client.get(reverse("notes:case_file_print", args=[north_client.pk]))
    assert "Confidential" in print_page.content.decode()
    assert "notes/casefile.css" in print_page.content.decode()


def test_date_range_keeps_only_notes_inside_it(
    client: HttpClient, case_manager: User, north_client: Client
) -> None:
    now = timezone.now()
    signed_note(
        north_client,
        case_manager,
        contact_at=now - dt.timedelta(days=40),
        observations="Old visit outside the range.",
    )
    signed_note(
        north_client,
        case_manager,
        contact_at=now - dt.timedelta(days=3),
        observations="Recent visit inside the range.",
    )
    crisis(north_client, case_manager, occurred_at=now - dt.timedelta(days=60), closed=True)
    since = (timezone.localdate() - dt.timedelta(days=10)).isoformat()
    until = timezone.localdate().isoformat()
    _as(client, case_manager)
    html = client.get(
        reverse("notes:case_file", args=[north_client.pk]), {"from": since, "to": until}
    ).content.decode()
    assert "Recent visit inside the range." in html
    assert "Old visit outside the range." not in html
    assert "Called in tears" not in html
    assert "Limited to dates" in html
    # The print and PDF links carry the range.
    assert f"from={since}" in html

    pdf = client.get(
        reverse("notes:case_file_pdf", args=[north_client.pk]), {"from": since, "to": until}
    )
    text = _pdf_text(pdf.content)
    assert "Recent visit inside the range." in text
    assert "Old visit outside the range." not in text

    older = client.get(
        reverse("notes:case_file", args=[north_client.pk]),
        {"to": (timezone.localdate() - dt.timedelta(days=30)).isoformat()},
    ).content.decode()
    assert "Old visit outside the range." in older and "Recent visit" not in older


def test_bad_range_is_explained_and_print_goes_back(
    client: HttpClient, case_manager: User, north_client: Client
) -> None:
    _as(client, case_manager)
    params = {"from": "2024-05-10", "to": "2024-05-01"}
    page = client.get(reverse("notes:case_file", args=[north_client.pk]), params)
    assert page.status_code == 200 and "There is a problem" in page.content.decode()
    for name in ("notes:case_file_print", "notes:case_file_pdf"):
        response = client.get(reverse(name, args=[north_client.pk]), params)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("notes:case_file", args=[north_client.pk]))
    assert not AccessLog.objects.exclude(action=AccessAction.VIEW).exists()


def test_notes_read_in_their_format_with_late_entry_and_cosignature(
    case_manager: User, supervisor: User, north_client: Client
) -> None:
    now = timezone.now()
    _needs_cosign(case_manager)
    soap = signed_note(
        north_client,
        case_manager,
        note_format=NoteFormat.SOAP,
        contact_at=now - dt.timedelta(days=5),
    )
    note_cosign(actor=supervisor, note=soap, approve=True, comment="Good note.")
    late = signed_note(north_client, case_manager, contact_at=now - dt.timedelta(days=4))
    assert late.late_entry
    draft_note(north_client, case_manager, observations="Unsigned thoughts.")

    result = case_file(case_manager, north_client)
    assert [entry.note.pk for entry in result.notes] == [soap.pk, late.pk]  # oldest first
    labels = [section.label for section in result.notes[0].sections]
    assert labels == ["Purpose", "Subjective", "Objective", "Assessment", "Plan"]
    narrative = [section.label for section in result.notes[1].sections]
    assert narrative[:2] == ["Purpose", "What happened (facts)"]


def test_late_entry_and_cosignature_are_printed(
    client: HttpClient, case_manager: User, supervisor: User, north_client: Client
) -> None:
    now = timezone.now()
    _needs_cosign(case_manager)
    note = signed_note(north_client, case_manager, contact_at=now - dt.timedelta(days=4))
    note_cosign(actor=supervisor, note=note, approve=True)
    html = (
        _as(client, case_manager)
        .get(reverse("notes:case_file_print", args=[north_client.pk]))
        .content.decode()
    )
    assert "Late entry" in html
    assert "Co-signed by Sam Supervisor" in html
    assert "Unsigned" not in html


@pytest.mark.parametrize(
    ("name", "action"),
    [
        ("notes:case_file", AccessAction.VIEW),
        ("notes:case_file_print", AccessAction.PRINT),
        ("notes:case_file_pdf", AccessAction.EXPORT),
    ],
)
def test_each_read_is_logged(
    client: HttpClient, case_manager: User, north_client: Client, name: str, action: str
) -> None:
    signed_note(north_client, case_manager)
    _as(client, case_manager).get(reverse(name, args=[north_client.pk]))
    log = AccessLog.objects.get(client_id=north_client.pk)
    assert (log.user, log.action) == (case_manager, action)


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("case_manager", 200),
        ("teammate", 200),
        ("supervisor", 200),
        ("other_team_case_manager", 404),
        ("other_team_supervisor", 404),
        ("admin", 404),
    ],
)
def test_access_matrix(
    request: pytest.FixtureRequest,
    client: HttpClient,
    case_manager: User,
    north_client: Client,
    role: str,
    status: int,
) -> None:
    signed_note(north_client, case_manager)
    user = request.getfixturevalue(role)
    _as(client, user)
    for name in PAGES:
        assert client.get(reverse(name, args=[north_client.pk])).status_code == status, name
    assert AccessLog.objects.filter(user=user).count() == (3 if status == 200 else 0)


def test_anonymous_is_sent_to_login(client: HttpClient, north_client: Client) -> None:
    for name in PAGES:
        response = client.get(reverse(name, args=[north_client.pk]))
        assert response.status_code == 302
        assert reverse("accounts:login") in response["Location"]


def test_query_count_does_not_grow_with_the_record(
    client: HttpClient, case_manager: User, supervisor: User, north_client: Client
) -> None:
    record = fill_record(north_client, case_manager, supervisor)
    goal = record["referral"].goal
    plan_review_record(  # so that "few" already reads reviews and their goal progress
        actor=case_manager,
        plan=goal.plan,
        reviewed_on=timezone.localdate(),
        decision="continue",
        justification="",
        goal_progress=[GoalProgress(goal=goal, progress="in_progress")],
        next_review_date=timezone.localdate() + dt.timedelta(days=60),
    )
    _as(client, case_manager)
    url = reverse("notes:case_file", args=[north_client.pk])
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200

    now = timezone.now()
    referral = record["referral"]
    for n in range(5):
        note = signed_note(north_client, case_manager, contact_at=now - dt.timedelta(days=n + 1))
        addendum_add(actor=case_manager, note=note, kind="clarification", reason="r", text="t")
        addendum_add(actor=case_manager, note=note, kind="correction", reason="r2", text="t2")
        crisis(north_client, case_manager, occurred_at=now - dt.timedelta(days=n), closed=True)
        referral_services.referral_create(
            actor=case_manager,
            goal=goal,
            service=referral.service,
            offered=[referral.service],
            data={
                "reason": "r",
                "presenting_issue_summary": "p",
                "desired_services": "d",
                "urgency": "routine",
                "target_date": timezone.localdate(),
                "review_date": timezone.localdate(),
            },
        )
    review, revision = plan_review_record(
        actor=case_manager,
        plan=goal.plan,
        reviewed_on=timezone.localdate(),
        decision="revise",
        justification="Housing found; the next goal is keeping it.",
        goal_progress=[GoalProgress(goal=goal, progress="met", notes="Moved in.")],
    )
    assert revision is not None and review.pk
    result = case_file(case_manager, north_client)
    assert len(result.plans) == 2 and len(result.referrals) == 6 and len(result.notes) == 6
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Housing found; the next goal is keeping it." in html  # the review's justification
    assert "Moved in." in html
    assert len(many) == len(few), [q["sql"][:120] for q in many.captured_queries]


def test_plan_versions_and_reviews_are_in_the_plans_section(
    client: HttpClient, case_manager: User, supervisor: User, north_client: Client
) -> None:
    from ..careplans.plan_fixtures import plan_in_status

    plan = plan_in_status(north_client, case_manager, PlanStatus.ACTIVE, approver=supervisor)
    html = (
        _as(client, case_manager)
        .get(reverse("notes:case_file", args=[north_client.pk]))
        .content.decode()
    )
    goal = plan.goals.get()
    for text in (goal.indicator, goal.baseline, goal.target, "Apply for the rapid re-housing"):
        assert text in html
    assert "Service plan, version 1" in html


def test_fetcher_refuses_remote_urls_and_serves_static_files() -> None:
    fetcher = LocalOnlyFetcher()
    for url in (
        "http://example.com/track.png",
        "https://169.254.169.254/latest/meta-data",
        "file:///etc/passwd",
        "ftp://example.com/x",
        "http://testserver/static/../settings.py",
    ):
        with pytest.raises(RemoteURLRefused):
            fetcher.fetch(url)
    served = fetcher.fetch("http://testserver/static/notes/casefile.css")
    assert b"@page" in served.read()
    served.close()
    inline = fetcher.fetch("data:text/plain,hello")
    assert inline.read() == b"hello"
    inline.close()


def test_pdf_renders_without_reaching_the_network() -> None:
    html = (
        '<html><body><h1>Title</h1><img src="http://example.invalid/x.png" alt="remote">'
        '<link rel="stylesheet" href="https://example.invalid/x.css"></body></html>'
    )
    pdf = html_to_pdf(html, base_url="http://testserver/", stylesheets=("notes/casefile.css",))
    assert pdf.startswith(b"%PDF") and "Title" in _pdf_text(pdf)
