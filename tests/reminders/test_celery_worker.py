"""A real Celery worker on real Redis is killed in the middle of delivering urgent e-mail;
after the stuck rows are returned and a new worker delivers (the task sent twice), every
e-mail has been sent exactly once.

The worker runs `casemgmt.settings.local` against this test run's database, on a queue of
its own in a Redis database of its own (14, or $CASEWORK_WORKER_TEST_REDIS_URL), with
`delivery_support.MailboxBackend` writing one line per message to a file.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO
from urllib.parse import quote, urlsplit, urlunsplit

import pytest
import redis
from celery import Celery
from django.conf import settings
from django.db import connection
from django.test import override_settings

from casemgmt.accounts.models import Team, User
from casemgmt.reminders import delivery, engine
from casemgmt.reminders.models import DeliveryStatus, Notification

from ..factories import make_client
from .delivery_support import MAILBOX_ENV, make_email, make_reminder

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
CELERY = Path(sys.executable).parent / "celery"
TASK = "casemgmt.reminders.tasks.reminders_deliver"
EMAILS = 20
TIMEOUT = 60.0
DUE = dt.date(2026, 3, 2)
WORKER_APP_NAME = "casework-worker-test"


def _redis_url() -> str:
    explicit = os.environ.get("CASEWORK_WORKER_TEST_REDIS_URL")
    if explicit:
        return explicit
    return urlunsplit(urlsplit(settings.REDIS_URL)._replace(path="/14"))


def _database_url() -> str:
    """This test run's database (test_…), for the worker process."""
    db = connection.settings_dict
    auth = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        auth += ":" + quote(db["PASSWORD"], safe="")
    host = quote(db["HOST"] or "localhost", safe="")
    return f"postgres://{auth}@{host}:{db['PORT'] or 5432}/{quote(db['NAME'], safe='')}"


def _wait_for(condition: Callable[[], bool], what: str, log: Path | None, interval: float) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        if time.monotonic() > deadline:
            tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
            pytest.fail(f"Timed out waiting for {what}. Worker log:\n{tail}")
        time.sleep(interval)


def _mailbox_lines(path: Path) -> list[str]:
    if not path.exists():
        return []
    return [line for line in path.read_text().splitlines() if line]


