from rest_framework.routers import DefaultRouter

from careplans.api.assessments import AssessmentViewSet
from careplans.api.measures import MeasureViewSet
from careplans.api.plans import PlanViewSet
from clients.api import ClientViewSet

router = DefaultRouter()
router.include_root_view = False
router.register("clients", ClientViewSet, basename="client")
router.register("assessments", AssessmentViewSet, basename="assessment")
router.register("measures", MeasureViewSet, basename="measure")
router.register("plans", PlanViewSet, basename="plan")

urlpatterns = router.urls
