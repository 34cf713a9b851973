"""The sweep: what is due, recorded once; what is done, resolved; what is overdue, escalated;
and one notice per reminder, stage and channel.

Everything is set-based SQL over the rules' querysets (`<app>/reminders.py`), so the number
of queries depends on the number of agencies and rules, never on the number of due items.
Every write is keyed by a unique constraint (ON CONFLICT), so running the sweep again, or
twice at once, records nothing twice.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any, cast

from django.conf import settings
from django.db import connection, transaction
from django.db.models import ForeignKey, ManyToManyField, Model
from django.utils import timezone

from casemgmt.accounts.models import Agency, Team, User

from . import rules
from .models import Channel, DeliveryStatus, Notification, Reminder, Stage

#: An arbitrary first key for pg_advisory_xact_lock: one sweep of an agency at a time.
_LOCK_NAMESPACE = 0x5E3E9


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


@dataclass(frozen=True)
class _Names:
    """Quoted table and column names, read from the models (the core names no domain
    model: the client table is reached through the reminder's foreign key)."""

    reminder: str
    notification: str
    client: str
    client_team: str
    team: str
    team_agency: str
    supervisors: str
    supervisors_team: str
    supervisors_user: str
    user: str

    @classmethod
    def read(cls) -> _Names:
        client = cast(type[Model], Reminder._meta.get_field("client").related_model)
        supervisors = cast(ManyToManyField[Any, Any], Team._meta.get_field("supervisors"))
        through = cast(type[Model], Team.supervisors.through)
        return cls(
            reminder=_q(Reminder._meta.db_table),
            notification=_q(Notification._meta.db_table),
            client=_q(client._meta.db_table),
            client_team=_q(cast(ForeignKey[Any, Any], client._meta.get_field("team")).column),
            team=_q(Team._meta.db_table),
            team_agency=_q(Team._meta.get_field("agency").column),
            supervisors=_q(through._meta.db_table),
            supervisors_team=_q(supervisors.m2m_column_name()),
            supervisors_user=_q(supervisors.m2m_reverse_name()),
            user=_q(User._meta.db_table),
        )


def sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Bring the reminders up to date with the database as of `now` (default: now), one
    transaction per agency; then return stuck urgent e-mails to the queue.

    Returns counts: created (new reminders), reopened (resolved ones a rule finds due
    again), resolved (the work was done), escalated (copies for supervisors), notifications
    (notices recorded) and requeued (e-mails a dead worker left mid-delivery)."""
    now = now or timezone.now()
    today = rules.local_today(now)
    names = _Names.read()
    totals: Counter[str] = Counter(
        created=0, reopened=0, resolved=0, escalated=0, notifications=0, requeued=0
    )
    for agency in Agency.objects.order_by("pk"):
        with transaction.atomic():
            totals.update(_sweep_agency(agency, now=now, today=today, names=names))
    totals["requeued"] = requeue_stuck(now=now)
    return dict(totals)


def _agency_clients(agency: Agency, names: _Names) -> tuple[str, list[Any]]:
    """SQL selecting the ids of the agency's clients."""
    sql = (
        f"SELECT c.id FROM {names.client} c JOIN {names.team} t "  # noqa: S608
        f"ON t.id = c.{names.client_team} WHERE t.{names.team_agency} = %s"
    )
    return sql, [agency.pk]


def _sweep_agency(
    agency: Agency, *, now: dt.datetime, today: dt.date, names: _Names
) -> Counter[str]:
    counts: Counter[str] = Counter()
    clients_sql, clients_params = _agency_clients(agency, names)
    with connection.cursor() as cursor:
        # Two sweeps of one agency at once would both be correct (unique keys), but waiting
        # keeps their counts meaningful.
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_NAMESPACE, agency.pk])
        # Compiling these short-lived statements costs more than it saves.
        cursor.execute("SET LOCAL jit = off")
        for rule in rules.all_rules():
            created, reopened, resolved = _record_rule(
                cursor,
                rule,
                agency,
                now=now,
                today=today,
                names=names,
                clients=(clients_sql, clients_params),
            )
            counts.update(created=created, reopened=reopened, resolved=resolved)
        counts["resolved"] += _resolve_retired_kinds(
            cursor, now=now, names=names, clients=(clients_sql, clients_params)
        )
        counts["resolved"] += _resolve_escalations(
            cursor, now=now, names=names, clients=(clients_sql, clients_params)
        )
        counts["escalated"] += _escalate(cursor, agency, now=now, today=today, names=names)
        counts["notifications"] += _notify(
            cursor,
            agency,
            now=now,
            today=today,
            names=names,
            clients=(clients_sql, clients_params),
        )
    return counts


def rule_sql(rule: rules.Rule, agency: Agency, *, today: dt.date) -> tuple[str, tuple[Any, ...]]:
    """The SQL and parameters of the rows the sweep records for `rule` today."""
    until = rule.sweep_until(agency, today)
    queryset = rule.items(agency, until, today).order_by()
    sql, params = queryset.query.sql_with_params()
    return sql, tuple(params)


