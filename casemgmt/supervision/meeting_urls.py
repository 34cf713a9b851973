"""Routes of the staffing meetings and the tasks they decide."""

from django.urls import URLPattern, path

from . import meeting_views as views

_one = "meetings/<int:pk>/"
urlpatterns: list[URLPattern] = [
    path("meetings/", views.meeting_list, name="meetings"),
    path("meetings/new/", views.meeting_create, name="meeting_create"),
    path(_one, views.meeting_detail, name="meeting_detail"),
    path(_one + "record/", views.meeting_record, name="meeting_record"),
    path(_one + "items/", views.item_add, name="meeting_item_add"),
    path(_one + "items/<int:item_pk>/remove/", views.item_remove, name="meeting_item_remove"),
    path(_one + "items/<int:item_pk>/move/", views.item_move, name="meeting_item_move"),
    path(_one + "items/<int:item_pk>/minutes/", views.item_minutes, name="meeting_item_minutes"),
    path(
        _one + "items/<int:item_pk>/decisions/",
        views.decision_add,
        name="meeting_decision_add",
    ),
    path(
        _one + "decisions/<int:decision_pk>/remove/",
        views.decision_remove,
        name="meeting_decision_remove",
    ),
    path("tasks/<int:pk>/", views.task, name="task"),
    path("tasks/<int:pk>/done/", views.task_done, name="task_done"),
]
