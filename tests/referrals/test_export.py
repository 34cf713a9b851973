"""The HSDS 3.0 export: the descriptor follows the specification's, every CSV row validates
against the specification's compiled schema, keys resolve, ids are stable, rows stream in a
fixed number of queries; and the serializers' JSON objects validate too."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from referrals.hsds import serializers as hsds
from referrals.hsds.exporter import RESOURCE_PATHS, descriptor, export_to_zip
from referrals.models import Service

from .directory_factories import (
    Directory,
    OrganizationFactory,
    assert_valid,
    full_service,
    make_directory,
    spec_json,
    tabular_schema,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def directory() -> Directory:
    return make_directory()


def _export(target: Path) -> dict[str, list[dict[str, str]]]:
    out = io.StringIO()
    call_command("export_hsds", str(target), stdout=out)
    assert "Wrote the HSDS package" in out.getvalue()
    tables = {}
    for table, path in RESOURCE_PATHS.items():
        with (target / path).open(encoding="utf-8", newline="") as stream:
            tables[table] = list(csv.DictReader(stream))
    return tables


def _spec_resources() -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in spec_json("datapackage.json")["resources"]}


def _coerce(value: str, field: dict[str, Any]) -> Any:
    """A CSV cell as JSON, by the descriptor's type for it."""
    if field["type"] == "number":
        number = float(value)
        return int(number) if number.is_integer() else number
    if field["type"] == "integer":
        return int(value)
    if field["type"] == "boolean":
        return value.lower() in ("true", "1")
    return value


# --- The descriptor and the files ------------------------------------------------------------


def test_descriptor_follows_the_specification(directory: Directory, tmp_path: Path) -> None:
    _export(tmp_path)
    package = json.loads((tmp_path / "datapackage.json").read_text(encoding="utf-8"))
    spec = spec_json("datapackage.json")
    assert package["profile"] == spec["profile"] == "tabular-data-package"
    assert package["version"] == spec["version"]
    assert package["license"] == spec["license"]
    resources = _spec_resources()
    written = {r["name"] for r in package["resources"]}
    assert written == set(RESOURCE_PATHS)
    assert written >= {
        "organization",
        "service",
        "location",
        "address",
        "service_at_location",
        "phone",
        "schedule",
        "contact",
        "language",
        "required_document",
        "taxonomy",
        "taxonomy_term",
        "attribute",
        "accessibility",
    }
    for resource in package["resources"]:
        ours_fields = resource["schema"]["fields"]
        theirs = resources[resource["name"]]
        assert resource["path"] == theirs["path"]
        assert resource["profile"] == "tabular-data-resource"
        assert resource["schema"]["primaryKey"] == "id"
        for ours, spec_field in zip(ours_fields, theirs["schema"]["fields"], strict=True):
            for key in ("name", "type", "format"):
                assert ours.get(key) == spec_field.get(key), (resource["name"], ours, key)
            assert ours["constraints"] == spec_field["constraints"], (resource["name"], ours)
        spec_keys = [
            fk
            for fk in theirs["schema"].get("foreignKeys", [])
            if fk["reference"]["resource"] in RESOURCE_PATHS
        ]
        assert sorted(resource["schema"].get("foreignKeys", []), key=str) == sorted(
            spec_keys, key=str
        )


def test_csv_headers_are_the_descriptors_field_names(directory: Directory, tmp_path: Path) -> None:
    _export(tmp_path)
    package = json.loads((tmp_path / "datapackage.json").read_text(encoding="utf-8"))
    for resource in package["resources"]:
        with (tmp_path / resource["path"]).open(encoding="utf-8", newline="") as stream:
            header = next(csv.reader(stream))
        assert header == [f["name"] for f in resource["schema"]["fields"]], resource["name"]


