# syntax=docker/dockerfile:1
# Casework: one image for web (gunicorn), worker and beat (Celery); see docker-compose.yml.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    UV_PYTHON=/usr/local/bin/python \
    UV_PYTHON_DOWNLOADS=never \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    PATH=/opt/venv/bin:$PATH \
    DJANGO_SETTINGS_MODULE=casemgmt.settings.production

# Pango and a font for WeasyPrint (the case file's PDF export).
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
        fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

RUN pip install --no-cache-dir uv==0.13.8

WORKDIR /app

# The locked dependencies first (no dev group, no embedded extra), so that a code change
# reuses this layer.
COPY pyproject.toml uv.lock ./
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-project

COPY . .

# Static files are collected (and hashed and compressed for WhiteNoise) into the image. The
# production settings insist on their variables; these throwaway values only let them load.
RUN DJANGO_SECRET_KEY=collectstatic-at-build-time-only-not-a-secret \
    DJANGO_ALLOWED_HOSTS=localhost \
    DATABASE_URL=postgres://unused@localhost/unused \
    REDIS_URL=redis://localhost:6379/0 \
    python manage.py collectstatic --noinput

RUN groupadd --system --gid 10001 casework \
    && useradd --system --uid 10001 --gid casework --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin casework \
    && mkdir -p /app/media /app/var \
    && chown casework:casework /app/media /app/var

USER casework
EXPOSE 8000
CMD ["gunicorn", "casemgmt.wsgi", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