def _record_rule(
    cursor: Any,
    rule: rules.Rule,
    agency: Agency,
    *,
    now: dt.datetime,
    today: dt.date,
    names: _Names,
    clients: tuple[str, list[Any]],
) -> tuple[int, int, int]:
    """One statement: record the rule's due items that are not yet open (a resolved one
    found due again is reopened; an escalation copy the rule now gives that person becomes
    their own item), and resolve the agency's open items of this kind the rule no longer
    finds.

    The rule's rows and the open reminders are compared by grouping on the key (a hash or
    sort, linear whatever the planner's statistics say: the first sweep fills the table at
    once), and resolved by primary key."""
    due_sql, due_params = rule_sql(rule, agency, today=today)
    clients_sql, clients_params = clients
    r = names.reminder
    sql = f"""
        WITH compared AS MATERIALIZED (
            SELECT k.object_id, k.recipient_id, k.due_on, max(k.client_id) AS client_id,
                   max(k.open_id) AS open_id, bool_or(k.is_due) AS is_due
            FROM (
                SELECT o.id AS open_id, o.object_id, o.client_id, o.recipient_id, o.due_on,
                       false AS is_due
                FROM {r} o
                WHERE o.kind = %s AND NOT o.is_escalation AND o.resolved_at IS NULL
                  AND o.client_id IN ({clients_sql})
                UNION ALL
                SELECT NULL, q.r_object, q.r_client, q.r_recipient, q.r_due, true
                FROM ({due_sql}) q
            ) k
            GROUP BY k.object_id, k.recipient_id, k.due_on
        ),
        recorded AS (
            INSERT INTO {r} AS r
                (kind, object_id, client_id, recipient_id, due_on, is_escalation, created_at)
            SELECT %s, c.object_id, c.client_id, c.recipient_id, c.due_on, false, %s
            FROM compared c
            WHERE c.open_id IS NULL
            ON CONFLICT (kind, object_id, due_on, recipient_id) DO UPDATE
                SET resolved_at = NULL, is_escalation = false
                WHERE r.resolved_at IS NOT NULL OR r.is_escalation
            RETURNING (r.xmax = 0) AS inserted
        ),
        resolved AS (
            UPDATE {r} AS r SET resolved_at = %s
            WHERE r.id = ANY(ARRAY(SELECT c.open_id FROM compared c WHERE NOT c.is_due))
            RETURNING 1
        )
        SELECT
            (SELECT count(*) FROM recorded WHERE inserted),
            (SELECT count(*) FROM recorded WHERE NOT inserted),
            (SELECT count(*) FROM resolved)
    """  # noqa: S608
    cursor.execute(sql, [rule.kind, *clients_params, *due_params, rule.kind, now, now])
    created, reopened, resolved = cursor.fetchone()
    return int(created), int(reopened), int(resolved)


def _resolve_retired_kinds(
    cursor: Any, *, now: dt.datetime, names: _Names, clients: tuple[str, list[Any]]
) -> int:
    """Open reminders of a kind no registered rule has any more: no rule finds them."""
    clients_sql, clients_params = clients
    kinds = [rule.kind for rule in rules.all_rules()]
    cursor.execute(
        f"""
        UPDATE {names.reminder} AS r SET resolved_at = %s
        WHERE r.resolved_at IS NULL AND NOT (r.kind = ANY(%s))
          AND r.client_id IN ({clients_sql})
        """,  # noqa: S608
        [now, kinds, *clients_params],
    )
    return int(cursor.rowcount)


def _resolve_escalations(
    cursor: Any, *, now: dt.datetime, names: _Names, clients: tuple[str, list[Any]]
) -> int:
    """A supervisor's copy is resolved once no open item of the same key remains (the
    copies and their item share the client, so the agency's clients hold both)."""
    clients_sql, clients_params = clients
    r = names.reminder
    cursor.execute(
        f"""
        UPDATE {r} AS e SET resolved_at = %s
        WHERE e.id = ANY(ARRAY(
            SELECT unnest(array_agg(o.id) FILTER (WHERE o.is_escalation))
            FROM {r} o
            WHERE o.resolved_at IS NULL AND o.client_id IN ({clients_sql})
            GROUP BY o.kind, o.object_id, o.due_on
            HAVING bool_and(o.is_escalation)
        ))
        """,  # noqa: S608
        [now, *clients_params],
    )
    return int(cursor.rowcount)