class Workers:
    """Starts workers on the test's queue; kills whatever is left running at the end."""

    def __init__(self, tmp_path: Path, queue: str, env: dict[str, str]) -> None:
        self.tmp_path, self.queue, self.env = tmp_path, queue, env
        self.running: list[tuple[subprocess.Popen[bytes], IO[bytes]]] = []

    def start(self, name: str) -> tuple[subprocess.Popen[bytes], Path]:
        log_path = self.tmp_path / f"{name}.log"
        log = log_path.open("wb")
        process = subprocess.Popen(  # noqa: S603 - a fixed command line
            [
                str(CELERY),
                "-A",
                "casemgmt",
                "worker",
                "--pool=solo",
                "--concurrency=1",
                "-Q",
                self.queue,
                "-n",
                f"{name}-{self.queue}@%h",
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
                "--loglevel=INFO",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.running.append((process, log))
        return process, log_path

    def stop_all(self) -> None:
        for process, log in self.running:
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
            process.wait(30)
            log.close()


@pytest.fixture
def queue() -> Iterator[str]:
    """A queue no other worker listens to; its keys are removed afterwards, with the
    message the killed worker left unacknowledged."""
    name = f"casework-test-{uuid.uuid4().hex[:12]}"
    client = redis.Redis.from_url(_redis_url(), socket_timeout=5)
    try:
        client.ping()
    except redis.RedisError as error:
        pytest.fail(f"Redis at {_redis_url()} does not answer: {error}")
    yield name
    try:
        # The queue, its priority lists and its exchange bindings all carry its name.
        for key in client.scan_iter(match=f"*{name}*"):
            client.delete(key)
        client.zrem("_kombu.binding_deadlines", name)
        for tag, raw in client.hgetall("unacked").items():
            try:
                _payload, exchange, routing_key = json.loads(raw)
            except (ValueError, TypeError):
                continue
            if name in (exchange, routing_key):
                client.hdel("unacked", tag)
                client.zrem("unacked_index", tag)
    finally:
        client.close()


def test_a_worker_killed_mid_delivery_loses_and_doubles_nothing(
    tmp_path: Path, queue: str, case_manager: User, team_north: Team
) -> None:
    client = make_client(case_manager=case_manager, team=team_north)
    notifications = [
        make_email(make_reminder(client=client, recipient=case_manager, due_on=DUE))
        for _ in range(EMAILS)
    ]
    expected = {
        delivery.notification_message_id(reminder_id=n.reminder_id, stage=n.stage)
        for n in notifications
    }
    mailbox = tmp_path / "mailbox.txt"
    broker = _redis_url()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "casemgmt.settings.local",
        "DJANGO_DEBUG": "false",
        "DATABASE_URL": _database_url(),
        "DATABASE_CONN_MAX_AGE": "0",
        "REDIS_URL": broker,
        "CELERY_BROKER_URL": broker,
        "EMAIL_BACKEND": "tests.reminders.delivery_support.MailboxBackend",
        MAILBOX_ENV: str(mailbox),
        "PYTHONPATH": str(ROOT),
        # libpq names the workers' sessions, so the end of the test can wait for theirs only
        # (the browser tests' live server keeps sessions of its own open in this process).
        "PGAPPNAME": WORKER_APP_NAME,
    }
    producer = Celery("casework-worker-test", broker=broker, set_as_current=False)
    workers = Workers(tmp_path, queue, env)

    def count(status: str) -> int:
        return Notification.objects.filter(status=status).count()

    try:
        first, first_log = workers.start("first")
        producer.send_task(TASK, queue=queue)
        _wait_for(lambda: len(_mailbox_lines(mailbox)) >= 3, "the first e-mails", first_log, 0.01)
        # The line is written at the end of a send; give the 'sent' commit a moment, and kill
        # the worker while it waits on the next message (the backend sleeps before writing).
        time.sleep(0.15)
        first.send_signal(signal.SIGKILL)
        first.wait(30)

        written = _mailbox_lines(mailbox)
        assert count(DeliveryStatus.SENT) == len(written) < EMAILS
        assert count(DeliveryStatus.SENDING) == EMAILS - len(written)

        # The claim timeout passes; the sweep returns what the dead worker held.
        time.sleep(1.1)
        with override_settings(REMINDER_CLAIM_TIMEOUT_SECONDS=1):
            assert engine.requeue_stuck() == EMAILS - len(written)

        _second, second_log = workers.start("second")
        producer.send_task(TASK, queue=queue)
        producer.send_task(TASK, queue=queue)  # a duplicate: it must find nothing to send
        _wait_for(lambda: count(DeliveryStatus.SENT) == EMAILS, "all e-mails", second_log, 0.1)
        _wait_for(
            lambda: second_log.read_text(errors="replace").count(" succeeded in ") == 2,
            "both tasks to finish",
            second_log,
            0.1,
        )
    finally:
        workers.stop_all()
        producer.close()

    lines = _mailbox_lines(mailbox)
    sent = Counter(line.split("\t")[0] for line in lines)
    assert set(sent) == expected
    assert set(sent.values()) == {1}, [mid for mid, n in sent.items() if n > 1]
    assert all(line.endswith("\t" + case_manager.email) for line in lines)
    assert count(DeliveryStatus.SENT) == EMAILS
    # Nothing in the worker processes still holds this database.
    _wait_for(_no_worker_sessions, "the workers' database sessions to end", None, 0.1)


def _no_worker_sessions() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND application_name = %s",
            [WORKER_APP_NAME],
        )
        return cursor.fetchone()[0] == 0
