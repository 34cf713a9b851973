"""`manage.py seed_demo_careplans`: assessments, measures and service plans for the demo
clients. `seed_demo` runs it at the end; it can also run on its own after `seed_demo`.

See `careplans.demo` for what is created. Safe to run again: a client who already has an
assessment, a measure or a plan is left alone.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from careplans.demo import seed_care_plans


class Command(BaseCommand):
    help = (
        "Give the demo clients of seed_demo intake assessments, reassessments, PHQ-9, GAD-7 "
        "and AUDIT-C scores over time and service plans in every state. Safe to run again."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        # Demo data belongs in demo databases only, like the accounts seed_demo creates.
        if settings.SETTINGS_MODULE.endswith(".production"):
            raise CommandError(
                "seed_demo_careplans writes demonstration records; it does not run with the "
                "production settings."
            )
        # One transaction: a failure part-way leaves no half-built plan behind.
        with transaction.atomic():
            summary = seed_care_plans()
        for line in summary:
            self.stdout.write(line)
