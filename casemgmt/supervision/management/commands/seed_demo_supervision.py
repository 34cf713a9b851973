"""`manage.py seed_demo_supervision`: staffing meetings for the demo team, after the rest
of the demo data (`seed_demo` and the seeds it runs). See `casemgmt.supervision.demo` for
what is created. Safe to run again: what exists is left alone.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from casemgmt.supervision.demo import seed_demo_supervision


class Command(BaseCommand):
    help = (
        "Give the first demo team a staffing meeting held last week (minutes recorded into "
        "the clients' files, a plan update and a task) and one planned for next week with "
        "its agenda built. Safe to run again."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.SETTINGS_MODULE.endswith(".production"):
            raise CommandError(
                "seed_demo_supervision writes demonstration records; it does not run with the "
                "production settings."
            )
        with transaction.atomic():
            summary = seed_demo_supervision()
        for line in summary:
            self.stdout.write(line)