def test_every_row_validates_against_the_compiled_schema(
    directory: Directory, tmp_path: Path
) -> None:
    tables = _export(tmp_path)
    package = json.loads((tmp_path / "datapackage.json").read_text(encoding="utf-8"))
    checked = 0
    for resource in package["resources"]:
        fields = {f["name"]: f for f in resource["schema"]["fields"]}
        schema = tabular_schema(resource["name"])
        rows = tables[resource["name"]]
        assert rows, f"{resource['name']} has no rows to check"
        for row in rows:
            instance = {k: _coerce(v, fields[k]) for k, v in row.items() if v != ""}
            assert_valid(instance, schema)
            for name, field in fields.items():
                if field["constraints"]["required"]:
                    assert row[name] != "", (resource["name"], name, row)
                if "enum" in field["constraints"] and row[name]:
                    assert row[name] in field["constraints"]["enum"]
            checked += 1
    assert checked > 60


def test_ids_are_unique_and_every_key_resolves(directory: Directory, tmp_path: Path) -> None:
    tables = _export(tmp_path)
    package = json.loads((tmp_path / "datapackage.json").read_text(encoding="utf-8"))
    ids = {table: [row["id"] for row in rows] for table, rows in tables.items()}
    for table, values in ids.items():
        assert len(values) == len(set(values)), table
    for resource in package["resources"]:
        for key in resource["schema"].get("foreignKeys", []):
            target = set(ids[key["reference"]["resource"]])
            for row in tables[resource["name"]]:
                value = row[key["fields"]]
                assert value == "" or value in target, (resource["name"], key["fields"], value)
    # Attributes link services to taxonomy terms.
    services = set(ids["service"])
    assert all(row["link_id"] in services for row in tables["attribute"])


def test_rows_hold_the_directory(directory: Directory, tmp_path: Path) -> None:
    tables = _export(tmp_path)
    shelter = directory.services["shelter"]
    by_id = {row["id"]: row for row in tables["service"]}
    assert len(by_id) == 4
    row = by_id[str(shelter.id)]
    assert row["organization_id"] == str(directory.north_star.id)
    assert row["status"] == "active"
    assert row["assured_date"] == "2026-10-01"
    assert row["last_modified"].endswith("Z")
    assert by_id[str(directory.services["closed"].id)]["status"] == "temporarily closed"

    organizations = {row["id"]: row for row in tables["organization"]}
    north = organizations[str(directory.north_star.id)]
    assert north["website"] == "http://www.northstar.example.org"
    assert north["year_incorporated"] == "1998"
    # HSDS requires a description: an organization without one is described by its name.
    assert organizations[str(directory.own_program.id)]["description"] == "Casework Agency Programs"

    shelter_languages = [r for r in tables["language"] if r["service_id"] == str(shelter.id)]
    assert {(r["name"], r["code"]) for r in shelter_languages} == {
        ("English", "en"),
        ("Spanish", "es"),
    }
    phone_languages = [r for r in tables["language"] if r["phone_id"]]
    assert {r["name"] for r in phone_languages} == {"Spanish"}
    documents = {
        r["document"] for r in tables["required_document"] if r["service_id"] == str(shelter.id)
    }
    assert documents == {"Photo ID", "Proof of income"}
    attributes = [r for r in tables["attribute"] if r["link_id"] == str(shelter.id)]
    assert {r["taxonomy_term_id"] for r in attributes} == {
        str(directory.housing.id),
        str(directory.shelter.id),
    }
    assert {r["link_entity"] for r in attributes} == {"service"}

    assert {r["country"] for r in tables["address"]} == {"US"}
    assert {r["address_type"] for r in tables["address"]} == {"physical", "postal"}
    assert {r["opens_at"] for r in tables["schedule"]} == {"09:00:00", "10:00:00"}
    assert {r["freq"] for r in tables["schedule"]} == {"WEEKLY", "MONTHLY"}
    assert "12" in {r["extension"] for r in tables["phone"]}
    terms = {r["id"]: r for r in tables["taxonomy_term"]}
    assert terms[str(directory.shelter.id)]["parent_id"] == str(directory.housing.id)
    assert terms[str(directory.shelter.id)]["taxonomy"] == "Casework categories"
    assert terms[str(directory.counseling.id)]["term_uri"] == "http://example.org/rp-1400"
    assert [r["name"] for r in tables["taxonomy"]] == ["Casework categories"]


