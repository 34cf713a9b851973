"""My work today in a real browser: a note past its signing deadline is listed on the home
page, the case manager follows the link, signs it, and back home the item is gone — no tick,
no waiting for the sweep."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from casemgmt.accounts.models import User
from clients.models import Client
from notes.models import CaseNote, NoteStatus

from ..notes.note_fixtures import draft_note
from .conftest import login

pytestmark = pytest.mark.e2e


def test_an_overdue_note_is_listed_signed_and_cleared(
    page: Page, live_server: LiveServer, case_manager: User, north_client: Client
) -> None:
    note = draft_note(north_client, case_manager, contact_at=timezone.now() - dt.timedelta(days=5))
    login(page, live_server, case_manager.email)

    page.goto("/")
    expect(page.get_by_role("heading", name="My work today", level=1)).to_be_visible()
    overdue = page.get_by_role("region", name=re.compile(r"^Overdue"))
    item = overdue.get_by_role("listitem").filter(has_text="Case note to sign")
    expect(item).to_contain_text("Maria Rivera")
    expect(item).to_contain_text("2 days overdue")

    item.get_by_role("link", name=re.compile(r"^Open")).click()
    page.wait_for_url(f"**/clients/{north_client.pk}/notes/{note.pk}/edit/")
    page.get_by_role("button", name="Sign and lock the note").click()
    page.wait_for_url(f"**/clients/{north_client.pk}/notes/{note.pk}/")
    assert CaseNote.objects.get(pk=note.pk).status == NoteStatus.SIGNED

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Home").click()
    expect(page.get_by_role("heading", name="My work today", level=1)).to_be_visible()
    expect(page.get_by_text("Nothing due — you are up to date.")).to_be_visible()
    expect(page.get_by_text("Case note to sign")).to_have_count(0)


def test_notifications_htmx_actions_and_accessibility(
    page: Page, live_server: LiveServer, case_manager: User, north_client: Client
) -> None:
    from casemgmt.reminders import selectors
    from casemgmt.reminders.models import Channel, Notification, Reminder, Stage

    from .test_accessibility import assert_no_serious_violations

    note = draft_note(north_client, case_manager, contact_at=timezone.now() - dt.timedelta(days=5))
    [item] = selectors.due_items(case_manager)
    reminder = Reminder.objects.create(
        kind=item.kind,
        object_id=note.pk,
        client=north_client,
        recipient=case_manager,
        due_on=item.due_on,
    )
    Notification.objects.create(
        reminder=reminder, recipient=case_manager, stage=Stage.OVERDUE, channel=Channel.IN_APP
    )
    login(page, live_server, case_manager.email)

    page.goto("/")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name=re.compile(r"Notifications\s*1 unread"))).to_be_visible()
    assert_no_serious_violations(page)

    nav.get_by_role("link", name=re.compile(r"^.?\s*Notifications")).click()
    expect(page.get_by_role("heading", name="Notifications", level=1)).to_be_visible()
    expect(page.get_by_text("1 unread notification", exact=True)).to_be_visible()
    assert_no_serious_violations(page)
    page.get_by_role("button", name=re.compile(r"^Mark as read")).click()
    expect(page.get_by_text("0 unread notifications", exact=True)).to_be_visible()
    expect(nav.get_by_role("link", name=re.compile(r"unread"))).to_have_count(0)
    assert Notification.objects.get(reminder=reminder).read_at is not None

    # Snooze from the home page: the item leaves without a reload.
    page.goto("/")
    page.get_by_label(re.compile(r"^Snooze for how long")).select_option(label="3 days")
    page.get_by_role("button", name=re.compile(r"^Snooze")).click()
    expect(page.get_by_text("Nothing due — you are up to date.")).to_be_visible()
    reminder.refresh_from_db()
    assert reminder.snoozed_until is not None

    for path in ("/notifications/settings/", "/calendar/"):
        page.goto(path)
        assert_no_serious_violations(page)
    page.get_by_role("button", name="Create a feed address").click()
    expect(page.get_by_label("Feed address")).to_have_value(re.compile(r"/calendar/.+\.ics$"))
    assert_no_serious_violations(page)
