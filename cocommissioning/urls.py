from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from applications import views as application_views
from applications.sign_in import LimitedAdminAuthenticationForm, SignInView

admin.site.site_header = "Primary care co-commissioning administration"
admin.site.site_title = "Co-commissioning admin"
admin.site.login_form = LimitedAdminAuthenticationForm  # the same sign-in limits

urlpatterns = [
    path("", application_views.home, name="home"),
    path("sign-in/", SignInView.as_view(), name="login"),
    path("sign-out/", auth_views.LogoutView.as_view(), name="logout"),
    path("healthz", application_views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("", include("applications.urls")),
    path("", include("uptake.urls")),
    path("", include("approvals.urls")),
]
