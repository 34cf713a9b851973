from django.urls import path

from . import collateral_views, crisis_views, reassignment_views, release_views, views

app_name = "clients"

urlpatterns = [
    path("", views.my_caseload, name="my_caseload"),
    path("team/", views.team_caseload, name="team_caseload"),
    path("intake/", views.intake, name="intake"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/discharge/", views.discharge, name="discharge"),
    path("<int:pk>/reenrol/", views.reenrol, name="reenrol"),
    path("<int:pk>/history/", views.history, name="history"),
    path(
        "<int:pk>/safety-flags/<int:flag_pk>/follow-up/",
        views.safety_flag_resolve,
        name="safety_flag_resolve",
    ),
    *release_views.urlpatterns,
    *collateral_views.urlpatterns,
    *crisis_views.urlpatterns,
    *reassignment_views.urlpatterns,
]
