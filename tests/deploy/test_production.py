"""The deployment files and the production settings.

No Docker engine runs where the tests run, so docker-compose.yml and the Dockerfile are
checked as structures: the services, their health checks, volumes and start order. The
production settings are checked for real with `manage.py check --deploy`.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
APP_SERVICES = ("web", "worker", "beat")
# The variables production cannot start without (README "Configuration").
REQUIRED = ("DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    result = compose["services"]
    assert isinstance(result, dict)
    return result


def command_text(service: dict[str, Any]) -> str:
    command = service.get("command", "")
    return " ".join(command) if isinstance(command, list) else str(command)


def named_volumes(service: dict[str, Any]) -> dict[str, str]:
    """{volume name: mount point} for the service's named-volume mounts."""
    mounts: dict[str, str] = {}
    for entry in service.get("volumes", []):
        source, _, target = str(entry).partition(":")
        if not source.startswith((".", "/", "~")):
            mounts[source] = target.split(":")[0]
    return mounts


def test_compose_has_every_service(services: dict[str, dict[str, Any]]) -> None:
    assert set(services) >= {"migrate", "web", "worker", "beat", "postgres", "redis"}


def test_web_runs_gunicorn_with_production_settings(services: dict[str, dict[str, Any]]) -> None:
    web = services["web"]
    assert command_text(web).startswith("gunicorn casemgmt.wsgi")
    assert "--bind=0.0.0.0:8000" in command_text(web)
    assert any(str(port).endswith(":8000") for port in web["ports"])
    # Published on loopback unless WEB_BIND says otherwise: a TLS proxy goes in front.
    assert all(str(port).startswith("${WEB_BIND:-127.0.0.1}") for port in web["ports"])


def test_app_services_share_image_settings_and_env_file(
    services: dict[str, dict[str, Any]],
) -> None:
    for name in (*APP_SERVICES, "migrate"):
        service = services[name]
        assert service["build"] == "."
        assert service["env_file"] == ".env"
        environment = service["environment"]
        assert environment["DJANGO_SETTINGS_MODULE"] == "casemgmt.settings.production"
        assert "DATABASE_URL" in environment
        assert "REDIS_URL" in environment


def test_worker_and_beat_run_celery(services: dict[str, dict[str, Any]]) -> None:
    assert command_text(services["worker"]).startswith("celery --app=casemgmt worker")
    beat = command_text(services["beat"])
    assert beat.startswith("celery --app=casemgmt beat")
    # The schedule lives in PostgreSQL (django-celery-beat): no schedule file, no volume.
    assert "--scheduler=django_celery_beat.schedulers:DatabaseScheduler" in beat
    assert "beat" not in named_volumes(services["beat"])


def test_migrate_runs_once_before_the_app(services: dict[str, dict[str, Any]]) -> None:
    migrate = services["migrate"]
    assert command_text(migrate) == "python manage.py migrate --noinput"
    assert migrate["restart"] == "no"
    for name in APP_SERVICES:
        depends = services[name]["depends_on"]
        assert depends["migrate"] == {"condition": "service_completed_successfully"}


def test_app_waits_for_healthy_postgres_and_redis(services: dict[str, dict[str, Any]]) -> None:
    for name in (*APP_SERVICES, "migrate"):
        depends = services[name]["depends_on"]
        assert depends["postgres"] == {"condition": "service_healthy"}, name
        assert depends["redis"] == {"condition": "service_healthy"}, name


