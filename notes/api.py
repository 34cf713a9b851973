"""/api/v1/notes/: case notes under the same access policy as the pages — list, read (with
addenda and, for a draft, the quality hints), start a draft, save it (PATCH), discard it,
sign it, add an addendum, co-sign.

Teammates read signed notes; a draft is seen only by its author. A signed note never
changes: PUT, PATCH and DELETE on it answer 409 and the row stays as it was (the database
refuses the change as well)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, MethodNotAllowed, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from careplans.models import Goal
from casemgmt.accounts import policy
from casemgmt.accounts.models import Agency
from casemgmt.api import ClientRecordViewSet, service_errors
from clients.models import Client, Collateral
from referrals.models import Referral

from . import services
from .hints import note_hints
from .models import (
    SECTION_FIELDS,
    Addendum,
    AddendumKind,
    CaseNote,
    ContactType,
    CosignStatus,
    NoteStatus,
)
from .permissions import can_edit_draft, can_write_notes
from .selectors import notes_visible_to

# --- Errors ---------------------------------------------------------------------------------


class NoteSigned(APIException):
    """409: the note is signed, so it can never change; a correction is an addendum."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = gettext_lazy("This note is signed and can no longer change; add an addendum.")
    default_code = "signed"


def _signed(note: CaseNote) -> NoteSigned:
    assert note.signed_at is not None  # noqa: S101 - a signed note has its time (constraint)
    when = timezone.localtime(note.signed_at).strftime("%Y-%m-%d %H:%M")
    return NoteSigned(
        _("This note was signed on %(when)s and can no longer change; add an addendum.")
        % {"when": when}
    )


@contextmanager
def _draft_service_errors() -> Iterator[None]:
    """`service_errors` for a service that changes a draft: a note signed meanwhile is 409."""
    with service_errors():
        try:
            yield
        except services.SignedNoteError as error:
            raise NoteSigned(error.messages[0]) from error


# --- Reading --------------------------------------------------------------------------------


class AddendumSerializer(serializers.ModelSerializer[Addendum]):
    author_name = serializers.CharField(source="author.full_name", read_only=True)

    class Meta:
        model = Addendum
        fields = ("id", "kind", "reason", "text", "author", "author_name", "signed_at")
        read_only_fields = fields


class HintSerializer(serializers.Serializer[Any]):
    kind = serializers.CharField(
        help_text="person_first, judgmental, impression_in_facts or missing."
    )
    section = serializers.CharField(help_text="The note section the hint is about.")
    wording = serializers.CharField(help_text="The wording found (empty for a missing section).")
    suggestion = serializers.CharField()
    message = serializers.CharField(help_text="The advice in a sentence, as the page shows it.")


class NoteSerializer(serializers.ModelSerializer[CaseNote]):
    """A note as written: when, how, where, with whom, the sections, what it worked on, and
    its signature, co-signature and addenda."""

    author_name = serializers.CharField(source="author.full_name", read_only=True)
    goals: serializers.PrimaryKeyRelatedField[Goal] = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True
    )
    referrals: serializers.PrimaryKeyRelatedField[Referral] = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True
    )
    collaterals: serializers.PrimaryKeyRelatedField[Collateral] = (
        serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    )
    addenda = AddendumSerializer(many=True, read_only=True)

    class Meta:
        model = CaseNote
        fields: tuple[str, ...] = (
            "id",
            "client",
            "author",
            "author_name",
            "status",
            *services.DRAFT_FIELDS,
            "goals",
            "referrals",
            "collaterals",
            "created_at",
            "updated_at",
            "signed_at",
            "signed_by",
            "late_entry",
            "cosign_status",
            "cosigned_by",
            "cosigned_at",
            "cosign_comment",
            "addenda",
        )
        read_only_fields = fields


class NoteDetailSerializer(NoteSerializer):
    hints = serializers.SerializerMethodField(
        help_text="Documentation-quality advice for a draft (never blocks signing); empty "
        "for a signed note."
    )

    class Meta(NoteSerializer.Meta):
        fields = (*NoteSerializer.Meta.fields, "hints")
        read_only_fields = fields

    @extend_schema_field(HintSerializer(many=True))
    def get_hints(self, note: CaseNote) -> list[dict[str, str]]:
        if note.is_signed:
            return []
        agency = Agency.for_team(note.client.team_id)
        sections = {name: getattr(note, name) for name in SECTION_FIELDS}
        return [
            {
                "kind": hint.kind,
                "section": hint.section,
                "wording": hint.wording,
                "suggestion": hint.suggestion,
                "message": hint.message,
            }
            for hint in note_hints(agency, sections)
        ]


