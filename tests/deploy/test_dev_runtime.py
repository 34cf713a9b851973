"""scripts/dev.py's decisions, against real servers and real ports (no mocks): where
PostgreSQL and Redis are, when a port only looks alive, the embedded fallbacks, and how the
demo's child processes are stopped."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
import redis

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from scripts import dev  # noqa: E402

DEV_PY = ROOT / "scripts" / "dev.py"


def database_url() -> str:
    """The PostgreSQL the test run itself uses."""
    return os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/casework"


def redis_url() -> str:
    return os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"


def closed_port() -> int:
    """A port nothing listens on (bound for a moment, then released)."""
    return dev.free_port()


@pytest.fixture
def not_a_server() -> Iterator[int]:
    """A TCP port that accepts connections and answers nonsense: alive, but neither
    PostgreSQL nor Redis."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                conn.sendall(b"HTTP/1.0 400 Bad Request\r\n\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(timeout=2)
        listener.close()


@pytest.fixture
def scratch_dir() -> Iterator[Path]:
    """A directory for embedded servers' data. Under .data/ rather than the system temp
    dir: run as root, the embedded PostgreSQL runs as the `pgserver` user, who must be able
    to reach it."""
    base = ROOT / ".data"
    base.mkdir(exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix="pytest-", dir=base))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


# --- the decision: environment, then local defaults, then embedded ----------------------------


def test_database_url_from_the_environment_is_used_as_is() -> None:
    url = database_url()
    service = dev.find_postgres({"DATABASE_URL": url, "CASEWORK_PG_PORT": str(closed_port())})
    assert (service.url, service.origin, service.started) == (url, "DATABASE_URL", False)
    assert dev.postgres_answers(service.url)


def test_redis_url_from_the_environment_is_used_as_is() -> None:
    url = redis_url()
    service = dev.find_redis({"REDIS_URL": url, "CASEWORK_REDIS_PORT": str(closed_port())})
    assert (service.url, service.origin, service.started) == (url, "REDIS_URL", False)


def test_a_database_url_that_does_not_answer_is_an_error_not_a_fallback() -> None:
    env = {"DATABASE_URL": f"postgres://postgres@127.0.0.1:{closed_port()}/casework"}
    with pytest.raises(dev.ServiceError, match="DATABASE_URL"):
        dev.find_postgres(env)


def test_a_redis_url_that_does_not_answer_is_an_error_not_a_fallback() -> None:
    with pytest.raises(dev.ServiceError, match="REDIS_URL"):
        dev.find_redis({"REDIS_URL": f"redis://127.0.0.1:{closed_port()}/0"})


def test_a_closed_port_does_not_answer() -> None:
    port = closed_port()
    assert not dev.port_answers("127.0.0.1", port)
    assert not dev.postgres_answers(f"postgres://postgres@127.0.0.1:{port}/postgres")
    assert not dev.redis_answers(f"redis://127.0.0.1:{port}/0")
    env = {"CASEWORK_PG_PORT": str(port), "CASEWORK_REDIS_PORT": str(port)}
    assert dev.local_postgres_url(env) is None
    assert dev.local_redis_url(env) is None


def test_a_port_that_accepts_but_is_no_server_does_not_answer(not_a_server: int) -> None:
    assert dev.port_answers("127.0.0.1", not_a_server)
    assert not dev.postgres_answers(f"postgres://postgres@127.0.0.1:{not_a_server}/postgres")
    assert not dev.redis_answers(f"redis://127.0.0.1:{not_a_server}/0")
    env = {"CASEWORK_PG_PORT": str(not_a_server), "CASEWORK_REDIS_PORT": str(not_a_server)}
    assert dev.local_redis_url(env) is None
    assert dev.local_postgres_url(env) is None


def test_the_local_probe_finds_a_real_server_and_its_casework_database() -> None:
    parts = urlsplit(database_url())
    if parts.username not in (None, "postgres") or parts.password:
        pytest.skip("the probe looks for the `postgres` user without a password")
    env = {"CASEWORK_PG_HOST": parts.hostname or "127.0.0.1", "CASEWORK_PG_PORT": str(parts.port)}
    url = dev.local_postgres_url(env)
    assert url is not None
    assert dev.database_name(url) == "casework"
    assert dev.postgres_answers(url)

    rparts = urlsplit(redis_url())
    renv = {"CASEWORK_REDIS_HOST": rparts.hostname or "", "CASEWORK_REDIS_PORT": str(rparts.port)}
    assert dev.local_redis_url(renv) == f"redis://{rparts.hostname}:{rparts.port}/0"


def test_tests_get_their_own_redis_database_unless_redis_url_was_given() -> None:
    postgres = dev.Service("PostgreSQL", "postgres://postgres@127.0.0.1:5432/casework", "local")
    local = dev.Services(postgres, dev.Service("Redis", "redis://127.0.0.1:6379/0", "local"))
    assert local.environ(redis_db=1)["REDIS_URL"] == "redis://127.0.0.1:6379/1"
    assert local.environ()["REDIS_URL"] == "redis://127.0.0.1:6379/0"
    given = dev.Services(postgres, dev.Service("Redis", "redis://cache:6379/4", "REDIS_URL"))
    assert given.environ(redis_db=1)["REDIS_URL"] == "redis://cache:6379/4"


