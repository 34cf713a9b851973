"""The test run: the real PostgreSQL and Redis, a fast password hasher, mail kept in memory."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-not-secret")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")

from .base import *

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CACHES["default"]["KEY_PREFIX"] = "casework-test"
CELERY_TASK_ALWAYS_EAGER = False
AXES_FAILURE_LIMIT = 5
