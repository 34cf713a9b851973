"""`manage.py seed_demo_notes`: collaterals, crisis events and case notes for the demo
clients. `seed_demo` runs it last (the notes link to plan goals and referrals); it can also
run on its own after `seed_demo`.

See `clients.demo_collaterals` and `notes.demo` for what is created. Safe to run again: what
exists is left alone.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from clients.demo_collaterals import seed_demo_collaterals_and_crises
from notes.demo import seed_demo_notes


class Command(BaseCommand):
    help = (
        "Give the demo clients collaterals (most named in a release), an open and a closed "
        "crisis event, and case notes of every contact type: signed, late, with an addendum, "
        "drafts, and notes awaiting or returned from co-signature. Safe to run again."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.SETTINGS_MODULE.endswith(".production"):
            raise CommandError(
                "seed_demo_notes writes demonstration records; it does not run with the "
                "production settings."
            )
        # Collaterals first: the collateral-contact note needs one with an active release.
        with transaction.atomic():
            summary = [*seed_demo_collaterals_and_crises(), *seed_demo_notes()]
        for line in summary:
            self.stdout.write(line)
