"""The reports page: choose a report, a date range, a team and a format, and download it."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from casemgmt.accounts import policy
from casemgmt.reminders.rules import local_today

from . import reports
from .report_forms import ReportForm


@require_GET
def report_export(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """Supervisors export their teams' clients, case managers their own clients; anyone
    without a clinical role gets a 404. With a valid choice the file downloads (and the
    access log records it); otherwise the page shows each problem beside its field."""
    user = policy.clinician_or_404(request.user)
    submitted = "report" in request.GET
    form = ReportForm(request.GET if submitted else None, user=user)
    if submitted and form.is_valid():
        data = form.cleaned_data
        report = reports.build_report(
            user,
            kind=data["report"],
            date_from=data["date_from"],
            date_to=data["date_to"],
            team=data["team"],
        )
        reports.export_log_record(actor=user, report=report, request=request)
        return reports.export_response(report, data["export_format"])
    if not submitted:
        today = local_today()
        form.initial.update(
            {
                "report": reports.ReportKind.CASELOAD,
                "date_from": today.replace(day=1),
                "date_to": today,
            }
        )
    return render(
        request,
        "supervision/reports.html",
        {
            "form": form,
            "supervises": bool(policy.supervised_team_ids(user)),
            "max_days": reports.MAX_RANGE_DAYS,
        },
        status=400 if submitted else 200,
    )
