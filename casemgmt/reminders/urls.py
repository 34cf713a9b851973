from django.urls import path

from . import views

app_name = "reminders"

urlpatterns = [
    path("notifications/", views.centre, name="centre"),
    path("notifications/read/", views.read_all, name="read_all"),
    path("notifications/<int:pk>/read/", views.read, name="read"),
    path("notifications/reminders/<int:pk>/done/", views.done, name="done"),
    path("notifications/reminders/<int:pk>/snooze/", views.snooze, name="snooze"),
    path("notifications/settings/", views.preferences, name="preferences"),
    path("calendar/", views.calendar_page, name="calendar"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
]
