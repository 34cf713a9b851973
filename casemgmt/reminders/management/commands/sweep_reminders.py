"""`manage.py sweep_reminders`: bring the reminders up to date now, then queue delivery.

Celery beat runs the same sweep every 15 minutes (its first run comes one interval after beat
starts); `make demo` runs this once after seeding so the demo's reminders are there from the
start. Safe to run at any time: the sweep records nothing twice.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from casemgmt.reminders import engine
from casemgmt.reminders.tasks import reminders_deliver, reminders_send_digests


class Command(BaseCommand):
    help = "Compute what is due now (the reminder sweep), then queue e-mail delivery."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--no-delivery",
            action="store_true",
            help="Only sweep; leave delivery to the next beat tick.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        counts = engine.sweep()
        self.stdout.write(", ".join(f"{name} {n}" for name, n in counts.items()))
        if not options["no_delivery"]:
            # Committed already (the sweep commits each agency); a worker sends them.
            reminders_deliver.delay()
            reminders_send_digests.delay()
            self.stdout.write("Delivery and digests queued for the Celery worker.")
