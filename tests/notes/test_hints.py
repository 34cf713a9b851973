"""Documentation-quality hints: wording that is not person-first, judgmental wording,
impressions written in the facts, a missing purpose or next step. Whole words only, any
case and spacing; the agency's lists decide; never a reason a note cannot be signed."""

from __future__ import annotations

import pytest

from casemgmt.accounts.models import Agency, Team, User
from clients.models import Client
from notes.hints import Hint, note_hints, parse_terms
from notes.models import CaseNote, NoteStatus
from notes.services import note_sign

from .note_fixtures import draft_note

pytestmark = pytest.mark.django_db

COMPLETE = {
    "purpose": "Monthly check-in.",
    "observations": "",
    "client_quotes": "",
    "impressions": "",
    "interventions": "",
    "next_steps": "Call on Friday.",
}


@pytest.fixture
def agency(team_north: Team) -> Agency:
    return Agency.for_team(team_north.pk)


def _hints(agency: Agency, **sections: str) -> list[Hint]:
    return note_hints(agency, {**COMPLETE, **sections})


def _found(hints: list[Hint]) -> set[tuple[str, str, str]]:
    return {(h.kind, h.section, h.wording.lower()) for h in hints}


@pytest.mark.parametrize(
    ("text", "wording"),
    [
        ("Met with the schizophrenic at the clinic.", "schizophrenic"),
        ("He is an addict and knows it.", "an addict"),
        ("Program for the mentally ill downtown.", "the mentally ill"),
        ("Was wheelchair-bound after the fall.", "wheelchair-bound"),
    ],
)
def test_not_person_first(agency: Agency, text: str, wording: str) -> None:
    hints = _hints(agency, observations=text)
    assert ("person_first", "observations", wording) in _found(hints)
    hint = next(h for h in hints if h.wording.lower() == wording)
    assert "person-first" in hint.message and hint.suggestion in hint.message


def test_a_longer_wording_is_not_repeated_by_a_shorter_one(agency: Agency) -> None:
    hints = _hints(agency, observations="He is an addict.")
    assert [h.wording for h in hints] == ["an addict"]


@pytest.mark.parametrize(
    "wording", ["noncompliant", "non-compliant", "manipulative", "refused", "claims"]
)
def test_judgmental(agency: Agency, wording: str) -> None:
    hints = _hints(agency, interventions=f"Client {wording} the plan.")
    assert ("judgmental", "interventions", wording) in _found(hints)


def test_refused_suggests_declined(agency: Agency) -> None:
    (hint,) = _hints(agency, observations="She refused the shelter bed.")
    assert hint.message == "“refused” can read as a judgment: try “declined”."


def test_impressions_belong_in_impressions_not_in_the_facts(agency: Agency) -> None:
    in_facts = _hints(agency, observations="Client seems tired. I think she slept badly.")
    assert ("impression_in_facts", "observations", "seems") in _found(in_facts)
    assert ("impression_in_facts", "observations", "i think") in _found(in_facts)
    in_impressions = _hints(agency, impressions="Client seems tired. I think she slept badly.")
    assert in_impressions == []


def test_whole_words_only(agency: Agency) -> None:
    assert _hints(agency, observations="Cleaning the kitchen; the unclean dishes were gone.") == []
    assert _hints(agency, observations="Refusedly") == []
    assert _hints(agency, observations="Talked about the addiction clinic.") == []
    assert _found(_hints(agency, observations="Says he is clean now.")) == {
        ("judgmental", "observations", "clean")
    }


def test_any_case_and_spacing(agency: Agency) -> None:
    found = _found(_hints(agency, observations="Works with THE   Mentally\nIll at the centre."))
    assert ("person_first", "observations", "the   mentally\nill") in found


def test_the_clients_own_words_are_not_checked(agency: Agency) -> None:
    assert _hints(agency, client_quotes="“I'm an addict and I refused the bed.”") == []


def test_missing_purpose_and_next_step(agency: Agency) -> None:
    hints = _hints(agency, purpose="  ", next_steps="")
    assert [(h.kind, h.section) for h in hints] == [
        ("missing", "purpose"),
        ("missing", "next_steps"),
    ]
    assert hints[0].message == "Say what the contact was for."
    assert _hints(agency) == []


def test_an_administrator_edits_the_lists(agency: Agency) -> None:
    text = "Client was tardy and refused the bed."
    assert _found(_hints(agency, observations=text)) == {("judgmental", "observations", "refused")}
    agency.judgmental_terms = "tardy => arrived at (say when)\nbad attitude"
    agency.save(update_fields=["judgmental_terms"])
    fresh = Agency.objects.get(pk=agency.pk)
    hints = _hints(fresh, observations=text + " Bad  attitude.")
    assert _found(hints) == {
        ("judgmental", "observations", "tardy"),
        ("judgmental", "observations", "bad  attitude"),
    }
    no_suggestion = next(h for h in hints if h.wording.lower().startswith("bad"))
    assert no_suggestion.message == "“Bad  attitude” can read as a judgment."


def test_parse_terms_skips_blank_lines() -> None:
    assert parse_terms("\n  seems => describe it\n=> nothing\nplain\n") == (
        ("seems", "describe it"),
        ("plain", ""),
    )


def test_hints_never_block_signing(north_client: Client, case_manager: User) -> None:
    note = draft_note(
        north_client,
        case_manager,
        observations="Client seems manipulative and was noncompliant; an addict.",
    )
    signed = note_sign(actor=case_manager, note=note)
    assert CaseNote.objects.get(pk=signed.pk).status == NoteStatus.SIGNED
