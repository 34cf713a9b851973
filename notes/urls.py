from . import casefile_views, views

app_name = "notes"

urlpatterns = [*views.urlpatterns, *casefile_views.urlpatterns]
