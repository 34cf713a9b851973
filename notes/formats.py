"""How a note's sections are laid out in each format. The sections are stored the same way
whatever the format, so facts and impressions stay apart and a note can be shown in any
layout; the format decides the headings and which sections sit under each."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .models import NoteFormat


@dataclass(frozen=True)
class Heading:
    label: str | Promise
    fields: tuple[str, ...]


LAYOUTS: dict[str, tuple[Heading, ...]] = {
    NoteFormat.NARRATIVE: (
        Heading(_("Purpose"), ("purpose",)),
        Heading(_("What happened (facts)"), ("observations", "client_quotes")),
        Heading(_("Impressions"), ("impressions",)),
        Heading(_("Interventions and resolution"), ("interventions",)),
        Heading(_("Next steps"), ("next_steps",)),
    ),
    NoteFormat.DAP: (
        Heading(_("Purpose"), ("purpose",)),
        Heading(_("Data"), ("observations", "client_quotes")),
        Heading(_("Assessment"), ("impressions",)),
        Heading(_("Plan"), ("interventions", "next_steps")),
    ),
    NoteFormat.SOAP: (
        Heading(_("Purpose"), ("purpose",)),
        Heading(_("Subjective"), ("client_quotes",)),
        Heading(_("Objective"), ("observations",)),
        Heading(_("Assessment"), ("impressions",)),
        Heading(_("Plan"), ("interventions", "next_steps")),
    ),
}


def layout(note_format: str) -> tuple[Heading, ...]:
    return LAYOUTS.get(note_format, LAYOUTS[NoteFormat.NARRATIVE])
