"""Helpers shared by every app's forms and views."""

from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError


def add_service_error(form: Any, error: ValidationError) -> None:
    """Put a service's refusal beside the fields it names and the rest at the top, so the
    user sees it where they typed and keeps what they typed."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            target = field if field in form.fields and field != NON_FIELD_ERRORS else None
            form.add_error(target, messages)
    else:
        form.add_error(None, error.messages)
