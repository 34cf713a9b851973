"""Read an HSDS file into records shaped like HSDS 3.0 tables, whatever layout it came in.

Three layouts, told apart by their content (never by the file name's extension):

- HSDS 3.0 JSON: one object, a list of objects, a paginated API answer (`contents`), or the
  examples' tabular form `{"organizations.csv": [...], ...}`. Nested objects (a service's
  organization, phones, schedules, locations, attributes with their taxonomy terms …) become
  records of their own table, linked to the object they sit in. The same object met in
  several places (a phone under a service, its location and a contact) becomes one record
  carrying every link.
- an HSDS 3.0 Tabular Data Package: a folder (or a zip of one) of CSVs named after the tables
  (`organizations.csv`, `addresses.csv`, `schedules.csv`, `attributes.csv` …).
- the older HSDS 1.1 tabular layout (`physical_addresses.csv`, `regular_schedules.csv`,
  `services_taxonomy.csv`, `taxonomy.csv`, `eligibility.csv` …), mapped to 3.0 as the data
  README describes. A `datapackage.json` is optional and its resource paths need not match
  where the CSVs are: files are found by name anywhere in the folder or zip.

Nothing here touches the database: the importer cleans, checks and writes the records.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

from django.utils.translation import gettext as _

#: The largest file (or sum of a zip's members) read, in bytes.
MAX_BYTES = 512 * 1024 * 1024

FORMAT_JSON = "HSDS 3.0 JSON"
FORMAT_TABULAR_3 = "HSDS 3.0 tabular data package"
FORMAT_TABULAR_1 = "HSDS 1.1 tabular data package"

# Some descriptions are long; the csv module's default field limit (128 KiB) is too small.
csv.field_size_limit(16 * 1024 * 1024)


class ImportFileError(Exception):
    """The file cannot be read as HSDS; the message says why, in plain words."""


@dataclass
class Record:
    """One row (or JSON object) for an HSDS 3.0 table.

    `table` is the 3.0 table it goes to (`service`, `address` …); `source` the table (or JSON
    file) as the file names it (`services`, `physical_addresses` …), so a skipped row can be
    found again; `row` the spreadsheet row number (the header is row 1) or, in JSON, the
    object's position among the file's objects of its kind; `path` where a JSON object sits.
    """

    table: str
    source: str
    row: int
    data: dict[str, Any]
    path: str = ""
    #: For services: the value tables (language, required_document, attribute, eligibility)
    #: that speak for the service, so that an empty one clears what an earlier import left.
    provides: set[str] = field(default_factory=set)

    @property
    def raw_id(self) -> str:
        value = self.data.get("id")
        return "" if value is None else str(value).strip()


@dataclass
class Rejected:
    """Something in the file that is not a record at all (a JSON item of no known kind)."""

    source: str
    row: int
    id: str
    reason: str
    path: str = ""


@dataclass
class Source:
    format: str
    records: list[Record] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    #: Tables the file has that Casework keeps no copy of (programs, funding …): rows each.
    ignored: Counter[str] = field(default_factory=Counter)


# --- Containers: a folder, a zip, or one file -------------------------------------------


@dataclass
class _Entry:
    name: str  # a "/"-separated path inside the container
    opener: Callable[[], IO[bytes]]

    @property
    def basename(self) -> str:
        return PurePosixPath(self.name).name

    @property
    def stem(self) -> str:
        return PurePosixPath(self.name).stem.lower().strip().replace("-", "_").replace(" ", "_")

    def read(self) -> bytes:
        with self.opener() as handle:
            data = handle.read(MAX_BYTES + 1)
        if len(data) > MAX_BYTES:
            raise ImportFileError(
                _("%(name)s is larger than %(size)d MB.")
                % {"name": self.basename, "size": MAX_BYTES // 2**20}
            )
        return data


def _hidden(name: str) -> bool:
    return any(p.startswith(".") or p == "__MACOSX" for p in PurePosixPath(name).parts)


def _zip_entries(archive: zipfile.ZipFile) -> list[_Entry]:
    infos = [i for i in archive.infolist() if not i.is_dir() and not _hidden(i.filename)]
    if sum(i.file_size for i in infos) > MAX_BYTES:
        raise ImportFileError(
            _("The zip holds more than %(size)d MB.") % {"size": MAX_BYTES // 2**20}
        )
    return [_Entry(i.filename, lambda i=i: archive.open(i)) for i in infos]  # type: ignore[misc]


def _folder_entries(folder: Path) -> list[_Entry]:
    entries = []
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder).as_posix()
        if path.is_file() and not _hidden(relative):
            entries.append(_Entry(relative, lambda p=path: p.open("rb")))  # type: ignore[misc]
    return entries


def read_path(path: Path, *, name: str = "") -> Source:
    """Read a folder, a zip, a JSON file or a single CSV. `name` is the file's original name
    (an upload is stored under another one); a single CSV needs it to know its table."""
    if not path.exists():
        raise ImportFileError(_("There is no file or folder at %(path)s.") % {"path": path})
    if path.is_dir():
        return _read_entries(_folder_entries(path))
    try:
        with path.open("rb") as handle:
            return read_file(handle, name=name or path.name)
    except OSError as error:
        raise ImportFileError(
            _("The file cannot be opened (%(error)s).") % {"error": error.strerror or error}
        ) from error


def read_file(handle: IO[bytes], *, name: str) -> Source:
    """Read an open binary file: a zip, a JSON document or a single CSV table."""
    head = handle.read(4096)
    handle.seek(0)
    if not head.strip():
        raise ImportFileError(_("The file is empty."))
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        try:
            with zipfile.ZipFile(handle) as archive:
                return _read_entries(_zip_entries(archive))
        except (zipfile.BadZipFile, EOFError, zlib.error, NotImplementedError) as error:
            raise ImportFileError(_("The zip file is damaged and cannot be read.")) from error
    content = handle.read(MAX_BYTES + 1)
    entry = _Entry(name or "upload", lambda: io.BytesIO(content))
    if head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"["):
        return _read_json([entry])
    return _read_tabular([entry], descriptor=None, single=True)


def probe(handle: IO[bytes], *, name: str) -> str:
    """Check, quickly, that an upload can be read as HSDS and say which layout it is in; raise
    `ImportFileError` saying why not. CSV tables are checked by name and header only, so a
    large package is not read twice."""
    head = handle.read(4096)
    handle.seek(0)
    if not head.strip():
        raise ImportFileError(_("The file is empty."))
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        try:
            with zipfile.ZipFile(handle) as archive:
                entries = _zip_entries(archive)
                csvs = [e for e in entries if e.basename.lower().endswith(".csv")]
                if not csvs:
                    return _read_entries(entries).format
                return _probe_tabular(csvs)
        except (zipfile.BadZipFile, EOFError, zlib.error, NotImplementedError) as error:
            raise ImportFileError(_("The zip file is damaged and cannot be read.")) from error
        finally:
            handle.seek(0)
    content = handle.read(MAX_BYTES + 1)
    handle.seek(0)
    entry = _Entry(name or "upload", lambda: io.BytesIO(content))
    if head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"["):
        return _read_json([entry]).format
    return _probe_tabular([entry], single=True)


def _probe_tabular(entries: list[_Entry], *, single: bool = False) -> str:
    known = [e for e in entries if e.stem in TABLES]
    if not known:
        _read_tabular(entries, descriptor=None, single=single)  # raises, saying why
    for entry in known:
        with entry.opener() as handle:
            text = _decode(handle.read(65536), entry.name)
        header = next(csv.reader(io.StringIO(text, newline="")), [])
        if "id" not in {h.strip().lower() for h in header} and entry.stem not in (
            "regular_schedules",
            "eligibility",
        ):
            raise ImportFileError(
                _("%(name)s has no id column, so it is not an HSDS table.")
                % {"name": entry.basename}
            )
    layouts = {TABLES[e.stem][1] for e in known} - {""}
    return FORMAT_TABULAR_1 if layouts == {"1"} else FORMAT_TABULAR_3


def _read_entries(entries: list[_Entry]) -> Source:
    lower = [(e, e.basename.lower()) for e in entries]
    csvs = [e for e, n in lower if n.endswith(".csv")]
    if csvs:
        descriptor = next((e for e, n in lower if n == "datapackage.json"), None)
        return _read_tabular(csvs, descriptor=descriptor, single=False)
    jsons = [e for e, n in lower if n.endswith(".json") and n != "datapackage.json"]
    if jsons:
        return _read_json(jsons)
    raise ImportFileError(_("No CSV or JSON files were found in it."))


def _decode(data: bytes, name: str) -> str:
    if b"\x00" in data[:8192]:
        raise ImportFileError(
            _("%(name)s is not a text file.") % {"name": PurePosixPath(name).name}
        )
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


# --- Tabular ----------------------------------------------------------------------------

#: File name (without .csv) → (3.0 table, the layout only it belongs to: "3", "1" or "").
TABLES: dict[str, tuple[str, str]] = {
    "organizations": ("organization", ""),
    "services": ("service", ""),
    "locations": ("location", ""),
    "contacts": ("contact", ""),
    "phones": ("phone", ""),
    "languages": ("language", ""),
    "required_documents": ("required_document", ""),
    "addresses": ("address", "3"),
    "service_at_location": ("service_at_location", "3"),
    "schedules": ("schedule", "3"),
    "taxonomies": ("taxonomy", "3"),
    "taxonomy_terms": ("taxonomy_term", "3"),
    "attributes": ("attribute", "3"),
    "accessibility": ("accessibility", "3"),
    "physical_addresses": ("address", "1"),
    "postal_addresses": ("address", "1"),
    "services_at_location": ("service_at_location", "1"),
    "regular_schedules": ("schedule", "1"),
    "services_taxonomy": ("attribute", "1"),
    "taxonomy": ("taxonomy_term", "1"),
    "eligibility": ("eligibility", "1"),
    "accessibility_for_disabilities": ("accessibility", "1"),
}

#: Tables Casework keeps no copy of, by their 3.0 (singular) names.
IGNORED_NAMES = {
    "programs": "program",
    "funding": "funding",
    "service_areas": "service_area",
    "cost_options": "cost_option",
    "organization_identifiers": "organization_identifier",
    "metadata": "metadata",
    "meta_table_descriptions": "meta_table_description",
    "holiday_schedules": "holiday_schedule",
    "payments_accepted": "payment_accepted",
}

#: Value tables whose rows land in fields of a service rather than rows of their own.
SERVICE_VALUE_TABLES = frozenset({"language", "required_document", "attribute", "eligibility"})

WEEKDAYS = {
    "monday": "MO",
    "tuesday": "TU",
    "wednesday": "WE",
    "thursday": "TH",
    "friday": "FR",
    "saturday": "SA",
    "sunday": "SU",
}


def weekday_code(value: str) -> str:
    """ "Monday", "mon", "MO" or ISO 8601's 1 → "MO"; "" when it is no day."""
    text = value.strip().lower().rstrip(".")
    if text.isdigit():
        return list(WEEKDAYS.values())[int(text) - 1] if 1 <= int(text) <= 7 else ""
    for name, code in WEEKDAYS.items():
        if text == code.lower() or (len(text) >= 3 and name.startswith(text)):
            return code
    return ""


