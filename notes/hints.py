"""Documentation-quality hints: non-blocking advice while a note is written.

They look for wording that is not person-first, judgmental wording, impressions written in
the facts section, and a missing purpose or next step. The word lists are agency settings
(accounts.Agency), one entry per line: "wording => what to write instead".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from django.utils.translation import gettext as _

from casemgmt.accounts.models import Agency

#: Sections whose text the wording checks read. The client's own words are left out: a
#: quotation is recorded as it was said, whatever the wording.
CHECKED_SECTIONS = (
    "purpose",
    "observations",
    "impressions",
    "interventions",
    "next_steps",
)
#: The facts section, where impressions do not belong.
FACT_SECTIONS = ("observations",)


@dataclass(frozen=True)
class Hint:
    kind: str  # person_first | judgmental | impression_in_facts | missing
    section: str
    wording: str
    suggestion: str

    @property
    def message(self) -> str:
        if self.kind == "missing":
            return self.suggestion
        words = {"wording": self.wording, "suggestion": self.suggestion}
        if self.kind == "person_first":
            if not self.suggestion:
                return _("“%(wording)s” is not person-first.") % words
            return _("“%(wording)s” is not person-first: try “%(suggestion)s”.") % words
        if self.kind == "judgmental":
            if not self.suggestion:
                return _("“%(wording)s” can read as a judgment.") % words
            return _("“%(wording)s” can read as a judgment: try “%(suggestion)s”.") % words
        if not self.suggestion:
            return _("“%(wording)s” sounds like an impression in the facts.") % words
        return _("“%(wording)s” sounds like an impression in the facts: %(suggestion)s.") % words


def parse_terms(text: str) -> tuple[tuple[str, str], ...]:
    """The agency's list as (wording, suggestion) pairs; blank lines and lines without a
    wording are skipped, a line without " => " has no suggestion."""
    entries = []
    for line in text.splitlines():
        wording, _sep, suggestion = line.partition("=>")
        wording = wording.strip()
        if wording:
            entries.append((wording, suggestion.strip()))
    return tuple(entries)


@lru_cache(maxsize=64)
def _pattern(wording: str) -> re.Pattern[str]:
    # Whole words only ("clean" must not match "cleaning"), any spacing, any case.
    words = [re.escape(word) for word in wording.split()]
    return re.compile(r"(?<![\w-])" + r"\s+".join(words) + r"(?![\w-])", re.IGNORECASE)


def _find(kind: str, section: str, text: str, terms: tuple[tuple[str, str], ...]) -> list[Hint]:
    """One hint per listed wording found, in the list's order. A wording found only inside
    a longer one already found ("addict" in "an addict") is not repeated."""
    matches: list[tuple[int, re.Match[str], str]] = []
    for position, (wording, suggestion) in enumerate(terms):
        match = _pattern(wording).search(text)
        if match:
            matches.append((position, match, suggestion))
    kept: list[tuple[int, re.Match[str], str]] = []
    for candidate in sorted(matches, key=lambda m: m[1].end() - m[1].start(), reverse=True):
        start, end = candidate[1].span()
        if not any(k[1].start() <= start and end <= k[1].end() for k in kept):
            kept.append(candidate)
    return [
        Hint(kind, section, match.group(0), suggestion)
        for _position, match, suggestion in sorted(kept, key=lambda m: m[0])
    ]


def note_hints(agency: Agency, sections: Mapping[str, str]) -> list[Hint]:
    """Every hint for a note's sections, in section order. Never blocks signing."""
    person_first = parse_terms(agency.non_person_first_terms)
    judgmental = parse_terms(agency.judgmental_terms)
    impressions = parse_terms(agency.impression_terms)
    hints: list[Hint] = []
    if not (sections.get("purpose") or "").strip():
        hints.append(Hint("missing", "purpose", "", _("Say what the contact was for.")))
    for section in CHECKED_SECTIONS:
        text = sections.get(section, "") or ""
        if not text.strip():
            continue
        hints += _find("person_first", section, text, person_first)
        hints += _find("judgmental", section, text, judgmental)
        if section in FACT_SECTIONS:
            hints += _find("impression_in_facts", section, text, impressions)
    if not (sections.get("next_steps") or "").strip():
        hints.append(
            Hint("missing", "next_steps", "", _("Add the next step, even if it is “none needed”."))
        )
    return hints
