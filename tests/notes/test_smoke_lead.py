import pytest
from django.db import IntegrityError, transaction

from notes.models import Addendum, CaseNote
from notes.services import addendum_add

from .note_fixtures import signed_note


@pytest.mark.django_db
def test_signed_note_is_locked_below_the_orm(north_client, case_manager):
    note = signed_note(north_client, case_manager)
    assert note.late_entry is False
    note.observations = "changed"
    with pytest.raises(IntegrityError), transaction.atomic():
        note.save()
    addendum = addendum_add(
        actor=case_manager, note=note, kind="correction", reason="typo", text="It was Tuesday."
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Addendum.objects.filter(pk=addendum.pk).update(text="x")
    assert CaseNote.objects.filter(search_vector="apartment").count() == 1
