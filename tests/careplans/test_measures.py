"""Standardized measures as data: the instruments the migration adds, scoring at every band
boundary, refusing incomplete or impossible answers, the safety flag from PHQ-9 item 9, and an
administrator adding a new instrument in the Django admin with no code."""

from __future__ import annotations

import datetime as dt
from importlib import import_module
from typing import Any

import pytest
from django.apps import apps
from django.contrib import admin as django_admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from careplans.models import Instrument, MeasureAdministration
from careplans.services.measures import (
    BandSpec,
    ItemSpec,
    instrument_validate,
    instrument_validate_saved,
    measure_administer,
    measure_score,
    options_validate,
)
from casemgmt.accounts.models import User
from clients.models import Client, SafetyFlag

pytestmark = pytest.mark.django_db


def load_instrument(code: str) -> Instrument:
    """The instrument the data migration adds (re-added if a flushing test removed it)."""
    if not Instrument.objects.filter(code=code).exists():
        import_module("careplans.migrations.0002_instruments").add_instruments(apps, None)
    return Instrument.objects.prefetch_related("items", "bands").get(code=code)


def answers_for_total(instrument: Instrument, total: int) -> dict[int, int]:
    """Answers reaching `total`, filling items in order with their highest values (PHQ-9
    item 9 is reached only for totals above 24)."""
    answers: dict[int, int] = {}
    left = total
    for item in instrument.items.order_by("number"):
        value = min(left, max(o["value"] for o in item.options))
        answers[item.number] = value
        left -= value
    assert left == 0, f"{instrument} cannot reach {total}"
    return answers


def administer(
    actor: User,
    client: Client,
    code: str,
    answers: dict[int, int] | None = None,
    *,
    total: int = 0,
    on: dt.date | None = None,
) -> MeasureAdministration:
    instrument = load_instrument(code)
    return measure_administer(
        actor=actor,
        client=client,
        instrument=instrument,
        answers=answers if answers is not None else answers_for_total(instrument, total),
        administered_on=on or timezone.localdate(),
    )


# --- The instruments as data ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "items", "maximum", "loinc", "item_loincs"),
    [
        (
            "phq-9",
            9,
            27,
            "44261-6",
            [
                "44250-9",
                "44255-8",
                "44259-0",
                "44254-1",
                "44251-7",
                "44258-2",
                "44252-5",
                "44253-3",
                "44260-8",
            ],
        ),
        (
            "gad-7",
            7,
            21,
            "70274-6",
            ["69725-0", "68509-9", "69733-4", "69734-2", "69735-9", "69689-8", "69736-7"],
        ),
        ("audit-c", 3, 12, "75626-2", ["68518-0", "68519-8", "68520-6"]),
    ],
)
def test_migration_defines_the_instruments(
    code: str, items: int, maximum: int, loinc: str, item_loincs: list[str]
) -> None:
    instrument = load_instrument(code)
    assert instrument.items.count() == items
    assert instrument.max_score == maximum
    assert instrument.loinc_total == loinc
    assert [i.loinc for i in instrument.items.order_by("number")] == item_loincs
    instrument_validate_saved(instrument)


def test_phq9_wording_options_and_safety_item() -> None:
    phq9 = load_instrument("phq-9")
    assert phq9.instructions.startswith("Over the last 2 weeks, how often have you been bothered")
    item9 = phq9.items.get(number=9)
    assert item9.text.startswith("Thoughts that you would be better off dead")
    assert item9.safety_threshold == 0
    assert [o["label"] for o in item9.options] == [
        "Not at all",
        "Several days",
        "More than half the days",
        "Nearly every day",
    ]
    assert not phq9.items.exclude(number=9).filter(safety_threshold__isnull=False).exists()


def test_audit_c_items_have_their_own_options() -> None:
    audit = load_instrument("audit-c")
    q2 = audit.items.get(number=2)
    assert [(o["value"], o["label"]) for o in q2.options] == [
        (0, "1 or 2"),
        (1, "3 or 4"),
        (2, "5 or 6"),
        (3, "7 to 9"),
        (4, "10 or more"),
    ]
    assert "women" in audit.description


def test_migration_reverses_by_code() -> None:
    migration = import_module("careplans.migrations.0002_instruments")
    load_instrument("phq-9")
    migration.remove_instruments(apps, None)
    assert not Instrument.objects.filter(code__in=["phq-9", "gad-7", "audit-c"]).exists()
    migration.add_instruments(apps, None)
    assert Instrument.objects.filter(code__in=["phq-9", "gad-7", "audit-c"]).count() == 3