def test_ids_of_derived_rows_are_the_same_on_every_export(
    directory: Directory, tmp_path: Path
) -> None:
    first = _export(tmp_path / "one")
    second = _export(tmp_path / "two")
    assert first == second
    shelter = directory.services["shelter"]
    expected = hsds.derived_id(shelter.id, "language", "Spanish")
    assert str(expected) in {r["id"] for r in first["language"]}


def test_zip_archive_holds_the_same_package(directory: Directory, tmp_path: Path) -> None:
    call_command("export_hsds", str(tmp_path / "directory.zip"), stdout=io.StringIO())
    with zipfile.ZipFile(tmp_path / "directory.zip") as archive:
        names = set(archive.namelist())
        assert names == {"datapackage.json", *RESOURCE_PATHS.values()}
        services = archive.read("services.csv").decode("utf-8")
    assert services.splitlines()[0].split(",")[:4] == [
        "id",
        "organization_id",
        "program_id",
        "name",
    ]
    assert "Family Shelter" in services


def test_empty_directory_exports_headers_only(tmp_path: Path) -> None:
    tables = _export(tmp_path)
    assert all(rows == [] for rows in tables.values())
    header = (tmp_path / "services.csv").read_text(encoding="utf-8").splitlines()
    assert header == [",".join(f.name for f in hsds.TABLES["service"])]


def test_export_streams_rows_in_a_fixed_number_of_queries(tmp_path: Path) -> None:
    organization = OrganizationFactory.create()

    def queries_for(n: int) -> int:
        for _ in range(n):
            full_service(organization)
        with CaptureQueriesContext(connection) as captured:
            export_to_zip(io.BytesIO())
        return len(captured)

    assert queries_for(2) == queries_for(20)


def test_descriptor_lists_only_tables_written() -> None:
    package = descriptor()
    assert [r["name"] for r in package["resources"]] == list(RESOURCE_PATHS)
    assert all(r["path"].endswith(".csv") for r in package["resources"])


# --- The serializers' JSON objects ---------------------------------------------------------------


def test_full_service_objects_validate(directory: Directory) -> None:
    schema = spec_json("schema/compiled/service.json")
    services = hsds.services_for_hsds(full=True)
    for service in services:
        obj = hsds.service_object(service, full=True)
        assert_valid(obj, schema)
        assert obj["organization"]["id"] == str(service.organization_id)


def test_full_service_object_holds_every_related_row(directory: Directory) -> None:
    shelter = hsds.services_for_hsds(full=True).get(pk=directory.services["shelter"].pk)
    obj = hsds.service_object(shelter, full=True)
    assert obj["status"] == "active"
    assert obj["minimum_age"] == 0
    assert {lang["name"] for lang in obj["languages"]} == {"English", "Spanish"}
    assert all(lang["id"] and lang["service_id"] == obj["id"] for lang in obj["languages"])
    assert {d["document"] for d in obj["required_documents"]} == {"Photo ID", "Proof of income"}
    assert [p["extension"] for p in obj["phones"]] == [12]
    assert obj["phones"][0]["languages"][0]["code"] == "es"
    assert obj["schedules"][0]["opens_at"] == "09:00"
    assert obj["schedules"][0]["closes_at"] == "17:00"
    assert obj["schedules"][0]["valid_from"] == "2025-01-01"
    assert obj["contacts"][0]["phones"]
    attributes = {a["taxonomy_term"]["code"]: a for a in obj["attributes"]}
    assert set(attributes) == {"BH", "BH-180"}
    assert attributes["BH"]["link_entity"] == "service"
    assert attributes["BH"]["link_id"] == obj["id"]
    assert attributes["BH"]["taxonomy_term"]["taxonomy_detail"]["name"] == "Casework categories"
    assert attributes["BH-180"]["taxonomy_term"]["parent_id"] == str(directory.housing.id)
    (sal,) = obj["service_at_locations"]
    assert sal["phones"] and sal["schedules"] and sal["contacts"]
    assert sal["schedules"][0]["freq"] == "MONTHLY"
    location = sal["location"]
    assert location["location_type"] == "physical"
    assert location["latitude"] == pytest.approx(25.7617)
    assert {a["address_type"] for a in location["addresses"]} == {"physical", "postal"}
    assert {a["country"] for a in location["addresses"]} == {"US"}
    assert location["accessibility"][0]["details"] == "Ramp at the side door."
    assert location["phones"] and location["schedules"] and location["contacts"]
    # Empty optional fields are left out rather than sent as "" or null.
    assert "alternate_name" not in obj
    assert None not in obj.values()