class NoteFilterSerializer(serializers.Serializer[Any]):
    """The list's query parameters."""

    client = serializers.IntegerField(
        required=False, min_value=1, help_text="Only this client's notes."
    )
    status = serializers.ChoiceField(
        choices=NoteStatus.choices, required=False, help_text="draft or signed."
    )
    contact_type = serializers.ChoiceField(choices=ContactType.choices, required=False)
    cosign_status = serializers.ChoiceField(
        choices=[c for c in CosignStatus.choices if c[0]],
        required=False,
        help_text="pending lists the notes waiting for a co-signature.",
    )
    date_from = serializers.DateField(
        required=False, help_text="Contacts on or after this day (the agency's time zone)."
    )
    date_to = serializers.DateField(
        required=False, help_text="Contacts on or before this day (the agency's time zone)."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start, end = attrs.get("date_from"), attrs.get("date_to")
        if start and end and start > end:
            raise serializers.ValidationError({"date_to": _("The range ends before it starts.")})
        return attrs


# --- Writing --------------------------------------------------------------------------------


class _VisibleIdsField(serializers.PrimaryKeyRelatedField[Any]):
    """An id of a row the caller may see; any other id reads as "does not exist". That the
    row belongs to the note's client is the service's check."""

    def scoped(self, user: policy.AnyUser) -> QuerySet[Any]:
        raise TypeError(f"{type(self).__name__} names no queryset")

    def get_queryset(self) -> QuerySet[Any]:
        request = self.context.get("request")
        if request is None:
            return self.scoped(AnonymousUser())
        return self.scoped(request.user)


@extend_schema_field(OpenApiTypes.INT)
class VisibleClientField(_VisibleIdsField):
    def scoped(self, user: policy.AnyUser) -> QuerySet[Any]:
        return Client.objects.visible_to(user)


@extend_schema_field(OpenApiTypes.INT)
class VisibleGoalField(_VisibleIdsField):
    def scoped(self, user: policy.AnyUser) -> QuerySet[Any]:
        return Goal.objects.filter(plan__client__in=Client.objects.visible_to(user))


@extend_schema_field(OpenApiTypes.INT)
class VisibleReferralField(_VisibleIdsField):
    def scoped(self, user: policy.AnyUser) -> QuerySet[Any]:
        return Referral.objects.visible_to(user)


@extend_schema_field(OpenApiTypes.INT)
class VisibleCollateralField(_VisibleIdsField):
    def scoped(self, user: policy.AnyUser) -> QuerySet[Any]:
        return Collateral.objects.visible_to(user)


LINK_FIELDS = ("goals", "referrals", "collaterals")


class NoteDraftSerializer(serializers.ModelSerializer[CaseNote]):
    """What a draft's author may write. Every field is optional: a draft may be incomplete
    (the rules are checked when it is signed). A list of links replaces the one saved."""

    goals = VisibleGoalField(
        many=True, required=False, help_text="Plan goals of this client worked on."
    )
    referrals = VisibleReferralField(
        many=True, required=False, help_text="Referrals of this client worked on."
    )
    collaterals = VisibleCollateralField(
        many=True,
        required=False,
        help_text="Collaterals of this client present or spoken with (each needs an active "
        "release of information naming them when the note is signed).",
    )

    class Meta:
        model = CaseNote
        fields: tuple[str, ...] = (*services.DRAFT_FIELDS, *LINK_FIELDS)
        extra_kwargs = {name: {"required": False} for name in services.DRAFT_FIELDS}


class NoteCreateSerializer(NoteDraftSerializer):
    """A new draft: the client it is about, and whatever has been written so far."""

    client = VisibleClientField(help_text="The client the note is about.")

    class Meta(NoteDraftSerializer.Meta):
        fields = ("client", *NoteDraftSerializer.Meta.fields)


class AddendumCreateSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=AddendumKind.choices)
    reason = serializers.CharField(max_length=300, help_text="Why the addendum is needed.")
    text = serializers.CharField()


