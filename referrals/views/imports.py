"""Provider directory imports, for administrators: upload an HSDS file, watch it import, read
what was created, updated and skipped. Anyone else gets a 404, as if the pages did not exist."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from casemgmt.accounts import policy
from casemgmt.accounts.models import User

from ..forms.imports import DirectoryImportForm
from ..hsds import importer
from ..models import DirectoryImport, ImportStatus
from ..services.directory import can_manage_directory

IMPORTS_PAGE_SIZE = 25
SKIPPED_PAGE_SIZE = 50

#: What each table of an import's counts is called on the page.
TABLE_LABELS = {
    "taxonomy": gettext_lazy("Taxonomies"),
    "taxonomy_term": gettext_lazy("Categories"),
    "organization": gettext_lazy("Organizations"),
    "service": gettext_lazy("Services"),
    "location": gettext_lazy("Locations"),
    "address": gettext_lazy("Addresses"),
    "accessibility": gettext_lazy("Accessibility notes"),
    "service_at_location": gettext_lazy("Services at locations"),
    "contact": gettext_lazy("Contacts"),
    "phone": gettext_lazy("Phone numbers"),
    "schedule": gettext_lazy("Opening hours"),
    "attribute": gettext_lazy("Categories given to services"),
    "language": gettext_lazy("Languages given to services"),
    "required_document": gettext_lazy("Documents to bring"),
    "eligibility": gettext_lazy("Eligibility descriptions"),
}


def _admin_or_404(request: HttpRequest) -> User:
    """Imports exist only for administrators."""
    user = policy.signed_in(request.user)
    if not can_manage_directory(user):
        raise Http404
    return user


def _imports() -> QuerySet[DirectoryImport]:
    # The skipped rows can run to megabytes; the list shows only their number.
    return (
        DirectoryImport.objects.select_related("started_by")
        .defer("skipped")
        .order_by("-created_at", "-pk")
    )


def _count_rows(counts: dict[str, dict[str, int]]) -> list[dict[str, Any]]:
    rows = []
    for table, numbers in importer.iter_tables(counts):
        label = TABLE_LABELS.get(table) or table.replace("_", " ").capitalize()
        rows.append({"table": table, "label": label, **numbers})
    return rows


@require_http_methods(["GET", "POST"])
def import_list(request: HttpRequest) -> HttpResponse:
    user = _admin_or_404(request)
    if request.method == "POST":
        form = DirectoryImportForm(request.POST, request.FILES)
        if form.is_valid():
            run = importer.directory_import_create(actor=user, upload=form.cleaned_data["upload"])
            messages.success(
                request,
                _("%(name)s is uploaded; the import has started.") % {"name": run.source_name},
            )
            return redirect("referrals:directory_import", pk=run.pk)
    else:
        form = DirectoryImportForm()
    page = Paginator(_imports(), IMPORTS_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [{"run": run, "totals": importer.totals(run.counts)} for run in page.object_list]
    return render(
        request, "referrals/imports/list.html", {"form": form, "page": page, "rows": rows}
    )


@require_http_methods(["GET"])
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _admin_or_404(request)
    run = get_object_or_404(DirectoryImport.objects.select_related("started_by"), pk=pk)
    finished = run.status in (ImportStatus.DONE, ImportStatus.FAILED)
    show = "values" if request.GET.get("show") == "values" else "rows"
    context: dict[str, Any] = {"run": run, "finished": finished, "show": show}
    if run.status == ImportStatus.DONE:
        entries = [e for e in run.skipped if bool(e.get("field")) == (show == "values")]
        context.update(
            counts=_count_rows(run.counts),
            totals=importer.totals(run.counts),
            skipped_rows=sum(1 for e in run.skipped if not e.get("field")),
            skipped_values=sum(1 for e in run.skipped if e.get("field")),
            skipped_page=Paginator(entries, SKIPPED_PAGE_SIZE).get_page(request.GET.get("page")),
        )
    template = "referrals/imports/detail.html"
    htmx = getattr(request, "htmx", None)
    if htmx and not htmx.boosted:
        template += "#progress"
    return render(request, template, context)


urlpatterns: list[URLPattern] = [
    path("directory/imports/", import_list, name="directory_imports"),
    path("directory/imports/<int:pk>/", import_detail, name="directory_import"),
]
