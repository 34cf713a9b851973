from .views import assessments, measures, plans

app_name = "careplans"

urlpatterns = [
    *assessments.urlpatterns,
    *measures.urlpatterns,
    *plans.urlpatterns,
]