# --- Scoring -------------------------------------------------------------------------------

BOUNDARIES = [
    ("phq-9", 0, "Minimal"),
    ("phq-9", 4, "Minimal"),
    ("phq-9", 5, "Mild"),
    ("phq-9", 9, "Mild"),
    ("phq-9", 10, "Moderate"),
    ("phq-9", 14, "Moderate"),
    ("phq-9", 15, "Moderately severe"),
    ("phq-9", 19, "Moderately severe"),
    ("phq-9", 20, "Severe"),
    ("phq-9", 27, "Severe"),
    ("gad-7", 0, "Minimal"),
    ("gad-7", 4, "Minimal"),
    ("gad-7", 5, "Mild"),
    ("gad-7", 9, "Mild"),
    ("gad-7", 10, "Moderate"),
    ("gad-7", 14, "Moderate"),
    ("gad-7", 15, "Severe"),
    ("gad-7", 21, "Severe"),
    ("audit-c", 0, "Low risk"),
    ("audit-c", 3, "Low risk"),
    ("audit-c", 4, "Moderate risk"),
    ("audit-c", 5, "Moderate risk"),
    ("audit-c", 6, "High risk"),
    ("audit-c", 7, "High risk"),
    ("audit-c", 8, "Severe risk"),
    ("audit-c", 12, "Severe risk"),
]


@pytest.mark.parametrize(("code", "total", "band"), BOUNDARIES)
def test_every_band_boundary(code: str, total: int, band: str) -> None:
    instrument = load_instrument(code)
    assert measure_score(instrument=instrument, answers=answers_for_total(instrument, total)) == (
        total,
        band,
    )


@pytest.mark.parametrize(
    ("code", "answers", "expected"),
    [
        # Hand-computed: 1+2+0+3+1+0+2+1+0 = 10.
        ("phq-9", {1: 1, 2: 2, 3: 0, 4: 3, 5: 1, 6: 0, 7: 2, 8: 1, 9: 0}, (10, "Moderate")),
        # 3+3+2+2+3+2+3+1+0 = 19.
        (
            "phq-9",
            {1: 3, 2: 3, 3: 2, 4: 2, 5: 3, 6: 2, 7: 3, 8: 1, 9: 0},
            (19, "Moderately severe"),
        ),
        # 0+1+1+0+1+1+0 = 4.
        ("gad-7", {1: 0, 2: 1, 3: 1, 4: 0, 5: 1, 6: 1, 7: 0}, (4, "Minimal")),
        # 2+3+3+2+1+2+2 = 15.
        ("gad-7", {1: 2, 2: 3, 3: 3, 4: 2, 5: 1, 6: 2, 7: 2}, (15, "Severe")),
        # Monthly or less (1) + 3 or 4 drinks (1) + less than monthly (1) = 3.
        ("audit-c", {1: 1, 2: 1, 3: 1}, (3, "Low risk")),
        # 2 to 3 times a week (3) + 5 or 6 (2) + monthly (2) = 7.
        ("audit-c", {1: 3, 2: 2, 3: 2}, (7, "High risk")),
    ],
)
def test_hand_computed_scores(
    code: str, answers: dict[int, int], expected: tuple[int, str]
) -> None:
    assert measure_score(instrument=load_instrument(code), answers=answers) == expected


def test_string_item_numbers_are_accepted() -> None:
    gad7 = load_instrument("gad-7")
    answers: dict[Any, int] = {str(n): 1 for n in range(1, 8)}
    assert measure_score(instrument=gad7, answers=answers) == (7, "Mild")


def test_missing_answer_is_refused_naming_the_item() -> None:
    phq9 = load_instrument("phq-9")
    answers = answers_for_total(phq9, 6)
    del answers[3]
    with pytest.raises(ValidationError) as caught:
        measure_score(instrument=phq9, answers=answers)
    assert list(caught.value.message_dict) == ["item_3"]
    message = caught.value.message_dict["item_3"][0]
    assert "Item 3" in message and "Trouble falling or staying asleep" in message
    assert "not answered" in message


