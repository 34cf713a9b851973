from django.urls import URLPattern, path

from . import report_views

urlpatterns: list[URLPattern] = [
    path("reports/", report_views.report_export, name="reports"),
]