def test_postgres_has_a_volume_and_a_healthcheck(
    compose: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    postgres = services["postgres"]
    assert postgres["image"].startswith("postgres:")
    volumes = named_volumes(postgres)
    assert "/var/lib/postgresql/data" in volumes.values()
    assert set(volumes) <= set(compose["volumes"])
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    # The password must be given; compose refuses to start without it.
    assert ":?" in postgres["environment"]["POSTGRES_PASSWORD"]


def test_redis_persists_append_only_and_has_a_healthcheck(
    compose: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    redis = services["redis"]
    assert redis["image"].startswith("redis:")
    assert "--appendonly yes" in command_text(redis)
    volumes = named_volumes(redis)
    assert volumes and set(volumes.values()) == {"/data"}
    assert set(volumes) <= set(compose["volumes"])
    assert redis["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]


def test_every_named_volume_is_declared(
    compose: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    used = {name for service in services.values() for name in named_volumes(service)}
    assert used == set(compose["volumes"])


def test_dockerfile() -> None:
    text = (ROOT / "Dockerfile").read_text()
    instructions = [
        line.strip()
        for line in re.sub(r"\\\n", " ", text).splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert instructions[0] == "FROM python:3.11-slim"
    assert any("uv sync --frozen --no-dev" in line for line in instructions)
    collect = next(line for line in instructions if "collectstatic" in line)
    assert "DJANGO_SECRET_KEY=" in collect
    users = [line.split()[1] for line in instructions if line.startswith("USER ")]
    assert users and users[-1] not in {"root", "0"}
    # The image's uv is the one the Makefile pins.
    makefile_uv = re.search(r"^UV_VERSION := (\S+)$", (ROOT / "Makefile").read_text(), re.M)
    assert makefile_uv is not None
    assert f"uv=={makefile_uv.group(1)}" in text


def test_dockerignore_keeps_secrets_and_local_state_out() -> None:
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".env", ".git", ".venv", ".data"} <= ignored


def production_env(**overrides: str) -> dict[str, str]:
    """A clean environment for the production settings; .env would fill gaps, so the
    security switches are set explicitly."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "CELERY_", "EMAIL_")) and key not in REQUIRED
    }
    env.update(
        DJANGO_SETTINGS_MODULE="casemgmt.settings.production",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(60),
        DJANGO_ALLOWED_HOSTS="casework.example.org",
        DATABASE_URL="postgres://casework:not-used@db.example.org:5432/casework",
        REDIS_URL="redis://redis.example.org:6379/0",
        DJANGO_DEBUG="false",
        DJANGO_SECURE_SSL_REDIRECT="true",
        DJANGO_SECURE_HSTS_SECONDS=str(60 * 60 * 24 * 365),
    )
    env.update(overrides)
    return env


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own argument list
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_settings_pass_check_deploy() -> None:
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_deploy_catches_a_weak_secret() -> None:
    # The check is live: a short secret makes it fail.
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", env=production_env(DJANGO_SECRET_KEY="x")
    )
    assert result.returncode != 0
    assert "security.W009" in result.stdout + result.stderr


def test_the_images_collectstatic_step_works_with_production_storage(tmp_path: Path) -> None:
    # What the Dockerfile runs at build time (WhiteNoise's hashed, compressed storage fails on
    # a reference to a missing file), collected into tmp_path instead of staticfiles/.
    code = (
        "import sys, django\n"
        "django.setup()\n"
        "from django.core.management import call_command\n"
        "from django.test.utils import override_settings\n"
        "with override_settings(STATIC_ROOT=sys.argv[1]):\n"
        "    call_command('collectstatic', interactive=False, verbosity=0)\n"
    )
    result = subprocess.run(  # noqa: S603 - our own argument list
        [sys.executable, "-c", code, str(tmp_path)],
        cwd=ROOT,
        env=production_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    manifest = tmp_path / "staticfiles.json"
    assert manifest.exists()
    assert '"bootstrap/' in manifest.read_text()


@pytest.mark.skipif(
    (ROOT / ".env").exists(), reason="a .env file would supply the missing variable"
)
@pytest.mark.parametrize("name", REQUIRED)
def test_production_refuses_to_start_without(name: str) -> None:
    env = production_env()
    del env[name]
    result = manage("check", env=env)
    assert result.returncode != 0
    assert name in result.stderr
