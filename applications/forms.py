"""Forms behind the CCG pages. Every error message follows the NHS.UK style (say what to
do, name the field) and every form keeps what was typed when it is shown again with errors.

The pro forma forms are one per section (applications.pro_forma): which fields are required
comes from the section definition, so the pages and the state machine's "is it complete?"
can never disagree."""

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any, ClassVar

from django import forms
from django.utils import timezone

from . import pro_forma
from .models import CCG, CommissioningModel, Cycle, DeadlineEvent, Proposal
from .pro_forma import DELEGABLE_FUNCTIONS, Section

TEXT_LIMIT = 5000
# CCGs were established on 1 April 2013: an agreement dated earlier is a typing mistake.
EARLIEST_AGREEMENT = dt.date(2013, 4, 1)


def london_today() -> dt.date:
    return timezone.localdate()


def long_date(value: dt.date) -> str:
    return f"{value:%-d %B %Y}"


# -- the NHS.UK date input ------------------------------------------------------------------


class DateWidget(forms.MultiWidget):
    """Day, month and year boxes (the NHS.UK date input). Rendered by
    templates/applications/includes/date_field.html, which uses the subwidgets' names,
    ids (id_<field>_0, _1, _2) and raw values."""

    use_fieldset = True

    def __init__(self, attrs=None) -> None:
        numeric = {"inputmode": "numeric"}
        super().__init__(
            {
                "day": forms.TextInput(attrs=numeric),
                "month": forms.TextInput(attrs=numeric),
                "year": forms.TextInput(attrs=numeric),
            },
            attrs,
        )

    def decompress(self, value):
        if isinstance(value, dt.date):
            return [value.day, value.month, value.year]
        return [None, None, None]


class DateField(forms.Field):
    """A date typed into three boxes, with the NHS.UK error messages: '... must include a
    month', '... must be a real date', '... must be today or in the past'."""

    widget = DateWidget

    def __init__(
        self,
        *,
        name_in_errors: str,
        not_in_future: bool = False,
        earliest: dt.date | None = None,
        **kwargs: Any,
    ) -> None:
        self.name_in_errors = name_in_errors
        self.not_in_future = not_in_future
        self.earliest = earliest
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> dt.date | None:
        if isinstance(value, dt.date):
            return value
        parts = [str(part or "").strip() for part in (value or [None, None, None])]
        if not any(parts):
            return None
        missing = [
            label for label, part in zip(("day", "month", "year"), parts, strict=True) if not part
        ]
        what = self.name_in_errors[0].upper() + self.name_in_errors[1:]
        if missing:
            raise forms.ValidationError(
                f"{what} must include a {' and a '.join(missing)}", code="incomplete"
            )
        if not all(part.isdigit() for part in parts) or len(parts[2]) != 4:
            raise forms.ValidationError(f"{what} must be a real date", code="invalid")
        try:
            return dt.date(int(parts[2]), int(parts[1]), int(parts[0]))
        except ValueError:
            raise forms.ValidationError(f"{what} must be a real date", code="invalid") from None

    def validate(self, value: dt.date | None) -> None:
        super().validate(value)
        if value is None:
            return
        what = self.name_in_errors[0].upper() + self.name_in_errors[1:]
        if self.not_in_future and value > london_today():
            raise forms.ValidationError(f"{what} must be today or in the past", code="future")
        if self.earliest and value < self.earliest:
            raise forms.ValidationError(
                f"{what} must be on or after {long_date(self.earliest)}", code="too_early"
            )

    def bound_data(self, data, initial):
        return data  # the raw boxes, so what was typed is shown again


def text(label: str, required_message: str, **kwargs: Any) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=200,
        error_messages={
            "required": required_message,
            "max_length": f"{label} must be 200 characters or fewer",
        },
        **kwargs,
    )


def long_text(label: str, required_message: str, **kwargs: Any) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={
            "required": required_message,
            "max_length": f"{label} must be {TEXT_LIMIT:,} characters or fewer",
        },
        **kwargs,
    )


YES_NO = [("yes", "Yes"), ("no", "No")]

# -- the pro forma sections -----------------------------------------------------------------


