"""Case-note pages at agency scale, as ratios to a bare Django request and to the raw SQL,
measured in the same run.

    .venv/bin/python scripts/dev.py run -- .venv/bin/python tests/perf/notes_pages.py \
        --clients 100000 --notes-per-client 10

Builds (once) the `<name>_perf` database of tests/perf/caseload_pages.py — N clients over 40
case managers in 4 teams — and gives every client that many signed case notes (1,000,000 by
default) with varied text, inserted set-based in SQL (the generated full-text column is filled
by PostgreSQL as they go in). Then times, through the full middleware stack with a signed-in
case manager: a bare view, a client's notes list, one note, the client timeline, the case
file, and a full-text search of every note in the user's scope; and the bare SQL of that
search (same tsquery, same scope, same LIMIT). Prints medians, ratios and query counts.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from casemgmt.accounts.models import User

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.perf import caseload_pages  # noqa: E402

PURPOSES = [
    "Monthly monitoring contact about the housing goal",
    "Follow-up on the referral to outpatient counselling",
    "Benefits application: food assistance renewal",
    "Planning meeting for the service plan review",
    "Check-in after the emergency department visit",
    "Employment goal: resume and job fair",
    "Medication appointment reminder and transport",
    "Landlord dispute and eviction notice",
]
OBSERVATIONS = [
    "Client arrived on time, dressed for the weather, spoke clearly.",
    "Apartment tidy; refrigerator stocked; two bills open on the table.",
    "Client walked with a cane and said the knee pain is worse in the morning.",
    "Client brought the signed lease and the utility shut-off notice.",
    "Client read the pharmacy label aloud and named each medication.",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--notes-per-client", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()

    caseload_pages.use_perf_database()
    manager = caseload_pages._populate(args.clients)
    _populate_notes(args.notes_per_client)
    _measure(manager, args.repeat)


def _populate_notes(per_client: int) -> None:
    from django.db import connection

    from notes.models import CaseNote

    wanted = caseload_pages_client_count() * per_client
    have = CaseNote.objects.count()
    if have >= wanted:
        return
    print(f"  inserting {wanted - have:,} notes", file=sys.stderr)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO notes_casenote (
                client_id, author_id, status, contact_at, duration_minutes, contact_type,
                location, client_present, other_participants, note_format, purpose,
                observations, client_quotes, impressions, interventions, next_steps,
                created_at, updated_at, signed_at, signed_by_id, late_entry, cosign_status,
                cosign_comment)
            SELECT c.id, c.primary_case_manager_id, 'signed',
                   now() - make_interval(days => g * 9, hours => (c.id %% 8)::int),
                   15 + (c.id + g) %% 60,
                   (ARRAY['office','home_visit','community','phone','video'])[1 + (c.id + g) %% 5],
                   'Office', true, '', 'narrative',
                   (%(purposes)s::text[])[1 + (c.id + g) %% %(np)s],
                   (%(observations)s::text[])[1 + (c.id * 7 + g) %% %(no)s],
                   'Client said: "one step at a time".',
                   'Engaged; hopeful about the next appointment.',
                   'Reviewed the plan goals and called the provider together.',
                   'Next contact in two weeks.',
                   now(), now(),
                   now() - make_interval(days => g * 9) + interval '2 hours',
                   c.primary_case_manager_id, false, '', ''
            FROM clients_client c
            CROSS JOIN generate_series(1, %(per)s) AS g
            WHERE NOT EXISTS (SELECT 1 FROM notes_casenote n WHERE n.client_id = c.id)
            """,
            {
                "purposes": PURPOSES,
                "np": len(PURPOSES),
                "observations": OBSERVATIONS,
                "no": len(OBSERVATIONS),
                "per": per_client,
            },
        )
        cursor.execute("ANALYZE notes_casenote")


def caseload_pages_client_count() -> int:
    from clients.models import Client

    return Client.objects.count()


def _timed(call: object, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _measure(manager: User, repeat: int) -> None:
    from django.db import connection
    from django.test import Client as HttpClient
    from django.test.utils import CaptureQueriesContext

    from casemgmt.accounts import policy
    from clients.models import Client
    from notes.models import CaseNote

    http = HttpClient()
    http.force_login(manager)
    one = Client.objects.filter(primary_case_manager=manager).first()
    assert one is not None
    note = CaseNote.objects.filter(client=one).first()
    assert note is not None
    term = "eviction notice"
    pages = {
        "bare Django view": "/__bare__/",
        "Client's notes list": f"/clients/{one.pk}/notes/",
        "One note": f"/clients/{one.pk}/notes/{note.pk}/",
        "Client timeline": f"/clients/{one.pk}/timeline/",
        "Case file": f"/clients/{one.pk}/file/",
        f"Search '{term}'": f"/notes/search/?q={term.replace(' ', '+')}",
    }
    print(
        f"{CaseNote.objects.count():,} notes, {Client.objects.count():,} clients; the case "
        f"manager's scope holds {CaseNote.objects.visible_to(manager).count():,} notes; "
        f"median of {repeat} requests each"
    )
    results: dict[str, float] = {}
    for name, path in pages.items():
        for _ in range(2):
            http.get(path)

        def get(path: str = path) -> None:
            response = http.get(path)
            assert response.status_code == 200, (path, response.status_code)

        results[name] = _timed(get, repeat)
        with CaptureQueriesContext(connection) as queries:
            http.get(path)
        ratio = results[name] / results["bare Django view"]
        print(f"  {name:<34} {results[name] * 1000:8.2f} ms  x{ratio:6.1f}  {len(queries)} queries")

    teams = sorted(policy.member_team_ids(manager) | policy.supervised_team_ids(manager))

    def bare_sql() -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT n.id, ts_rank(n.search_vector, q) AS rank
                FROM notes_casenote n
                JOIN clients_client c ON c.id = n.client_id,
                     websearch_to_tsquery('english', %s) q
                WHERE n.search_vector @@ q AND n.status = 'signed'
                  AND (c.primary_case_manager_id = %s OR c.team_id = ANY(%s))
                ORDER BY rank DESC, n.contact_at DESC
                LIMIT 25
                """,
                [term, manager.pk, teams],
            )
            cursor.fetchall()

    raw = _timed(bare_sql, repeat)
    search = results[f"Search '{term}'"]
    print(f"  bare SQL of the search               {raw * 1000:8.2f} ms")
    print(f"  search page ÷ its bare SQL           x{search / raw:6.1f}")


if __name__ == "__main__":
    main()