def test_other_objects_validate(directory: Directory) -> None:
    organization_schema = spec_json("schema/compiled/organization.json")
    for organization in (directory.north_star, directory.own_program):
        assert_valid(hsds.organization_object(organization), organization_schema)
    service = hsds.services_for_hsds(full=True).get(pk=directory.services["counseling"].pk)
    sal_schema = spec_json("schema/compiled/service_at_location.json")
    for sal in service.service_at_locations.all():
        assert_valid(hsds.service_at_location_object(sal), sal_schema)
        assert_valid(hsds.location_object(sal.location), tabular_schema("location"))
    for term in (directory.housing, directory.shelter, directory.counseling, directory.food):
        assert_valid(hsds.taxonomy_term_object(term), tabular_schema("taxonomy_term"))
    assert_valid(
        hsds.record("taxonomy", hsds.taxonomy_values(directory.taxonomy)),
        tabular_schema("taxonomy"),
    )


def test_list_entries_validate_against_the_service_list_schema(directory: Directory) -> None:
    schema = spec_json("schema/compiled/service_list.json")
    for service in Service.objects.select_related("organization"):
        obj = hsds.service_object(service, full=False)
        assert_valid(obj, schema)
        assert "phones" not in obj


def test_a_service_without_organization_imports_and_exports(tmp_path: Path) -> None:
    """HSDS 3.0 does not require a service's organization: a service naming one the file lacks
    is imported without it, and exported without `organization_id` / `organization`."""
    from referrals.hsds.importer import hsds_uuid, import_directory

    from .test_import import write_csvs

    folder = write_csvs(
        tmp_path / "orphan",
        {
            "organizations": [{"id": "1", "name": "Helping Hands"}],
            "services": [
                {"id": "10", "organization_id": "1", "name": "Pantry"},
                {"id": "11", "organization_id": "404", "name": "Orphan Shelter"},
            ],
        },
    )
    result = import_directory(folder)

    assert result.counts["service"] == {"created": 2, "updated": 0, "skipped": 0}
    orphan = hsds.services_for_hsds(full=True).get(pk=hsds_uuid("service", "11"))
    assert orphan.organization_id is None
    (dropped,) = [e for e in result.skipped_values if e.id == "11"]
    assert (dropped.table, dropped.field) == ("services", "organization_id")
    assert "organization 404, which is not in the file" in dropped.reason

    obj = hsds.service_object(orphan, full=True)
    assert "organization_id" not in obj and "organization" not in obj
    assert_valid(obj, spec_json("schema/compiled/service.json"))

    tables = _export(tmp_path / "out")
    package = json.loads((tmp_path / "out" / "datapackage.json").read_text(encoding="utf-8"))
    (resource,) = [r for r in package["resources"] if r["name"] == "service"]
    fields = {f["name"]: f for f in resource["schema"]["fields"]}
    (row,) = [r for r in tables["service"] if r["id"] == str(orphan.pk)]
    assert row["organization_id"] == ""
    instance = {k: _coerce(v, fields[k]) for k, v in row.items() if v != ""}
    # The tabular descriptor (unlike the compiled object schema) marks the column required:
    # the cell is left empty, and that is the only thing it finds wrong with the row.
    schema = tabular_schema("service")
    assert "organization_id" in schema["required"]
    relaxed = schema | {"required": [f for f in schema["required"] if f != "organization_id"]}
    assert_valid(instance, relaxed)
