"""Forms behind the review and committee pages. Messages follow the NHS.UK style (say what
to do, name the field); every form keeps what was typed when shown again with errors."""

import datetime as dt
import re
from typing import Any

from django import forms
from django.utils import timezone

from applications.forms import DateField, long_text
from applications.models import (
    AreaTeam,
    CommissioningModel,
    Cycle,
    Proposal,
    ProposalState,
    Region,
)

from .models import AgendaItem, Checklist, Decision, Review

# -- the reviewer's queue -------------------------------------------------------------------


class QueueFilterForm(forms.Form):
    """GET filters. Choices come from the database (one query each); blank means all."""

    cycle = forms.ChoiceField(label="Year", required=False)
    model = forms.ChoiceField(
        label="Model",
        required=False,
        choices=[("", "All models"), *CommissioningModel.choices],
    )
    state = forms.ChoiceField(
        label="Status", required=False, choices=[("", "All statuses"), *ProposalState.choices]
    )
    area_team = forms.ChoiceField(label="Area team", required=False)
    region = forms.ChoiceField(label="Region", required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["cycle"].choices = [("", "All years")] + [
            (str(c.pk), c.name) for c in Cycle.objects.order_by("starts_on")
        ]
        teams = AreaTeam.objects.order_by("name")
        if user.role == "regional_reviewer":
            teams = teams.filter(region_id=user.region_id)
            del self.fields["region"]
        else:
            self.fields["region"].choices = [("", "All regions")] + [
                (str(r.pk), r.name) for r in Region.objects.order_by("name")
            ]
        self.fields["area_team"].choices = [("", "All area teams")] + [
            (str(t.pk), t.name) for t in teams
        ]


# -- reviewing ------------------------------------------------------------------------------

CHECKLIST_QUESTIONS = {
    "governance_compliant": (
        "Do the arrangements comply with the governance framework?",
        "",
    ),
    "constitution_acceptable": ("Is the constitution amendment acceptable?", ""),
    "conflicts_managed": (
        "Are conflicts of interest managed?",
        "For delegated commissioning the plan must be convincing.",
    ),
    "pooled_budget_compliant": (
        "Does the pooled budget comply with the financial instructions?",
        "Answer not applicable if the proposal has no pooled budget.",
    ),
    "special_measures_risk_accepted": (
        "If the CCG is in special measures, is the risk accepted?",
        "Answer not applicable if the CCG is not in special measures or has no serious "
        "governance issues.",
    ),
}


def _checklist_field(name: str) -> forms.ChoiceField:
    label, hint = CHECKLIST_QUESTIONS[name]
    return forms.ChoiceField(
        label=label,
        help_text=hint,
        required=False,  # a draft may leave checks unanswered; deciding needs them all
        choices=Checklist.choices,
        widget=forms.RadioSelect,
    )


class VersionForm(forms.Form):
    """The version of the proposal the page showed: the service refuses a stale one."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class ReviewForm(VersionForm):
    governance_compliant = _checklist_field("governance_compliant")
    constitution_acceptable = _checklist_field("constitution_acceptable")
    conflicts_managed = _checklist_field("conflicts_managed")
    pooled_budget_compliant = _checklist_field("pooled_budget_compliant")
    special_measures_risk_accepted = _checklist_field("special_measures_risk_accepted")
    comments = long_text(
        "Comments for the CCG",
        "",
        required=False,
        help_text="The CCG sees these if you ask it for changes.",
    )
    private_notes = long_text(
        "Private notes",
        "",
        required=False,
        help_text="Only NHS England reviewers, the committee secretary and the national "
        "programme team see these. Never the CCG or the area team.",
    )
    recommendation = long_text(
        "Your recommendation",
        "",
        required=False,
        help_text="For delegated proposals this goes into the Commissioning Committee's "
        "sign-off pack.",
    )
    proposed_conditions = long_text(
        "Conditions you propose",
        "",
        required=False,
        help_text="One condition per line. The committee decides which to set.",
    )

    ANSWERS = (*Review.CHECKLIST_FIELDS, "comments", "private_notes", "recommendation")

    @classmethod
    def for_review(cls, review: Review, version: int) -> "ReviewForm":
        initial = {
            name: getattr(review, name)
            for name in (*cls.ANSWERS, "proposed_conditions")
            if getattr(review, name)
        }
        return cls(initial={**initial, "version": version})

    def answers(self) -> dict[str, str]:
        return {
            name: self.cleaned_data.get(name) or ""
            for name in (*self.ANSWERS, "proposed_conditions")
        }


class DecisionForm(VersionForm):
    """The confirmation page of a review decision: the words that go with it."""

    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}), max_length=5000)

    def __init__(
        self, *args: Any, label: str, hint: str, required_message: str, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["text"]
        field.label = label
        field.help_text = hint
        field.required = bool(required_message)
        field.error_messages["required"] = required_message
        field.error_messages["max_length"] = f"{label} must be 5,000 characters or fewer"


class DeclareInterestForm(forms.Form):
    ccg = forms.ChoiceField(
        label="Which CCG do you have an interest in?",
        widget=forms.RadioSelect,
        error_messages={"required": "Select the CCG you have an interest in"},
    )
    description = long_text(
        "Describe your interest",
        "Describe your interest",
        help_text="For example, a close family member is a GP partner at one of its practices.",
    )

    def __init__(self, *args: Any, ccgs: list, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ccgs = {str(c.pk): c for c in ccgs}
        self.fields["ccg"].choices = [(str(c.pk), c.name) for c in ccgs]

    def clean_ccg(self):
        return self.ccgs[self.cleaned_data["ccg"]]


# -- the committee --------------------------------------------------------------------------

TIME = re.compile(r"^\s*([01]?\d|2[0-3])[:.]([0-5]\d)\s*$")


class MeetingForm(forms.Form):
    cycle = forms.ChoiceField(
        label="Which year's proposals does it decide?",
        widget=forms.RadioSelect,
        error_messages={"required": "Select the year the meeting decides proposals for"},
    )
    meets_on = DateField(
        label="Date of the meeting",
        name_in_errors="the date of the meeting",
        help_text="For example, 16 2 2015",
        error_messages={"required": "Enter the date of the meeting"},
    )
    meets_at_time = forms.CharField(
        label="Time",
        help_text="Use the 24-hour clock, for example 10:00",
        error_messages={"required": "Enter the time the meeting starts"},
        widget=forms.TextInput(attrs={"class": "nhsuk-input--width-5"}),
    )
    title = forms.CharField(
        label="Title",
        max_length=200,
        initial="NHS England Commissioning Committee",
        error_messages={"required": "Enter the title of the meeting"},
    )
    location = forms.CharField(label="Location (optional)", max_length=200, required=False)
    members = long_text(
        "Members (optional)",
        "",
        required=False,
        help_text="One member per line: name, role.",
    )

    def __init__(self, *args: Any, cycles: list[Cycle], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cycles = {str(c.pk): c for c in cycles}
        self.fields["cycle"].choices = [(str(c.pk), c.name) for c in cycles]

    def clean_cycle(self) -> Cycle:
        return self.cycles[self.cleaned_data["cycle"]]

    def clean_meets_at_time(self) -> dt.time:
        match = TIME.match(self.cleaned_data["meets_at_time"])
        if not match:
            raise forms.ValidationError(
                "Enter the time on the 24-hour clock, for example 10:00", code="invalid"
            )
        return dt.time(int(match.group(1)), int(match.group(2)))

    def meets_at(self) -> dt.datetime:
        day, time = self.cleaned_data["meets_on"], self.cleaned_data["meets_at_time"]
        return timezone.make_aware(dt.datetime.combine(day, time))


class AddToAgendaForm(forms.Form):
    proposal = forms.IntegerField(widget=forms.HiddenInput)


class MoveForm(forms.Form):
    direction = forms.ChoiceField(choices=[("up", "Up"), ("down", "Down")])


class ItemDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label="What did the committee decide?",
        choices=Decision.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select the committee's decision"},
    )
    conditions = long_text(
        "Conditions",
        "",
        required=False,
        help_text="Only for approved with conditions. One condition per line: each is tracked "
        "until it is met, and the arrangement cannot go live before they all are.",
    )
    minute = long_text(
        "Minute",
        "",
        required=False,
        help_text="What the committee said, as it will appear in the decision record.",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        lines = [line.strip() for line in (data.get("conditions") or "").splitlines()]
        data["condition_list"] = [line for line in lines if line]
        decision = data.get("decision")
        if decision == Decision.APPROVED_WITH_CONDITIONS and not data["condition_list"]:
            self.add_error("conditions", "Enter at least one condition, one per line")
        elif decision and decision != Decision.APPROVED_WITH_CONDITIONS and data["condition_list"]:
            self.add_error(
                "conditions",
                "Conditions go only with approved with conditions: remove them or change the "
                "decision",
            )
        return data


class BulkDecisionForm(forms.Form):
    items = forms.MultipleChoiceField(
        label="Which items?",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Select the items the decision applies to"},
    )
    decision = forms.ChoiceField(
        label="Decision for all the selected items",
        choices=[(d.value, d.label) for d in Decision if d != Decision.APPROVED_WITH_CONDITIONS],
        widget=forms.RadioSelect,
        help_text="Record approvals with conditions one item at a time.",
        error_messages={"required": "Select the decision"},
    )
    minute = long_text("Minute (optional)", "", required=False)

    def __init__(self, *args: Any, items: list[AgendaItem], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.items = {str(i.pk): i for i in items}
        self.fields["items"].choices = [
            (str(i.pk), f"Item {i.position}: {i.proposal.ccg.name} ({i.proposal.reference})")
            for i in items
        ]

    def clean_items(self) -> list[AgendaItem]:
        return [self.items[pk] for pk in self.cleaned_data["items"]]


class ConditionMetForm(forms.Form):
    note = long_text(
        "How was the condition met?",
        "Enter how the condition was met",
        help_text="For example, the evidence seen and when. This is kept with the proposal.",
    )


def proposal_label(proposal: Proposal) -> str:
    return f"{proposal.ccg.name} ({proposal.reference})"
