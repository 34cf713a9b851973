"""`manage.py seed_demo_referrals`: a small Miami-area provider directory and referrals of the
demo clients in every state. `seed_demo` runs it at the end (after the care plans, whose
goals the referrals serve); it can also run on its own after `seed_demo`.

See `referrals.demo` for what is created. Safe to run again: what exists is left alone.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings

from referrals.demo import seed_referrals


class Command(BaseCommand):
    help = (
        "Give the demo a provider directory (14 services in 11 organizations, two of them "
        "the agency's own programs) and referrals of demo clients in every state, with "
        "releases, warm hand-offs and follow-ups due. Safe to run again."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        # Demo data belongs in demo databases only, like the accounts seed_demo creates.
        if settings.SETTINGS_MODULE.endswith(".production"):
            raise CommandError(
                "seed_demo_referrals writes demonstration records; it does not run with the "
                "production settings."
            )
        # One transaction: a failure part-way leaves no half-made referral behind. The
        # fictional providers and case managers are not e-mailed: the services' messages go
        # to the dummy backend (they are sent when the transaction commits, inside this).
        with (
            override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"),
            transaction.atomic(),
        ):
            summary = seed_referrals()
        for line in summary:
            self.stdout.write(line)
