"""The reminder sweep at agency scale, as a ratio to the bare SQL selecting the same rows.

    .venv/bin/python scripts/dev.py run -- .venv/bin/python tests/perf/reminder_sweep.py \
        --plans 100000

Uses the database `<name>_perf` of caseload_pages.py (N clients over 40 case managers in
4 teams, each team with a supervisor) and gives every client an active service plan (bulk
SQL), with review dates spread from a month overdue to two months ahead. Then, on a fixed
day, it times:

- the bare SQL: the union of the rules' SELECTs (what is due today), counted in PostgreSQL,
  without JIT compilation as the sweep runs;
- the first sweep over an empty reminder table (records every item, escalation and notice);
- the sweep again once everything is recorded and analysed (the steady state every 15
  minutes: nothing new to record, every rule still evaluated and compared).

Prints each time, its ratio to the bare SQL and the sweep's query count.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.perf.caseload_pages import _populate, use_perf_database  # noqa: E402

if TYPE_CHECKING:
    from casemgmt.accounts.models import Agency

#: The day the sweep runs on: plan dates are laid out around it.
TODAY = dt.date(2026, 6, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--plans", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    use_perf_database()
    _populate(args.plans)
    _supervisors()
    _plans(args.plans)
    _measure(args.repeat)


def _supervisors() -> None:
    from casemgmt.accounts.models import Team, User

    for team in Team.objects.filter(name__startswith="Perf team"):
        user, _ = User.objects.get_or_create(
            email=f"perf.sup.{team.pk}@example.org",
            defaults={"full_name": f"Perf Supervisor {team.pk}", "is_supervisor": True},
        )
        team.supervisors.add(user)


def _plans(total: int) -> None:
    """One completed assessment and one active plan for each client that has none, in two
    INSERT … SELECT statements; review dates from 30 days overdue to 59 days ahead."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO careplans_assessment
                (client_id, kind, status, assessed_on, strengths, barriers, barrier_notes,
                 client_words, created_by_id, created_at, completed_by_id, completed_at)
            SELECT c.id, 'intake', 'completed', %s, '', '{}', '', '',
                   c.primary_case_manager_id, now(), c.primary_case_manager_id, now()
            FROM clients_client c
            WHERE NOT EXISTS (SELECT 1 FROM careplans_assessment a WHERE a.client_id = c.id)
            ORDER BY c.id
            LIMIT %s
            """,
            [TODAY - dt.timedelta(days=70), total],
        )
        cursor.execute(
            """
            INSERT INTO careplans_serviceplan
                (client_id, assessment_id, version, revision_reason, status, service_start,
                 review_due, early_review_reason, meeting_participants, client_participated,
                 meeting_notes, agreement, agreement_note, finalized_at, finalized_by_id,
                 approval_required, returned_note, created_by_id, created_at)
            SELECT a.client_id, a.id, 1, '', 'active', %s,
                   %s::date + (a.client_id %% 90)::int, '', '', true, '', 'signed', '',
                   now(), a.created_by_id, false, '', a.created_by_id, now()
            FROM careplans_assessment a
            WHERE NOT EXISTS (SELECT 1 FROM careplans_serviceplan p WHERE p.client_id = a.client_id)
            """,
            [TODAY - dt.timedelta(days=60), TODAY - dt.timedelta(days=30)],
        )
        cursor.execute("SELECT count(*) FROM careplans_serviceplan WHERE status = 'active'")
        print(f"  {cursor.fetchone()[0]:,} active plans", file=sys.stderr)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _bare_sql(agency: Agency) -> tuple[str, list[Any]]:
    """The union of the rules' SELECTs the sweep runs today, counted in the database."""
    from casemgmt.reminders import rules
    from casemgmt.reminders.engine import rule_sql

    parts: list[str] = []
    params: list[Any] = []
    for rule in rules.all_rules():
        sql, rule_params = rule_sql(rule, agency, today=TODAY)
        parts.append(f"SELECT r_object, r_client, r_recipient, r_due FROM ({sql}) q")  # noqa: S608
        params.extend(rule_params)
    union = " UNION ALL ".join(parts)
    return f"SELECT count(*) FROM ({union}) due", params  # noqa: S608


def _timed(run: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = run()
    return time.perf_counter() - start, result


def _measure(repeat: int) -> None:
    from django.conf import settings
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from casemgmt.accounts.models import Agency
    from casemgmt.reminders.engine import sweep
    from casemgmt.reminders.models import Notification, Reminder

    agency = Agency.objects.get(name="Perf Agency")
    now = dt.datetime.combine(TODAY, dt.time(7), tzinfo=ZoneInfo(settings.TIME_ZONE))
    sql, params = _bare_sql(agency)

    def bare() -> int:
        # Under the sweep's own setting (no JIT compilation), so the two compare like for like.
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
            cursor.execute(sql, params)
            return int(cursor.fetchone()[0])

    bare()
    bare_times = []
    for _ in range(repeat):
        elapsed, due_rows = _timed(bare)
        bare_times.append(elapsed)
    bare_time = statistics.median(bare_times)

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE reminders_notification, reminders_reminder")
    with CaptureQueriesContext(connection) as queries:
        first_time, first = _timed(lambda: sweep(now=now))
    with connection.cursor() as cursor:
        # What autovacuum does soon after a first sweep fills the tables.
        cursor.execute("ANALYZE reminders_reminder, reminders_notification")
    steady_times = []
    for _ in range(repeat):
        elapsed, steady = _timed(lambda: sweep(now=now))
        steady_times.append(elapsed)
    steady_time = statistics.median(steady_times)

    print(
        f"{Reminder.objects.filter(is_escalation=False).count():,} reminders, "
        f"{Reminder.objects.filter(is_escalation=True).count():,} escalations, "
        f"{Notification.objects.count():,} notifications; {due_rows:,} due rows today; "
        f"median of {repeat}"
    )
    print(f"  {'bare SQL (union of the rules)':<36} {bare_time * 1000:9.1f} ms  x{1:6.1f}")
    print(
        f"  {'first sweep (records everything)':<36} {first_time * 1000:9.1f} ms  "
        f"x{first_time / bare_time:6.1f}  {len(queries)} queries  {first}"
    )
    print(
        f"  {'sweep again (steady state)':<36} {steady_time * 1000:9.1f} ms  "
        f"x{steady_time / bare_time:6.1f}  {steady}"
    )


if __name__ == "__main__":
    main()
