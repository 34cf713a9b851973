"""Import a provider directory from an HSDS file: 3.0 JSON, a 3.0 tabular data package, or the
older 1.1 tabular layout (folder, zip or single CSV; see `readers`).

Rules:

- **Ids.** HSDS ids are kept; an id that is not a UUID becomes `uuid5(NAMESPACE,
  "<table>:<id>")`, so importing the same file again updates the same rows (upsert by id, in
  bulk). A row whose values did not change is not written again. Nothing is deleted: rows a
  later file leaves out stay as they were; a column the file lacks keeps its value. Fields the
  agency keeps itself (accepting new clients, verified wait time, capacity note, payers,
  verification, "one of our own programs") are never touched. When a file has a languages,
  documents or categories table, it is the whole list for the services in the file (an
  earlier import's extras go); eligibility rows replace a service's eligibility text.
- **History.** Organizations and services written get a history row (who started the import,
  "Imported from an HSDS file"), copied in one statement per table.
- **Cleaning.** Text is trimmed, 1.1 exports' `###MON###`-style markers and literal `\\n`
  escapes are removed, over-long values are cut to the column's length; numbers, times, dates
  and codes that cannot be read are left empty. Each such change is reported as a skipped
  *value* (an entry with a `field`), the row itself is kept.
- **Skipped rows.** A row is skipped, with its table, row number, id and a plain reason, when
  it lacks what it cannot exist without (an id, a name, a phone number, an address line and
  city …), repeats an id already read, or points at a record it needs that is neither in the
  file nor in the directory (an address's location, a category's term …). A link a row can do
  without (a service's or a location's organization, a term's parent) that points nowhere is
  dropped and reported as a skipped value — skipping those rows would lose most of a real
  export: in the 211 Miami file, 3,015 of 4,089 locations and 447 of 4,089 services name an
  organization that is not in it. HSDS 3.0 does not require a service's organization; such a
  service is kept without one, and referrals are not made to it until an administrator
  completes the entry. Contacts, phones, schedules and languages are skipped when no record
  they belong to is left.
- **Counts** per HSDS 3.0 table: rows created, updated, skipped (and, for tables Casework
  keeps no copy of, rows ignored). Languages, documents, eligibility and categories count
  the values they give a service: created when the service did not have it before.
- **Search.** The imported services' full-text search vectors are rebuilt in one statement.

**Transactions and progress.** Everything an import writes is one transaction: a file either
goes in whole or not at all, and a failure leaves the directory as it was. Progress cannot be
saved on the `DirectoryImport` row from inside that transaction (nobody would see it until the
end), so it is written through a second database connection of its own, in autocommit, with
`FOR UPDATE SKIP LOCKED`: it never waits for a lock — if the row is locked (a caller holding it
in an outer transaction) that progress step is simply not shown. The import's own transaction
never touches the row; the outcome (status, counts, skipped rows) is saved on the ordinary
connection once the transaction has committed or rolled back.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import shutil
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import (
    DEFAULT_DB_ALIAS,
    DatabaseError,
    connection,
    connections,
    models,
    transaction,
)
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from casemgmt.accounts.models import User

from ..models import (
    Accessibility,
    Address,
    Contact,
    DirectoryImport,
    ImportStatus,
    Location,
    LocationType,
    Organization,
    Phone,
    Schedule,
    Service,
    ServiceAtLocation,
    ServiceStatus,
    Taxonomy,
    TaxonomyTerm,
)
from ..services.directory import can_manage_directory, service_search_vectors_refresh
from . import readers
from .readers import ImportFileError

__all__ = [
    "NAMESPACE",
    "ImportFileError",
    "ImportResult",
    "SkippedRow",
    "directory_import_claim",
    "directory_import_create",
    "directory_import_execute",
    "hsds_uuid",
    "import_directory",
    "iter_tables",
    "totals",
]

logger = logging.getLogger(__name__)

#: The namespace of the uuid5 ids given to HSDS ids that are not UUIDs.
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://openreferral.org/hsds/")

ProgressCallback = Callable[[int, str], None]

#: HSDS 3.0 tables in the order they are checked and written.
TABLES = (
    "taxonomy",
    "taxonomy_term",
    "organization",
    "service",
    "location",
    "address",
    "accessibility",
    "service_at_location",
    "contact",
    "phone",
    "schedule",
    "attribute",
    "language",
    "required_document",
    "eligibility",
)

MODELS: dict[str, type[models.Model]] = {
    "taxonomy": Taxonomy,
    "taxonomy_term": TaxonomyTerm,
    "organization": Organization,
    "service": Service,
    "location": Location,
    "address": Address,
    "accessibility": Accessibility,
    "service_at_location": ServiceAtLocation,
    "contact": Contact,
    "phone": Phone,
    "schedule": Schedule,
}

#: Tables whose rows become values of a service or phone, not rows of their own.
VALUE_TABLES = ("attribute", "language", "required_document", "eligibility")

#: What each table's row is called in a reason.
LABELS = {
    "taxonomy": "taxonomy",
    "taxonomy_term": "category",
    "organization": "organization",
    "service": "service",
    "location": "location",
    "address": "address",
    "accessibility": "accessibility note",
    "service_at_location": "service at location",
    "contact": "contact",
    "phone": "phone",
    "schedule": "schedule",
    "attribute": "category link",
    "language": "language",
    "required_document": "required document",
    "eligibility": "eligibility",
}

# How each imported column is cleaned: "line" (one line of text), "text" (paragraphs), or a
# parser below.
FIELDS: dict[str, dict[str, str]] = {
    "taxonomy": {"name": "line", "description": "text", "uri": "line", "version": "line"},
    "taxonomy_term": {"code": "line", "name": "line", "description": "text", "term_uri": "line"},
    "organization": {
        "name": "line",
        "alternate_name": "line",
        "description": "text",
        "email": "line",
        "website": "line",
        "tax_status": "line",
        "tax_id": "line",
        "year_incorporated": "year",
        "legal_status": "line",
    },
    "service": {
        "name": "line",
        "alternate_name": "line",
        "description": "text",
        "url": "line",
        "email": "line",
        "status": "status",
        "interpretation_services": "text",
        "application_process": "text",
        "fees_description": "text",
        "wait_time": "text",
        "accreditations": "text",
        "licenses": "text",
        "eligibility_description": "text",
        "minimum_age": "age",
        "maximum_age": "age",
        "alert": "text",
        "last_modified": "datetime",
    },
    "location": {
        "location_type": "location_type",
        "url": "line",
        "name": "line",
        "alternate_name": "line",
        "description": "text",
        "transportation": "text",
        "latitude": "latitude",
        "longitude": "longitude",
    },
    "address": {
        "attention": "line",
        "address_1": "line",
        "address_2": "line",
        "city": "line",
        "region": "line",
        "state_province": "line",
        "postal_code": "line",
        "country": "country",
        "address_type": "location_type",
    },
    "accessibility": {"description": "text", "details": "text", "url": "line"},
    "service_at_location": {"description": "text"},
    "contact": {"name": "line", "title": "line", "department": "line", "email": "line"},
    "phone": {
        "number": "phone",
        "extension": "line",
        "type": "line",
        "description": "text",
        "languages": "list",
    },
    "schedule": {
        "freq": "freq",
        "interval": "count",
        "byday": "byday",
        "opens_at": "time",
        "closes_at": "time",
        "valid_from": "date",
        "valid_to": "date",
        "description": "text",
        "notes": "text",
    },
    "attribute": {"link_entity": "line"},
    "language": {"name": "line", "code": "line"},
    "required_document": {"document": "line"},
    "eligibility": {"eligibility": "text"},
}

#: A row is skipped without these; one of each tuple is enough.
REQUIRED: dict[str, tuple[tuple[str, ...], ...]] = {
    "taxonomy": (("name",),),
    "taxonomy_term": (("name",),),
    "organization": (("name",),),
    "service": (("name",),),
    "address": (("address_1",), ("city",)),
    "accessibility": (("description", "details"),),
    "contact": (("name", "title", "department", "email"),),
    "phone": (("number",),),
    "language": (("name", "code"),),
    "required_document": (("document",),),
    "eligibility": (("eligibility",),),
}


#: What a required column is called in a reason.
FIELD_WORDS = {
    "address_1": "street address",
    "number": "number",
    "email": "e-mail",
    "code": "code",
}


@dataclass(frozen=True)
class Link:
    field: str  # the column in the file, also the model's attname
    target: str  # the table it points at
    required: bool = False


LINKS: dict[str, tuple[Link, ...]] = {
    "taxonomy_term": (Link("taxonomy_id", "taxonomy"), Link("parent_id", "taxonomy_term")),
    "service": (Link("organization_id", "organization"),),
    "location": (Link("organization_id", "organization"),),
    "address": (Link("location_id", "location", required=True),),
    "accessibility": (Link("location_id", "location", required=True),),
    "service_at_location": (
        Link("service_id", "service", required=True),
        Link("location_id", "location", required=True),
    ),
    "contact": (
        Link("organization_id", "organization"),
        Link("service_id", "service"),
        Link("service_at_location_id", "service_at_location"),
        Link("location_id", "location"),
    ),
    "phone": (
        Link("organization_id", "organization"),
        Link("service_id", "service"),
        Link("location_id", "location"),
        Link("contact_id", "contact"),
        Link("service_at_location_id", "service_at_location"),
    ),
    "schedule": (
        Link("service_id", "service"),
        Link("location_id", "location"),
        Link("service_at_location_id", "service_at_location"),
    ),
    "attribute": (
        Link("link_id", "service", required=True),
        Link("taxonomy_term_id", "taxonomy_term", required=True),
    ),
    "language": (Link("service_id", "service"), Link("phone_id", "phone")),
    "required_document": (Link("service_id", "service", required=True),),
    "eligibility": (Link("service_id", "service", required=True),),
}

#: Tables whose rows must keep at least one of their (optional) links.
NEEDS_OWNER = {"contact", "phone", "schedule", "language"}

#: Attributes that link a term to one of these are about something Casework keeps no
#: categories for; they are counted as ignored.
OTHER_ENTITIES = {
    "organization",
    "location",
    "service_at_location",
    "contact",
    "phone",
    "program",
    "schedule",
    "address",
}

#: Fields the agency keeps itself: an import never overwrites them.
AGENCY_FIELDS = {
    "accepting_new_clients",
    "wait_time_days",
    "capacity_note",
    "payers_accepted",
    "last_verified_on",
    "last_verified_by",
    "is_internal",
    "search_vector",
}

STATUSES = {
    "active": ServiceStatus.ACTIVE,
    "inactive": ServiceStatus.INACTIVE,
    "defunct": ServiceStatus.DEFUNCT,
    "temporarily closed": ServiceStatus.TEMPORARILY_CLOSED,
    "temporarily_closed": ServiceStatus.TEMPORARILY_CLOSED,
    "temporarily-closed": ServiceStatus.TEMPORARILY_CLOSED,
}

#: Longest language name kept in a service's languages; longer text is a note about
#: interpreting and goes to the service's interpretation services instead.
LANGUAGE_MAX = 60  # Service.languages' item length

#: 1.1 export markers, whole (`###MON###`) or cut short (`##MON##`, `MON###`, `##`).
_MARKER = re.compile(r"#{2,}[A-Za-z0-9_]{0,20}#*|\b[A-Z]{2,20}#{2,}")
_BLANK_LINES = re.compile(r"\n{3,}")
_TIME = re.compile(
    r"^(?P<h>\d{1,2})(?:[:.]?(?P<m>\d{2}))?(?::(?P<s>\d{2}))?(?!\d)\s*"
    r"(?P<half>a\.?\s?m\.?|p\.?\s?m\.?|a|p)?(?P<rest>.*)$",
    re.IGNORECASE,
)
_EXTENSION = re.compile(r"^(?P<number>.*?)[\s,]*(?:x|ext\.?|extension)\s*(?P<ext>\d+)$", re.I)
_BYDAY = re.compile(r"^[+-]?\d{0,2}(MO|TU|WE|TH|FR|SA|SU)$")
_COUNTRIES = {"USA": "US", "U.S.": "US", "U.S.A.": "US", "UNITED STATES": "US"}


# --- Results ----------------------------------------------------------------------------


@dataclass
class SkippedRow:
    """A row left out (no `field`), or one value of a kept row left out (`field` names it)."""

    table: str
    row: int
    id: str
    reason: str
    field: str = ""
    path: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v != "" or k in ("id", "reason")}


@dataclass
class ImportResult:
    format: str
    #: {"service": {"created": 3641, "updated": 0, "skipped": 448}, …}
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    skipped: list[SkippedRow] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def skipped_rows(self) -> list[SkippedRow]:
        return [s for s in self.skipped if not s.field]

    @property
    def skipped_values(self) -> list[SkippedRow]:
        return [s for s in self.skipped if s.field]

    def count(self, table: str, what: str) -> int:
        return self.counts.get(table, {}).get(what, 0)


# --- Cleaning ---------------------------------------------------------------------------


class _Bad(ValueError):
    """A value that cannot be read; the message says what it is not."""


def hsds_uuid(table: str, raw_id: str) -> uuid.UUID:
    """An HSDS id as the directory keeps it: itself when a UUID, else uuid5 of table and id."""
    if len(raw_id) >= 32:
        try:
            return uuid.UUID(raw_id)
        except ValueError:
            pass
    return uuid.uuid5(NAMESPACE, f"{table}:{raw_id}")


def clean_text(value: Any, *, multiline: bool) -> str:
    """Trimmed text without 1.1 export markers (`###MON###`) or literal `\\n` escapes."""
    if value is None:
        return ""
    text = str(value).replace("\\r\\n", "\n").replace("\\n", "\n").replace("\\t", " ")
    text = _MARKER.sub(" ", text).replace("\r\n", "\n").replace("\r", "\n")
    if not multiline:
        return " ".join(text.split())
    lines = [" ".join(line.split()) for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def parse_time(text: str) -> dt.time | None:
    """ "9:00am", "9am", "830am", "5:00pm Mon", "17:00:00", "noon" → a time; None if empty."""
    text = text.strip().lower()
    if not text:
        return None
    if text.startswith("noon"):
        return dt.time(12, 0)
    if text.startswith("midnight"):
        return dt.time(0, 0)
    match = _TIME.match(text)
    if not match or (match["rest"] and match["rest"][0] not in " (,;-\u2013"):
        raise _Bad(_("not a time"))
    hour, minute, second = int(match["h"]), int(match["m"] or 0), int(match["s"] or 0)
    half = (match["half"] or "")[:1]
    if half:
        if not 1 <= hour <= 12:
            raise _Bad(_("not a time"))
        hour = hour % 12 + (12 if half == "p" else 0)
    if hour > 23 or minute > 59 or second > 59:
        raise _Bad(_("not a time"))
    return dt.time(hour, minute, second)


def _number(value: Any) -> Decimal:
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation as error:
        raise _Bad(_("not a number")) from error
    if not number.is_finite():
        raise _Bad(_("not a number"))
    return number


def _whole(value: Any, low: int, high: int) -> int:
    number = _number(value)
    if number != number.to_integral_value() or not low <= number <= high:
        raise _Bad(_("not a whole number from %(low)d to %(high)d") % {"low": low, "high": high})
    return int(number)


def _coordinate(value: Any, limit: int) -> Decimal:
    number = _number(value)
    if not -limit <= number <= limit:
        raise _Bad(_("not between -%(limit)d and %(limit)d") % {"limit": limit})
    return number.quantize(Decimal("0.000001"))


def _date(value: Any) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value).strip()[:10])
    except ValueError as error:
        raise _Bad(_("not a date (YYYY-MM-DD)")) from error


def _datetime(value: Any) -> dt.datetime:
    text = str(value).strip().replace("Z", "+00:00")
    try:
        moment = parse_datetime(text) or dt.datetime.fromisoformat(text[:10])
    except ValueError as error:
        raise _Bad(_("not a date and time")) from error
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _byday(value: Any) -> str:
    days = [d for d in re.split(r"[\s,;]+", str(value).upper()) if d]
    if not all(_BYDAY.match(d) for d in days):
        raise _Bad(_("not a list of days such as MO,TU"))
    return ",".join(days)


def _freq(value: Any) -> str:
    text = str(value).strip().upper()
    if text not in ("WEEKLY", "MONTHLY", "DAILY", "YEARLY"):
        raise _Bad(_("not WEEKLY or MONTHLY"))
    return text


def _location_type(value: Any) -> str:
    text = str(value).strip().lower()
    if text not in LocationType.values:
        raise _Bad(_("not physical, postal or virtual"))
    return text


def _country(value: Any) -> str:
    text = clean_text(value, multiline=False).upper()
    text = _COUNTRIES.get(text, text)
    if not re.fullmatch(r"[A-Z]{2}", text):
        raise _Bad(_("not a two-letter country code"))
    return text


def _phone_number(value: Any) -> tuple[str, str]:
    text = clean_text(value, multiline=False).strip("\"' ")
    match = _EXTENSION.match(text)
    if match and match["number"]:
        return match["number"].strip(), match["ext"]
    return text, ""


# --- The import -------------------------------------------------------------------------


@dataclass
class _Row:
    """A record that passed its checks: its id, its cleaned model values, and the values left
    out of it (reported only if the row itself is kept)."""

    record: readers.Record
    pk: uuid.UUID
    values: dict[str, Any]
    drops: list[tuple[str, str]] = field(default_factory=list)


_PARSERS: dict[str, Callable[[str], Any]] = {
    "year": lambda t: _whole(t, 1000, 2200),
    "age": lambda t: _whole(t, 0, 150),
    "count": lambda t: _whole(t, 0, 32767),
    "latitude": lambda t: _coordinate(t, 90),
    "longitude": lambda t: _coordinate(t, 180),
    "time": parse_time,
    "date": _date,
    "datetime": _datetime,
    "byday": _byday,
    "freq": _freq,
    "location_type": _location_type,
    "country": _country,
}

#: What an empty value of each kind becomes; kinds absent here keep the model's default.
_EMPTY: dict[str, Any] = {"freq": "", "byday": ""} | dict.fromkeys(
    ("year", "age", "count", "latitude", "longitude", "time", "date")
)


class _Progress:
    """Progress for the callback and, for a run, for its row — written through a connection of
    its own (see the module docstring), never waiting for a lock."""

    def __init__(self, run: DirectoryImport | None, callback: ProgressCallback | None) -> None:
        self.run = run
        self.callback = callback
        self.percent = 0
        self._connection: Any = None

    def __call__(self, percent: int, stage: str) -> None:
        self.percent = max(self.percent, min(100, int(percent)))
        if self.callback is not None:
            self.callback(self.percent, stage)
        if self.run is not None and self.run.pk is not None:
            self.run.progress, self.run.stage = self.percent, stage[:100]
            self._write()

    def _write(self) -> None:
        if self.run is None:
            return
        table = connections[DEFAULT_DB_ALIAS].ops.quote_name(DirectoryImport._meta.db_table)
        sql = (
            f"UPDATE {table} SET progress = %s, stage = %s "  # noqa: S608 - a model's table name
            f"WHERE id = (SELECT id FROM {table} WHERE id = %s FOR UPDATE SKIP LOCKED)"
        )
        try:
            if self._connection is None:
                self._connection = connections.create_connection(DEFAULT_DB_ALIAS)
            with self._connection.cursor() as cursor:
                cursor.execute(sql, [self.run.progress, self.run.stage, self.run.pk])
        except DatabaseError:
            logger.warning("Could not record the progress of import %s", self.run.pk)

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


class _Importer:
    def __init__(self, source: readers.Source, progress: _Progress, actor: User | None) -> None:
        self.source = source
        self.progress = progress
        self.actor = actor
        self.result = ImportResult(format=source.format)
        self.counts: dict[str, Counter[str]] = {t: Counter() for t in TABLES}
        self.rows: dict[str, dict[uuid.UUID, _Row]] = {t: {} for t in TABLES}
        self.values: dict[str, list[_Row]] = {t: [] for t in VALUE_TABLES}
        #: Ids each table may be pointed at: this import's rows and the directory's.
        self.known: dict[str, set[uuid.UUID]] = defaultdict(set)
        #: Rows skipped, by table and id, to say why a row pointing at them is skipped too.
        self.skipped_ids: dict[str, dict[uuid.UUID, readers.Record]] = defaultdict(dict)
        self.now = timezone.now()
        self.service_ids: list[uuid.UUID] = []
        #: Rows actually inserted or changed, by table.
        self.written: dict[str, set[uuid.UUID]] = {}
        self.categories_changed: set[uuid.UUID] = set()
        self._uuids: dict[tuple[str, str], uuid.UUID] = {}

    # Reporting -------------------------------------------------------------------------

    def skip(self, record: readers.Record, reason: str) -> None:
        self.counts[record.table]["skipped"] += 1
        self.result.skipped.append(
            SkippedRow(record.source, record.row, record.raw_id, reason, path=record.path)
        )

    def keep(self, row: _Row) -> None:
        """The row is in: report the values left out of it."""
        record = row.record
        for name, reason in row.drops:
            self.result.skipped.append(
                SkippedRow(
                    record.source, record.row, record.raw_id, reason, field=name, path=record.path
                )
            )

    def pk_for(self, table: str, raw: str) -> uuid.UUID:
        key = (table, raw)
        pk = self._uuids.get(key)
        if pk is None:
            pk = self._uuids[key] = hsds_uuid(table, raw)
        return pk

    # Checking --------------------------------------------------------------------------

    def run(self) -> ImportResult:
        by_table: dict[str, list[readers.Record]] = defaultdict(list)
        for record in self.source.records:
            by_table[record.table].append(record)
        for rejected in self.source.rejected:
            self.result.skipped.append(
                SkippedRow(
                    rejected.source, rejected.row, rejected.id, rejected.reason, path=rejected.path
                )
            )
            if rejected.source in self.counts:
                self.counts[rejected.source]["skipped"] += 1
        for number, table in enumerate(TABLES):
            self.progress(10 + 5 * number // len(TABLES), _("Checking the rows"))
            self.check_table(table, by_table.get(table, []))
        self.write()
        for table, rows in self.source.ignored.items():
            self.counts.setdefault(table, Counter())["ignored"] += rows
        self.result.counts = {
            table: {k: counts.get(k, 0) for k in ("created", "updated", "skipped")}
            | ({"ignored": counts["ignored"]} if counts.get("ignored") else {})
            for table, counts in self.counts.items()
            if sum(counts.values())
        }
        return self.result

    def check_table(self, table: str, records: list[readers.Record]) -> None:
        candidates: list[_Row] = []
        first_row: dict[uuid.UUID, readers.Record] = {}
        fields = self.field_specs(table)
        for record in records:
            if table not in VALUE_TABLES and not record.raw_id:
                self.skip(record, _("The row has no id."))
                continue
            pk = self.pk_for(table, record.raw_id)
            if table not in VALUE_TABLES:
                if pk in first_row:
                    self.skip(
                        record,
                        _("The id %(id)s appears again; the first one (row %(row)d) is kept.")
                        % {"id": record.raw_id, "row": first_row[pk].row},
                    )
                    continue
                first_row[pk] = record
            row = _Row(record, pk, {})
            self.clean(row, fields)
            missing = self.missing_required(table, row.values)
            if missing:
                self.skip(record, missing)
                self.skipped_ids[table][pk] = record
                continue
            candidates.append(row)
        if table in MODELS:
            # Known before linking, so rows may point at others of their table (a parent).
            self.known[table].update(row.pk for row in candidates)
        self.load_known(table, candidates)
        for row in candidates:
            if self.link(table, row):
                if table in VALUE_TABLES:
                    self.values[table].append(row)
                else:
                    self.rows[table][row.pk] = row
                self.keep(row)
            else:
                self.known[table].discard(row.pk)
                self.skipped_ids[table][row.pk] = row.record
        if table == "service_at_location":
            self.check_pairs()

    @staticmethod
    def field_specs(table: str) -> list[tuple[str, str, int | None]]:
        model = MODELS.get(table)
        return [
            (name, kind, _max_length(model, name) if kind in ("line", "text") else None)
            for name, kind in FIELDS.get(table, {}).items()
        ]

    def clean(self, row: _Row, fields: list[tuple[str, str, int | None]]) -> None:
        data, values, drops = row.record.data, row.values, row.drops
        split_extension = ""
        for name, kind, limit in fields:
            if name not in data:
                continue
            raw = data[name]
            if kind == "line" or kind == "text":
                text = clean_text(raw, multiline=kind == "text")
                if limit and len(text) > limit:
                    drops.append(
                        (
                            name,
                            _("Cut to %(limit)d characters (it had %(length)d).")
                            % {"limit": limit, "length": len(text)},
                        )
                    )
                    text = text[:limit].rstrip()
                values[name] = text
            elif kind == "list":
                items = raw if isinstance(raw, list) else [raw]
                values[name] = [t for t in (clean_text(i, multiline=False) for i in items) if t]
            elif kind == "status":
                values[name] = self.status(clean_text(raw, multiline=False), drops)
            elif kind == "phone":
                values[name], split_extension = _phone_number(raw)
            else:
                text = clean_text(raw, multiline=False)
                if not text:
                    if kind in _EMPTY:
                        values[name] = _EMPTY[kind]
                    continue
                try:
                    values[name] = _PARSERS[kind](text)
                except _Bad as bad:
                    problem = _("“%(value)s” is %(problem)s; left empty.")
                    drops.append((name, problem % {"value": text[:60], "problem": bad}))
                    if kind in _EMPTY:
                        values[name] = _EMPTY[kind]
        if split_extension and not values.get("extension"):
            values["extension"] = split_extension
        if "bad_weekday" in data:
            reason = _("“%(value)s” is not a day of the week; left empty.")
            drops.append(("weekday", reason % {"value": data["bad_weekday"]}))
        if row.record.table in ("organization", "service") and "last_modified" not in values:
            values["last_modified"] = self.now

    @staticmethod
    def status(text: str, drops: list[tuple[str, str]]) -> str:
        if not text:
            return ServiceStatus.ACTIVE
        status = STATUSES.get(text.lower())
        if status is None:
            reason = _("“%(value)s” is not an HSDS service status; imported as active.")
            drops.append(("status", reason % {"value": text[:60]}))
            return ServiceStatus.ACTIVE
        return status

    @staticmethod
    def missing_required(table: str, values: dict[str, Any]) -> str:
        for names in REQUIRED.get(table, ()):
            if not any(values.get(n) for n in names):
                words = [FIELD_WORDS.get(n, n.replace("_", " ")) for n in names]
                listed = words[0]
                if len(words) > 1:
                    listed = _("%(some)s or %(last)s") % {
                        "some": ", ".join(words[:-1]),
                        "last": words[-1],
                    }
                return _("The %(what)s has no %(fields)s.") % {
                    "what": LABELS[table],
                    "fields": listed,
                }
        return ""

    def load_known(self, table: str, rows: list[_Row]) -> None:
        """Add the directory's rows that this table's rows point at but the file lacks."""
        wanted: dict[str, set[uuid.UUID]] = defaultdict(set)
        for link in LINKS.get(table, ()):
            known = self.known[link.target]
            for row in rows:
                raw = _raw(row.record.data.get(link.field))
                if raw:
                    pk = self.pk_for(link.target, raw)
                    if pk not in known:
                        wanted[link.target].add(pk)
        for target, pks in wanted.items():
            model = MODELS[target]
            found = model._default_manager.filter(pk__in=pks).values_list("pk", flat=True)
            self.known[target].update(found)

    def link(self, table: str, row: _Row) -> bool:
        """Resolve the row's links; False (and the row skipped) when it cannot stand."""
        record = row.record
        if table == "attribute":
            entity = (row.values.get("link_entity") or "").lower()
            if entity in OTHER_ENTITIES:
                self.source.ignored["attribute"] += 1
                return False
        owners, named, lost = 0, 0, ""
        for link in LINKS.get(table, ()):
            raw = _raw(record.data.get(link.field))
            if not raw:
                if link.required:
                    self.skip(
                        record,
                        _("The %(what)s names no %(target)s.")
                        % {"what": LABELS[table], "target": LABELS[link.target]},
                    )
                    return False
                if link.field in record.data:
                    row.values[link.field] = None
                continue
            named += 1
            pk = self.pk_for(link.target, raw)
            if pk in self.known[link.target]:
                row.values[link.field] = pk
                owners += 1
                continue
            reason = self.why_missing(link.target, raw, pk)
            if link.required:
                self.skip(record, reason + ".")
                return False
            lost = lost or reason
            row.drops.append((link.field, _("%(reason)s; kept without it.") % {"reason": reason}))
            row.values[link.field] = None
        if table == "language" and not named and _raw(record.data.get("location_id")):
            self.source.ignored["language"] += 1  # Casework keeps no languages for a location
            return False
        if table in NEEDS_OWNER and not owners:
            if lost:
                self.skip(record, lost + ".")
            else:
                self.skip(
                    record,
                    _("The %(what)s belongs to no organization, service or location.")
                    % {"what": LABELS[table]},
                )
            return False
        return True

    def why_missing(self, target: str, raw: str, pk: uuid.UUID) -> str:
        skipped = self.skipped_ids[target].get(pk)
        if skipped is not None:
            return _(
                "It points at %(target)s %(id)s, which was skipped (%(table)s row %(row)d)"
            ) % {
                "target": LABELS[target],
                "id": raw,
                "table": skipped.source,
                "row": skipped.row,
            }
        return _("It points at %(target)s %(id)s, which is not in the file or the directory") % {
            "target": LABELS[target],
            "id": raw,
        }

    def check_pairs(self) -> None:
        """A service is at a location once: a repeated pair is skipped."""
        rows = self.rows["service_at_location"]
        pairs: dict[tuple[Any, Any], _Row] = {}
        for row in list(rows.values()):
            pair = (row.values["service_id"], row.values["location_id"])
            if pair in pairs:
                self.skip(
                    row.record,
                    _("The service is already at this location (row %(row)d).")
                    % {"row": pairs[pair].record.row},
                )
                del rows[row.pk]
                self.known["service_at_location"].discard(row.pk)
                self.skipped_ids["service_at_location"][row.pk] = row.record
            else:
                pairs[pair] = row
        services = {s for s, _loc in pairs}
        taken = ServiceAtLocation.objects.filter(service_id__in=services).values_list(
            "id", "service_id", "location_id"
        )
        for pk, service_id, location_id in taken:
            held = pairs.get((service_id, location_id))
            if held is not None and held.pk != pk:
                row = held
                self.skip(
                    row.record,
                    _("The directory already has this service at this location under id %(id)s.")
                    % {"id": pk},
                )
                del rows[row.pk]
                self.known["service_at_location"].discard(row.pk)
                self.skipped_ids["service_at_location"][row.pk] = row.record

    # Writing ---------------------------------------------------------------------------

    def write(self) -> None:
        sizes = {t: len(self.rows[t]) for t in MODELS}
        sizes["service"] += sum(len(v) for v in self.values.values())
        total = max(1, sum(sizes.values()))
        done = 0
        for table in MODELS:
            self.progress(15 + 75 * done // total, _("Saving %(what)s") % {"what": _plural(table)})
            if table == "service":
                self.write_services()
            elif table == "phone":
                self.write_rows(table, extra=self.phone_languages())
            else:
                self.write_rows(table)
            done += sizes[table]
        self.progress(92, _("Updating search"))
        service_search_vectors_refresh(service_ids=self.search_stale())

    def search_stale(self) -> list[uuid.UUID]:
        """Imported services whose search text may have changed: the service, its
        organization or its categories were written, or it has no vector yet."""
        stale = set(self.written.get("service", ())) | self.categories_changed
        organizations = self.written.get("organization", set())
        candidates = set(self.service_ids) - stale
        if candidates:
            stale |= set(
                Service.objects.filter(pk__in=candidates)
                .filter(
                    models.Q(organization_id__in=organizations)
                    | models.Q(search_vector__isnull=True)
                )
                .values_list("pk", flat=True)
            )
        return sorted(stale)

    def write_rows(
        self,
        table: str,
        *,
        extra: dict[uuid.UUID, dict[str, Any]] | None = None,
        existing: dict[Any, Any] | None = None,
    ) -> list[models.Model]:
        """Upsert the table's rows (and `extra` values for rows of the directory) in bulk;
        `existing` is the directory's copy of those rows when the caller has read it."""
        model = MODELS[table]
        wanted: dict[uuid.UUID, dict[str, Any]] = {
            pk: row.values for pk, row in self.rows[table].items()
        }
        for pk, values in (extra or {}).items():
            wanted.setdefault(pk, {}).update(values)
        if not wanted:
            return []
        if existing is None:
            existing = model._default_manager.in_bulk(list(wanted))
        updatable = [
            f
            for f in model._meta.concrete_fields
            if not f.primary_key and f.name not in AGENCY_FIELDS
        ]
        compared = [f.attname for f in updatable if f.name != "last_modified"]
        objects: list[models.Model] = []
        for pk, values in wanted.items():
            obj = existing.get(pk)
            if obj is None:
                obj = model(pk=pk)
                for name, value in values.items():
                    setattr(obj, name, value)
                objects.append(obj)
                continue
            before = [getattr(obj, name) for name in compared]
            for name, value in values.items():
                setattr(obj, name, value)
            if [getattr(obj, name) for name in compared] != before:
                objects.append(obj)  # an unchanged row is left alone, its history too
        if objects:
            model._default_manager.bulk_create(
                objects,
                batch_size=500,
                update_conflicts=True,
                unique_fields=["id"],
                update_fields=[f.name for f in updatable],
            )
        imported = set(self.rows[table])
        self.counts[table]["created"] += len(imported - set(existing))
        self.counts[table]["updated"] += len(imported & set(existing))
        written = {obj.pk for obj in objects}
        if objects and hasattr(model, "history"):
            self.write_history(model, list(written), created=written - set(existing))
        self.written[table] = written
        return objects

    def write_history(
        self, model: type[models.Model], pks: list[uuid.UUID], *, created: set[uuid.UUID]
    ) -> None:
        """One history row per imported row, copied from the table in one statement (what
        simple-history's bulk helper does, without building thousands of objects)."""
        historical = model.history.model  # type: ignore[attr-defined]
        columns = [f.column for f in historical.tracked_fields]
        quote = connection.ops.quote_name
        names = ", ".join(quote(c) for c in columns)
        sql = (
            f"INSERT INTO {quote(historical._meta.db_table)} ({names}, history_date, "  # noqa: S608 - model names
            "history_change_reason, history_type, history_user_id) "
            f"SELECT {names}, %s, %s, CASE WHEN id = ANY(%s::uuid[]) THEN '+' ELSE '~' END, %s "
            f"FROM {quote(model._meta.db_table)} WHERE id = ANY(%s::uuid[])"
        )
        reason = _("Imported from an HSDS file")[:100]
        user_id = self.actor.pk if self.actor else None
        with connection.cursor() as cursor:
            cursor.execute(
                sql,
                [self.now, reason, [str(pk) for pk in created], user_id, [str(pk) for pk in pks]],
            )

    def write_services(self) -> None:
        """Services with the values of the value tables: languages, documents, eligibility
        and categories (the last through the many-to-many table)."""
        per_service: dict[str, dict[uuid.UUID, list[_Row]]] = {
            t: defaultdict(list) for t in VALUE_TABLES
        }
        for table in VALUE_TABLES:
            for row in self.values[table]:
                service_id = row.values.get("link_id" if table == "attribute" else "service_id")
                if service_id is not None:
                    per_service[table][service_id].append(row)
        ids = set(self.rows["service"])
        for table in VALUE_TABLES:
            ids.update(per_service[table])
        before = Service.objects.in_bulk(list(ids))
        extra: dict[uuid.UUID, dict[str, Any]] = {}
        for pk in ids:
            imported = self.rows["service"].get(pk)
            provides = {t for t in VALUE_TABLES if pk in per_service[t]}
            if imported is not None:
                provides |= imported.record.provides
            old = before.get(pk)
            base = imported.values if imported else {}
            extra[pk] = self.service_values(pk, provides, per_service, old, base)
        self.write_rows("service", extra=extra, existing=before)
        self.service_ids = sorted(ids)
        self.write_categories(ids, per_service["attribute"])

    def service_values(
        self,
        pk: uuid.UUID,
        provides: set[str],
        per_service: dict[str, dict[uuid.UUID, list[_Row]]],
        old: Service | None,
        base: dict[str, Any],
    ) -> dict[str, Any]:
        values: dict[str, Any] = {}
        if "language" in provides:
            old_languages = {v.casefold() for v in (old.languages if old else [])}
            interpretation = base.get(
                "interpretation_services", old.interpretation_services if old else ""
            )
            old_interpretation = old.interpretation_services if old else ""
            languages: list[str] = []
            for row in per_service["language"].get(pk, []):
                name = row.values.get("name") or row.values.get("code") or ""
                if len(name) > LANGUAGE_MAX:
                    if name not in interpretation:
                        interpretation = f"{interpretation}\n\n{name}".strip()
                    seen = name in old_interpretation
                elif name.casefold() in {n.casefold() for n in languages}:
                    self.skip(
                        row.record,
                        _("The service already has the language %(name)s.") % {"name": name},
                    )
                    continue
                else:
                    languages.append(name)
                    seen = name.casefold() in old_languages
                self.counts["language"]["updated" if seen else "created"] += 1
            values["languages"] = languages
            values["interpretation_services"] = interpretation
        if "required_document" in provides:
            old_documents = set(old.required_documents if old else [])
            documents: list[str] = []
            limit = 300
            for row in per_service["required_document"].get(pk, []):
                document = row.values["document"][:limit]
                if document in documents:
                    self.skip(row.record, _("The service already lists this document."))
                    continue
                documents.append(document)
                key = "updated" if document in old_documents else "created"
                self.counts["required_document"][key] += 1
            values["required_documents"] = documents
        rows = per_service["eligibility"].get(pk, [])
        if "eligibility" in provides and rows:
            texts = list(dict.fromkeys(row.values["eligibility"] for row in rows))
            old_text = old.eligibility_description if old else ""
            for row in rows:
                key = "updated" if row.values["eligibility"] in old_text else "created"
                self.counts["eligibility"][key] += 1
            values["eligibility_description"] = "\n\n".join(texts)
        return values

    def write_categories(
        self, service_ids: set[uuid.UUID], links: dict[uuid.UUID, list[_Row]]
    ) -> None:
        through = Service.categories.through
        covered = {
            pk
            for pk in service_ids
            if pk in links
            or (
                (row := self.rows["service"].get(pk)) is not None
                and "attribute" in row.record.provides
            )
        }
        if not covered:
            return
        links_before = {
            (service_id, term_id): pk
            for pk, service_id, term_id in through.objects.filter(
                service_id__in=covered
            ).values_list("pk", "service_id", "taxonomyterm_id")
        }
        before = set(links_before)
        wanted: dict[tuple[uuid.UUID, uuid.UUID], _Row] = {}
        for service_id in covered:
            for row in links.get(service_id, []):
                pair = (service_id, row.values["taxonomy_term_id"])
                if pair in wanted:
                    self.skip(
                        row.record,
                        _("The service already has this category (row %(row)d).")
                        % {"row": wanted[pair].record.row},
                    )
                    continue
                wanted[pair] = row
                self.counts["attribute"]["updated" if pair in before else "created"] += 1
        stale_pairs = before - set(wanted)
        added = [pair for pair in wanted if pair not in before]
        self.categories_changed = {s for s, _t in stale_pairs} | {s for s, _t in added}
        if stale_pairs:
            through.objects.filter(pk__in=[links_before[p] for p in stale_pairs]).delete()
        through.objects.bulk_create(
            [through(service_id=s, taxonomyterm_id=t) for s, t in added],
            batch_size=2000,
            ignore_conflicts=True,
        )

    def phone_languages(self) -> dict[uuid.UUID, dict[str, Any]]:
        """Languages spoken on a phone: its own column (1.1) and the 3.0 language rows."""
        rows = [r for r in self.values["language"] if r.values.get("phone_id") is not None]
        if not rows:
            return {}
        phone_ids = {r.values["phone_id"] for r in rows}
        before = dict(Phone.objects.filter(pk__in=phone_ids).values_list("pk", "languages"))
        languages: dict[uuid.UUID, list[str]] = {}
        for row in rows:
            phone_id = row.values["phone_id"]
            if phone_id not in languages:
                own = self.rows["phone"].get(phone_id)
                languages[phone_id] = list(own.values.get("languages", []) if own else [])
            name = (row.values.get("name") or row.values.get("code") or "")[:LANGUAGE_MAX]
            if name not in languages[phone_id]:
                languages[phone_id].append(name)
            if row.values.get("service_id") is None:  # else counted with the service
                seen = name in (before.get(phone_id) or [])
                self.counts["language"]["updated" if seen else "created"] += 1
        return {pk: {"languages": names} for pk, names in languages.items()}


def _raw(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _max_length(model: type[models.Model] | None, name: str) -> int | None:
    if model is None:
        return None
    try:
        return getattr(model._meta.get_field(name), "max_length", None)
    except FieldDoesNotExist:
        return None


def _plural(table: str) -> str:
    return {
        "taxonomy": _("taxonomies"),
        "taxonomy_term": _("categories"),
        "organization": _("organizations"),
        "service": _("services"),
        "location": _("locations"),
        "address": _("addresses"),
        "accessibility": _("accessibility notes"),
        "service_at_location": _("services at locations"),
        "contact": _("contacts"),
        "phone": _("phones"),
        "schedule": _("schedules"),
    }[table]


# --- Entry points -----------------------------------------------------------------------


def import_directory(
    path: Path,
    *,
    run: DirectoryImport | None = None,
    progress: ProgressCallback | None = None,
) -> ImportResult:
    """Import the HSDS file or folder at `path` into the provider directory, in one
    transaction; report progress (0 to 100, and a stage) to `progress` and, given a `run`, on
    its row. Raises `ImportFileError` when the file cannot be read (the run says so too)."""
    started = time.monotonic()
    reporter = _Progress(run, progress)
    try:
        if run is not None and run.status != ImportStatus.RUNNING:
            run.status = ImportStatus.RUNNING
            run.save(update_fields=["status"])
        reporter(0, _("Reading the file"))
        source = readers.read_path(Path(path), name=run.source_name if run else "")
        with transaction.atomic():
            result = _Importer(source, reporter, run.started_by if run else None).run()
        result.seconds = round(time.monotonic() - started, 1)
        reporter(100, _("Done"))
    except Exception as error:
        if run is not None:
            _finish(run, status=ImportStatus.FAILED, error=_failure_message(error))
        raise
    finally:
        reporter.close()
    if run is not None:
        _finish(run, status=ImportStatus.DONE, result=result)
    return result


def _failure_message(error: Exception) -> str:
    if isinstance(error, ImportFileError):
        return str(error)
    logger.exception("Directory import failed")
    return _("The import stopped on an unexpected error and nothing was changed (%(error)s).") % {
        "error": f"{type(error).__name__}: {error}"[:500]
    }


def _finish(
    run: DirectoryImport, *, status: str, result: ImportResult | None = None, error: str = ""
) -> None:
    run.status = status
    run.error = error
    run.finished_at = timezone.now()
    fields = ["status", "error", "finished_at", "progress", "stage"]
    if result is not None:
        run.progress, run.stage = 100, _("Done")
        run.counts = result.counts
        run.skipped = [s.as_dict() for s in result.skipped]
        fields += ["counts", "skipped"]
    else:
        run.stage = _("Failed")
    run.save(update_fields=fields)


@transaction.atomic
def directory_import_create(*, actor: User, upload: UploadedFile) -> DirectoryImport:
    """An administrator's upload is kept and imported in the background once it is saved."""
    from ..tasks import directory_import_run  # the task module imports this one

    if not can_manage_directory(actor):
        raise PermissionDenied(_("Only an administrator can import a provider directory."))
    original = Path(upload.name or "upload").name
    run = DirectoryImport(started_by=actor, source_name=original[:300])
    run.upload.save(f"{uuid.uuid4().hex}{Path(original).suffix.lower()[:10]}", upload, save=False)
    run.save()
    directory_import_run.delay_on_commit(run.pk)
    return run


def directory_import_claim(*, import_id: int) -> DirectoryImport | None:
    """Take a waiting import for this worker; None when there is none (already running, done,
    failed, or deleted), so a repeated task does nothing."""
    claimed = DirectoryImport.objects.filter(pk=import_id, status=ImportStatus.PENDING).update(
        status=ImportStatus.RUNNING, stage=_("Starting")
    )
    if not claimed:
        return None
    return DirectoryImport.objects.select_related("started_by").get(pk=import_id)


def directory_import_execute(*, run: DirectoryImport) -> ImportResult | None:
    """Import a run's uploaded file; None when the file could not be read (the run says why)."""
    try:
        with _local_file(run) as path:
            return import_directory(path, run=run)
    except ImportFileError:
        return None


@contextmanager
def _local_file(run: DirectoryImport) -> Iterator[Path]:
    """The upload as a local path: the stored file itself, or a temporary copy when the
    storage is not a local disk."""
    if not run.upload:
        _finish(run, status=ImportStatus.FAILED, error=_("The import has no file."))
        raise ImportFileError(_("The import has no file."))
    try:
        local: Path | None = Path(run.upload.path)
    except NotImplementedError:
        local = None
    if local is not None:
        yield local
        return
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / Path(run.upload.name or "upload").name
        with run.upload.open("rb") as source, copy.open("wb") as target:
            shutil.copyfileobj(source, target)
        yield copy


def totals(counts: dict[str, dict[str, int]]) -> dict[str, int]:
    """Created, updated and skipped rows over all tables of an import's counts."""
    summed: Counter[str] = Counter()
    for table_counts in counts.values():
        summed.update({k: v for k, v in table_counts.items() if k != "ignored"})
    return {k: summed.get(k, 0) for k in ("created", "updated", "skipped")}


def iter_tables(counts: dict[str, dict[str, int]]) -> Iterable[tuple[str, dict[str, int]]]:
    """An import's counts in the order the tables are written, ignored tables last."""
    order = {t: i for i, t in enumerate(TABLES)}
    return sorted(counts.items(), key=lambda item: (order.get(item[0], len(order)), item[0]))
