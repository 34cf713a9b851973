from django.urls import path

from . import dashboard_views

urlpatterns = [
    path("", dashboard_views.dashboard_page, name="dashboard"),
    path(
        "caseloads/<int:user_id>/<slug:figure>/",
        dashboard_views.drilldown_page,
        name="drilldown",
    ),
]