def test_dotenv_fills_in_what_the_environment_lacks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env").write_text(
        "# comment\nexport DATABASE_URL='postgres://a@b/c'\nREDIS_URL=\"redis://x:1/0\"\n"
        "DEMO_PASSWORD=from-dotenv\nnot a line\n"
    )
    assert dev.read_dotenv(tmp_path / ".env") == {
        "DATABASE_URL": "postgres://a@b/c",
        "REDIS_URL": "redis://x:1/0",
        "DEMO_PASSWORD": "from-dotenv",
    }
    monkeypatch.setenv("DEMO_PASSWORD", "from-environment")
    monkeypatch.delenv("REDIS_URL", raising=False)
    merged = dev.base_environ(tmp_path)
    assert merged["DEMO_PASSWORD"] == "from-environment"
    assert merged["REDIS_URL"] == "redis://x:1/0"


def test_env_command_prints_export_lines() -> None:
    env = {**os.environ, "DATABASE_URL": database_url(), "REDIS_URL": redis_url()}
    result = subprocess.run(  # noqa: S603 - our own argument list
        [sys.executable, str(DEV_PY), "env"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"export DATABASE_URL={database_url()}",
        f"export REDIS_URL={redis_url()}",
    ]


def test_run_command_passes_the_urls_and_the_exit_code() -> None:
    env = {**os.environ, "DATABASE_URL": database_url(), "REDIS_URL": redis_url()}
    code = "import os, sys; print(os.environ['DATABASE_URL']); sys.exit(7)"
    result = subprocess.run(  # noqa: S603 - our own argument list
        [sys.executable, str(DEV_PY), "run", "--", sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 7
    assert result.stdout.strip() == database_url()


# --- the embedded servers --------------------------------------------------------------------


def test_embedded_redis_starts_answers_and_stops(scratch_dir: Path) -> None:
    server = dev.EmbeddedRedis(scratch_dir / "redis", port=dev.free_port())
    assert server.start() is True
    try:
        client = redis.Redis.from_url(server.url(0))
        assert client.ping()
        client.set("casework:probe", "1")
        assert client.get("casework:probe") == b"1"
        client.close()
        # A second start finds the running server instead of starting another.
        again = dev.EmbeddedRedis(scratch_dir / "redis", port=dev.free_port())
        assert again.start() is False
        assert again.port == server.port
    finally:
        server.stop()
    assert not dev.port_answers("127.0.0.1", server.port)
    assert server.running_port() is None
    assert (scratch_dir / "redis" / "appendonlydir").exists() or any(
        (scratch_dir / "redis").glob("appendonly*")
    )


def test_embedded_postgres_starts_answers_and_stops(scratch_dir: Path) -> None:
    started = time.monotonic()
    server = dev.EmbeddedPostgres(scratch_dir / "pg", port=dev.free_port())
    assert server.start() is True
    try:
        assert dev.ensure_database(server.url("casework")) is True
        assert dev.ensure_database(server.url("casework")) is False
        with psycopg.connect(dev.libpq_url(server.url("casework"))) as conn:
            row = conn.execute("SELECT current_database(), current_user").fetchone()
        assert row == ("casework", "postgres")
    finally:
        server.stop()
    assert server.running_port() is None
    assert not dev.port_answers("127.0.0.1", server.port)
    assert time.monotonic() - started < 60


def test_closed_defaults_fall_back_to_embedded_servers_and_stop_them(scratch_dir: Path) -> None:
    env = {
        "CASEWORK_PG_PORT": str(closed_port()),
        "CASEWORK_REDIS_PORT": str(closed_port()),
        "CASEWORK_EMBEDDED_PG_PORT": str(dev.free_port()),
        "CASEWORK_EMBEDDED_REDIS_PORT": str(dev.free_port()),
    }
    services = dev.ensure_services(env, data_dir=scratch_dir)
    try:
        assert (services.postgres.origin, services.redis.origin) == ("embedded", "embedded")
        assert services.postgres.started and services.redis.started
        urls = services.environ()
        assert urls["DATABASE_URL"].endswith(f":{env['CASEWORK_EMBEDDED_PG_PORT']}/casework")
        assert urls["REDIS_URL"] == f"redis://127.0.0.1:{env['CASEWORK_EMBEDDED_REDIS_PORT']}/0"
        assert dev.postgres_answers(urls["DATABASE_URL"])
        assert dev.redis_answers(urls["REDIS_URL"])
    finally:
        services.stop_started()
    assert sorted(services.stopped) == ["PostgreSQL", "Redis"]
    assert not dev.port_answers("127.0.0.1", int(env["CASEWORK_EMBEDDED_PG_PORT"]))
    assert not dev.port_answers("127.0.0.1", int(env["CASEWORK_EMBEDDED_REDIS_PORT"]))


# --- the demo's child processes --------------------------------------------------------------


def start_child(name: str, code: str) -> dev.Child:
    return dev.Child.start(name, [sys.executable, "-c", code], dict(os.environ), width=8)


def test_a_child_that_dies_stops_the_others_and_fails_the_run() -> None:
    sleeper = start_child("sleeper", "import time; time.sleep(60)")
    dying = start_child("dying", "import time; time.sleep(0.5); raise SystemExit(3)")
    assert dev.supervise([sleeper, dying]) == 3
    assert not sleeper.group_alive()
    assert not dying.group_alive()


def test_stopping_reaches_grandchildren_and_escalates_past_ignored_signals() -> None:
    # A parent ignoring SIGINT with a grandchild ignoring SIGINT and SIGTERM (as a stuck
    # server might): all of the group is gone after stop_children.
    code = (
        "import signal, subprocess, sys, time\n"
        "signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
        "subprocess.Popen([sys.executable, '-c', 'import signal, time; "
        "signal.signal(signal.SIGINT, signal.SIG_IGN); "
        "signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)'])\n"
        "time.sleep(60)\n"
    )
    child = start_child("stubborn", code)
    time.sleep(1.0)
    started = time.monotonic()
    dev.stop_children([child], grace=0.5, term_grace=0.5)
    assert not child.group_alive()
    assert time.monotonic() - started < 8
