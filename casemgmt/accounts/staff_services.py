"""Writes about staff and teams: add a person (they choose their own password from an e-mailed
link), change their roles and teams, deactivate and reactivate them; create and change teams.

Administrators only. Nothing is deleted: a deactivated person keeps their name on everything
they wrote. Every change leaves a row in the person's or team's history and a line in the
log, as the agency settings do."""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Collection, Iterable, Mapping
from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from casemgmt.audit.history import save_with_history

from . import selectors
from .models import Agency, Role, Team, User
from .services import api_token_revoke, user_end_sessions

logger = logging.getLogger(__name__)

#: The fields of a person an administrator edits, besides roles and teams.
STAFF_FIELDS = ("email", "full_name", "time_zone", "notes_need_cosign")


def can_manage_staff(user: User) -> bool:
    """Active administrators (and Django superusers, in the configuration admin) add, change
    and deactivate staff and teams."""
    return user.is_active and (user.is_agency_admin or user.is_superuser)


def _require_manager(actor: User) -> None:
    if not can_manage_staff(actor):
        raise PermissionDenied(_("Only an administrator can change staff and teams."))


class CaseloadNotEmpty(ValidationError):
    """Refused because people still hold active clients as primary case manager; the page
    links each of them to the reassignment of their caseload."""

    def __init__(
        self, holders: list[tuple[User, int]], *, field: str = NON_FIELD_ERRORS, team: str = ""
    ) -> None:
        self.holders = holders
        messages = []
        for user, count in holders:
            if team:
                text = ngettext(
                    "%(name)s is the primary case manager of %(count)d active client on "
                    "%(team)s. Reassign that client to another case manager first.",
                    "%(name)s is the primary case manager of %(count)d active clients on "
                    "%(team)s. Reassign those clients to other case managers first.",
                    count,
                )
            else:
                text = ngettext(
                    "%(name)s is the primary case manager of %(count)d active client. "
                    "Reassign that client to another case manager first.",
                    "%(name)s is the primary case manager of %(count)d active clients. "
                    "Reassign those clients to other case managers first.",
                    count,
                )
            messages.append(text % {"name": user, "count": count, "team": team})
        super().__init__({field: messages})


def _email_errors(email: str, *, exclude: User | None = None) -> list[str]:
    taken = User.objects.filter(email__iexact=email)
    if exclude is not None:
        taken = taken.exclude(pk=exclude.pk)
    if taken.exists():
        return [
            _(
                "Someone already has the e-mail address %(email)s (perhaps a deactivated "
                "account: find them in Staff and reactivate them instead)."
            )
            % {"email": email}
        ]
    return []


def _role_flags(roles: Collection[str]) -> dict[str, bool]:
    return {field: role in roles for role, field in selectors.ROLE_FIELDS.items()}


def _team_without_role(
    user: User | None, field: str, data: Mapping[str, Any], *, has_role: bool, role_held: bool
) -> bool:
    """Teams chosen for a role the person will not have: a new team, or a role taken away."""
    teams = list(data.get(field) or ())
    if not teams or has_role:
        return False
    if user is None or role_held:
        return True
    held = set(getattr(user, field).values_list("pk", flat=True))
    return any(team.pk not in held for team in teams)


def _staff_errors(
    *, agency: Agency, data: Mapping[str, Any], user: User | None = None
) -> dict[str, list[str]]:
    """What is wrong with an administrator's entries for a person, field by field."""
    errors: dict[str, list[str]] = {}
    roles = set(data.get("roles") or ())
    if not roles:
        errors["roles"] = [_("Choose at least one role.")]
    email_problems = _email_errors(data["email"], exclude=user)
    if email_problems:
        errors["email"] = email_problems
    own = set(Team.objects.filter(agency=agency).values_list("pk", flat=True))
    for field in ("member_teams", "supervised_teams"):
        if any(team.pk not in own for team in data.get(field) or ()):
            errors.setdefault(field, []).append(_("Choose teams of this agency only."))
    # Membership without the role gives no access; say so rather than save it. A person who
    # already is on a team without the role (an old arrangement) may keep it, so that it does
    # not block other changes; one losing the role now must leave the team too.
    if _team_without_role(
        user,
        "member_teams",
        data,
        has_role=Role.CASE_MANAGER in roles,
        role_held=bool(user and user.is_case_manager),
    ):
        errors.setdefault("member_teams", []).append(
            _("A team's members are its case managers: tick Case manager, or choose no team.")
        )
    if _team_without_role(
        user,
        "supervised_teams",
        data,
        has_role=Role.SUPERVISOR in roles,
        role_held=bool(user and user.is_supervisor),
    ):
        errors.setdefault("supervised_teams", []).append(
            _("Only a supervisor supervises a team: tick Supervisor, or choose no team.")
        )
    return errors


