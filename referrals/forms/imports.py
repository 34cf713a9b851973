"""The upload form for a provider directory import: one file, checked to be readable HSDS
before anything is saved or queued."""

from __future__ import annotations

from pathlib import Path

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from ..hsds.readers import ImportFileError, probe

ALLOWED_SUFFIXES = (".json", ".zip", ".csv")
MAX_UPLOAD_BYTES = 200 * 1024 * 1024


class DirectoryImportForm(forms.Form):
    upload = forms.FileField(
        label=_("HSDS file"),
        help_text=_(
            "A .json file (HSDS 3.0), a .zip of a data package folder (HSDS 3.0 or 1.1 CSV "
            "files), or a single .csv table named after its table, such as services.csv."
        ),
        error_messages={
            "required": _("Choose the file to import."),
            "empty": _("The file is empty. Choose the file again."),
        },
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(ALLOWED_SUFFIXES)}),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.add_input(Submit("import", _("Import")))
        #: The layout the file was found to be in ("HSDS 1.1 tabular data package" …).
        self.format = ""

    def clean_upload(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["upload"]
        suffix = Path(upload.name or "").suffix.lower()
        if suffix not in ALLOWED_SUFFIXES:
            raise forms.ValidationError(
                _("Choose a .json, .zip or .csv file; “%(name)s” is none of these."),
                params={"name": upload.name},
                code="type",
            )
        if not upload.size:
            raise forms.ValidationError(_("The file is empty. Choose the file again."))
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(size)d MB. Split it, or ask for help."),
                params={"size": MAX_UPLOAD_BYTES // 2**20},
            )
        if upload.file is None:
            raise forms.ValidationError(_("The file did not arrive. Choose it again."))
        try:
            self.format = probe(upload.file, name=upload.name or "")
        except ImportFileError as error:
            raise forms.ValidationError(
                _("The file cannot be imported: %(reason)s"),
                params={"reason": error},
                code="unreadable",
            ) from error
        finally:
            upload.seek(0)
        return upload
