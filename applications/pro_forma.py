"""The pro forma: which sections each model's proposal has and when a section is complete.

Answers are stored on the proposal as ``{section_key: {field: value}}``. The pages that
collect them (and their validation) build on these definitions; the state machine only
asks whether every section is complete."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .models.choices import CommissioningModel

Answers = Mapping[str, Any]


def _filled(value: Any) -> bool:
    if isinstance(value, str):
        return bool(value.strip())
    return value not in (None, [], {}, ())


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    required: tuple[str, ...]
    # Extra rule for answers that depend on other answers (a pooled budget needs its
    # compliance statement); returns True when the section is complete.
    rule: Callable[[Answers], bool] | None = None

    def is_complete(self, answers: Answers) -> bool:
        if not all(_filled(answers.get(field)) for field in self.required):
            return False
        return self.rule(answers) if self.rule else True


def _pooled_budget_rule(answers: Answers) -> bool:
    if answers.get("pooled_budget") == "yes":
        return _filled(answers.get("financial_instructions_compliance"))
    return True


CONTACT = Section(
    "contact",
    "CCG and contact details",
    ("contact_name", "contact_role", "contact_email", "contact_phone"),
)
MODEL_AND_START = Section("model_and_start", "Chosen model and start date", ("start_date",))
CONSTITUTION = Section(
    "constitution",
    "Constitution amendment",
    ("constitution_amendment_summary", "constitution_amendment_agreed_on"),
)
GREATER_INVOLVEMENT = Section(
    "greater_involvement",
    "Arrangement agreed with the area team",
    ("arrangement_summary", "agreed_with_area_team_on"),
)
JOINT_COMMITTEE = Section(
    "joint_committee",
    "Joint committee or committee in common",
    ("committee_form", "terms_of_reference_summary"),
)
POOLED_BUDGET = Section(
    "pooled_budget", "Pooled budget", ("pooled_budget",), rule=_pooled_budget_rule
)
DELEGATED_FUNCTIONS = Section("delegated_functions", "Functions taken on", ("functions",))
CONFLICTS_OF_INTEREST = Section(
    "conflicts_of_interest", "Conflicts of interest arrangements", ("arrangements",)
)
GOVERNANCE = Section(
    "governance",
    "Governing body approval and member practice engagement",
    ("governing_body_approved_on", "member_practice_engagement"),
)
RESOURCES = Section("resources", "Resources agreed with the area team", ("resources_agreed",))

SECTIONS: dict[str, tuple[Section, ...]] = {
    CommissioningModel.GREATER_INVOLVEMENT: (CONTACT, GREATER_INVOLVEMENT),
    CommissioningModel.JOINT: (
        CONTACT,
        MODEL_AND_START,
        JOINT_COMMITTEE,
        POOLED_BUDGET,
        CONSTITUTION,
    ),
    CommissioningModel.DELEGATED: (
        CONTACT,
        MODEL_AND_START,
        DELEGATED_FUNCTIONS,
        CONFLICTS_OF_INTEREST,
        GOVERNANCE,
        RESOURCES,
        CONSTITUTION,
    ),
}

# Delegated functions in scope for 2015/16, and those NHS England keeps.
DELEGABLE_FUNCTIONS = {
    "gms_pms_apms_contracts": "GMS, PMS and APMS contracts",
    "enhanced_services": "Enhanced services (LES and DES)",
    "property_costs": "Property costs",
    "qof": "Quality and Outcomes Framework (QOF)",
}
NON_DELEGABLE_FUNCTIONS = (
    "Performers lists",
    "Revalidation and appraisal",
    "Individual practice performance management",
    "Payments administration",
    "List management",
)


def sections_for(model: str) -> tuple[Section, ...]:
    return SECTIONS[model]


def missing_sections(model: str, pro_forma: Mapping[str, Answers]) -> list[Section]:
    return [s for s in sections_for(model) if not s.is_complete(pro_forma.get(s.key, {}))]
