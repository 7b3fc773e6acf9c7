"""The public register: each CCG's current co-commissioning arrangement, as agreed or live.

Only proposals in an arrangement state (recorded, approved, approved with conditions, live)
are ever read, and only the columns listed in ``FIELDS``: a draft, a proposal under review,
a withdrawn or refused proposal, its answers, comments and documents never reach this module.
Field names and meanings are documented in docs/register.md and must stay stable."""

from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from applications.models import CCG, AreaTeam, CommissioningModel, Proposal, ProposalState
from applications.models.proposals import ARRANGEMENT_STATES

from .positions import highest_arrangements

# (name, description): the CSV header, the JSON keys, and docs/register.md, in this order.
FIELDS = [
    ("ccg_ods_code", "The CCG's ODS code, for example 04K."),
    ("ccg_ons_code", "The CCG's ONS code, for example E38000132."),
    ("ccg_name", "The CCG's name."),
    ("area_team_code", "The ODS code of the CCG's NHS England area team, for example Q55."),
    ("area_team_name", "The area team's name."),
    ("region_code", "The ODS code of the NHS England region, for example Y55."),
    ("region_name", "The region's name."),
    (
        "model",
        "The arrangement: delegated, joint, greater_involvement, or none when no "
        "arrangement is agreed or live.",
    ),
    ("model_label", "The arrangement in words."),
    (
        "status",
        "recorded (greater involvement), approved, approved_with_conditions or live; "
        "empty when model is none.",
    ),
    ("status_label", "The status in words."),
    ("cycle", "The commissioning year the arrangement was agreed for, for example 2015/16."),
    ("reference", "The arrangement's reference, for example CC1516-04K-D1."),
    (
        "lead_ccg_ods_code",
        "The ODS code of the CCG that led the proposal: another CCG when this one is a "
        "partner in a joint arrangement.",
    ),
    ("lead_ccg_name", "The lead CCG's name."),
    ("decided_on", "The date (UK) the arrangement was approved or recorded, as YYYY-MM-DD."),
    ("live_on", "The date (UK) the arrangement went live, as YYYY-MM-DD; empty until then."),
]
FIELD_NAMES = [name for name, _ in FIELDS]

NONE_LABEL = "No arrangement agreed"
STATUS_LABELS = {
    ProposalState.RECORDED: "Recorded",
    ProposalState.APPROVED: "Approved",
    ProposalState.APPROVED_WITH_CONDITIONS: "Approved with conditions",
    ProposalState.LIVE: "Live",
}
MODEL_LABELS = {**dict(CommissioningModel.choices), "none": NONE_LABEL}


class FilterError(ValueError):
    pass


@dataclass(frozen=True)
class Filters:
    region: str = ""
    area_team: str = ""

    @property
    def query(self) -> dict[str, str]:
        return {k: v for k, v in (("region", self.region), ("area_team", self.area_team)) if v}


def area_teams() -> list[AreaTeam]:
    """Every area team with its region, for the filters (one query)."""
    return list(AreaTeam.objects.select_related("region").order_by("region__name", "name"))


def parse_filters(params, teams: list[AreaTeam]) -> Filters:
    """Region and area team codes from the query string; unknown codes are an error."""
    region = (params.get("region") or "").strip().upper()
    team = (params.get("area_team") or "").strip().upper()
    problems = []
    if region and region not in {t.region.code for t in teams}:
        problems.append(f"There is no region with the code '{region[:10]}'.")
    if team and team not in {t.code for t in teams}:
        problems.append(f"There is no area team with the code '{team[:10]}'.")
    if problems:
        raise FilterError(" ".join(problems))
    return Filters(region=region, area_team=team)


def _ccgs(filters: Filters) -> QuerySet:
    ccgs = CCG.objects.select_related("area_team__region")
    if filters.region:
        ccgs = ccgs.filter(area_team__region__code=filters.region)
    if filters.area_team:
        ccgs = ccgs.filter(area_team__code=filters.area_team)
    return ccgs.order_by("area_team__region__name", "area_team__name", "name")


def _date(moment) -> str:
    return timezone.localdate(moment).isoformat() if moment else ""


@dataclass
class Register:
    rows: list[dict[str, str]]
    last_modified: object  # datetime | None

    def count(self, model: str) -> int:
        return sum(1 for row in self.rows if row["model"] == model)


def build(filters: Filters) -> Register:
    """The register's rows: four queries whatever the number of CCGs."""
    scope = _ccgs(filters)
    current = highest_arrangements(ccgs=scope if filters.region or filters.area_team else None)
    ccgs = list(scope)
    for ccg in ccgs:
        found = current.get(ccg.pk)
        ccg.arrangement_id = found.pk if found else None
    ids = {ccg.arrangement_id for ccg in ccgs if ccg.arrangement_id}
    arrangements = {
        proposal.pk: proposal
        for proposal in Proposal.objects.filter(pk__in=ids, state__in=ARRANGEMENT_STATES)
        .select_related("cycle", "ccg")
        .only(
            "pk",
            "reference",
            "model",
            "state",
            "decided_at",
            "live_at",
            "updated_at",
            "cycle__name",
            "ccg__ods_code",
            "ccg__name",
        )
    }
    rows = []
    for ccg in ccgs:
        team, region = ccg.area_team, ccg.area_team.region
        row = {
            "ccg_ods_code": ccg.ods_code,
            "ccg_ons_code": ccg.ons_code,
            "ccg_name": ccg.name,
            "area_team_code": team.code,
            "area_team_name": team.name,
            "region_code": region.code,
            "region_name": region.name,
        }
        proposal = arrangements.get(ccg.arrangement_id)
        if proposal is None:
            row.update(
                model="none",
                model_label=NONE_LABEL,
                status="",
                status_label="",
                cycle="",
                reference="",
                lead_ccg_ods_code="",
                lead_ccg_name="",
                decided_on="",
                live_on="",
            )
        else:
            row.update(
                model=proposal.model,
                model_label=MODEL_LABELS[proposal.model],
                status=proposal.state,
                status_label=STATUS_LABELS[proposal.state],
                cycle=proposal.cycle.name,
                reference=proposal.reference,
                lead_ccg_ods_code=proposal.ccg.ods_code,
                lead_ccg_name=proposal.ccg.name,
                decided_on=_date(proposal.decided_at),
                live_on=_date(proposal.live_at),
            )
        rows.append(row)
    last_modified = max((p.updated_at for p in arrangements.values()), default=None)
    return Register(rows=rows, last_modified=last_modified)
