"""BENCH ONLY, never deploy: the settings bench/data.py and bench/pages.py run with.

bench/load_settings.py (production, with Secure cookies and the https redirect off so plain
HTTP on 127.0.0.1 works) plus the floor view's URL (bench/urls.py). The scripts set the
environment (secret key, database, media and static folders) before Django starts; the
defaults here only let a script that forgot still start, with eager Celery and email kept
in memory.
"""

import os
import secrets
import tempfile
from pathlib import Path

_WORK = Path(tempfile.gettempdir()) / "cocommissioning-bench"

for _name, _value in {
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
    "CELERY_TASK_ALWAYS_EAGER": "true",
    "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    "DJANGO_MEDIA_ROOT": str(_WORK / "media"),
    "DJANGO_STATIC_ROOT": str(_WORK / "static"),
}.items():
    os.environ.setdefault(_name, _value)

from bench.load_settings import *  # noqa: F403
from bench.load_settings import CACHES

ROOT_URLCONF = "bench.urls"
CACHES["default"]["KEY_PREFIX"] = "cocommissioning-bench"
