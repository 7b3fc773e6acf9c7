# Production image for cocommissioning: one image runs the web server (gunicorn),
# the Celery worker and Celery beat; docker-compose.yml picks the command per service.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_STATIC_ROOT=/app/staticfiles \
    DJANGO_MEDIA_ROOT=/data/media

# WeasyPrint's runtime libraries (Pango, HarfBuzz, fontconfig) and a base font set.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 \
        libpangoft2-1.0-0 \
        libharfbuzz0b \
        libharfbuzz-subset0 \
        libfontconfig1 \
        shared-mime-info \
        fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

# Unprivileged user that runs every process in the container.
RUN groupadd --system --gid 1000 app \
    && useradd --system --uid 1000 --gid app --home-dir /app --shell /usr/sbin/nologin app

WORKDIR /app

# Dependencies first, so source edits do not invalidate this layer.
# pyproject.toml declares [tool.setuptools] packages = [], so this installs dependencies only.
COPY pyproject.toml constraints.txt ./
RUN pip install -c constraints.txt . \
    && rm -rf build *.egg-info

# Project source; .dockerignore keeps the virtual environment, tests, benchmarks and local
# data out of the image.
COPY . .

# Static files are collected at build time; the secret and hosts are throwaway values that
# exist only for this command (the real ones are supplied at run time).
RUN DJANGO_SETTINGS_MODULE=cocommissioning.settings.production \
    DJANGO_SECRET_KEY=build-only \
    DJANGO_ALLOWED_HOSTS=build \
    python manage.py collectstatic --noinput

# The media directory is created owned by the app user so a fresh named volume mounted
# there inherits that ownership (the worker writes generated PDFs into it).
RUN mkdir -p /data/media \
    && chown -R app:app /data

ENV DJANGO_SETTINGS_MODULE=cocommissioning.settings.production

USER app

EXPOSE 8000

CMD ["gunicorn", "cocommissioning.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
