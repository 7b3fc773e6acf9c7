from django.urls import path, register_converter

from . import views

app_name = "uptake"


class CycleConverter:
    """A commissioning year in a URL: 2015/16 is 2015-16."""

    regex = r"\d{4}-\d{2}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(CycleConverter, "cycle")

urlpatterns = [
    path("uptake/", views.dashboard_current, name="dashboard_current"),
    path("uptake/<cycle:cycle>/", views.dashboard, name="dashboard"),
    path("uptake/<cycle:cycle>/regions/<str:code>/", views.region, name="region"),
    path("uptake/<cycle:cycle>/area-teams/<str:code>/", views.area_team, name="area_team"),
    path("uptake/<cycle:cycle>/ccgs/<str:ods>/", views.ccg, name="ccg"),
    # The public register: stable URLs, documented in docs/register.md.
    path("register/", views.register, name="register"),
    path("register/arrangements.csv", views.register_csv, name="register_csv"),
    path("register/arrangements.json", views.register_json, name="register_json"),
]
