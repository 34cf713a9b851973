"""/api/v1/approvals/: the supervisor's approvals queue — service plans awaiting approval,
consent exceptions awaiting review, case notes awaiting co-signature — and the decision on
each item, under the same rules as the page.

Anything outside the teams the caller supervises is a 404. A refusal by the item's own
service answers as the rest of the API does: 403 when the caller may not decide (their own
work), 400 with field errors when the input or the item's state does not allow it."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from casemgmt.accounts import policy
from casemgmt.api import ScopedGenericViewSet, service_errors

from . import approvals
from .approvals import ApprovalItem, ApprovalKind, Decision


class ApprovalItemSerializer(serializers.Serializer[ApprovalItem]):
    kind = serializers.ChoiceField(
        choices=ApprovalKind.choices, help_text="plan, exception or note."
    )
    id = serializers.IntegerField(source="pk", help_text="The plan, referral or note id.")
    client = serializers.IntegerField(source="client.pk", help_text="The client's id.")
    record_number = serializers.CharField(source="client.record_number")
    summary = serializers.CharField()
    submitted_by = serializers.SerializerMethodField(help_text="Who is waiting: their name.")
    submitted_by_id = serializers.SerializerMethodField()
    submitted_at = serializers.DateTimeField()
    url = serializers.SerializerMethodField(help_text="The full item on the web pages.")
    can_decide = serializers.BooleanField(
        help_text="False for the caller's own work: another supervisor must decide."
    )
    refusal = serializers.CharField(help_text="Why the caller may not decide, when they may not.")

    def get_submitted_by(self, item: ApprovalItem) -> str:
        return str(item.submitted_by) if item.submitted_by is not None else ""

    def get_submitted_by_id(self, item: ApprovalItem) -> int | None:
        return item.submitted_by.pk if item.submitted_by is not None else None

    def get_url(self, item: ApprovalItem) -> str:
        request = self.context.get("request")
        return request.build_absolute_uri(item.url) if request is not None else item.url


class ApproveSerializer(serializers.Serializer[Any]):
    comment = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="Optional for a plan or a note; the outcome of the review for an exception.",
    )


class ReturnSerializer(serializers.Serializer[Any]):
    comment = serializers.CharField(help_text="What needs to change (required).")


class DecisionResultSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=ApprovalKind.choices)
    id = serializers.IntegerField()
    client = serializers.IntegerField()
    state = serializers.CharField(
        help_text="A plan's status, a note's co-signature status, or upheld / not_upheld "
        "for a consent exception."
    )
    state_label = serializers.CharField()


ITEM_PARAMETERS = [
    OpenApiParameter(
        "kind",
        OpenApiTypes.STR,
        OpenApiParameter.PATH,
        enum=ApprovalKind.values,
        description="plan, exception or note",
    ),
    OpenApiParameter(
        "item_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The item's id"
    ),
]
ITEM_PATH = r"(?P<kind>plan|exception|note)/(?P<item_id>[0-9]+)"
NOT_FOUND = OpenApiResponse(description="No such item in a team the caller supervises.")
DENIED = OpenApiResponse(description="The caller's own work: another supervisor decides.")
INVALID = OpenApiResponse(
    description="Field errors (a return without a comment), or the item is no longer waiting."
)


class ApprovalViewSet(ScopedGenericViewSet):
    serializer_class = ApprovalItemSerializer

    @extend_schema(
        summary="Everything waiting for a supervisor of the caller's teams",
        description="Service plans awaiting approval, consent exceptions awaiting review and "
        "case notes awaiting co-signature, oldest first. The caller's own work is listed "
        "with can_decide false. Empty for anyone who supervises no team.",
        parameters=[
            OpenApiParameter(
                "kind", OpenApiTypes.STR, enum=ApprovalKind.values, description="Only this kind"
            )
        ],
        responses={200: ApprovalItemSerializer(many=True)},
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = policy.signed_in(request.user)
        kind = request.query_params.get("kind", "")
        if kind and kind not in ApprovalKind.values:
            raise ValidationError({"kind": _("Choose plan, exception or note.")})
        queue = approvals.approval_queue(user, kind=kind)
        page = self.paginate_queryset(queue.items)
        serializer = self.get_serializer(page if page is not None else queue.items, many=True)
        if page is not None:
            return self.get_paginated_response(serializer.data)
        return Response(serializer.data)

    def _decide(self, request: Request, kind: str, item_id: str, decision: Decision) -> Response:
        user = policy.signed_in(request.user)
        target = approvals.approval_target(user, kind, int(item_id))
        incoming_class = ApproveSerializer if decision == Decision.APPROVE else ReturnSerializer
        incoming = incoming_class(data=request.data)
        incoming.is_valid(raise_exception=True)
        with service_errors():
            decided = approvals.approval_decide(
                actor=user,
                kind=kind,
                target=target,
                decision=decision,
                comment=incoming.validated_data["comment"],
            )
        state, label = approvals.decided_state(kind, decided, decision)
        result = {
            "kind": kind,
            "id": decided.pk,
            "client": decided.client_id,
            "state": state,
            "state_label": label,
        }
        return Response(DecisionResultSerializer(result).data)

    @extend_schema(
        summary="Approve an item",
        description="Approves a plan (it becomes active), upholds a consent exception (the "
        "comment is the outcome of the review, required), or co-signs a note.",
        parameters=ITEM_PARAMETERS,
        request=ApproveSerializer,
        responses={200: DecisionResultSerializer, 400: INVALID, 403: DENIED, 404: NOT_FOUND},
    )
    @action(detail=False, methods=["post"], url_path=f"{ITEM_PATH}/approve")
    def approve(self, request: Request, kind: str, item_id: str) -> Response:
        return self._decide(request, kind, item_id, Decision.APPROVE)

    @extend_schema(
        summary="Return an item with a comment",
        description="Returns a plan to its case manager, does not uphold a consent exception "
        "(the provider's links are revoked and the referral cancelled), or returns a note to "
        "its author for an addendum. The comment is required.",
        parameters=ITEM_PARAMETERS,
        request=ReturnSerializer,
        responses={200: DecisionResultSerializer, 400: INVALID, 403: DENIED, 404: NOT_FOUND},
    )
    @action(detail=False, methods=["post"], url_path=f"{ITEM_PATH}/return")
    def return_item(self, request: Request, kind: str, item_id: str) -> Response:
        return self._decide(request, kind, item_id, Decision.RETURN)


def register(router: BaseRouter) -> None:
    """Add the approvals queue to the API router."""
    router.register("approvals", ApprovalViewSet, basename="approval")
