"""A PostgreSQL restart (every server connection dropped) costs no failed request: with
CONN_HEALTH_CHECKS on, the request start finds the dead connection and opens a new one."""

from __future__ import annotations

import psycopg
import pytest
from django.conf import settings
from django.db import close_old_connections, connection

from casemgmt.accounts.models import User


@pytest.mark.django_db(transaction=True)
def test_a_dropped_connection_is_replaced_at_the_next_request() -> None:
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True
    assert settings.DATABASES["default"]["CONN_MAX_AGE"] > 0
    User.objects.count()
    pid = connection.connection.info.backend_pid
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    params.pop("prepare_threshold", None)
    with psycopg.connect(**params, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
    # What Django's request handler does when a request starts.
    close_old_connections()
    assert User.objects.count() == 0
    assert connection.connection.info.backend_pid != pid


@pytest.mark.django_db
def test_connections_run_without_jit() -> None:
    """The JIT's compile time outweighed the run time of the dashboard's statements."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone() == ("off",)
