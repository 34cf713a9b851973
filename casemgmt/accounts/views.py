"""The user's own account pages beyond Django's auth views: the API token."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from rest_framework.authtoken.models import Token

from . import policy, services


@require_http_methods(["GET", "POST"])
def api_token(request: HttpRequest) -> HttpResponse:
    """Show whether the user holds an API token; create a new one or revoke it."""
    user = policy.signed_in(request.user)
    new_key = None
    if request.method == "POST":
        if request.POST.get("action") == "revoke":
            services.api_token_revoke(user=user)
            messages.success(request, _("Your API token is revoked."))
            return redirect("accounts:api_token")
        new_key = services.api_token_issue(user=user)
    return render(
        request,
        "accounts/api_token.html",
        {
            "has_token": Token.objects.filter(user=user).exists(),
            "new_key": new_key,
        },
    )