class SectionForm(forms.Form):
    """One section of the pro forma. ``complete=False`` is "save as draft": only what was
    typed is checked (a real date, a valid email address); nothing is required yet."""

    section: ClassVar[Section]
    title_hint: ClassVar[str] = ""

    def __init__(self, *args: Any, proposal: Proposal, complete: bool = True, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.proposal = proposal
        self.complete = complete
        required = set(self.section.required) if complete else set()
        for name, field in self.fields.items():
            field.required = name in required

    @classmethod
    def initial_from(cls, answers: Mapping[str, Any]) -> dict[str, Any]:
        initial: dict[str, Any] = {}
        for name, field in cls.base_fields.items():
            value = answers.get(name)
            if isinstance(field, DateField) and isinstance(value, str) and value:
                try:
                    value = dt.date.fromisoformat(value)
                except ValueError:
                    value = None
            initial[name] = value
        return initial

    def to_answers(self) -> dict[str, Any]:
        answers: dict[str, Any] = {}
        for name, value in self.cleaned_data.items():
            if isinstance(value, dt.date):
                value = value.isoformat()
            elif value is None:
                value = ""
            answers[name] = value
        return answers


class ContactForm(SectionForm):
    section = pro_forma.CONTACT

    contact_name = text("Full name", "Enter the full name of the person to contact")
    contact_role = text("Job title", "Enter the contact's job title")
    contact_email = forms.EmailField(
        label="Email address",
        help_text="We will send confirmation and any questions about the proposal to this "
        "address, as well as to your CCG's users of this service.",
        max_length=200,
        error_messages={
            "required": "Enter the contact's email address",
            "invalid": "Enter an email address in the correct format, like name@example.nhs.uk",
        },
    )
    contact_phone = text(
        "Telephone number",
        "Enter the contact's telephone number",
        help_text="For example, 0115 496 0000 or +44 115 496 0000",
    )

    def clean_contact_phone(self) -> str:
        phone = self.cleaned_data.get("contact_phone", "")
        digits = re.sub(r"\D", "", phone)
        if phone and (not re.fullmatch(r"\+?[\d\s()-]+", phone) or not 10 <= len(digits) <= 13):
            raise forms.ValidationError(
                "Enter a telephone number, like 0115 496 0000 or +44 115 496 0000"
            )
        return phone


class ModelAndStartForm(SectionForm):
    section = pro_forma.MODEL_AND_START

    start_date = DateField(
        label="When do you want the arrangement to start?",
        name_in_errors="start date",
        help_text="For example, 1 4 2015",
        error_messages={"required": "Enter the date you want the arrangement to start"},
    )

    def clean_start_date(self) -> dt.date | None:
        start = self.cleaned_data.get("start_date")
        if start is None:
            return start
        cycle = self.proposal.cycle
        go_live = cycle.deadline(DeadlineEvent.GO_LIVE)
        first = timezone.localdate(go_live.due_at) if go_live else cycle.starts_on
        last = cycle.starts_on.replace(year=cycle.starts_on.year + 1) - dt.timedelta(days=1)
        if not first <= start <= last:
            raise forms.ValidationError(
                f"Start date must be between {long_date(first)} and {long_date(last)}, "
                f"when {cycle} arrangements can start"
            )
        return start


class JointCommitteeForm(SectionForm):
    section = pro_forma.JOINT_COMMITTEE

    committee_form = forms.ChoiceField(
        label="How will you make joint decisions with NHS England?",
        choices=[
            ("joint_committee", "A joint committee with the area team"),
            ("committee_in_common", "Committees in common"),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Select a joint committee or committees in common"},
    )
    terms_of_reference_summary = long_text(
        "Terms of reference",
        "Enter a summary of the terms of reference",
        help_text="Say whether you adopted the model terms of reference and scheme of "
        "delegation, and what you changed. Upload the terms of reference under supporting "
        "documents.",
    )


class PooledBudgetForm(SectionForm):
    section = pro_forma.POOLED_BUDGET

    pooled_budget = forms.ChoiceField(
        label="Will the joint arrangement use a pooled budget?",
        choices=YES_NO,
        widget=forms.RadioSelect,
        error_messages={"required": "Select yes if the arrangement will use a pooled budget"},
    )
    financial_instructions_compliance = long_text(
        "How will the pooled budget comply with the financial instructions?",
        "Enter how the pooled budget will comply with the financial instructions",
        help_text="Answer this if you will use a pooled budget. Name the financial "
        "instructions of each organisation and say who holds the budget.",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("pooled_budget") == "yes":
            if self.complete and not data.get("financial_instructions_compliance"):
                self.add_error(
                    "financial_instructions_compliance",
                    self.fields["financial_instructions_compliance"].error_messages["required"],
                )
        elif data.get("pooled_budget") == "no":
            # The answer only applies to a pooled budget; do not keep one that no longer does.
            data["financial_instructions_compliance"] = ""
        return data


class ConstitutionForm(SectionForm):
    section = pro_forma.CONSTITUTION

    constitution_amendment_summary = long_text(
        "What does the constitution amendment change?",
        "Enter what the constitution amendment changes",
        help_text="Upload the amended constitution under supporting documents.",
    )
    constitution_amendment_agreed_on = DateField(
        label="When did the CCG's members agree the amendment?",
        name_in_errors="the date the amendment was agreed",
        not_in_future=True,
        earliest=EARLIEST_AGREEMENT,
        help_text="For example, 10 12 2014",
        error_messages={"required": "Enter the date the members agreed the amendment"},
    )


class GreaterInvolvementForm(SectionForm):
    section = pro_forma.GREATER_INVOLVEMENT

    arrangement_summary = long_text(
        "What have you agreed with the area team?",
        "Enter what you have agreed with the area team",
        help_text="For example, how often you will meet and which decisions you will be "
        "involved in.",
    )
    agreed_with_area_team_on = DateField(
        label="When was it agreed?",
        name_in_errors="the date it was agreed",
        not_in_future=True,
        earliest=EARLIEST_AGREEMENT,
        help_text="For example, 1 12 2014",
        error_messages={"required": "Enter the date it was agreed with the area team"},
    )


class DelegatedFunctionsForm(SectionForm):
    section = pro_forma.DELEGATED_FUNCTIONS

    functions = forms.MultipleChoiceField(
        label="Which functions will the CCG take on?",
        choices=list(DELEGABLE_FUNCTIONS.items()),
        widget=forms.CheckboxSelectMultiple,
        help_text="Select all that apply.",
        error_messages={"required": "Select the functions the CCG will take on"},
    )


class ConflictsOfInterestForm(SectionForm):
    section = pro_forma.CONFLICTS_OF_INTEREST

    arrangements = long_text(
        "How will the CCG manage conflicts of interest?",
        "Enter how the CCG will manage conflicts of interest",
        help_text="Include who chairs the committee, how GP members declare interests and "
        "what happens when a decision affects their practice. Upload the policy under "
        "supporting documents.",
    )


class GovernanceForm(SectionForm):
    section = pro_forma.GOVERNANCE

    governing_body_approved_on = DateField(
        label="When did the governing body approve the proposal?",
        name_in_errors="the date the governing body approved the proposal",
        not_in_future=True,
        earliest=EARLIEST_AGREEMENT,
        help_text="For example, 15 12 2014",
        error_messages={"required": "Enter the date the governing body approved the proposal"},
    )
    member_practice_engagement = long_text(
        "How did you engage your member practices?",
        "Enter how you engaged your member practices",
        help_text="For example, the vote and its result.",
    )


class ResourcesForm(SectionForm):
    section = pro_forma.RESOURCES

    resources_agreed = long_text(
        "What resources have you agreed with the area team?",
        "Enter the resources agreed with the area team",
        help_text="Staff, budgets and support that will transfer or be shared.",
    )


SECTION_FORMS: dict[str, type[SectionForm]] = {
    form.section.key: form
    for form in (
        ContactForm,
        ModelAndStartForm,
        JointCommitteeForm,
        PooledBudgetForm,
        ConstitutionForm,
        GreaterInvolvementForm,
        DelegatedFunctionsForm,
        ConflictsOfInterestForm,
        GovernanceForm,
        ResourcesForm,
    )
}


def display_value(field: forms.Field, value: Any) -> str:
    """An answer as a person reads it on check-your-answers and in a version comparison."""
    if value in (None, "", [], ()):
        return ""
    if isinstance(field, DateField):
        try:
            return long_date(dt.date.fromisoformat(value))
        except (TypeError, ValueError):
            return str(value)
    if isinstance(field, forms.MultipleChoiceField):
        labels = dict(field.choices)
        return "\n".join(str(labels.get(v, v)) for v in value)
    if isinstance(field, forms.ChoiceField):
        return str(dict(field.choices).get(value, value))
    return str(value)


def answer_rows(section_key: str, answers: Mapping[str, Any]) -> list[dict[str, str]]:
    """The section's questions with the answers given, in the form's order."""
    form = SECTION_FORMS[section_key]
    rows = []
    for name, field in form.base_fields.items():
        if name == "financial_instructions_compliance" and answers.get("pooled_budget") != "yes":
            continue
        value = display_value(field, answers.get(name))
        rows.append({"name": name, "label": str(field.label), "value": value})
    return rows


# -- starting a proposal ---------------------------------------------------------------------

MODEL_HINTS = {
    CommissioningModel.GREATER_INVOLVEMENT: "Work more closely with your area team on primary "
    "care decisions. Agreed locally and recorded here; there is no approval and no deadline.",
    CommissioningModel.JOINT: "Form a joint committee (or committees in common) with NHS "
    "England, alone or with other CCGs. Approved by the regional office.",
    CommissioningModel.DELEGATED: "Take full responsibility for commissioning GP services. "
    "Reviewed by the regional office and signed off by the Commissioning Committee.",
}


class StartProposalForm(forms.Form):
    model = forms.ChoiceField(
        label="Which level of co-commissioning do you propose?",
        choices=CommissioningModel.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select the level of co-commissioning you propose"},
    )
    cycle = forms.ModelChoiceField(
        label="Which year should it start in?",
        queryset=Cycle.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={
            "required": "Select the year the arrangement should start in",
            "invalid_choice": "Select the year the arrangement should start in",
        },
    )

    def __init__(self, *args: Any, cycles: list[Cycle], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cycles = cycles
        self.fields["cycle"].queryset = Cycle.objects.filter(pk__in=[c.pk for c in cycles])
        self.fields["cycle"].label_from_instance = lambda cycle: (
            f"{cycle} (from {long_date(cycle.starts_on)})"
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        model, cycle = data.get("model"), data.get("cycle")
        if model and cycle and model != CommissioningModel.GREATER_INVOLVEMENT:
            cycle = next(c for c in self.cycles if c.pk == cycle.pk)  # deadlines prefetched
            due = cycle.deadline(DeadlineEvent.PROPOSALS_DUE, model)
            label = CommissioningModel(model).label.lower()
            if due is None:
                self.add_error(
                    "cycle", f"{cycle} does not take proposals for {label}. Choose another year"
                )
            elif due.has_passed:
                self.add_error(
                    "cycle",
                    f"Proposals for {label} in {cycle} closed on "
                    f"{long_date(timezone.localdate(due.due_at))}. Choose a later year",
                )
        return data


class PartnersForm(forms.Form):
    partners = forms.ModelMultipleChoiceField(
        label="Which CCGs will join the joint committee with you?",
        queryset=CCG.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Select all that apply. Leave them all unselected if your CCG is proposing "
        "joint commissioning on its own. Each partner CCG must confirm its governing body's "
        "agreement in this service before you can submit.",
        error_messages={"invalid_choice": "Select CCGs from the list"},
    )

    def __init__(self, *args: Any, proposal: Proposal, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Joint committees are formed with the area team, so partners come from it.
        self.fields["partners"].queryset = (
            CCG.objects.filter(area_team_id=proposal.ccg.area_team_id)
            .exclude(pk=proposal.ccg_id)
            .order_by("name")
        )


# -- documents --------------------------------------------------------------------------------


class DocumentUploadForm(forms.Form):
    kind = forms.ChoiceField(
        label="Which document are you uploading?",
        widget=forms.RadioSelect,
        error_messages={"required": "Select which document you are uploading"},
    )
    file = forms.FileField(
        label="Upload a file",
        required=False,  # checked by applications.documents.check_upload, with its messages
        error_messages={
            "empty": "The selected file is empty. Choose a file with content.",
            "invalid": "Select a PDF or Word document to upload.",
            "missing": "Select a PDF or Word document to upload.",
        },
        help_text="A PDF or Word document (.docx), smaller than 10MB.",
    )

    def __init__(self, *args: Any, kinds: list[tuple[str, str]], refusals=(), **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = kinds
        self.refusals = list(refusals)

    def clean_file(self):
        from .documents import UploadRefused, check_upload

        # The request parser's findings (an unsafe name, a file over the limit that was
        # never read in full) come first: the file Django hands over has been tidied.
        if self.refusals:
            raise forms.ValidationError(self.refusals[0])
        upload = self.cleaned_data.get("file")
        try:
            self.checked = check_upload(upload)
        except UploadRefused as refused:
            raise forms.ValidationError(str(refused)) from None
        return upload


# -- submitting, agreeing, withdrawing, commenting --------------------------------------------


class SubmitForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    summary_of_changes = long_text(
        "What did you change?",
        "Enter a summary of what you changed",
        help_text="The regional office will see this with a comparison of the two versions.",
    )

    def __init__(self, *args: Any, resubmission: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not resubmission:
            del self.fields["summary_of_changes"]


class PartnerAgreementForm(forms.Form):
    governing_body_agreed_on = DateField(
        label="When did your governing body agree to join?",
        name_in_errors="the date your governing body agreed",
        not_in_future=True,
        earliest=EARLIEST_AGREEMENT,
        help_text="For example, 14 1 2015",
        error_messages={"required": "Enter the date your governing body agreed to join"},
    )
    confirm = forms.BooleanField(
        label="I confirm my CCG's governing body has agreed to join this joint arrangement",
        error_messages={"required": "Confirm your governing body has agreed"},
    )


class WithdrawForm(forms.Form):
    reason = long_text(
        "Why are you withdrawing the proposal?",
        "Enter why you are withdrawing the proposal",
        help_text="The regional office and your area team will see this.",
    )


class CommentForm(forms.Form):
    text = long_text(
        "Add a comment",
        "Enter your comment",
        help_text="The CCG and NHS England colleagues who can see this proposal will see it.",
    )