def _log(actor: User, what: str, subject: object, changes: Mapping[str, tuple[Any, Any]]) -> None:
    logger.info(
        "%s %s by %s (id %s)%s",
        what,
        subject,
        actor.email,
        actor.pk,
        (
            ": "
            + ", ".join(
                f"{name}: {before!r} -> {after!r}" for name, (before, after) in changes.items()
            )
            if changes
            else ""
        ),
    )


def _team_names(teams: Iterable[Team]) -> list[str]:
    return sorted(team.name for team in teams)


@transaction.atomic
def staff_create(*, actor: User, agency: Agency, data: Mapping[str, Any]) -> User:
    """An administrator adds a person with their roles and teams. No password is set: the
    person chooses one from the link staff_invite_send e-mails them."""
    _require_manager(actor)
    email = User.objects.normalize_email(data["email"]).strip().lower()
    data = {**data, "email": email}
    errors = _staff_errors(agency=agency, data=data)
    if errors:
        raise ValidationError(errors)
    user = User(
        email=email,
        full_name=data["full_name"].strip(),
        time_zone=data.get("time_zone") or "",
        notes_need_cosign=bool(data.get("notes_need_cosign")),
        **_role_flags(data["roles"]),
    )
    user.set_unusable_password()
    user.full_clean()
    save_with_history(user, actor=actor, reason="Added by an administrator")
    member_teams = list(data.get("member_teams") or ())
    supervised_teams = list(data.get("supervised_teams") or ())
    user.member_teams.add(*member_teams)
    user.supervised_teams.add(*supervised_teams)
    _log(
        actor,
        "Staff member added:",
        f"{user.email} (id {user.pk})",
        {
            "roles": ((), sorted(data["roles"])),
            "member_teams": ((), _team_names(member_teams)),
            "supervised_teams": ((), _team_names(supervised_teams)),
        },
    )
    return user


def _caseload_refusal(
    *, user: User, data: Mapping[str, Any], agency: Agency
) -> CaseloadNotEmpty | None:
    """Taking the case-manager role, a team or the last team from someone who still holds
    active clients (on that team) is refused until they are reassigned."""
    roles = set(data.get("roles") or ())
    if user.is_case_manager and Role.CASE_MANAGER not in roles:
        count = selectors.active_client_count(user)
        if count:
            return CaseloadNotEmpty([(user, count)], field="roles")
    kept = {team.pk for team in data.get("member_teams") or ()}
    current = list(user.member_teams.filter(agency=agency))
    removed = [team for team in current if team.pk not in kept]
    if not removed:
        return None
    by_team = selectors.active_clients_by_team(user, [team.pk for team in removed])
    if by_team:
        names = ", ".join(team.name for team in removed if team.pk in by_team)
        return CaseloadNotEmpty([(user, sum(by_team.values()))], field="member_teams", team=names)
    if not kept and not user.member_teams.exclude(agency=agency).exists():
        count = selectors.active_client_count(user)
        if count:
            return CaseloadNotEmpty([(user, count)], field="member_teams")
    return None


