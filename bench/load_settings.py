"""BENCH ONLY, never deploy: the production settings, relaxed just enough for the load test
(bench/load_run.py) to drive gunicorn over plain HTTP on 127.0.0.1.

Everything else (DEBUG off, the cached template loader, the manifest static files storage,
Redis for the sign-in limits, the security headers, the CSRF checks) is production's own.
"""

from cocommissioning.settings.production import *  # noqa: F403
from cocommissioning.settings.production import CACHES

# Over http a browser (and locust) would drop Secure cookies, and the redirect to https has
# nowhere to go on loopback. The only three relaxations.
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_SSL_REDIRECT = False

# Keep the load test's sign-in counters apart from anything else in the same Redis.
CACHES["default"]["KEY_PREFIX"] = "cocommissioning-load"
