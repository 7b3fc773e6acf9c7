"""The test suite: the real PostgreSQL and Redis of the machine (CI starts them)."""

from pathlib import Path

from .base import *  # noqa: F403
from .base import env, env_bool

SECRET_KEY = "test-only-not-a-secret"  # nosec B105 # the test suite's own key, never deployed
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# The real-worker tests start a worker with CELERY_TASK_ALWAYS_EAGER=false.
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", True)
CELERY_BROKER_URL = env("CELERY_BROKER_URL", "redis://127.0.0.1:6379/15")
MEDIA_ROOT = Path(env("DJANGO_MEDIA_ROOT", "/tmp/cocommissioning-test-media"))  # noqa: S108  # nosec B108 # test uploads only, on the test machine
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Serve static files straight from the source folders, no collectstatic needed.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
