"""Background work of the referrals app."""

from __future__ import annotations

from celery import shared_task
from celery.contrib.django.task import DjangoTask

from .hsds.importer import directory_import_claim, directory_import_execute


@shared_task(base=DjangoTask, acks_late=True)
def directory_import_run(import_id: int) -> None:
    """Import an uploaded HSDS file. Safe to run twice: only a waiting import is taken, so a
    repeated or redelivered task finds it running or finished and does nothing."""
    run = directory_import_claim(import_id=import_id)
    if run is not None:
        directory_import_execute(run=run)
