"""The assessment form: one fieldset per domain (need level and notes), strengths, barriers
and the client's own words. It validates input only; the view hands it to the services."""

from __future__ import annotations

from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Field, Fieldset, Layout
from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.forms.utils import ErrorList
from django.utils.translation import gettext_lazy as _

from ..models import Assessment, Barrier, Domain, NeedLevel
from ..services.assessments import COMPLETED_IS_READ_ONLY, need_field

#: What to talk about in each domain, as a prompt beside its notes.
DOMAIN_PROMPTS = {
    Domain.MENTAL_HEALTH: _("Mood, stress, symptoms, current treatment and what has helped."),
    Domain.PHYSICAL_HEALTH: _("Health conditions, medication, a doctor, access to care."),
    Domain.SUBSTANCE_USE: _("Alcohol, drugs or tobacco, and how use affects daily life."),
    Domain.HOUSING: _("Where they live now, how safe and stable it is, any risk of losing it."),
    Domain.EMPLOYMENT_EDUCATION: _("Work, school or training now, and what they would like."),
    Domain.FINANCES_BENEFITS: _("Income, debts, benefits they receive or may be eligible for."),
    Domain.LEGAL: _("Court dates, probation, custody, immigration or other legal matters."),
    Domain.FAMILY_SOCIAL: _("Family, friends and community: who supports them, any conflict."),
    Domain.DAILY_LIVING: _("Cooking, shopping, hygiene, managing appointments and money."),
    Domain.SPIRITUAL: _("Faith, meaning, practices or a community that matter to them."),
    Domain.TRANSPORTATION: _("How they get to appointments, work and shops."),
    Domain.SAFETY: _("Violence, threats, risk of harm to self or others, safety at home."),
}

#: The radio buttons run from no need to high, then "not assessed" last.
LEVEL_CHOICES = [
    (level.value, level.label)
    for level in (
        NeedLevel.NONE,
        NeedLevel.LOW,
        NeedLevel.MODERATE,
        NeedLevel.HIGH,
        NeedLevel.NOT_ASSESSED,
    )
]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class AssessmentForm(forms.Form):
    """A draft assessment as the case manager fills it in with the client. A completed
    assessment is shown read-only and any submission of it is refused."""

    assessed_on = forms.DateField(label=_("Date of the assessment"), widget=DateInput())
    strengths = forms.CharField(
        label=_("Strengths and protective factors"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What is going well: skills, supports, faith, motivation, resources."),
    )
    barriers = forms.MultipleChoiceField(
        label=_("What stands in the way"),
        required=False,
        choices=Barrier.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    barrier_notes = forms.CharField(
        label=_("Barriers in more detail"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    client_words = forms.CharField(
        label=_("What the client wants, in their own words"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Write it as the client says it. Needed to complete the assessment."),
    )

    def __init__(self, *args: Any, assessment: Assessment, **kwargs: Any) -> None:
        self.assessment = assessment
        needs = {need.domain: need for need in assessment.needs.all()}
        initial = {
            "assessed_on": assessment.assessed_on,
            "strengths": assessment.strengths,
            "barriers": list(assessment.barriers),
            "barrier_notes": assessment.barrier_notes,
            "client_words": assessment.client_words,
        }
        for domain in Domain:
            need = needs.get(domain.value)
            initial[need_field(domain.value, "level")] = (
                need.level if need else NeedLevel.NOT_ASSESSED.value
            )
            initial[need_field(domain.value, "notes")] = need.notes if need else ""
        kwargs["initial"] = {**initial, **kwargs.get("initial", {})}
        super().__init__(*args, **kwargs)
        domain_fieldsets = []
        for domain in Domain:
            level_name = need_field(domain.value, "level")
            notes_name = need_field(domain.value, "notes")
            self.fields[level_name] = forms.ChoiceField(
                label=_("Need level"),
                choices=LEVEL_CHOICES,
                widget=forms.RadioSelect,
                error_messages={"required": _("Choose a need level, or “Not assessed”.")},
            )
            self.fields[notes_name] = forms.CharField(
                label=_("Notes"),
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
                help_text=DOMAIN_PROMPTS[domain],
            )
            domain_fieldsets.append(
                Fieldset(
                    domain.label,
                    Field(level_name, template="careplans/assessments/_level_radios.html"),
                    notes_name,
                    css_id=f"domain-{domain.value}",
                    css_class="border rounded px-3 pt-2 mb-3",
                )
            )
        if not assessment.is_draft:
            for field in self.fields.values():
                field.disabled = True
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True  # the page's own form tag carries the token
        self.helper.layout = Layout(
            "assessed_on",
            *domain_fieldsets,
            Fieldset(_("Strengths"), "strengths", css_class="border rounded px-3 pt-2 mb-3"),
            Fieldset(
                _("Barriers"),
                "barriers",
                "barrier_notes",
                css_class="border rounded px-3 pt-2 mb-3",
            ),
            Fieldset(
                _("The client's goals"),
                "client_words",
                css_class="border rounded px-3 pt-2 mb-3",
            ),
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.assessment.is_draft:
            raise forms.ValidationError(COMPLETED_IS_READ_ONLY, code="completed")
        return cleaned

    def non_field_errors(self) -> ErrorList:
        """None inside the form: the page's error summary shows them, and crispy would
        repeat them in a second box. `error_links()` reads them from `errors`."""
        return self.error_class(error_class="nonfield", renderer=self.renderer)

    def assessment_data(self) -> dict[str, Any]:
        """The assessment's own fields, for `assessment_update(data=…)`."""
        names = ("assessed_on", "strengths", "barriers", "barrier_notes", "client_words")
        return {name: self.cleaned_data[name] for name in names}

    def needs_data(self) -> dict[str, tuple[str, str]]:
        """Each domain's (level, notes), for `assessment_update(needs=…)`."""
        return {
            domain: (
                self.cleaned_data[need_field(domain, "level")],
                self.cleaned_data[need_field(domain, "notes")],
            )
            for domain in Domain.values
        }

    def error_links(self) -> list[tuple[str, str]]:
        """The error summary: (the id to jump to, the message naming the field). A domain's
        fields are named with the domain, since every domain has a "Need level"."""
        domain_labels = {
            need_field(d.value, part): f"{d.label} — {label}"
            for d in Domain
            for part, label in (("level", _("need level")), ("notes", _("notes")))
        }
        links = [("", str(message)) for message in self.errors.get(NON_FIELD_ERRORS, [])]
        for name, field in self.fields.items():
            bound = self[name]
            if not bound.errors:
                continue
            target = bound.id_for_label or f"{bound.auto_id}_0"
            label = domain_labels.get(name, str(field.label))
            links.extend((target, f"{label}: {message}") for message in bound.errors)
        return links
