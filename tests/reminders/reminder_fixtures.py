"""Helpers for reminder tests: a fixed calendar, the sweep run on a given day, and a
referral carried to a given point through the real services."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from zoneinfo import ZoneInfo

import time_machine
from django.conf import settings
from django.db.models import QuerySet

from casemgmt.accounts.models import User
from casemgmt.reminders.engine import sweep
from casemgmt.reminders.models import Notification, Reminder
from clients.models import Client
from referrals.models import Referral
from referrals.services import referrals as referral_services

from ..referrals.referral_fixtures import draft_referral, release_for

#: A Monday: every test starts its story here.
START = dt.date(2026, 3, 2)

STAFF = referral_services.Actor


def at(day: dt.date, hour: int = 12) -> dt.datetime:
    """An instant on `day` in the agency's time zone."""
    return dt.datetime.combine(day, dt.time(hour), tzinfo=ZoneInfo(settings.TIME_ZONE))


@contextmanager
def on(day: dt.date, hour: int = 12) -> Iterator[None]:
    """Time stands still at `hour` o'clock on `day`, agency time."""
    with time_machine.travel(at(day, hour), tick=False):
        yield


def sweep_on(day: dt.date, hour: int = 12) -> dict[str, int]:
    with on(day, hour):
        return sweep()


def reminders(kind: str, **filters: Any) -> QuerySet[Reminder]:
    return Reminder.objects.filter(kind=kind, **filters).order_by("pk")


def open_reminders(kind: str, **filters: Any) -> QuerySet[Reminder]:
    return reminders(kind, resolved_at__isnull=True, **filters)


def stages(reminder: Reminder, channel: str = "in_app") -> list[str]:
    """The stages noticed for a reminder on one channel, in the order they were recorded."""
    return list(
        Notification.objects.filter(reminder=reminder, channel=channel)
        .order_by("pk")
        .values_list("stage", flat=True)
    )


def sent_referral(client: Client, case_manager: User, supervisor: User) -> Referral:
    """A referral sent under a release, on the current (travelled) day."""
    referral = draft_referral(client, case_manager, supervisor)
    release_for(client, case_manager, referral.service)
    referral, _token = referral_services.referral_send(
        actor=case_manager, referral=referral, provider_email="intake@provider.example"
    )
    return Referral.objects.get(pk=referral.pk)


def accepted_referral(client: Client, case_manager: User, supervisor: User) -> Referral:
    referral = sent_referral(client, case_manager, supervisor)
    referral_services.referral_act(
        actor=STAFF(user=case_manager), referral=referral, action="accept"
    )
    return Referral.objects.get(pk=referral.pk)


def act(referral: Referral, user: User, action: str, **kwargs: Any) -> Referral:
    referral_services.referral_act(
        actor=STAFF(user=user), referral=referral, action=action, **kwargs
    )
    return Referral.objects.get(pk=referral.pk)
