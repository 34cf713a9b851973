"""The supervisor's pages: dashboard, approvals, staffing meetings and reports. Each part
keeps its own routes in its own module."""

from . import approval_urls, dashboard_urls, meeting_urls, report_urls

app_name = "supervision"

urlpatterns = [
    *dashboard_urls.urlpatterns,
    *approval_urls.urlpatterns,
    *meeting_urls.urlpatterns,
    *report_urls.urlpatterns,
]
