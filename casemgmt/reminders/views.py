"""The notification centre, notification settings, and the calendar feed and its address."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
    require_safe,
)

from casemgmt.accounts import policy
from casemgmt.forms import add_service_error

from . import calendar, rules, selectors, services
from .forms import SNOOZE_CHOICES, PreferenceForm

PAGE_SIZE = 25


def _back(request: HttpRequest) -> HttpResponse:
    """Where a no-JavaScript form returns: the page it came from (same site only)."""
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("reminders:centre")


def _centre_context(request: HttpRequest, page_number: str | None) -> dict[str, object]:
    user = policy.clinician_or_404(request.user)
    today = rules.local_today()
    page = Paginator(selectors.notifications_for(user), PAGE_SIZE).get_page(page_number)
    here = reverse("reminders:centre")
    if page.number > 1:
        here += f"?page={page.number}"
    return {
        "page": page,
        "entries": selectors.notification_entries(page.object_list, today=today),
        "unread": selectors.unread_count(user, today=today),
        "snooze_choices": SNOOZE_CHOICES,
        "here": here,
    }


def _home_work(request: HttpRequest) -> HttpResponse:
    """My work today redrawn after an action on the home page, and the navbar count."""
    user = policy.clinician_or_404(request.user)
    return render(
        request,
        "home.html#my_work",
        {
            "work": selectors.my_work(user),
            "unread": selectors.unread_count(user),
            "oob": True,
            "snooze_choices": SNOOZE_CHOICES,
        },
    )


def _after_action(request: HttpRequest) -> HttpResponse:
    """An htmx action redraws the list it came from; a plain form goes back."""
    if request.htmx:  # type: ignore[attr-defined]
        if request.POST.get("from") == "home":
            return _home_work(request)
        context = _centre_context(request, request.POST.get("page"))
        context["oob"] = True
        return render(request, "reminders/centre.html#list", context)
    return _back(request)


@require_GET
def centre(request: HttpRequest) -> HttpResponse:
    """The user's in-app notifications, newest first; unread ones stand out."""
    return render(
        request, "reminders/centre.html", _centre_context(request, request.GET.get("page"))
    )


@require_POST
def read(request: HttpRequest, pk: int) -> HttpResponse:
    user = policy.clinician_or_404(request.user)
    services.notification_mark_read(actor=user, notification=selectors.notification_for(user, pk))
    return _after_action(request)


@require_POST
def read_all(request: HttpRequest) -> HttpResponse:
    user = policy.clinician_or_404(request.user)
    count = services.notifications_mark_all_read(actor=user)
    if not request.htmx:  # type: ignore[attr-defined]
        messages.success(
            request,
            ngettext(
                "%(n)d notification marked as read.", "%(n)d notifications marked as read.", count
            )
            % {"n": count},
        )
    return _after_action(request)


@require_POST
def done(request: HttpRequest, pk: int) -> HttpResponse:
    """Tick an item off by hand: it leaves My work today and the unread count."""
    user = policy.clinician_or_404(request.user)
    services.reminder_mark_done(actor=user, reminder=selectors.reminder_for(user, pk))
    if not request.htmx:  # type: ignore[attr-defined]
        messages.success(request, _("Marked as done."))
    return _after_action(request)


@require_POST
def snooze(request: HttpRequest, pk: int) -> HttpResponse:
    """Hide an item for 1 day, 3 days or a week; it comes back then if still due."""
    user = policy.clinician_or_404(request.user)
    reminder = selectors.reminder_for(user, pk)
    try:
        days = int(request.POST.get("days", ""))
        reminder = services.reminder_snooze(actor=user, reminder=reminder, days=days)
    except (ValueError, ValidationError):
        messages.error(request, _("Choose how long to snooze: 1 day, 3 days or 1 week."))
        if request.htmx:  # type: ignore[attr-defined]
            # The list stays as it was; the message shows on the next page load.
            return HttpResponse(status=204)
        return _back(request)
    if not request.htmx and reminder.snoozed_until:  # type: ignore[attr-defined]
        day = date_format(reminder.snoozed_until)
        messages.success(request, _("Snoozed until %(day)s.") % {"day": day})
    return _after_action(request)


@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    """Daily digest on or off, its hour, and whether urgent items are e-mailed at once."""
    user = policy.clinician_or_404(request.user)
    current = selectors.preference_for(user)
    form = PreferenceForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        try:
            services.preference_update(actor=user, **form.cleaned_data)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("Your notification settings are saved."))
            return redirect("reminders:preferences")
    return render(request, "reminders/preferences.html", {"form": form})


@require_http_methods(["GET", "POST"])
def calendar_page(request: HttpRequest) -> HttpResponse:
    """Create, replace or revoke the secret address of the user's calendar feed."""
    user = policy.clinician_or_404(request.user)
    new_url = None
    if request.method == "POST":
        if request.POST.get("action") == "revoke":
            services.calendar_feed_revoke(actor=user)
            messages.success(request, _("Your calendar feed address is revoked."))
            return redirect("reminders:calendar")
        token = services.calendar_feed_issue(actor=user)
        new_url = request.build_absolute_uri(
            reverse("reminders:calendar_feed", kwargs={"token": token})
        )
    return render(
        request,
        "reminders/calendar.html",
        {"feed": selectors.live_feed(user), "new_url": new_url},
    )


@login_not_required
@require_safe
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The feed itself: the secret in the address is the only credential."""
    feed = selectors.feed_for_token(token)
    if feed is None or not feed.user.has_clinical_role:
        raise Http404
    user = feed.user
    items = selectors.calendar_items(user)
    services.calendar_feed_used(feed=feed)
    body = calendar.feed(
        items,
        absolute=request.build_absolute_uri,
        name=_("Casework: due dates of %(name)s") % {"name": user.get_short_name()},
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="casework.ics"'
    # The address is a credential: keep it out of shared caches.
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response
