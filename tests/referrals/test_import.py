"""The HSDS import: the 211 Miami export (1.1) imports completely and again in place, the HSDS 3.0
examples (JSON and the tabular package) import with their dangling keys reported, 1.1 folders
and zips, messy values cleaned, progress, and the background task (run for real, twice)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import uuid
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from django.contrib.postgres.search import SearchQuery
from django.core.files.base import ContentFile

from casemgmt.accounts.models import User
from referrals.hsds.importer import (
    ImportFileError,
    ImportResult,
    clean_text,
    hsds_uuid,
    import_directory,
    parse_time,
)
from referrals.models import (
    Accessibility,
    Address,
    Contact,
    DirectoryImport,
    ImportStatus,
    Location,
    Organization,
    Phone,
    Schedule,
    Service,
    ServiceAtLocation,
    ServiceStatus,
    Taxonomy,
    TaxonomyTerm,
)
from referrals.services.directory import SEARCH_CONFIG
from referrals.tasks import directory_import_run

from ..shared_data import HSDS_SPEC_DIR, MIAMI_ZIP

pytestmark = pytest.mark.django_db

# --- Reference files and small packages cut from them ------------------------------------

SPEC_DIR = HSDS_SPEC_DIR

Tables = dict[str, list[dict[str, str]]]


def example(relative: str) -> Path:
    path = SPEC_DIR / "examples" / relative
    if not path.exists():
        pytest.fail(f"The HSDS 3.0 examples are not at {SPEC_DIR} (set HSDS_SPEC_DIR).")
    return path


def miami_zip() -> Path:
    if not MIAMI_ZIP.is_file():
        pytest.skip(f"The 211 Miami export is not at {MIAMI_ZIP} (set HSDS_MIAMI_ZIP).")
    return MIAMI_ZIP


def miami_tables() -> tuple[Tables, dict[str, list[str]]]:
    """Every CSV of the Miami zip as rows, and each table's header."""
    tables: Tables = {}
    headers: dict[str, list[str]] = {}
    with zipfile.ZipFile(miami_zip()) as archive:
        for name in archive.namelist():
            if name.endswith(".csv"):
                stem = Path(name).stem
                text = archive.read(name).decode("utf-8")
                reader = csv.DictReader(io.StringIO(text, newline=""))
                tables[stem] = list(reader)
                headers[stem] = list(reader.fieldnames or [])
    return tables, headers


def small_miami(folder: Path, *, services: int = 12, dangling: int = 2) -> Path:
    """A 1.1 folder (no datapackage.json) of the first `services` services whose organization
    is in the export, plus `dangling` whose organization is not, and every row that points at
    them: their organizations, locations, addresses, hours, phones, contacts, languages,
    categories and taxonomy, and a few eligibility rows."""
    tables, headers = miami_tables()
    org_ids = {r["id"] for r in tables["organizations"]}
    good = [r for r in tables["services"] if r["organization_id"] in org_ids][:services]
    bad = [r for r in tables["services"] if r["organization_id"] not in org_ids][:dangling]
    service_ids = {r["id"] for r in good + bad}
    sal = [r for r in tables["services_at_location"] if r["service_id"] in service_ids]
    location_ids = {r["location_id"] for r in sal}
    links = [r for r in tables["services_taxonomy"] if r["service_id"] in service_ids]
    term_ids = {r["taxonomy_id"] for r in links}
    terms = [r for r in tables["taxonomy"] if r["id"] in term_ids]
    parents = {r["parent_id"] for r in terms}
    terms += [r for r in tables["taxonomy"] if r["id"] in parents and r not in terms]
    chosen: Tables = {
        "organizations": [
            r for r in tables["organizations"] if r["id"] in {s["organization_id"] for s in good}
        ],
        "services": good + bad,
        "services_at_location": sal,
        "locations": [r for r in tables["locations"] if r["id"] in location_ids],
        "physical_addresses": [
            r for r in tables["physical_addresses"] if r["location_id"] in location_ids
        ],
        "accessibility_for_disabilities": [
            r for r in tables["accessibility_for_disabilities"] if r["location_id"] in location_ids
        ],
        "phones": [r for r in tables["phones"] if r["service_id"] in service_ids],
        "contacts": [r for r in tables["contacts"] if r["service_id"] in service_ids],
        "regular_schedules": [
            r for r in tables["regular_schedules"] if r["service_id"] in service_ids
        ],
        "languages": [r for r in tables["languages"] if r["service_id"] in service_ids],
        "services_taxonomy": links,
        "taxonomy": terms,
        "eligibility": tables["eligibility"][:3],
    }
    folder.mkdir(parents=True, exist_ok=True)
    for stem, rows in chosen.items():
        with (folder / f"{stem}.csv").open("w", encoding="utf-8", newline="") as stream:
            writer = csv.DictWriter(stream, fieldnames=headers[stem])
            writer.writeheader()
            writer.writerows(rows)
    return folder


