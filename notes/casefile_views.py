"""The case file, the client timeline and note search."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