class CosignSerializer(serializers.Serializer[Any]):
    approve = serializers.BooleanField(
        help_text="true co-signs; false returns the note to its author with the comment."
    )
    comment = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="Required when returning: what the author should add or correct.",
    )


def _links(data: dict[str, Any]) -> dict[str, Any]:
    """Pop the link lists out of validated data; a list not sent stays as it is (None)."""
    return {name: data.pop(name, None) for name in LINK_FIELDS}


# --- The viewset ----------------------------------------------------------------------------

SIGNED_409 = OpenApiResponse(description="The note is signed: it never changes; add an addendum.")
NOT_FOUND = OpenApiResponse(
    description="No such note in the caller's scope (someone else's draft included)."
)
DENIED = OpenApiResponse(description="The caller may read the note but not do this.")


@extend_schema_view(
    list=extend_schema(
        summary="Case notes the caller may read",
        description="Signed notes of the clients in the caller's scope and the caller's own "
        "drafts, newest contact first.",
        parameters=[NoteFilterSerializer],
    ),
    retrieve=extend_schema(
        summary="One case note with its addenda (and, for a draft, the quality hints)",
        responses={200: NoteDetailSerializer, 404: NOT_FOUND},
    ),
    update=extend_schema(exclude=True),
)
class NoteViewSet(mixins.ListModelMixin, ClientRecordViewSet):
    serializer_class = NoteSerializer
    queryset = CaseNote.objects.none()

    def get_serializer_class(self) -> type[serializers.BaseSerializer[Any]]:
        if self.action == "list":
            return NoteSerializer
        return NoteDetailSerializer

    def get_queryset(self) -> QuerySet[CaseNote]:
        notes = (
            notes_visible_to(self.request.user)
            .select_related("client", "author")
            .prefetch_related(
                "goals",
                "referrals",
                "collaterals",
                Prefetch("addenda", queryset=Addendum.objects.select_related("author")),
            )
            .order_by("-contact_at", "-pk")
        )
        if self.action == "list":
            notes = self._filtered(notes)
        return notes

    def _filtered(self, notes: QuerySet[CaseNote]) -> QuerySet[CaseNote]:
        incoming = NoteFilterSerializer(data=self.request.query_params)
        incoming.is_valid(raise_exception=True)
        wanted = incoming.validated_data
        if "client" in wanted:
            notes = notes.filter(client_id=wanted["client"])
        for name in ("status", "contact_type", "cosign_status"):
            if name in wanted:
                notes = notes.filter(**{name: wanted[name]})
        if "date_from" in wanted:
            notes = notes.filter(contact_at__date__gte=wanted["date_from"])
        if "date_to" in wanted:
            notes = notes.filter(contact_at__date__lte=wanted["date_to"])
        return notes

    def _reply(self, note: CaseNote, code: int = status.HTTP_200_OK) -> Response:
        """The note as it now is, read back with its links and addenda."""
        fresh = self.get_queryset().get(pk=note.pk)
        return Response(
            NoteDetailSerializer(fresh, context=self.get_serializer_context()).data, code
        )

    @extend_schema(
        summary="Start a draft note",
        description="Only the client's assigned case manager or the team's supervisor writes "
        "notes (403 for a teammate who reads the record). Fields left out take the usual "
        "defaults (the contact now, the agency's note format); goals, referrals and "
        "collaterals must belong to the client (400).",
        request=NoteCreateSerializer,
        responses={
            201: NoteDetailSerializer,
            400: OpenApiResponse(description="Field errors."),
            403: DENIED,
        },
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        incoming = NoteCreateSerializer(data=request.data, context=self.get_serializer_context())
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        client: Client = data.pop("client")
        links = _links(data)
        actor = policy.signed_in(request.user)
        if not can_write_notes(actor, client):
            raise PermissionDenied(
                _("You can read this client's record but not write notes on it.")
            )
        with service_errors():
            note = services.note_draft_create(actor=actor, client=client, data=data, **links)
        return self._reply(note, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Save a draft (send only what changed)",
        description="Autosave: the draft may stay incomplete. A signed note answers 409.",
        request=NoteDraftSerializer,
        responses={
            200: NoteDetailSerializer,
            400: OpenApiResponse(description="Field errors."),
            403: DENIED,
            404: NOT_FOUND,
            409: SIGNED_409,
        },
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        note = self.get_object()
        if note.is_signed:
            raise _signed(note)
        actor = policy.signed_in(request.user)
        if not can_edit_draft(actor, note):
            raise PermissionDenied(_("Only the author can change a draft note."))
        incoming = NoteDraftSerializer(
            data=request.data, partial=True, context=self.get_serializer_context()
        )
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        links = _links(data)
        with _draft_service_errors():
            services.note_draft_update(actor=actor, note=note, data=data, **links)
        return self._reply(note)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """PUT: a signed note answers 409 like any change; a draft is saved with PATCH."""
        note = self.get_object()
        if note.is_signed:
            raise _signed(note)
        raise MethodNotAllowed(
            "PUT", detail=_("Save a draft with PATCH, sending the fields that change.")
        )

    @extend_schema(
        summary="Discard a draft",
        description="Only the author discards their draft. A signed note is kept forever (409).",
        responses={204: None, 403: DENIED, 404: NOT_FOUND, 409: SIGNED_409},
    )
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        note = self.get_object()
        if note.is_signed:
            raise _signed(note)
        actor = policy.signed_in(request.user)
        with _draft_service_errors():
            services.note_draft_discard(actor=actor, note=note)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Sign a draft",
        description="Signing locks the note. 400 names each field that stops it (a purpose, "
        "what happened, a next step, a collateral without an active release …). Signed "
        "after the agency's deadline it is marked late entry; it waits for a supervisor's "
        "co-signature where the agency or the author's settings ask for one.",
        request=None,
        responses={
            200: NoteDetailSerializer,
            400: OpenApiResponse(description="What stops the note being signed, by field."),
            403: DENIED,
            404: NOT_FOUND,
            409: SIGNED_409,
        },
    )
    @action(detail=True, methods=["post"])
    def sign(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        note = self.get_object()
        if note.is_signed:
            raise _signed(note)
        actor = policy.signed_in(request.user)
        if not can_edit_draft(actor, note):
            raise PermissionDenied(_("Only the author signs a note."))
        with _draft_service_errors():
            services.note_sign(actor=actor, note=note)
        return self._reply(note)

    @extend_schema(
        summary="Add an addendum to a signed note",
        description="A correction, late entry, clarification or answer to the supervisor, "
        "with its reason; signed as it is written and never changed. The author adds to "
        "their note, a supervisor of the team to any. A draft is changed instead (400).",
        request=AddendumCreateSerializer,
        responses={
            201: AddendumSerializer,
            400: OpenApiResponse(description="Field errors, or the note is still a draft."),
            403: DENIED,
            404: NOT_FOUND,
        },
    )
    @action(detail=True, methods=["post"], url_path="addenda")
    def addenda(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        note = self.get_object()
        incoming = AddendumCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        actor = policy.signed_in(request.user)
        with service_errors():
            addendum = services.addendum_add(actor=actor, note=note, **incoming.validated_data)
        return Response(AddendumSerializer(addendum).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Co-sign a note, or return it with a comment",
        description="A supervisor of the client's team, never the author, answers a note "
        "waiting for co-signature (400 when it is not waiting). Returning needs a comment; "
        "the author answers with an addendum, which sends it back for co-signature.",
        request=CosignSerializer,
        responses={
            200: NoteDetailSerializer,
            400: OpenApiResponse(description="Not waiting, or no comment with a return."),
            403: DENIED,
            404: NOT_FOUND,
        },
    )
    @action(detail=True, methods=["post"])
    def cosign(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        note = self.get_object()
        incoming = CosignSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        actor = policy.signed_in(request.user)
        with service_errors():
            services.note_cosign(
                actor=actor,
                note=note,
                approve=incoming.validated_data["approve"],
                comment=incoming.validated_data["comment"],
            )
        return self._reply(note)


def register(router: BaseRouter) -> None:
    """Add this module's viewsets to the API router."""
    router.register("notes", NoteViewSet, basename="note")