@transaction.atomic
def staff_update(*, actor: User, agency: Agency, user: User, data: Mapping[str, Any]) -> User:
    """An administrator changes a person's details, roles and teams. Nobody removes their own
    administrator role, the agency keeps at least one active administrator, and a caseload is
    reassigned before its case manager loses the role or the team."""
    _require_manager(actor)
    user = User.objects.select_for_update().get(pk=user.pk)
    email = User.objects.normalize_email(data["email"]).strip().lower()
    data = {**data, "email": email}
    errors = _staff_errors(agency=agency, data=data, user=user)
    roles = set(data.get("roles") or ())
    if user.is_agency_admin and Role.ADMIN not in roles:
        if user.pk == actor.pk:
            errors.setdefault("roles", []).append(
                _("You cannot remove your own administrator role; another administrator can.")
            )
        elif user.is_active and selectors.active_admin_count() <= 1:
            errors.setdefault("roles", []).append(
                _("%(name)s is the only active administrator; name another one first.")
                % {"name": user}
            )
    refusal = _caseload_refusal(user=user, data=data, agency=agency)
    if refusal is not None:
        # The caseload comes first: it is what the administrator must go and do.
        for field, messages in errors.items():
            refusal.error_dict.setdefault(field, []).extend(ValidationError(m) for m in messages)
        raise refusal
    if errors:
        raise ValidationError(errors)

    new_values: dict[str, Any] = {
        "email": email,
        "full_name": data["full_name"].strip(),
        "time_zone": data.get("time_zone") or "",
        "notes_need_cosign": bool(data.get("notes_need_cosign")),
        **_role_flags(roles),
    }
    changes: dict[str, tuple[Any, Any]] = {}
    for name, value in new_values.items():
        before = getattr(user, name)
        if before != value:
            changes[name] = (before, value)
            setattr(user, name, value)
    user.full_clean()
    if changes:
        save_with_history(
            user, actor=actor, reason="Changed by an administrator", update_fields=sorted(changes)
        )
    for field in ("member_teams", "supervised_teams"):
        relation = getattr(user, field)
        current = set(relation.filter(agency=agency))
        wanted = set(data.get(field) or ())
        if current != wanted:
            relation.remove(*(current - wanted))
            relation.add(*(wanted - current))
            changes[field] = (_team_names(current), _team_names(wanted))
    if changes:
        _log(actor, "Staff member changed:", f"{user.email} (id {user.pk})", changes)
    return user


def staff_deactivation_check(*, actor: User, user: User) -> None:
    """Why the user cannot be deactivated, as a ValidationError: it is the actor themselves,
    the agency's last active administrator, or someone still holding active clients."""
    if user.pk == actor.pk:
        raise ValidationError(
            _("You cannot deactivate your own account; another administrator can.")
        )
    if user.is_agency_admin and user.is_active and selectors.active_admin_count() <= 1:
        raise ValidationError(
            _("%(name)s is the only active administrator; name another one first.") % {"name": user}
        )
    count = selectors.active_client_count(user)
    if count:
        raise CaseloadNotEmpty([(user, count)])


def staff_access_end(*, user: User) -> None:
    """A deactivated person is signed out everywhere and their API token stops working.
    (Their calendar feed answers only while they are active.)"""
    user_end_sessions(user=user)
    api_token_revoke(user=user)


@transaction.atomic
def staff_deactivate(*, actor: User, user: User) -> User:
    """An administrator ends someone's access: refused while they hold active clients (see
    staff_deactivation_check). Nothing is deleted."""
    _require_manager(actor)
    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.is_active:
        return user
    staff_deactivation_check(actor=actor, user=user)
    user.is_active = False
    user.full_clean()
    save_with_history(user, actor=actor, reason="Deactivated", update_fields=["is_active"])
    staff_access_end(user=user)
    _log(actor, "Staff member deactivated:", f"{user.email} (id {user.pk})", {})
    return user


@transaction.atomic
def staff_reactivate(*, actor: User, user: User) -> User:
    """An administrator gives a deactivated person their access back (with the password they
    had; a new API token and calendar feed are theirs to create)."""
    _require_manager(actor)
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.is_active:
        return user
    user.is_active = True
    user.full_clean()
    save_with_history(user, actor=actor, reason="Reactivated", update_fields=["is_active"])
    _log(actor, "Staff member reactivated:", f"{user.email} (id {user.pk})", {})
    return user


