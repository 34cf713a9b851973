"""A case note in a real browser: a draft saved as it is typed (and found intact after a
reload), wording hints while writing, signing, an addendum under the signed note, and both
in the client's case file in order."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from casemgmt.accounts.models import User
from clients.models import Client
from notes.models import Addendum, CaseNote, NoteStatus

from .conftest import login

pytestmark = pytest.mark.e2e

PURPOSE = "Monthly check-in on the housing goal."
FACTS = "Maria showed the Maple Court application; she said the landlord called twice."
QUOTE = "I am tired of waiting but I will keep calling."
NEXT = "Call Maple Court together on Friday at 10."
ADDENDUM = "The landlord called three times, not twice (checked her phone log)."


def test_draft_survives_a_reload_then_sign_and_add_an_addendum(
    page: Page, live_server: LiveServer, case_manager: User, north_client: Client
) -> None:
    login(page, live_server, case_manager.email)
    page.goto(f"/clients/{north_client.pk}/notes/")
    page.get_by_role("button", name="Write a note").click()
    page.wait_for_url("**/edit/")

    page.get_by_label("Duration (minutes)").fill("40")
    page.get_by_label("Purpose of the contact").fill(PURPOSE)
    observations = page.get_by_label("Observations (facts)")
    observations.fill(FACTS + " She seems noncompliant with the calls.")
    page.get_by_label("The client's words").fill(QUOTE)
    page.get_by_label("Next steps").fill(NEXT)
    # Autosave answers in the status line; the hints update beside the form.
    expect(page.locator("#autosave-status")).to_contain_text("Saved", timeout=10_000)
    hints = page.get_by_role("complementary", name="Wording suggestions")
    expect(hints).to_contain_text("noncompliant")
    expect(hints).to_contain_text("seems")

    # A closed tab loses nothing: the draft is in the database as soon as the last autosave
    # (a second after the last key) has answered.
    note = CaseNote.objects.get(client=north_client)
    assert note.status == NoteStatus.DRAFT
    deadline = time.monotonic() + 10
    while note.next_steps != NEXT and time.monotonic() < deadline:
        time.sleep(0.1)
        note.refresh_from_db()
    assert note.next_steps == NEXT
    page.reload()
    expect(page.get_by_label("Purpose of the contact")).to_have_value(PURPOSE)
    expect(page.get_by_label("Next steps")).to_have_value(NEXT)

    # The hint is advice, not a block: the author rewords and signs.
    page.get_by_label("Observations (facts)").fill(FACTS)
    page.get_by_role("button", name="Sign and lock the note").click()
    page.wait_for_url(f"**/clients/{north_client.pk}/notes/{note.pk}/")
    expect(page.get_by_role("heading", name="Signature")).to_be_visible()
    note.refresh_from_db()
    assert note.status == NoteStatus.SIGNED
    assert note.observations == FACTS

    page.get_by_text("Add an addendum").click()
    page.get_by_label("Kind of addendum").select_option(label="Correction")
    page.get_by_label("Reason").fill("Miscounted the landlord's calls")
    page.get_by_role("textbox", name=re.compile(r"^Addendum")).fill(ADDENDUM)
    page.get_by_role("button", name="Sign and add the addendum").click()
    expect(page.get_by_text(ADDENDUM)).to_be_visible()
    assert Addendum.objects.filter(note=note).count() == 1

    page.goto(f"/clients/{north_client.pk}/file/")
    notes_section = page.locator("#cf-notes")
    expect(notes_section).to_contain_text(FACTS)
    expect(notes_section).to_contain_text(ADDENDUM)
    text = notes_section.inner_text()
    assert text.index(FACTS) < text.index(ADDENDUM)
