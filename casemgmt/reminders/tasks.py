"""Background work of the reminders app, started by django-celery-beat (migration 0002).

Each task is safe to run twice and in several workers at once: every reminder, notification
and digest is claimed from PostgreSQL, never carried in the broker, so a redelivered task
finds the work done and a lost one (Redis restarted) is made up by the next beat tick.
"""

from __future__ import annotations

from celery import shared_task
from celery.contrib.django.task import DjangoTask
from django.db import transaction

from . import delivery, engine

#: Batches of urgent e-mail one delivery task sends at most; the next tick takes the rest.
MAX_BATCHES = 20
BATCH = 50


@shared_task(base=DjangoTask, acks_late=True)
def reminders_sweep() -> dict[str, int]:
    """Compute what is due; once that is committed, deliver the urgent e-mail it produced.

    The engine commits each agency in a transaction of its own (one agency's failure does not
    undo another's), so the delivery task is enqueued only after the sweep has returned:
    `on_commit` outside a transaction runs at once, inside one it waits for the commit."""
    counts = engine.sweep()
    transaction.on_commit(reminders_deliver.delay)
    return counts


@shared_task(base=DjangoTask, acks_late=True)
def reminders_deliver() -> int:
    """E-mail urgent items at once."""
    sent = 0
    for _ in range(MAX_BATCHES):
        batch_sent = delivery.deliver_urgent(batch=BATCH)
        sent += batch_sent
        if batch_sent < BATCH:
            break
    return sent


@shared_task(base=DjangoTask, acks_late=True)
def reminders_send_digests() -> int:
    """Send the daily digests whose hour has come."""
    return delivery.send_digests()
