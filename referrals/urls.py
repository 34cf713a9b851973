from .views import directory, imports, provider, referrals

app_name = "referrals"

urlpatterns = [
    *directory.urlpatterns,
    *imports.urlpatterns,
    *referrals.urlpatterns,
    *provider.urlpatterns,
]