@pytest.mark.parametrize("bad", [4, -1, "2", True, None])
def test_impossible_answer_is_refused_naming_the_item(bad: Any) -> None:
    gad7 = load_instrument("gad-7")
    answers: dict[int, Any] = answers_for_total(gad7, 3)
    answers[5] = bad
    with pytest.raises(ValidationError) as caught:
        measure_score(instrument=gad7, answers=answers)
    assert "item_5" in caught.value.message_dict
    assert "Item 5" in caught.value.message_dict["item_5"][0]


def test_unknown_item_is_refused() -> None:
    audit = load_instrument("audit-c")
    with pytest.raises(ValidationError) as caught:
        measure_score(instrument=audit, answers={1: 0, 2: 0, 3: 0, 4: 1})
    assert "no item 4" in caught.value.message_dict["answers"][0]


# --- Administering --------------------------------------------------------------------------


def test_administer_stores_answers_total_band_and_history(
    case_manager: User, north_client: Client
) -> None:
    measure = administer(
        case_manager, north_client, "phq-9", {1: 1, 2: 2, 3: 0, 4: 3, 5: 1, 6: 0, 7: 2, 8: 1, 9: 0}
    )
    measure.refresh_from_db()
    assert measure.answers == {
        "1": 1,
        "2": 2,
        "3": 0,
        "4": 3,
        "5": 1,
        "6": 0,
        "7": 2,
        "8": 1,
        "9": 0,
    }
    assert (measure.total_score, measure.band) == (10, "Moderate")
    assert measure.administered_by == case_manager
    assert not measure.safety_flagged
    record = measure.history.get()
    assert record.history_user == case_manager
    assert record.history_change_reason == "PHQ-9 administered"


@pytest.mark.parametrize(("answer", "label"), [(1, "Several days"), (3, "Nearly every day")])
def test_phq9_item9_above_zero_raises_exactly_one_safety_flag(
    case_manager: User, north_client: Client, answer: int, label: str
) -> None:
    measure = administer(
        case_manager,
        north_client,
        "phq-9",
        {1: 1, 2: 1, 3: 0, 4: 0, 5: 0, 6: 0, 7: 0, 8: 0, 9: answer},
    )
    assert measure.safety_flagged
    flag = SafetyFlag.objects.get(client=north_client)
    assert flag.is_open
    assert flag.source == f"measure:{measure.pk}"
    assert flag.raised_by == case_manager
    assert flag.reason.startswith("PHQ-9 item 9 (thoughts that you would be better off dead")
    assert f"answered '{label}'" in flag.reason


def test_phq9_item9_zero_raises_no_flag(case_manager: User, north_client: Client) -> None:
    measure = administer(case_manager, north_client, "phq-9", total=24)
    assert measure.answers["9"] == 0 and measure.total_score == 24
    assert not measure.safety_flagged
    assert not SafetyFlag.objects.filter(client=north_client).exists()


def test_gad7_never_flags(case_manager: User, north_client: Client) -> None:
    administer(case_manager, north_client, "gad-7", total=21)
    assert not SafetyFlag.objects.exists()


def test_the_flag_comes_from_the_data_not_from_phq9(
    case_manager: User, north_client: Client
) -> None:
    audit = load_instrument("audit-c")
    audit.items.filter(number=3).update(safety_threshold=2)
    administer(case_manager, north_client, "audit-c", {1: 4, 2: 4, 3: 3})
    flag = SafetyFlag.objects.get(client=north_client)
    assert flag.reason == (
        "AUDIT-C item 3 (how often did you have six or more drinks on one occasion in the past "
        "year?) answered 'Weekly'"
    )


def test_teammate_may_not_administer(teammate: User, north_client: Client) -> None:
    with pytest.raises(PermissionDenied):
        administer(teammate, north_client, "gad-7", total=3)
    assert not MeasureAdministration.objects.exists()


def test_supervisor_may_administer(supervisor: User, north_client: Client) -> None:
    assert administer(supervisor, north_client, "gad-7", total=3).total_score == 3


def test_future_date_is_refused(case_manager: User, north_client: Client) -> None:
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    with pytest.raises(ValidationError) as caught:
        administer(case_manager, north_client, "gad-7", total=3, on=tomorrow)
    assert "administered_on" in caught.value.message_dict
    assert not MeasureAdministration.objects.exists()


def test_inactive_instrument_is_refused(case_manager: User, north_client: Client) -> None:
    Instrument.objects.filter(code="gad-7").update(is_active=False)
    with pytest.raises(ValidationError):
        administer(case_manager, north_client, "gad-7", total=3)