def _escalate(
    cursor: Any, agency: Agency, *, now: dt.datetime, today: dt.date, names: _Names
) -> int:
    """Open items overdue by the agency's escalation days go, as a copy, to each active
    supervisor of the client's team (not to the person it is already for)."""
    r = names.reminder
    overdue_since = today - dt.timedelta(days=agency.escalation_days)
    cursor.execute(
        f"""
        WITH escalated AS (
            INSERT INTO {r} AS r
                (kind, object_id, client_id, recipient_id, due_on, is_escalation, created_at)
            SELECT DISTINCT b.kind, b.object_id, b.client_id, s.{names.supervisors_user},
                   b.due_on, true, %s
            FROM {r} b
            JOIN {names.client} c ON c.id = b.client_id
            JOIN {names.team} t ON t.id = c.{names.client_team}
            JOIN {names.supervisors} s ON s.{names.supervisors_team} = t.id
            JOIN {names.user} u ON u.id = s.{names.supervisors_user} AND u.is_active
            WHERE t.{names.team_agency} = %s
              AND NOT b.is_escalation AND b.resolved_at IS NULL AND b.done_at IS NULL
              AND b.due_on <= %s
              AND s.{names.supervisors_user} <> b.recipient_id
              -- Already open for that supervisor (the unique key's index answers).
              AND NOT EXISTS (
                  SELECT 1 FROM {r} x
                  WHERE x.kind = b.kind AND x.object_id = b.object_id
                    AND x.due_on = b.due_on AND x.recipient_id = s.{names.supervisors_user}
                    AND x.resolved_at IS NULL
              )
            ON CONFLICT (kind, object_id, due_on, recipient_id) DO UPDATE
                SET resolved_at = NULL
                WHERE r.is_escalation AND r.resolved_at IS NOT NULL
            RETURNING 1
        )
        SELECT count(*) FROM escalated
        """,  # noqa: S608
        [now, agency.pk, overdue_since],
    )
    return int(cursor.fetchone()[0])


def _notify(
    cursor: Any,
    agency: Agency,
    *,
    now: dt.datetime,
    today: dt.date,
    names: _Names,
    clients: tuple[str, list[Any]],
) -> int:
    """One in-app notice (delivered by being stored) and one e-mail (pending) for each open
    reminder at its current stage, once per stage and channel."""
    clients_sql, clients_params = clients
    all_rules = rules.all_rules()
    lead_kinds = [rule.kind for rule in all_rules if rule.uses_lead_times]
    urgent_kinds = [rule.kind for rule in all_rules if rule.always_urgent]
    r = names.reminder
    # The stage: escalation copies; overdue; due today; before the date, rules with lead
    # times at their first and second lead, and a rule without them (its own window, as a
    # release about to expire) once, as "coming up".
    sql = f"""
        INSERT INTO {names.notification}
            (reminder_id, recipient_id, stage, channel, urgent, status, created_at,
             attempts, sent_at)
        SELECT s.id, s.recipient_id, s.stage, ch.channel,
               s.stage IN (%s, %s) OR s.kind = ANY(%s),
               CASE WHEN ch.channel = %s THEN %s ELSE %s END,
               %s, 0,
               CASE WHEN ch.channel = %s THEN %s::timestamptz END
        FROM (
            SELECT r.id, r.recipient_id, r.kind,
                CASE
                    WHEN r.is_escalation THEN %s
                    WHEN r.due_on < %s THEN %s
                    WHEN r.due_on = %s THEN %s
                    WHEN NOT (r.kind = ANY(%s)) THEN %s
                    WHEN r.due_on - %s <= %s THEN %s
                    WHEN r.due_on - %s <= %s THEN %s
                END AS stage
            FROM {r} r
            WHERE r.resolved_at IS NULL AND r.done_at IS NULL
              AND (r.snoozed_until IS NULL OR r.snoozed_until <= %s)
              AND r.client_id IN ({clients_sql})
        ) s
        CROSS JOIN (VALUES (%s), (%s)) AS ch(channel)
        WHERE s.stage IS NOT NULL
          AND NOT EXISTS (
              SELECT 1 FROM {names.notification} n
              WHERE n.reminder_id = s.id AND n.stage = s.stage AND n.channel = ch.channel
          )
        ON CONFLICT (reminder_id, stage, channel) DO NOTHING
    """  # noqa: S608
    params: list[Any] = [
        Stage.OVERDUE.value,
        Stage.ESCALATION.value,
        urgent_kinds,
        Channel.IN_APP.value,
        DeliveryStatus.SENT.value,
        DeliveryStatus.PENDING.value,
        now,
        Channel.IN_APP.value,
        now,
        Stage.ESCALATION.value,
        today,
        Stage.OVERDUE.value,
        today,
        Stage.DUE.value,
        lead_kinds,
        Stage.LEAD_LONG.value,
        today,
        agency.reminder_short_lead_days,
        Stage.LEAD_SHORT.value,
        today,
        agency.reminder_lead_days,
        Stage.LEAD_LONG.value,
        today,
        *clients_params,
        Channel.IN_APP.value,
        Channel.EMAIL.value,
    ]
    cursor.execute(sql, params)
    return int(cursor.rowcount)


def requeue_stuck(*, now: dt.datetime | None = None) -> int:
    """Urgent e-mails a worker claimed longer ago than REMINDER_CLAIM_TIMEOUT_SECONDS and
    never marked sent (it died) go back to 'pending'. Items of a daily digest stay with
    their run: delivery claims a stuck run again with the same items (one digest a day)."""
    now = now or timezone.now()
    timeout = dt.timedelta(seconds=settings.REMINDER_CLAIM_TIMEOUT_SECONDS)
    return Notification.objects.filter(
        status=DeliveryStatus.SENDING, claimed_at__lt=now - timeout, digest__isnull=True
    ).update(status=DeliveryStatus.PENDING, claimed_at=None)
