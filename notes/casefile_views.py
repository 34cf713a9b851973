"""The case file, the client timeline and note search."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from casemgmt.accounts import policy
from casemgmt.accounts.models import User
from casemgmt.audit.models import AccessAction
from casemgmt.audit.services import access_log_record
from clients.models import Client
from clients.release_services import PART2_REDISCLOSURE_NOTICE
from clients.view_helpers import clinician_and_client

from . import selectors
from .pdf import html_to_pdf

SEARCH_PAGE_SIZE = 20
CASE_FILE_CSS = "notes/casefile.css"

# --- Forms (they only validate the query string) --------------------------------------------


class DateRangeForm(forms.Form):
    """An optional from/to range of days; `from` and `to` in the query string."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        date_input = {"type": "date", "class": "form-control"}
        self.fields["from"] = forms.DateField(
            label=_("From"), required=False, widget=forms.DateInput(date_input, "%Y-%m-%d")
        )
        self.fields["to"] = forms.DateField(
            label=_("To"), required=False, widget=forms.DateInput(date_input, "%Y-%m-%d")
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("from"), data.get("to")
        if start and end and start > end:
            self.add_error("to", _("The “to” date is before the “from” date."))
        return data

    def date_range(self) -> tuple[dt.date | None, dt.date | None]:
        if not self.is_bound or not self.is_valid():
            return None, None
        return self.cleaned_data.get("from"), self.cleaned_data.get("to")


class TimelineFilterForm(DateRangeForm):
    kind = forms.MultipleChoiceField(
        label=_("Show"),
        required=False,
        choices=selectors.TimelineKind.choices,
        widget=forms.CheckboxSelectMultiple,
    )


class NoteSearchForm(DateRangeForm):
    q = forms.CharField(
        label=_("Search notes for"),
        max_length=200,
        required=False,
        help_text=_('Words as in a web search: "exact phrase", or, and -word to leave a word out.'),
        widget=forms.TextInput({"class": "form-control", "type": "search"}),
    )
    client = forms.ModelChoiceField(
        label=_("Client"),
        queryset=Client.objects.none(),
        required=False,
        empty_label=_("All my clients"),
        widget=forms.HiddenInput,
    )
    order = forms.ChoiceField(
        label=_("Order"),
        choices=selectors.SearchOrder.choices,
        required=False,
        widget=forms.Select({"class": "form-select"}),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["client"]
        if isinstance(field, forms.ModelChoiceField):
            field.queryset = Client.objects.visible_to(user).order_by(
                "legal_last_name", "legal_first_name", "pk"
            )


# --- Helpers ------------------------------------------------------------------------------


def _page_number(request: HttpRequest) -> int:
    value = request.GET.get("page", "1")
    return min(int(value), 10_000) if value.isdigit() and int(value) > 0 else 1


# --- Timeline -----------------------------------------------------------------------------


@require_http_methods(["GET"])
def timeline(request: HttpRequest, client_pk: int) -> HttpResponse:
    user, client = clinician_and_client(request, client_pk)
    form = TimelineFilterForm(request.GET or None)
    start, end = form.date_range()
    kinds = form.cleaned_data.get("kind", []) if form.is_bound and form.is_valid() else []
    page = selectors.client_timeline(
        user, client, kinds=kinds, start=start, end=end, page=_page_number(request)
    )
    access_log_record(actor=user, client_id=client.pk, action=AccessAction.VIEW, request=request)
    return render(
        request,
        "notes/timeline.html",
        {"client": client, "form": form, "page": page, "filtered": bool(kinds or start or end)},
    )


# --- Search -------------------------------------------------------------------------------


class CappedPaginator(Paginator):
    """Counts matches only up to `cap` (+1 to know there are more): an exact count of a
    common word over a million notes would cost as much again as the page itself. Results
    are ranked, so the first pages are the ones that matter."""

    cap = 1000

    @cached_property
    def count(self) -> int:
        rows: QuerySet[Any] = self.object_list  # type: ignore[assignment]
        return rows.order_by()[: self.cap + 1].count()

    @property
    def more_than_cap(self) -> bool:
        return self.count > self.cap


@require_http_methods(["GET"])
def search(request: HttpRequest) -> HttpResponse:
    """Searching opens no record, so it writes no access log (opening a note does)."""
    user = policy.clinician_or_404(request.user)
    form = NoteSearchForm(request.GET or None, user=user)
    page = None
    hits: list[tuple[Any, Any]] = []
    if form.is_bound and form.is_valid() and form.cleaned_data["q"].strip():
        start, end = form.date_range()
        rows = selectors.note_search(
            user,
            text=form.cleaned_data["q"],
            client=form.cleaned_data.get("client"),
            start=start,
            end=end,
            order=form.cleaned_data.get("order") or selectors.SearchOrder.RELEVANCE,
        )
        page = CappedPaginator(rows, SEARCH_PAGE_SIZE).get_page(request.GET.get("page"))
        hits = [
            (note, selectors.headline_html(getattr(note, "headline", "")))
            for note in page.object_list
        ]
    chosen = form.cleaned_data.get("client") if form.is_bound and form.is_valid() else None
    return render(
        request,
        "notes/search.html",
        {"form": form, "page": page, "hits": hits, "chosen_client": chosen},
    )


# --- The case file ------------------------------------------------------------------------


def _case_file_context(
    request: HttpRequest, client_pk: int
) -> tuple[User, Client, DateRangeForm, dict[str, Any]]:
    user, client = clinician_and_client(request, client_pk)
    form = DateRangeForm(request.GET or None)
    start, end = form.date_range()
    context = {
        "client": client,
        "form": form,
        "cf": selectors.case_file(user, client, start=start, end=end),
        "printed_at": timezone.now(),
        "printed_by": user,
        "part2_notice": PART2_REDISCLOSURE_NOTICE,
        "query": request.GET.urlencode(),
    }
    return user, client, form, context


def _back_to_screen(client: Client, request: HttpRequest) -> HttpResponse:
    """A print or export with a bad range goes back to the page that says what is wrong."""
    return redirect(f"{reverse('notes:case_file', args=[client.pk])}?{request.GET.urlencode()}")


@require_http_methods(["GET"])
def case_file(request: HttpRequest, client_pk: int) -> HttpResponse:
    user, client, _form, context = _case_file_context(request, client_pk)
    access_log_record(actor=user, client_id=client.pk, action=AccessAction.VIEW, request=request)
    return render(request, "notes/casefile.html", context)


@require_http_methods(["GET"])
def case_file_print(request: HttpRequest, client_pk: int) -> HttpResponse:
    user, client, form, context = _case_file_context(request, client_pk)
    if form.is_bound and not form.is_valid():
        return _back_to_screen(client, request)
    access_log_record(actor=user, client_id=client.pk, action=AccessAction.PRINT, request=request)
    return render(request, "notes/casefile_print.html", context)


def pdf_file_name(client: Client, day: dt.date) -> str:
    """case-file-<record number>-<date>.pdf, safe in a Content-Disposition header."""
    record = re.sub(r"[^A-Za-z0-9._-]+", "-", client.record_number).strip("-") or str(client.pk)
    return f"case-file-{record}-{day.isoformat()}.pdf"


@require_http_methods(["GET"])
def case_file_pdf(request: HttpRequest, client_pk: int) -> HttpResponse:
    user, client, form, context = _case_file_context(request, client_pk)
    if form.is_bound and not form.is_valid():
        return _back_to_screen(client, request)
    html = render_to_string("notes/casefile_print.html", {**context, "pdf": True}, request)
    pdf = html_to_pdf(html, base_url=request.build_absolute_uri("/"), stylesheets=(CASE_FILE_CSS,))
    access_log_record(actor=user, client_id=client.pk, action=AccessAction.EXPORT, request=request)
    response = HttpResponse(pdf, content_type="application/pdf")
    name = pdf_file_name(client, timezone.localdate())
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


urlpatterns = [
    path("clients/<int:client_pk>/timeline/", timeline, name="timeline"),
    path("notes/search/", search, name="search"),
    path("clients/<int:client_pk>/file/", case_file, name="case_file"),
    path("clients/<int:client_pk>/file/print/", case_file_print, name="case_file_print"),
    path("clients/<int:client_pk>/file/pdf/", case_file_pdf, name="case_file_pdf"),
]
