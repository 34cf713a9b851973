from rest_framework.routers import DefaultRouter

from careplans.api.assessments import AssessmentViewSet
from careplans.api.measures import MeasureViewSet
from careplans.api.plans import PlanViewSet
from casemgmt.supervision.approval_api import register as register_approvals
from casemgmt.supervision.dashboard_api import urlpatterns as dashboard_urlpatterns
from clients.api import ClientViewSet
from clients.collateral_api import register as register_collaterals
from clients.crisis_api import register as register_crisis_events
from clients.release_api import register as register_releases
from notes.api import register as register_notes
from referrals.api.directory import register as register_directory
from referrals.api.referrals import register as register_referrals

router = DefaultRouter()
router.include_root_view = False
router.register("clients", ClientViewSet, basename="client")
router.register("assessments", AssessmentViewSet, basename="assessment")
router.register("measures", MeasureViewSet, basename="measure")
router.register("plans", PlanViewSet, basename="plan")
register_releases(router)
register_collaterals(router)
register_crisis_events(router)
register_directory(router)
register_referrals(router)
register_notes(router)
register_approvals(router)

urlpatterns = [*router.urls, *dashboard_urlpatterns]
