"""Caseload pages at agency scale, as ratios to a bare Django request in the same run.

    .venv/bin/python scripts/dev.py run -- .venv/bin/python tests/perf/caseload_pages.py \
        --clients 100000

Creates (once) a database `<name>_perf` with N clients spread over 40 case managers in
4 teams, then times, through Django's full middleware stack with a signed-in case manager:
a bare view, My caseload, Team caseload, a search, and a client page. Prints the median of
each and its ratio to the bare request, and the queries each page ran.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from casemgmt.accounts.models import User

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casemgmt.settings.test")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()

    use_perf_database()
    manager = _populate(args.clients)
    _measure(manager, args.repeat)


def use_perf_database() -> None:
    """Point Django at `<DATABASE_URL's name>_perf` (created and migrated when missing) and
    at the app's URLs plus a bare view."""
    import environ

    url = environ.Env().db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/casework")
    os.environ["DATABASE_URL"] = (
        f"postgres://{url['USER']}@{url['HOST']}:{url['PORT']}/{url['NAME']}_perf"
    )
    _create_database(url)

    import django

    django.setup()
    from django.conf import settings

    settings.ROOT_URLCONF = "tests.perf.urls"
    settings.ALLOWED_HOSTS = ["testserver"]
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _create_database(url: dict[str, object]) -> None:
    import psycopg

    with psycopg.connect(
        host=str(url["HOST"]),
        port=int(str(url["PORT"] or 5432)),
        user=str(url["USER"]),
        dbname="postgres",
        autocommit=True,
    ) as conn:
        name = f"{url['NAME']}_perf"
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def _populate(total: int) -> User:
    from django.db import connection, transaction

    from casemgmt.accounts.models import Agency, Team, User
    from clients.models import Client, Episode

    agency, _ = Agency.objects.get_or_create(name="Perf Agency")
    managers: list[User] = []
    for t in range(4):
        team, _ = Team.objects.get_or_create(agency=agency, name=f"Perf team {t}")
        for m in range(10):
            user, created = User.objects.get_or_create(
                email=f"perf.cm{t}.{m}@example.org",
                defaults={"full_name": f"Perf Manager {t}.{m}", "is_case_manager": True},
            )
            if created:
                user.set_password("perf-password-123")
                user.save()
            team.members.add(user)
            managers.append(user)
    have = Client.objects.count()
    rng = random.Random(7)
    first = ["Ana", "Luis", "Marie", "Tom", "Lan", "Olga", "Kofi", "Rosa", "Jean", "Mia"]
    last = ["Rivera", "Pierre", "Nguyen", "Smith", "Silva", "Ivanova", "Mensah", "Diaz"]
    batch = 5_000
    teams = {u.pk: u.member_teams.get() for u in managers}
    while have < total:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT nextval('client_record_number_seq') FROM generate_series(1, %s)",
                    [min(batch, total - have)],
                )
                numbers = [row[0] for row in cursor.fetchall()]
            rows = []
            for number in numbers:
                manager = managers[number % len(managers)]
                rows.append(
                    Client(
                        record_number=f"CW-{number:06d}",
                        legal_first_name=rng.choice(first),
                        legal_last_name=f"{rng.choice(last)}{number % 997}",
                        date_of_birth=dt.date(1940, 1, 1)
                        + dt.timedelta(days=rng.randrange(25_000)),
                        presenting_issue="Generated for a performance run.",
                        referral_source="self",
                        team=teams[manager.pk],
                        primary_case_manager=manager,
                    )
                )
            inserted = Client.objects.bulk_create(rows)
            Episode.objects.bulk_create(
                Episode(
                    client=c, enrolled_on=dt.date(2026, 1, 1), enrolled_by=c.primary_case_manager
                )
                for c in inserted
            )
        have += len(rows)
        print(f"  {have:,} clients", file=sys.stderr)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return managers[0]


def time_pages(http: Any, pages: dict[str, str], repeat: int, *, warm_up: int = 3) -> None:
    """Print each page's median time over `repeat` requests, its ratio to the page named
    "bare Django view" (measured first) and its query count."""
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    results: dict[str, float] = {}
    for name, path in pages.items():
        for _ in range(warm_up):
            http.get(path)
        times = []
        for _ in range(repeat):
            reset_queries()
            start = time.perf_counter()
            response = http.get(path)
            times.append(time.perf_counter() - start)
            assert response.status_code == 200, (path, response.status_code)
        with CaptureQueriesContext(connection) as queries:
            http.get(path)
        results[name] = statistics.median(times)
        ratio = results[name] / results["bare Django view"]
        print(f"  {name:<34} {results[name] * 1000:8.2f} ms  x{ratio:6.1f}  {len(queries)} queries")


def _measure(manager: User, repeat: int) -> None:
    from django.test import Client as HttpClient

    from clients.models import Client

    http = HttpClient()
    http.force_login(manager)
    one = Client.objects.filter(primary_case_manager=manager).first()
    assert one is not None
    pages = {
        "bare Django view": "/__bare__/",
        "My caseload": "/clients/",
        "Team caseload": "/clients/team/",
        "Team caseload, search 'Rivera1'": "/clients/team/?q=Rivera1",
        "Team caseload, page 40": "/clients/team/?page=40",
        "Client page": f"/clients/{one.pk}/",
    }
    total = Client.objects.count()
    print(
        f"{total:,} clients; case manager with "
        f"{Client.objects.filter(primary_case_manager=manager).count():,} of them; "
        f"median of {repeat} requests each"
    )
    time_pages(http, pages, repeat)


if __name__ == "__main__":
    main()
