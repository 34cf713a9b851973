"""The standardized measures the agency offers from day one, defined as data: PHQ-9, GAD-7 and
AUDIT-C (all free to use). An administrator adds further instruments in the admin, no code."""

from django.db import migrations

FREQUENCY = [
    {"value": 0, "label": "Not at all"},
    {"value": 1, "label": "Several days"},
    {"value": 2, "label": "More than half the days"},
    {"value": 3, "label": "Nearly every day"},
]

TWO_WEEKS = (
    "Over the last 2 weeks, how often have you been bothered by any of the following problems?"
)

INSTRUMENTS = [
    {
        "code": "phq-9",
        "name": "PHQ-9",
        "description": (
            "Patient Health Questionnaire (9 items): screens for depression and measures its "
            "severity. Developed by Drs. Robert L. Spitzer, Janet B.W. Williams, Kurt Kroenke "
            "and colleagues, with an educational grant from Pfizer Inc. No permission required "
            "to reproduce, translate, display or distribute. Any answer above 0 on item 9 "
            "needs safety follow-up the same day."
        ),
        "instructions": TWO_WEEKS,
        "loinc_total": "44261-6",
        "items": [
            (1, "Little interest or pleasure in doing things", "44250-9", None),
            (2, "Feeling down, depressed, or hopeless", "44255-8", None),
            (3, "Trouble falling or staying asleep, or sleeping too much", "44259-0", None),
            (4, "Feeling tired or having little energy", "44254-1", None),
            (5, "Poor appetite or overeating", "44251-7", None),
            (
                6,
                "Feeling bad about yourself — or that you are a failure or have let yourself "
                "or your family down",
                "44258-2",
                None,
            ),
            (
                7,
                "Trouble concentrating on things, such as reading the newspaper or watching "
                "television",
                "44252-5",
                None,
            ),
            (
                8,
                "Moving or speaking so slowly that other people could have noticed? Or the "
                "opposite — being so fidgety or restless that you have been moving around a "
                "lot more than usual",
                "44253-3",
                None,
            ),
            (
                9,
                "Thoughts that you would be better off dead or of hurting yourself in some way",
                "44260-8",
                0,
            ),
        ],
        "options": FREQUENCY,
        "bands": [
            (0, 4, "Minimal"),
            (5, 9, "Mild"),
            (10, 14, "Moderate"),
            (15, 19, "Moderately severe"),
            (20, 27, "Severe"),
        ],
    },
    {
        "code": "gad-7",
        "name": "GAD-7",
        "description": (
            "Generalized Anxiety Disorder scale (7 items): screens for anxiety and measures its "
            "severity. Developed by Drs. Robert L. Spitzer, Janet B.W. Williams, Kurt Kroenke "
            "and colleagues, with an educational grant from Pfizer Inc. No permission required "
            "to reproduce, translate, display or distribute."
        ),
        "instructions": TWO_WEEKS,
        "loinc_total": "70274-6",
        "items": [
            (1, "Feeling nervous, anxious, or on edge", "69725-0", None),
            (2, "Not being able to stop or control worrying", "68509-9", None),
            (3, "Worrying too much about different things", "69733-4", None),
            (4, "Trouble relaxing", "69734-2", None),
            (5, "Being so restless that it is hard to sit still", "69735-9", None),
            (6, "Becoming easily annoyed or irritable", "69689-8", None),
            (7, "Feeling afraid, as if something awful might happen", "69736-7", None),
        ],
        "options": FREQUENCY,
        "bands": [
            (0, 4, "Minimal"),
            (5, 9, "Mild"),
            (10, 14, "Moderate"),
            (15, 21, "Severe"),
        ],
    },
    {
        "code": "audit-c",
        "name": "AUDIT-C",
        "description": (
            "Alcohol Use Disorders Identification Test – Consumption (3 items), in the public "
            "domain. A score of 4 or more is a positive screen for men, 3 or more for women; "
            "the higher the score, the more likely drinking is affecting the person's safety."
        ),
        "instructions": (
            "These questions are about drinks containing alcohol in the past year. One drink "
            "is a 12-ounce can or bottle of beer, a 5-ounce glass of wine, or a 1.5-ounce shot "
            "of liquor."
        ),
        "loinc_total": "75626-2",
        "items": [
            (
                1,
                "How often did you have a drink containing alcohol in the past year?",
                "68518-0",
                None,
                [
                    {"value": 0, "label": "Never"},
                    {"value": 1, "label": "Monthly or less"},
                    {"value": 2, "label": "2–4 times a month"},
                    {"value": 3, "label": "2–3 times a week"},
                    {"value": 4, "label": "4 or more times a week"},
                ],
            ),
            (
                2,
                "How many drinks containing alcohol did you have on a typical day when you "
                "were drinking in the past year?",
                "68519-8",
                None,
                [
                    {"value": 0, "label": "1 or 2"},
                    {"value": 1, "label": "3 or 4"},
                    {"value": 2, "label": "5 or 6"},
                    {"value": 3, "label": "7 to 9"},
                    {"value": 4, "label": "10 or more"},
                ],
            ),
            (
                3,
                "How often did you have six or more drinks on one occasion in the past year?",
                "68520-6",
                None,
                [
                    {"value": 0, "label": "Never"},
                    {"value": 1, "label": "Less than monthly"},
                    {"value": 2, "label": "Monthly"},
                    {"value": 3, "label": "Weekly"},
                    {"value": 4, "label": "Daily or almost daily"},
                ],
            ),
        ],
        "options": None,
        "bands": [
            (0, 3, "Low risk"),
            (4, 5, "Moderate risk"),
            (6, 7, "High risk"),
            (8, 12, "Severe risk"),
        ],
    },
]


def add_instruments(apps, schema_editor):
    Instrument = apps.get_model("careplans", "Instrument")
    InstrumentItem = apps.get_model("careplans", "InstrumentItem")
    SeverityBand = apps.get_model("careplans", "SeverityBand")
    for spec in INSTRUMENTS:
        instrument, _created = Instrument.objects.update_or_create(
            code=spec["code"],
            defaults={
                "name": spec["name"],
                "description": spec["description"],
                "instructions": spec["instructions"],
                "loinc_total": spec["loinc_total"],
                "is_active": True,
            },
        )
        instrument.items.all().delete()
        instrument.bands.all().delete()
        for item in spec["items"]:
            number, text, loinc, threshold = item[:4]
            options = item[4] if len(item) > 4 else spec["options"]
            InstrumentItem.objects.create(
                instrument=instrument,
                number=number,
                text=text,
                loinc=loinc,
                options=options,
                safety_threshold=threshold,
            )
        for low, high, label in spec["bands"]:
            SeverityBand.objects.create(
                instrument=instrument, min_score=low, max_score=high, label=label
            )


def remove_instruments(apps, schema_editor):
    Instrument = apps.get_model("careplans", "Instrument")
    Instrument.objects.filter(code__in=[spec["code"] for spec in INSTRUMENTS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("careplans", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(add_instruments, remove_instruments),
    ]
