"""Run by test_production.py in a subprocess under cocommissioning.settings.production
(against the test database): builds the static manifest as a deployment does, signs in,
and prints, as JSON, what a browser would get from a sample of pages.

    python -m tests.security.production_probe USERNAME PASSWORD
"""

import json
import re
import sys

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

from applications.models import User  # noqa: E402


def describe(response) -> dict:
    return {
        "status": response.status_code,
        "headers": dict(response.headers),
        "cookies": {
            name: {
                "secure": bool(morsel["secure"]),
                "httponly": bool(morsel["httponly"]),
                "samesite": morsel["samesite"],
            }
            for name, morsel in response.cookies.items()
        },
    }


def main(username: str, password: str) -> dict:
    call_command("collectstatic", interactive=False, verbosity=0)
    user = User.objects.get(username=username)
    user.set_password(password)  # with production's own hasher
    user.save()

    results: dict[str, dict] = {}
    anonymous = Client()
    results["http /"] = describe(anonymous.get("/"))
    for path in ("/", "/sign-in/", "/admin/login/"):
        results[path] = describe(anonymous.get(path, secure=True))

    person = Client()
    person.get("/sign-in/", secure=True)
    results["sign in"] = describe(
        person.post("/sign-in/", {"username": username, "password": password}, secure=True)
    )
    for path in ("/ (signed in)", "/ccg/"):
        results[path] = describe(person.get(path.split()[0], secure=True))

    # Static files as a deployment serves them (whitenoise, from the built manifest).
    page = anonymous.get("/sign-in/", secure=True).content.decode()
    css = re.search(r'href="(/static/nhsuk/nhsuk-frontend[^"]*\.css)"', page).group(1)
    results["static css url"] = {"url": css}
    for encoding in ("br", "gzip", ""):
        response = anonymous.get(css, secure=True, HTTP_ACCEPT_ENCODING=encoding)
        results[f"static css {encoding or 'plain'}"] = {
            **describe(response),
            "bytes": sum(len(chunk) for chunk in response.streaming_content),
        }
    from django.template import engines

    results["template loaders"] = {
        "loaders": [
            type(loader).__module__ + "." + type(loader).__name__
            for loader in engines["django"].engine.template_loaders
        ]
    }
    return results


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], sys.argv[2])))  # noqa: T201
