from django.urls import URLPattern, path

from . import approval_views

urlpatterns: list[URLPattern] = [
    path("approvals/", approval_views.approvals_page, name="approvals"),
    path(
        "approvals/<slug:kind>/<int:pk>/",
        approval_views.approval_decide,
        name="approval_decide",
    ),
]