def set_password_link(user: User) -> str:
    """The address where the user chooses a password: Django's password-reset link, which
    works once and for PASSWORD_RESET_TIMEOUT seconds."""
    path = reverse(
        "accounts:password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return settings.SITE_URL.rstrip("/") + path


def staff_invite_send(*, actor: User, user: User, agency: Agency) -> bool:
    """E-mail an active person the link to choose their password; False (and a log entry)
    when the mail server refused, so the administrator can send it again later."""
    _require_manager(actor)
    if not user.is_active:
        raise ValidationError(_("Reactivate %(name)s first.") % {"name": user})
    context = {
        "user": user,
        "agency": agency,
        "link": set_password_link(user),
        "days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400),
        "sign_in": settings.SITE_URL.rstrip("/") + reverse("accounts:login"),
    }
    subject = render_to_string("accounts/staff_invite_subject.txt", context).strip()
    body = render_to_string("accounts/staff_invite_email.txt", context)
    try:
        send_mail(subject, body, None, [user.email])
    except (smtplib.SMTPException, OSError):
        logger.exception("The set-password e-mail to %s (id %s) failed", user.email, user.pk)
        return False
    _log(actor, "Set-password e-mail sent to", f"{user.email} (id {user.pk})", {})
    return True


# --- Teams -------------------------------------------------------------------------------------


def _team_errors(
    *, agency: Agency, data: Mapping[str, Any], team: Team | None = None
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    name = data["name"].strip()
    same_name = Team.objects.filter(agency=agency, name__iexact=name)
    if team is not None:
        same_name = same_name.exclude(pk=team.pk)
    if same_name.exists():
        errors["name"] = [_("The agency already has a team called %(name)s.") % {"name": name}]
    current_members = set(team.members.values_list("pk", flat=True)) if team else set()
    current_supervisors = set(team.supervisors.values_list("pk", flat=True)) if team else set()
    staff = set(selectors.staff_of(agency).values_list("pk", flat=True))
    for user in data.get("members") or ():
        if user.pk in current_members:
            continue
        if user.pk not in staff or not (user.is_active and user.is_case_manager):
            errors.setdefault("members", []).append(
                _("%(name)s is not an active case manager of this agency.") % {"name": user}
            )
    for user in data.get("supervisors") or ():
        if user.pk in current_supervisors:
            continue
        if user.pk not in staff or not (user.is_active and user.is_supervisor):
            errors.setdefault("supervisors", []).append(
                _("%(name)s is not an active supervisor of this agency.") % {"name": user}
            )
    return errors


@transaction.atomic
def team_create(*, actor: User, agency: Agency, data: Mapping[str, Any]) -> Team:
    """An administrator creates a team of case managers and the supervisors who oversee
    them; names are unique in the agency, whatever their capitals."""
    _require_manager(actor)
    errors = _team_errors(agency=agency, data=data)
    if errors:
        raise ValidationError(errors)
    team = Team(agency=agency, name=data["name"].strip())
    team.full_clean()
    save_with_history(team, actor=actor, reason="Created by an administrator")
    members = list(data.get("members") or ())
    supervisors = list(data.get("supervisors") or ())
    team.members.add(*members)
    team.supervisors.add(*supervisors)
    _log(
        actor,
        "Team created:",
        f"{team.name} (id {team.pk})",
        {
            "members": ((), sorted(u.email for u in members)),
            "supervisors": ((), sorted(u.email for u in supervisors)),
        },
    )
    return team


@transaction.atomic
def team_update(*, actor: User, team: Team, data: Mapping[str, Any]) -> Team:
    """An administrator renames a team or changes its members and supervisors. A case
    manager leaves the team only once none of its active clients is theirs."""
    _require_manager(actor)
    team = Team.objects.select_for_update().select_related("agency").get(pk=team.pk)
    errors = _team_errors(agency=team.agency, data=data, team=team)
    if errors:
        raise ValidationError(errors)
    current_members = set(team.members.all())
    wanted_members = set(data.get("members") or ())
    removed = current_members - wanted_members
    if removed:
        held = selectors.active_clients_on_team(team, [u.pk for u in removed])
        if held:
            holders = sorted(
                ((u, held[u.pk]) for u in removed if u.pk in held), key=lambda h: h[0].full_name
            )
            raise CaseloadNotEmpty(holders, field="members", team=team.name)
    changes: dict[str, tuple[Any, Any]] = {}
    name = data["name"].strip()
    if name != team.name:
        changes["name"] = (team.name, name)
        team.name = name
        team.full_clean()
        save_with_history(team, actor=actor, reason="Renamed by an administrator")
    if current_members != wanted_members:
        team.members.remove(*removed)
        team.members.add(*(wanted_members - current_members))
        changes["members"] = (
            sorted(u.email for u in current_members),
            sorted(u.email for u in wanted_members),
        )
    current_supervisors = set(team.supervisors.all())
    wanted_supervisors = set(data.get("supervisors") or ())
    if current_supervisors != wanted_supervisors:
        team.supervisors.remove(*(current_supervisors - wanted_supervisors))
        team.supervisors.add(*(wanted_supervisors - current_supervisors))
        changes["supervisors"] = (
            sorted(u.email for u in current_supervisors),
            sorted(u.email for u in wanted_supervisors),
        )
    if changes:
        _log(actor, "Team changed:", f"{team.name} (id {team.pk})", changes)
    return team
