"""The iCalendar feed of a user's due dates: one all-day event per item.

A calendar program keeps these events on a phone or a shared machine, so an event carries
the minimum necessary: what the work is and the client's display name, never clinical
detail, and a link to the page (behind the sign-in) where the work is done.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from django.utils import timezone
from icalendar import Calendar, Event

from .selectors import DueItem

PRODID = "-//Casework//Due dates//EN"


def feed(items: Iterable[DueItem], *, absolute: Callable[[str], str], name: str) -> bytes:
    """The VCALENDAR for `items`; `absolute` turns a path into a full URL."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    stamp = timezone.now().astimezone(dt.UTC)
    for item in items:
        event = Event()
        event.add("uid", item.uid)
        event.add("dtstamp", stamp)
        event.add("dtstart", item.due_on)
        event.add("dtend", item.due_on + dt.timedelta(days=1))
        event.add("summary", f"{item.label}: {item.client_name}")
        event.add("url", absolute(item.url))
        event.add("transp", "TRANSPARENT")
        calendar.add_component(event)
    return bytes(calendar.to_ical())
