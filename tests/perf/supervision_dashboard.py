"""The supervisor dashboard at agency scale, as ratios to a bare Django request in the same
run.

    .venv/bin/python scripts/dev.py run -- .venv/bin/python tests/perf/supervision_dashboard.py \
        --clients 100000

Uses (and creates once) the database of tests/perf/caseload_pages.py: N clients spread over
40 case managers in 4 teams. Adds, once, a supervisor of all four teams and some work on the
clients (signed notes, open crisis events and safety flags, overdue drafts), then times,
through Django's full middleware stack with the supervisor signed in: a bare view, the
dashboard for all teams and for one, two lists behind a figure, and the two API endpoints.
Prints the median of each, its ratio to the bare request, and the queries each ran.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import TYPE_CHECKING

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.perf.caseload_pages import _populate, time_pages, use_perf_database

if TYPE_CHECKING:
    from casemgmt.accounts.models import User


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()

    use_perf_database()
    manager = _populate(args.clients)
    supervisor = _add_supervision()
    _measure(supervisor, manager, args.repeat)


def _add_supervision() -> User:
    """A supervisor of the four perf teams, and work on the clients: a signed note of a
    contact with every other client, an open crisis event for one in 50, an open safety
    flag for one in 40 and an overdue draft for one in 30 (once)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from casemgmt.accounts.models import Team, User
    from clients.models import Client, CrisisEvent, SafetyFlag
    from notes.models import CaseNote, ContactType, NoteStatus

    supervisor, created = User.objects.get_or_create(
        email="perf.supervisor@example.org",
        defaults={"full_name": "Perf Supervisor", "is_supervisor": True},
    )
    if created:
        supervisor.set_password("perf-password-123")
        supervisor.save()
    for team in Team.objects.filter(name__startswith="Perf team"):
        team.supervisors.add(supervisor)
    if CaseNote.objects.filter(purpose="Perf contact").exists():
        return supervisor
    now = timezone.now()
    rows = list(Client.objects.values_list("pk", "primary_case_manager_id").order_by("pk"))
    with transaction.atomic():
        notes = []
        for i, (client_id, author_id) in enumerate(rows):
            contact = now - dt.timedelta(days=(i % 90) + 1)
            common = {
                "client_id": client_id,
                "author_id": author_id,
                "contact_type": ContactType.HOME_VISIT,
                "duration_minutes": 30,
                "purpose": "Perf contact",
                "next_steps": "None needed",
                "contact_at": contact,
            }
            if i % 2 == 0:
                notes.append(
                    CaseNote(
                        **common,
                        status=NoteStatus.SIGNED,
                        signed_at=contact + dt.timedelta(hours=(i % 5) * 24),
                        signed_by_id=author_id,
                        late_entry=i % 5 >= 4,
                    )
                )
            if i % 30 == 0:
                notes.append(CaseNote(**common, status=NoteStatus.DRAFT))
        CaseNote.objects.bulk_create(notes, batch_size=5_000)
        CrisisEvent.objects.bulk_create(
            CrisisEvent(
                client_id=client_id,
                occurred_at=now - dt.timedelta(days=2),
                distress_level="acute",
                description="Perf crisis",
                actions=["listened"],
                outcome="stabilized",
                follow_up_on=now.date(),
                recorded_by_id=author_id,
            )
            for i, (client_id, author_id) in enumerate(rows)
            if i % 50 == 0
        )
        SafetyFlag.objects.bulk_create(
            SafetyFlag(client_id=client_id, reason="Perf flag", raised_by_id=author_id)
            for i, (client_id, author_id) in enumerate(rows)
            if i % 40 == 0
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return supervisor


def _measure(supervisor: User, manager: User, repeat: int) -> None:
    from django.test import Client as HttpClient

    from casemgmt.accounts.models import Team
    from clients.models import Client

    http = HttpClient()
    http.force_login(supervisor)
    team = Team.objects.filter(members=manager).first()
    assert team is not None
    pages = {
        "bare Django view": "/__bare__/",
        "Dashboard, all 4 teams": "/supervision/",
        "Dashboard, one team": f"/supervision/?team={team.pk}",
        "List: time since contact": f"/supervision/caseloads/{manager.pk}/contact/",
        "List: weighted load": f"/supervision/caseloads/{manager.pk}/load/",
        "API caseloads, all teams": "/api/v1/dashboard/caseloads/",
        "API team, all teams": "/api/v1/dashboard/team/",
    }
    print(
        f"{Client.objects.count():,} clients; the listed case manager has "
        f"{Client.objects.filter(primary_case_manager=manager).count():,}; "
        f"median of {repeat} requests each"
    )
    time_pages(http, pages, repeat, warm_up=2)


if __name__ == "__main__":
    main()