def zip_folder(folder: Path, target: Path, *, inside: str = "") -> Path:
    """Zip a folder's files, under `inside/` when given (as zipping a folder does)."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                name = path.relative_to(folder).as_posix()
                archive.write(path, f"{inside}/{name}" if inside else name)
    return target


def write_csvs(folder: Path, tables: dict[str, list[dict[str, str]]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for stem, rows in tables.items():
        fields = list(dict.fromkeys(k for row in rows for k in row))
        with (folder / f"{stem}.csv").open("w", encoding="utf-8", newline="") as stream:
            writer = csv.DictWriter(stream, fieldnames=fields)
            writer.writeheader()
            writer.writerows(rows)
    return folder


def _text(value: str) -> str:
    """A cell as the importer should read it: markers and escaped newlines gone, trimmed."""
    return " ".join(re.sub(r"###[A-Z]+###", " ", value.replace("\\n", "\n")).split())


def miami_expected(tables: Tables) -> dict[str, dict[str, int]]:
    """The counts the Miami export must give, worked out from its CSVs by the importer's
    documented rules: a row needs its id, its required values and what it cannot exist
    without; a contact, phone or schedule needs something left to belong to; a category or
    language repeated for a service is skipped; eligibility rows name no service."""
    for table in ("organizations", "services", "locations", "services_at_location"):
        ids = [r["id"] for r in tables[table]]
        assert len(ids) == len(set(ids)), f"{table} has repeated ids; the rules below assume not"

    def count(created: int, skipped: int) -> dict[str, int]:
        return {"created": created, "updated": 0, "skipped": skipped}

    def split(rows: list[dict[str, str]], keep: Any) -> dict[str, int]:
        kept = sum(1 for r in rows if keep(r))
        return count(kept, len(rows) - kept)

    orgs = {r["id"] for r in tables["organizations"] if _text(r["name"])}
    # A service whose organization is not in the file is kept without one (HSDS 3.0 does not
    # require it): only a service without a name is skipped.
    services = {r["id"] for r in tables["services"] if _text(r["name"])}
    locations = {r["id"] for r in tables["locations"]}
    sal = {
        r["id"]
        for r in tables["services_at_location"]
        if r["service_id"] in services and r["location_id"] in locations
    }
    term_rows = tables["taxonomy"]
    terms = {r["id"] for r in term_rows}
    attributes: Counter[str] = Counter()
    seen_pairs: set[tuple[str, str]] = set()
    for r in tables["services_taxonomy"]:
        pair = (r["service_id"], r["taxonomy_id"])
        ok = r["service_id"] in services and r["taxonomy_id"] in terms and pair not in seen_pairs
        attributes["created" if ok else "skipped"] += 1
        if ok:
            seen_pairs.add(pair)
    languages: Counter[str] = Counter()
    seen_languages: set[tuple[str, str]] = set()
    for r in tables["languages"]:
        name = _text(r["language"])
        key = (r["service_id"], name.casefold())
        ok = bool(name) and r["service_id"] in services and key not in seen_languages
        languages["created" if ok else "skipped"] += 1
        if ok and len(name) <= 60:
            seen_languages.add(key)
    return {
        "taxonomy": count(len({r["vocabulary"] for r in term_rows if r["vocabulary"]}), 0),
        "taxonomy_term": count(len(terms), len(term_rows) - len(terms)),
        "organization": count(len(orgs), len(tables["organizations"]) - len(orgs)),
        "service": count(len(services), len(tables["services"]) - len(services)),
        "location": count(len(locations), 0),
        "address": split(
            tables["physical_addresses"],
            lambda r: _text(r["address_1"]) and _text(r["city"]) and r["location_id"] in locations,
        ),
        "accessibility": split(
            tables["accessibility_for_disabilities"],
            lambda r: (
                (_text(r["accessibility"]) or _text(r["details"])) and r["location_id"] in locations
            ),
        ),
        "service_at_location": count(len(sal), len(tables["services_at_location"]) - len(sal)),
        "contact": split(
            tables["contacts"],
            lambda r: (
                any(_text(r[k]) for k in ("name", "title", "department", "email"))
                and (r["service_id"] in services or r["service_at_location_id"] in sal)
            ),
        ),
        "phone": split(
            tables["phones"],
            lambda r: (
                _text(r["number"])
                and (
                    r["service_id"] in services
                    or r["location_id"] in locations
                    or r["service_at_location_id"] in sal
                )
            ),
        ),
        "schedule": split(tables["regular_schedules"], lambda r: r["service_id"] in services),
        "attribute": count(attributes["created"], attributes["skipped"]),
        "language": count(languages["created"], languages["skipped"]),
        "eligibility": split(tables["eligibility"], lambda r: r["service_id"] in services),
    }


ROW_TABLES: dict[str, type[Any]] = {
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


def _rows_in_db() -> dict[str, int]:
    counts = {table: model.objects.count() for table, model in ROW_TABLES.items()}
    counts["attribute"] = Service.categories.through.objects.count()
    return counts


def _assert_reasons(result: ImportResult) -> None:
    for entry in result.skipped:
        assert entry.table and entry.reason.strip(), entry
        assert isinstance(entry.row, int) and entry.row >= 1, entry


def _service(table_id: str) -> Service:
    return Service.objects.get(pk=hsds_uuid("service", table_id))


# --- The 211 Miami export ---------------------------------------------------------------


def test_miami_imports_completely_then_again_in_place() -> None:
    tables, _headers = miami_tables()
    expected = miami_expected(tables)

    first = import_directory(miami_zip())

    assert first.format == "HSDS 1.1 tabular data package"
    assert first.counts == expected
    _assert_reasons(first)
    rows = _rows_in_db()
    assert rows == {table: expected[table]["created"] for table in rows}
    assert len(first.skipped_rows) == sum(c["skipped"] for c in expected.values())

    # Cleaned on the way in: markers and escaped newlines gone, hours read, languages listed.
    scouts = _service("136")
    assert "###" not in scouts.description and "\\n" not in scouts.description
    assert scouts.description.endswith("self-worth.")
    assert Service.objects.filter(description__contains="\n\n").exists()
    assert not Service.objects.filter(description__contains="##").exists()
    assert not Organization.objects.filter(description__contains="##").exists()
    assert scouts.languages == ["English", "Spanish", "Creole"]
    assert scouts.status == ServiceStatus.ACTIVE
    monday = scouts.schedules.get(byday="MO")
    assert (monday.freq, monday.opens_at, monday.closes_at) == ("WEEKLY", dt.time(9), dt.time(17))
    assert monday.description == "9:00am-5:00pm, Mon-Fri"
    for service_id in ("2060", "1991"):
        wanted = {
            hsds_uuid("taxonomy_term", r["taxonomy_id"])
            for r in tables["services_taxonomy"]
            if r["service_id"] == service_id
        }
        got = set(_service(service_id).categories.values_list("pk", flat=True))
        assert got == wanted
    assert Phone.objects.filter(extension="57471", number="305-573-4200").exists()
    # A service naming an organization that is not in the file is kept without one; the
    # link is reported as a dropped value, and what belongs to the service comes in too.
    orgs_in_file = {r["id"] for r in tables["organizations"]}
    dangling = {r["id"] for r in tables["services"] if r["organization_id"] not in orgs_in_file}
    assert len(dangling) == 447
    assert len({r["organization_id"] for r in tables["services"] if r["id"] in dangling}) == 82
    orphan = _service("6562")
    assert orphan.organization_id is None
    assert orphan.service_at_locations.exists()
    assert Service.objects.filter(organization__isnull=True).count() == len(dangling)
    dropped = {
        e.id: e.reason
        for e in first.skipped_values
        if e.table == "services" and e.field == "organization_id"
    }
    assert set(dropped) == dangling
    assert "organization 6253, which is not in the file" in dropped["6562"]
    assert ("services", "6562") not in {(e.table, e.id) for e in first.skipped_rows}

    # Full-text search finds imported services.
    query = SearchQuery("girl scouts", config=SEARCH_CONFIG)
    assert Service.objects.filter(search_vector=query).filter(pk=scouts.pk).exists()
    assert not Service.objects.filter(search_vector__isnull=True).exists()

    second = import_directory(miami_zip())

    for table, numbers in expected.items():
        assert second.counts[table] == {
            "created": 0,
            "updated": numbers["created"],
            "skipped": numbers["skipped"],
        }, table
    assert _rows_in_db() == rows
    assert Service.history.filter(id=scouts.pk).count() == 1  # unchanged rows are left alone


# --- HSDS 3.0 examples ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "made"),
    [
        (
            "service_full.json",
            {
                "organization",
                "service",
                "location",
                "address",
                "accessibility",
                "service_at_location",
                "contact",
                "phone",
                "schedule",
                "taxonomy",
                "taxonomy_term",
                "attribute",
                "language",
                "required_document",
            },
        ),
        (
            "organization_full.json",
            {"organization", "service", "location", "phone", "contact", "attribute"},
        ),
        ("organization_list.json", {"organization"}),
        ("service_list.json", {"organization", "service"}),
        ("service_at_location_full.json", {"service_at_location", "service", "location"}),
        ("service_at_location_list.json", {"service_at_location", "service", "location"}),
        ("location.json", {"location", "address", "accessibility", "phone", "schedule"}),
        ("taxonomy_term_list.json", {"taxonomy", "taxonomy_term"}),
        ("tabular.json", {"organization", "service", "location", "phone"}),
    ],
)
def test_hsds3_json_examples_import(name: str, made: set[str]) -> None:
    result = import_directory(example(name))

    assert result.format == "HSDS 3.0 JSON"
    for table in made:
        assert result.count(table, "created") == 1, table
    _assert_reasons(result)
    # The examples' taxonomy term names a parent that is nowhere: the link is reported.
    if "taxonomy_term" in made and name != "tabular.json":
        (dropped,) = [e for e in result.skipped if e.table == "taxonomy_term"]
        assert dropped.field == "parent_id"
        assert "0bc248fa-dc27-4650-9ba4-8f1a24ef16a2" in dropped.reason
        assert dropped.path.startswith(f"{name}: $")


def test_service_full_json_lands_with_every_link() -> None:
    result = import_directory(example("service_full.json"))

    service = Service.objects.get(pk="ac148810-d857-441c-9679-408f346de14b")
    assert service.organization is not None
    assert service.organization.name == "Example Organization Inc."
    assert service.languages == ["Urdu"]
    assert service.minimum_age == 12 and service.maximum_age == 100
    assert len(service.required_documents) == 1
    assert [t.name for t in service.categories.all()] == ["name"]
    phone = Phone.objects.get()
    assert (phone.number, phone.extension, phone.languages) == ("+44 1234 234567", "100", ["Urdu"])
    assert phone.service_id == service.pk and phone.contact_id is not None
    assert phone.location_id is not None and phone.service_at_location_id is not None
    schedule = Schedule.objects.get()
    assert (schedule.byday, schedule.opens_at) == ("TH,FR", dt.time(10))
    location = Location.objects.get()
    assert location.latitude is None  # 100 is no latitude
    assert any(e.field == "latitude" for e in result.skipped_values)
    # The same file again changes nothing and creates nothing.
    again = import_directory(example("service_full.json"))
    assert all(c["created"] == 0 for c in again.counts.values())
    assert Service.objects.count() == 1 and Phone.objects.count() == 1


def test_hsds3_tabular_package_reports_its_four_dangling_keys() -> None:
    result = import_directory(example("csv"))

    assert result.format == "HSDS 3.0 tabular data package"
    for table in ("organization", "service", "location", "address", "contact", "phone"):
        assert result.count(table, "created") == 1, table
    # attributes.link_id points at no service: the row cannot stand.
    (row,) = result.skipped_rows
    assert (row.table, row.row, row.id) == ("attributes", 2, "ae58cc39-8b70-4ab1-8aea-786882e5ac8e")
    assert "f28dd44b-0c4d-479f-8e90-4c52219a8b3c" in row.reason
    # The other three rows can do without the link, which is dropped and reported.
    dropped = {(e.table, e.field) for e in result.skipped_values if e.field.endswith("_id")}
    assert dropped == {
        ("locations", "organization_id"),
        ("contacts", "organization_id"),
        ("contacts", "service_at_location_id"),
        ("taxonomy_terms", "parent_id"),
        ("taxonomy_terms", "taxonomy_id"),
    }
    assert Location.objects.get().organization_id is None
    assert result.counts["program"] == {"created": 0, "updated": 0, "skipped": 0, "ignored": 1}


def test_a_zip_of_the_tabular_package_imports_the_same(tmp_path: Path) -> None:
    package = zip_folder(example("csv"), tmp_path / "hsds.zip", inside="csv")

    result = import_directory(package)

    assert result.format == "HSDS 3.0 tabular data package"
    assert result.count("service", "created") == 1
    assert len(result.skipped_rows) == 1


# --- HSDS 1.1 folders, zips and single tables -------------------------------------------


def test_a_11_folder_without_datapackage_imports(tmp_path: Path) -> None:
    folder = small_miami(tmp_path / "miami")
    assert not (folder / "datapackage.json").exists()

    result = import_directory(folder)

    assert result.format == "HSDS 1.1 tabular data package"
    assert result.counts["service"] == {"created": 14, "updated": 0, "skipped": 0}
    assert Service.objects.count() == 14
    assert Service.objects.filter(organization__isnull=True).count() == 2
    assert ServiceAtLocation.objects.count() == 14
    assert Schedule.objects.filter(freq="WEEKLY").exists()
    assert Service.categories.through.objects.exists()
    assert result.counts["eligibility"] == {"created": 0, "updated": 0, "skipped": 3}
    _assert_reasons(result)


def test_a_zip_of_a_11_folder_imports(tmp_path: Path) -> None:
    folder = small_miami(tmp_path / "miami")
    package = zip_folder(folder, tmp_path / "miami.zip", inside="export-2019/data")

    result = import_directory(package)

    assert result.format == "HSDS 1.1 tabular data package"
    assert result.counts["service"] == {"created": 14, "updated": 0, "skipped": 0}
    assert Service.objects.count() == 14


def test_a_single_table_imports_against_the_directory(tmp_path: Path) -> None:
    folder = small_miami(tmp_path / "miami")
    import_directory(folder)
    phones = tmp_path / "only" / "phones.csv"
    phones.parent.mkdir()
    phones.write_bytes((folder / "phones.csv").read_bytes())

    result = import_directory(phones)

    assert result.count("phone", "created") == 0
    assert result.count("phone", "updated") == Phone.objects.count()


def test_messy_values_are_cleaned_and_reported(tmp_path: Path) -> None:
    folder = write_csvs(
        tmp_path / "messy",
        {
            "organizations": [{"id": "1", "name": " Helping  Hands ", "url": "example.org"}],
            "services": [
                {
                    "id": "10",
                    "organization_id": "1",
                    "name": "Food pantry",
                    "description": "Open to all.\\n\\n###MON###",
                    "status": "closed for lunch",
                },
                {"id": "11", "organization_id": "1", "name": "Closed", "status": "Defunct"},
                {"id": "12", "organization_id": "1", "name": ""},
            ],
            "locations": [{"id": "20", "organization_id": "1", "latitude": "north"}],
            "physical_addresses": [
                {"id": "30", "location_id": "20", "address_1": "1 Main St", "city": "Miami"},
                {"id": "31", "location_id": "20", "address_1": "", "city": "Miami"},
                {"id": "32", "location_id": "99", "address_1": "2 Main St", "city": "Miami"},
            ],
            "regular_schedules": [
                {
                    "service_id": "10",
                    "weekday": "Monday",
                    "opens_at": "830am",
                    "closes_at": "6:300pm",
                },
                {"service_id": "10", "weekday": "Funday", "opens_at": "9am", "closes_at": "5pm"},
            ],
            "phones": [{"id": "40", "service_id": "10", "number": "305-555-0100 ext. 7"}],
        },
    )

    result = import_directory(folder)

    organization = Organization.objects.get()
    assert (organization.name, organization.website) == ("Helping Hands", "example.org")
    pantry = _service("10")
    assert pantry.description == "Open to all."
    assert pantry.status == ServiceStatus.ACTIVE
    assert _service("11").status == ServiceStatus.DEFUNCT
    monday = Schedule.objects.get(byday="MO")
    assert (monday.opens_at, monday.closes_at) == (dt.time(8, 30), None)
    assert Schedule.objects.get(byday="").opens_at == dt.time(9)
    assert Location.objects.get().latitude is None
    phone = Phone.objects.get()
    assert (phone.number, phone.extension) == ("305-555-0100", "7")

    rows = {(e.table, e.id): e.reason for e in result.skipped_rows}
    assert rows == {
        ("services", "12"): "The service has no name.",
        ("physical_addresses", "31"): "The address has no street address.",
        ("physical_addresses", "32"): (
            "It points at location 99, which is not in the file or the directory."
        ),
    }
    values = {(e.table, e.field) for e in result.skipped_values}
    assert values == {
        ("services", "status"),
        ("locations", "latitude"),
        ("regular_schedules", "closes_at"),
        ("regular_schedules", "weekday"),
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("9:00am", dt.time(9)),
        ("9am", dt.time(9)),
        ("7:30 am ", dt.time(7, 30)),
        ("830am", dt.time(8, 30)),
        ("12:00pm (dispensing)", dt.time(12)),
        ("12:00am", dt.time(0)),
        ("5:00pm Mon", dt.time(17)),
        ("17:00:00", dt.time(17)),
        ("noon", dt.time(12)),
        ("", None),
    ],
)
def test_times_are_read_as_people_write_them(text: str, expected: dt.time | None) -> None:
    assert parse_time(text) == expected


@pytest.mark.parametrize("text", ["6:300pm", "8:00m", "9:0am", "13pm", "soon"])
def test_times_that_are_not_times_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not a time"):
        parse_time(text)


def test_text_cleaning() -> None:
    assert clean_text("  A\\n\\n\\n\\nB ###COL### ", multiline=True) == "A\n\nB"
    assert clean_text("One\\nline  only", multiline=False) == "One line only"
    assert clean_text(None, multiline=False) == ""


def test_ids_that_are_not_uuids_become_stable_uuid5() -> None:
    assert hsds_uuid("service", "136") == hsds_uuid("service", "136")
    assert hsds_uuid("service", "136") != hsds_uuid("organization", "136")
    known = "ac148810-d857-441c-9679-408f346de14b"
    assert hsds_uuid("service", known) == uuid.UUID(known)


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "services.csv", "empty"),
        (b"PK\x03\x04 not really a zip", "x.zip", "damaged"),
        (b'{"version": "3.0"}', "base.json", "No HSDS records"),
        (b"{not json", "x.json", "not valid JSON"),
        (b"a,b\n1,2\n", "notes.csv", "not named after an HSDS table"),
    ],
)
def test_unreadable_files_are_refused(
    tmp_path: Path, content: bytes, name: str, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ImportFileError, match=message):
        import_directory(path)
    assert not Organization.objects.exists()


def test_agency_fields_survive_a_reimport(tmp_path: Path, admin: User) -> None:
    folder = small_miami(tmp_path / "miami", services=2, dangling=0)
    import_directory(folder)
    service = Service.objects.order_by("pk").first()
    assert service is not None
    Service.objects.filter(pk=service.pk).update(
        accepting_new_clients=False, wait_time_days=30, capacity_note="Full until May"
    )
    Organization.objects.update(is_internal=True)

    import_directory(folder)

    service.refresh_from_db()
    assert (service.accepting_new_clients, service.wait_time_days) == (False, 30)
    assert service.capacity_note == "Full until May"
    assert Organization.objects.filter(is_internal=False).count() == 0


def test_progress_is_reported_in_order(tmp_path: Path) -> None:
    steps: list[tuple[int, str]] = []

    import_directory(
        small_miami(tmp_path / "m", services=3), progress=lambda p, s: steps.append((p, s))
    )

    percents = [p for p, _stage in steps]
    assert percents == sorted(percents)
    assert steps[0] == (0, "Reading the file") and steps[-1] == (100, "Done")
    assert {"Checking the rows", "Saving services", "Updating search"} <= {s for _p, s in steps}


# --- The background task ----------------------------------------------------------------


def _run_for(admin: User, path: Path, settings: Any, tmp_path: Path) -> DirectoryImport:
    settings.MEDIA_ROOT = tmp_path / "media"
    run = DirectoryImport(started_by=admin, source_name=path.name)
    run.upload.save(path.name, ContentFile(path.read_bytes()), save=False)
    run.save()
    return run


def test_the_task_imports_and_a_second_run_does_nothing(
    admin: User, settings: Any, tmp_path: Path
) -> None:
    package = zip_folder(small_miami(tmp_path / "m", services=4), tmp_path / "m.zip")
    run = _run_for(admin, package, settings, tmp_path)

    directory_import_run.apply(args=(run.pk,))

    run.refresh_from_db()
    assert run.status == ImportStatus.DONE
    assert (run.progress, run.stage) == (100, "Done")
    assert run.finished_at is not None and not run.error
    assert run.counts["service"] == {"created": 6, "updated": 0, "skipped": 0}
    assert all(entry["reason"] for entry in run.skipped)
    assert Service.history.filter(history_user=admin).count() == 6
    finished_at, rows = run.finished_at, _rows_in_db()

    directory_import_run.apply(args=(run.pk,))

    run.refresh_from_db()
    assert run.finished_at == finished_at and run.counts["service"]["created"] == 6
    assert _rows_in_db() == rows


def test_the_task_reports_an_unreadable_file(admin: User, settings: Any, tmp_path: Path) -> None:
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"PK\x03\x04 this is no zip")
    run = _run_for(admin, broken, settings, tmp_path)

    directory_import_run.apply(args=(run.pk,))

    run.refresh_from_db()
    assert run.status == ImportStatus.FAILED
    assert "damaged" in run.error and run.finished_at is not None
    assert not Organization.objects.exists()


def test_the_task_leaves_a_running_import_alone(admin: User, settings: Any, tmp_path: Path) -> None:
    run = _run_for(admin, example("organization_list.json"), settings, tmp_path)
    DirectoryImport.objects.filter(pk=run.pk).update(status=ImportStatus.RUNNING, progress=40)

    directory_import_run.apply(args=(run.pk,))

    run.refresh_from_db()
    assert (run.status, run.progress) == (ImportStatus.RUNNING, 40)
    assert not Organization.objects.exists()
