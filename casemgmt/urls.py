from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from . import views

admin.site.site_header = "Casework administration"
admin.site.site_title = "Casework"

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/", include("casemgmt.accounts.urls")),
    path("clients/", include("clients.urls")),
    path("", include("careplans.urls")),
    path("", include("referrals.urls")),
    path("", include("notes.urls")),
    path("", include("casemgmt.reminders.urls", namespace="reminders")),
    path("supervision/", include("casemgmt.supervision.urls")),
    path("hsds/", include("referrals.hsds.api")),
    path("api/v1/", include("casemgmt.api_urls")),
    # The schema answers to token holders too, so the login redirect must not intercept it;
    # DRF's own permission (IsAuthenticated) refuses anonymous callers.
    path("api/schema/", login_not_required(SpectacularAPIView.as_view()), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("admin/", admin.site.urls),
]
