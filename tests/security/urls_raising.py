"""The project's URLs plus one view that fails, to see what a person is shown."""

from django.urls import path

from cocommissioning.urls import urlpatterns as project_urlpatterns

SECRET_DETAIL = "database password is hunter2"


def boom(request):
    raise RuntimeError(f"something broke: {SECRET_DETAIL}")


urlpatterns = [path("boom/", boom), *project_urlpatterns]