def test_bad_answers_save_nothing_and_raise_no_flag(
    case_manager: User, north_client: Client
) -> None:
    with pytest.raises(ValidationError):
        administer(case_manager, north_client, "phq-9", {9: 3})
    assert not MeasureAdministration.objects.exists()
    assert not SafetyFlag.objects.exists()


# --- Checking an instrument's definition -----------------------------------------------------

OPTIONS = [
    {"value": 0, "label": "No"},
    {"value": 1, "label": "Some"},
    {"value": 2, "label": "Lots"},
]
TWO_ITEMS = [ItemSpec(1, OPTIONS), ItemSpec(2, OPTIONS)]  # highest total 4


def test_bands_covering_zero_to_max_exactly_are_accepted() -> None:
    instrument_validate(items=TWO_ITEMS, bands=[BandSpec(0, 1, "Low"), BandSpec(2, 4, "High")])


@pytest.mark.parametrize(
    ("bands", "problem"),
    [
        ([BandSpec(0, 1, "Low"), BandSpec(3, 4, "High")], "No band covers the scores 2 to 2"),
        ([BandSpec(1, 4, "All")], "No band covers the scores 0 to 0"),
        ([BandSpec(0, 2, "Low"), BandSpec(2, 4, "High")], "overlaps"),
        ([BandSpec(0, 1, "Low"), BandSpec(2, 3, "High")], "No band covers the scores 4 to 4"),
        ([BandSpec(0, 1, "Low"), BandSpec(2, 9, "High")], "highest possible total is 4"),
        ([], "Add severity bands"),
    ],
)
def test_broken_bands_are_rejected(bands: list[BandSpec], problem: str) -> None:
    with pytest.raises(ValidationError) as caught:
        instrument_validate(items=TWO_ITEMS, bands=bands)
    assert any(problem in m for m in caught.value.messages), caught.value.messages


@pytest.mark.parametrize(
    ("items", "problem"),
    [
        ([], "at least one item"),
        ([ItemSpec(1, OPTIONS), ItemSpec(1, OPTIONS)], "repeated: 1"),
        ([ItemSpec(1, OPTIONS, safety_threshold=2)], "no answer can be above"),
        ([ItemSpec(1, [{"value": 0, "label": "a"}, {"value": 0, "label": "b"}])], "value 0"),
        ([ItemSpec(1, "0 = no")], "Item 1"),
    ],
)
def test_broken_items_are_rejected(items: list[ItemSpec], problem: str) -> None:
    with pytest.raises(ValidationError) as caught:
        instrument_validate(items=items, bands=[BandSpec(0, 2, "All")])
    assert any(problem in m for m in caught.value.messages), caught.value.messages


@pytest.mark.parametrize(
    "options",
    [
        [],
        [{"value": "0", "label": "No"}],
        [{"value": 0, "label": ""}],
        [{"value": -1, "label": "x"}],
    ],
)
def test_options_must_be_values_with_labels(options: Any) -> None:
    with pytest.raises(ValidationError):
        options_validate(options)


# --- The Django admin: a new instrument without code --------------------------------------


def _admin_post(**overrides: Any) -> dict[str, Any]:
    """The add form of the instrument admin, with two items and two bands (PHQ-2)."""
    frequency = (
        '[{"value": 0, "label": "Not at all"}, {"value": 1, "label": "Several days"}, '
        '{"value": 2, "label": "More than half the days"}, '
        '{"value": 3, "label": "Nearly every day"}]'
    )
    data: dict[str, Any] = {
        "name": "PHQ-2",
        "code": "phq-2",
        "loinc_total": "55758-7",
        "is_active": "on",
        "description": "The first two items of the PHQ-9.",
        "instructions": "Over the last 2 weeks, how often have you been bothered by any of the "
        "following problems?",
        "items-TOTAL_FORMS": "2",
        "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "1000",
        "items-0-number": "1",
        "items-0-text": "Little interest or pleasure in doing things",
        "items-0-loinc": "44250-9",
        "items-0-options": frequency,
        "items-0-safety_threshold": "",
        "items-1-number": "2",
        "items-1-text": "Feeling down, depressed, or hopeless",
        "items-1-loinc": "44255-8",
        "items-1-options": frequency,
        "items-1-safety_threshold": "",
        "bands-TOTAL_FORMS": "2",
        "bands-INITIAL_FORMS": "0",
        "bands-MIN_NUM_FORMS": "0",
        "bands-MAX_NUM_FORMS": "1000",
        "bands-0-min_score": "0",
        "bands-0-max_score": "2",
        "bands-0-label": "Negative screen",
        "bands-1-min_score": "3",
        "bands-1-max_score": "6",
        "bands-1-label": "Positive screen",
    }
    data.update(overrides)
    return data