def _descriptor_version(descriptor: _Entry | None) -> str:
    """ "1" or "3" from a datapackage.json; "" when there is none or it says nothing useful
    (the 3.0 examples' own descriptor is a bare path to the specification's)."""
    if descriptor is None:
        return ""
    try:
        data = json.loads(_decode(descriptor.read(), descriptor.name))
    except (ValueError, ImportFileError):
        return ""
    if not isinstance(data, dict):
        return ""
    resources = data.get("resources")
    names = {
        str(r.get("name", ""))
        for r in (resources if isinstance(resources, list) else [])
        if isinstance(r, dict)
    }
    if {"physical_address", "regular_schedule", "service_taxonomy"} & names:
        return "1"
    if str(data.get("version", "")).startswith("3") or {"attribute", "address"} & names:
        return "3"
    return ""


def _read_csv(entry: _Entry) -> tuple[list[str], list[dict[str, str]]]:
    text = _decode(entry.read(), entry.name)
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as error:
        raise ImportFileError(
            _("%(name)s is not a readable CSV file (%(error)s).")
            % {"name": entry.basename, "error": error}
        ) from error
    if not rows:
        return [], []
    header = [h.strip().lower() for h in rows[0]]
    records = []
    for values in rows[1:]:
        if any(v.strip() for v in values):
            records.append(
                {h: (values[i] if i < len(values) else "") for i, h in enumerate(header)}
            )
        else:
            records.append({})  # keeps the row numbers right; an empty row is passed over
    return header, records


