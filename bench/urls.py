"""BENCH ONLY: the project's URLs plus the floor, the cheapest page Django can serve through
the same middleware (sessions, authentication, CSRF, CSP, request logs) as every real page."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from cocommissioning.urls import urlpatterns as project_urlpatterns


def floor(request: HttpRequest) -> HttpResponse:
    # Reads request.user so a signed-in request pays for its session and user, as pages do.
    user = request.user
    who = f"user {user.pk}" if user.is_authenticated else "anonymous"
    return HttpResponse(f"floor {who}", content_type="text/plain")


urlpatterns = [path("bench/floor/", floor, name="bench_floor"), *project_urlpatterns]