def test_admin_adds_an_instrument_and_a_case_manager_administers_it(
    client: HttpClient, admin: User, case_manager: User, north_client: Client
) -> None:
    client.force_login(admin)
    response = client.post(reverse("admin:careplans_instrument_add"), _admin_post())
    assert response.status_code == 302, response.context and response.context.get("errors")
    phq2 = Instrument.objects.prefetch_related("items", "bands").get(code="phq-2")
    assert phq2.max_score == 6
    assert [b.label for b in phq2.bands.all()] == ["Negative screen", "Positive screen"]

    web = HttpClient()
    web.force_login(case_manager)
    listing = web.get(reverse("careplans:measure_list", args=[north_client.pk])).content.decode()
    assert "Administer PHQ-2" in listing
    saved = web.post(
        reverse("careplans:measure_new", args=[north_client.pk, "phq-2"]),
        {"item_1": "2", "item_2": "1", "administered_on": timezone.localdate().isoformat()},
    )
    assert saved.status_code == 302
    measure = MeasureAdministration.objects.get(instrument=phq2)
    assert (measure.total_score, measure.band) == (3, "Positive screen")


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"bands-1-min_score": "4"}, "No band covers the scores 3 to 3"),
        ({"bands-1-min_score": "2"}, "overlaps"),
        ({"bands-1-max_score": "5"}, "No band covers the scores 6 to 6"),
        ({"items-1-options": '[{"value": 0}]'}, "label"),
        ({"items-1-options": "not json"}, "JSON"),
    ],
)
def test_admin_cannot_save_a_broken_instrument(
    client: HttpClient, admin: User, overrides: dict[str, str], problem: str
) -> None:
    client.force_login(admin)
    response = client.post(reverse("admin:careplans_instrument_add"), _admin_post(**overrides))
    assert response.status_code == 200
    assert problem in response.content.decode()
    assert not Instrument.objects.filter(code="phq-2").exists()


def test_admin_edits_an_instrument_keeping_bands_valid(client: HttpClient, admin: User) -> None:
    client.force_login(admin)
    client.post(reverse("admin:careplans_instrument_add"), _admin_post())
    phq2 = Instrument.objects.get(code="phq-2")
    items = list(phq2.items.order_by("number"))
    bands = list(phq2.bands.order_by("min_score"))
    data = _admin_post(
        **{
            "items-INITIAL_FORMS": "2",
            "items-0-id": str(items[0].pk),
            "items-0-instrument": str(phq2.pk),
            "items-1-id": str(items[1].pk),
            "items-1-instrument": str(phq2.pk),
            "bands-INITIAL_FORMS": "2",
            "bands-0-id": str(bands[0].pk),
            "bands-0-instrument": str(phq2.pk),
            "bands-1-id": str(bands[1].pk),
            "bands-1-instrument": str(phq2.pk),
            # Deleting the second item lowers the highest total to 3: the bands must follow.
            "items-1-DELETE": "on",
        }
    )
    url = reverse("admin:careplans_instrument_change", args=[phq2.pk])
    refused = client.post(url, data)
    assert refused.status_code == 200
    assert "the highest possible total is 3" in refused.content.decode()
    assert phq2.items.count() == 2
    data.update({"bands-1-max_score": "3"})
    assert client.post(url, data).status_code == 302
    assert phq2.items.count() == 1


def test_admin_registers_no_client_record() -> None:
    registered = set(django_admin.site._registry)
    assert not [m for m in registered if m._meta.app_label == "clients"]
    careplans = {m for m in registered if m._meta.app_label == "careplans"}
    assert careplans == {Instrument}


def test_an_administered_instrument_cannot_be_deleted(
    client: HttpClient, admin: User, case_manager: User, north_client: Client
) -> None:
    measure = administer(case_manager, north_client, "gad-7", total=2)
    client.force_login(admin)
    url = reverse("admin:careplans_instrument_delete", args=[measure.instrument.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert Instrument.objects.filter(code="gad-7").exists()
