from rest_framework.routers import DefaultRouter

from clients.api import ClientViewSet

router = DefaultRouter()
router.include_root_view = False
router.register("clients", ClientViewSet, basename="client")

urlpatterns = router.urls