def _read_tabular(entries: list[_Entry], *, descriptor: _Entry | None, single: bool) -> Source:
    by_stem: dict[str, _Entry] = {}
    for entry in entries:
        by_stem.setdefault(entry.stem, entry)
    known = sorted(s for s in by_stem if s in TABLES)
    if not known:
        if single:
            raise ImportFileError(
                _(
                    "“%(name)s” is not named after an HSDS table. Name a single CSV after its "
                    "table (organizations.csv, services.csv, locations.csv …), or upload a zip "
                    "of the whole folder."
                )
                % {"name": entries[0].basename}
            )
        listed = ", ".join(sorted(e.basename for e in entries)[:6])
        raise ImportFileError(
            _("None of its CSV files is an HSDS table (%(names)s).") % {"names": listed}
        )

    tables = {stem: _read_csv(by_stem[stem]) for stem in known}
    version = _descriptor_version(descriptor)
    if not version:
        layouts = {TABLES[s][1] for s in known} - {""}
        if layouts == {"1"}:
            version = "1"
        elif not layouts and "organizations" in tables:
            header = tables["organizations"][0]
            version = "1" if "url" in header and "website" not in header else "3"
        else:
            version = "3"
    source = Source(format=FORMAT_TABULAR_1 if version == "1" else FORMAT_TABULAR_3)
    for stem in sorted(set(by_stem) - set(known)):
        rows = sum(1 for row in _read_csv(by_stem[stem])[1] if row)
        source.ignored[IGNORED_NAMES.get(stem, stem)] += rows

    provides = {TABLES[s][0] for s in known} & SERVICE_VALUE_TABLES
    converter = _TabularConverter(source)
    # Taxonomy first, so the 1.1 converter knows every term before it adds missing parents.
    for stem in sorted(known, key=lambda s: (s != "taxonomy", s)):
        table = TABLES[stem][0]
        for number, row in enumerate(tables[stem][1], start=2):
            if row:
                converter.convert(stem, table, number, row)
        if stem == "taxonomy":
            converter.add_missing_parents()
    for record in source.records:
        if record.table == "service":
            record.provides = set(provides)
    return source


