"""The app's URLs plus a bare view, so a page's time can be read against Django's own cost."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import include, path


@login_required
def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


urlpatterns = [
    path("__bare__/", bare),
    path("", include("casemgmt.urls")),
]