class _TabularConverter:
    """Rows of either layout → 3.0 records; the 1.1 tables that differ are mapped here."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.vocabularies: set[str] = set()
        self.terms: set[str] = set()
        self.parents: dict[str, tuple[str, str, int]] = {}

    def add(self, table: str, stem: str, number: int, data: dict[str, Any]) -> None:
        self.source.records.append(Record(table=table, source=stem, row=number, data=data))

    def convert(self, stem: str, table: str, number: int, row: dict[str, str]) -> None:
        data: dict[str, Any] = dict(row)
        if stem == "regular_schedules":
            data = self.regular_schedule(row)
        elif stem == "taxonomy":
            data = self.taxonomy_1(stem, number, row)
        elif stem == "services_taxonomy":
            data = {
                "id": row.get("id", ""),
                "link_id": row.get("service_id", ""),
                "link_entity": "service",
                "taxonomy_term_id": row.get("taxonomy_id", ""),
            }
        elif table == "organization" and "website" not in data and "url" in data:
            data["website"] = data.pop("url")
        elif table == "service":
            if not (data.get("fees_description") or "").strip() and "fees" in data:
                data["fees_description"] = data["fees"]
            data.pop("fees", None)
        elif table == "language" and "name" not in data and "language" in data:
            data["name"] = data.pop("language")
        elif table == "accessibility" and "description" not in data and "accessibility" in data:
            data["description"] = data.pop("accessibility")
        elif table == "phone" and "language" in data:
            language = data.pop("language").strip()
            data["languages"] = [language] if language else []
        elif table == "address":
            if stem in ("physical_addresses", "postal_addresses"):
                data["address_type"] = stem.split("_", 1)[0]
            extra = [data.pop(k, "").strip() for k in ("address_3", "address_4")]
            if any(extra):
                lines = [data.get("address_2", "").strip(), *extra]
                data["address_2"] = ", ".join(p for p in lines if p)
        self.add(table, stem, number, data)

    def regular_schedule(self, row: dict[str, str]) -> dict[str, Any]:
        """A 1.1 opening-hours row (one weekday) → a weekly schedule on that day. Some exports
        give these rows no id, so the id is what the row is: its owner, day and hours."""
        weekday = row.get("weekday", "").strip()
        data: dict[str, Any] = {
            "service_id": row.get("service_id", ""),
            "location_id": row.get("location_id", ""),
            "service_at_location_id": row.get("service_at_location_id", ""),
            "freq": "WEEKLY",
            "byday": weekday_code(weekday),
            "opens_at": row.get("opens_at", ""),
            "closes_at": row.get("closes_at", ""),
            "description": row.get("original_text", "") or row.get("description", ""),
        }
        if weekday and not data["byday"]:
            data["bad_weekday"] = weekday
        owner = [data[k].strip() for k in ("service_id", "location_id", "service_at_location_id")]
        hours = [weekday.lower(), data["opens_at"].strip().lower(), data["closes_at"].strip()]
        data["id"] = (row.get("id") or "").strip() or "|".join([*owner, *hours])
        return data

    def taxonomy_1(self, stem: str, number: int, row: dict[str, str]) -> dict[str, Any]:
        """A 1.1 taxonomy row → a term (its id is its code) in the taxonomy its vocabulary
        names; a parent the file names but does not list becomes a term of its own."""
        vocabulary = (row.get("vocabulary") or "").strip()
        if vocabulary and vocabulary not in self.vocabularies:
            self.vocabularies.add(vocabulary)
            self.add("taxonomy", stem, number, {"id": vocabulary, "name": vocabulary})
        term_id = (row.get("id") or "").strip()
        self.terms.add(term_id)
        parent_id = (row.get("parent_id") or "").strip()
        parent_name = (row.get("parent_name") or "").strip()
        if parent_id and parent_name:
            self.parents.setdefault(parent_id, (parent_name, vocabulary, number))
        return {
            "id": term_id,
            "code": term_id,
            "name": row.get("name", ""),
            "parent_id": parent_id,
            "taxonomy_id": vocabulary,
        }

    def add_missing_parents(self) -> None:
        for parent_id, (name, vocabulary, number) in self.parents.items():
            if parent_id not in self.terms:
                data = {"id": parent_id, "code": parent_id, "name": name, "taxonomy_id": vocabulary}
                self.add("taxonomy_term", "taxonomy", number, data)


# --- JSON -------------------------------------------------------------------------------

#: Keys that tell a top-level object's kind: the kind with most of them present wins.
_KIND_KEYS: dict[str, set[str]] = {
    "organization": {
        "website",
        "tax_status",
        "tax_id",
        "year_incorporated",
        "legal_status",
        "logo",
        "parent_organization_id",
        "organization_identifiers",
        "services",
        "locations",
        "programs",
    },
    "service": {
        "organization",
        "organization_id",
        "program",
        "program_id",
        "status",
        "interpretation_services",
        "application_process",
        "fees_description",
        "wait_time",
        "eligibility_description",
        "minimum_age",
        "maximum_age",
        "service_at_locations",
        "service_areas",
        "cost_options",
        "required_documents",
        "assured_date",
        "accreditations",
    },
    "location": {
        "location_type",
        "latitude",
        "longitude",
        "transportation",
        "addresses",
        "accessibility",
        "external_identifier",
    },
    "service_at_location": {"service", "location", "service_id", "location_id"},
    "taxonomy_term": {"code", "parent_id", "taxonomy_detail", "term_uri", "taxonomy_id"},
    "taxonomy": {"version"},
}

#: Nested lists of each kind: key → (the children's kind, the field that links them back).
_CHILDREN: dict[str, dict[str, tuple[str, str]]] = {
    "organization": {
        "services": ("service", "organization_id"),
        "locations": ("location", "organization_id"),
        "contacts": ("contact", "organization_id"),
        "phones": ("phone", "organization_id"),
    },
    "service": {
        "phones": ("phone", "service_id"),
        "schedules": ("schedule", "service_id"),
        "contacts": ("contact", "service_id"),
        "service_at_locations": ("service_at_location", "service_id"),
        "languages": ("language", "service_id"),
        "required_documents": ("required_document", "service_id"),
        "attributes": ("attribute", "link_id"),
    },
    "service_at_location": {
        "contacts": ("contact", "service_at_location_id"),
        "phones": ("phone", "service_at_location_id"),
        "schedules": ("schedule", "service_at_location_id"),
    },
    "location": {
        "addresses": ("address", "location_id"),
        "accessibility": ("accessibility", "location_id"),
        "contacts": ("contact", "location_id"),
        "phones": ("phone", "location_id"),
        "schedules": ("schedule", "location_id"),
        "languages": ("language", "location_id"),
    },
    "contact": {"phones": ("phone", "contact_id")},
    "phone": {"languages": ("language", "phone_id")},
}

#: Nested single objects a record points at: key → (their kind, the field holding their id).
_PARENTS: dict[str, dict[str, tuple[str, str]]] = {
    "service": {"organization": ("organization", "organization_id")},
    "service_at_location": {
        "service": ("service", "service_id"),
        "location": ("location", "location_id"),
    },
    "attribute": {"taxonomy_term": ("taxonomy_term", "taxonomy_term_id")},
    "taxonomy_term": {"taxonomy_detail": ("taxonomy", "taxonomy_id")},
}

#: Nested things Casework keeps no copy of, counted under these table names.
_IGNORED_KEYS = {
    "funding": "funding",
    "programs": "program",
    "program": "program",
    "organization_identifiers": "organization_identifier",
    "service_areas": "service_area",
    "cost_options": "cost_option",
    "metadata": "metadata",
}


def kind_of(obj: dict[str, Any]) -> str:
    """Which HSDS table a top-level JSON object belongs to, or "" when none."""
    keys = set(obj)
    if "id" not in keys:
        return ""
    scores = {kind: len(keys & marks) for kind, marks in _KIND_KEYS.items()}
    if "name" in keys:  # a service at a location is the one kind without a name
        scores["service_at_location"] = 0
    best = max(scores, key=lambda k: scores[k])
    return best if scores[best] else ""


class _JsonWalker:
    def __init__(self, source: Source, file_name: str) -> None:
        self.source = source
        self.file_name = file_name
        self.seen: dict[tuple[str, str], Record] = {}
        self.positions: Counter[str] = Counter()

    def emit(self, kind: str, obj: dict[str, Any], path: str, links: dict[str, str]) -> Record:
        data = {k: v for k, v in obj.items() if not isinstance(v, dict | list)}
        for key, value in links.items():
            if value and data.get(key) in (None, ""):
                data[key] = value
        self.positions[kind] += 1
        if data.get("id") in (None, "") and kind in SERVICE_VALUE_TABLES:
            data["id"] = path  # value rows need no id of their own
        where = f"{self.file_name}: {path}"
        record = Record(kind, kind, self.positions[kind], data, where)
        if not record.raw_id:
            return record
        existing = self.seen.get((kind, record.raw_id))
        if existing is not None:
            for name, value in data.items():
                if value not in (None, "") and existing.data.get(name) in (None, ""):
                    existing.data[name] = value
            return existing
        if kind == "service":
            children = _CHILDREN["service"]
            record.provides = {t for k, (t, _) in children.items() if k in obj} & set(
                SERVICE_VALUE_TABLES
            )
        self.seen[(kind, record.raw_id)] = record
        self.source.records.append(record)
        return record

    def walk(self, kind: str, obj: dict[str, Any], path: str, links: dict[str, str]) -> str:
        """Emit `obj` and everything nested in it; return its raw id."""
        own_links = dict(links)
        for key, (parent_kind, link_field) in _PARENTS.get(kind, {}).items():
            nested = obj.get(key)
            if isinstance(nested, dict):
                parent_id = self.walk(parent_kind, nested, f"{path}.{key}", {})
                if parent_id:
                    own_links[link_field] = parent_id
        if kind == "attribute" and "link_id" in links:
            own_links["link_entity"] = "service"
        record = self.emit(kind, obj, path, own_links)
        if not record.raw_id:
            reason = _("This %(kind)s has no id.") % {"kind": kind.replace("_", " ")}
            self.source.rejected.append(Rejected(kind, record.row, "", reason, record.path))
            return ""
        for key, (child_kind, link_field) in _CHILDREN.get(kind, {}).items():
            children = obj.get(key)
            for index, child in enumerate(children if isinstance(children, list) else []):
                if isinstance(child, dict):
                    child_path = f"{path}.{key}[{index}]"
                    self.walk(child_kind, child, child_path, {link_field: record.raw_id})
        for key, table in _IGNORED_KEYS.items():
            value = obj.get(key)
            if isinstance(value, list | dict):
                self.source.ignored[table] += len(value) if isinstance(value, list) else 1
        if kind != "service" and isinstance(obj.get("attributes"), list):
            self.source.ignored["attribute"] += len(obj["attributes"])
        return record.raw_id


def _read_json(entries: list[_Entry]) -> Source:
    source = Source(format=FORMAT_JSON)
    for entry in entries:
        try:
            document = json.loads(_decode(entry.read(), entry.name))
        except ValueError as error:
            raise ImportFileError(
                _("%(name)s is not valid JSON (%(error)s).")
                % {"name": entry.basename, "error": str(error).split(":")[0]}
            ) from error
        if (
            isinstance(document, dict)
            and document
            and all(str(k).lower().endswith(".csv") for k in document)
        ):
            _read_tabular_json(document, source)
            continue
        walker = _JsonWalker(source, entry.basename)
        for index, obj in _top_objects(document):
            path = "$" if index is None else f"$[{index}]"
            row = 1 if index is None else index + 1
            kind = kind_of(obj) if isinstance(obj, dict) else ""
            if not kind:
                source.rejected.append(
                    Rejected(
                        entry.basename,
                        row,
                        str(obj.get("id", "")) if isinstance(obj, dict) else "",
                        _(
                            "This is not an HSDS organization, service, location, service at "
                            "a location or taxonomy record."
                        ),
                        f"{entry.basename}: {path}",
                    )
                )
                continue
            walker.walk(kind, obj, path, {})
    if not source.records:
        raise ImportFileError(
            _(
                "No HSDS records were found in it: expected organizations, services, "
                "locations, services at locations or taxonomy terms, each with an id."
            )
        )
    return source


def _top_objects(document: Any) -> Iterator[tuple[int | None, Any]]:
    if isinstance(document, dict) and isinstance(document.get("contents"), list):
        document = document["contents"]
    if isinstance(document, list):
        yield from enumerate(document)
    else:
        yield None, document


def _read_tabular_json(document: dict[str, Any], source: Source) -> None:
    """The 3.0 examples' tabular.json: file names → lists of rows, read as those CSVs."""
    entries: list[_Entry] = []
    for name, rows in document.items():
        rows = [r for r in rows if isinstance(r, dict)] if isinstance(rows, list) else []
        fields = list(dict.fromkeys(k for row in rows for k in row))
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: "" if v is None else v for k, v in row.items()})
        data = buffer.getvalue().encode()
        entries.append(_Entry(str(name), lambda data=data: io.BytesIO(data)))  # type: ignore[misc]
    tabular = _read_tabular(entries, descriptor=None, single=False)
    source.records.extend(tabular.records)
    source.ignored.update(tabular.ignored)
