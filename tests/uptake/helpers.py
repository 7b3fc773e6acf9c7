"""Proposals in any state, reached only through the write paths (applications.actions and
.services, approvals.services) at 2015 dates, and a small world of regions, area teams and
CCGs to put them in."""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

import time_machine

from applications import actions, services
from applications.documents import REQUIRED_DOCUMENTS, attach_document, check_upload
from applications.models import CCG, Proposal, ProposalState
from applications.pro_forma import sections_for
from approvals import services as approvals
from tests import factories
from tests.applications.view_helpers import pdf_bytes, uploaded
from tests.factories import COMPLETE_ANSWERS, london

S = ProposalState

REVIEW_ANSWERS = {
    "governance_compliant": "yes",
    "constitution_acceptable": "yes",
    "conflicts_managed": "yes",
    "pooled_budget_compliant": "n/a",
    "special_measures_risk_accepted": "n/a",
    "recommendation": "Recommended.",
}

# Which model reaches each state (greater involvement is only ever recorded; the committee's
# states are delegated; not approved is joint).
MODEL_FOR_STATE = {
    S.DRAFT: "delegated",
    S.RECORDED: "greater_involvement",
    S.SUBMITTED: "joint",
    S.UNDER_REVIEW: "joint",
    S.CHANGES_REQUESTED: "delegated",
    S.RESUBMITTED: "delegated",
    S.RECOMMENDED: "delegated",
    S.NOT_RECOMMENDED: "delegated",
    S.DEFERRED: "delegated",
    S.APPROVED: "joint",
    S.APPROVED_WITH_CONDITIONS: "delegated",
    S.NOT_APPROVED: "joint",
    S.DECLINED: "delegated",
    S.WITHDRAWN: "delegated",
    S.LAPSED: "delegated",
    S.LIVE: "delegated",
}


@dataclass
class People:
    reviewers: dict[int, object] = field(default_factory=dict)
    secretary: object = None
    staff: dict[int, object] = field(default_factory=dict)

    def staff_for(self, ccg: CCG):
        if ccg.pk not in self.staff:
            self.staff[ccg.pk] = factories.ccg_staff(ccg)
        return self.staff[ccg.pk]

    def reviewer_for(self, ccg: CCG):
        region = ccg.area_team.region
        if region.pk not in self.reviewers:
            self.reviewers[region.pk] = factories.reviewer(region)
        return self.reviewers[region.pk]

    def the_secretary(self):
        if self.secretary is None:
            self.secretary = factories.secretary()
        return self.secretary


def _at(moment: dt.datetime):
    return time_machine.travel(moment, tick=False)


def _answers(model: str, marker: str) -> dict[str, dict]:
    answers = {s.key: dict(COMPLETE_ANSWERS[s.key]) for s in sections_for(model)}
    answers["contact"]["contact_name"] = f"Contact {marker}"
    return answers


def drive(
    ccg: CCG,
    cycle,
    state: str,
    people: People,
    *,
    model: str | None = None,
    partners: list[CCG] = (),
    marker: str = "",
    with_documents: bool = True,
    comment: str = "",
) -> Proposal:
    """A proposal of `ccg` in `state`, through the write paths. `marker` goes into its pro
    forma (and its documents' names); `comment` is left by the area team."""
    model = model or MODEL_FOR_STATE[state]
    staff = people.staff_for(ccg)
    reviewer = people.reviewer_for(ccg)
    secretary = people.the_secretary()
    marker = marker or f"{ccg.ods_code}-{state}"
    if cycle.name == "2015/16":
        start, submit_day = london(2014, 12, 1, 10), london(2015, 1, 2, 10)
        review_day, committee_day = london(2015, 1, 12, 10), london(2015, 2, 16, 10)
        live_day, lapse_day = london(2015, 4, 1, 0, 5), london(2015, 1, 6, 0, 5)
    else:
        start, submit_day = london(2015, 4, 15, 10), london(2015, 5, 20, 10)
        review_day, committee_day = london(2015, 6, 10, 10), london(2015, 10, 12, 10)
        live_day, lapse_day = london(2016, 4, 1, 0, 5), london(2015, 6, 2, 0, 5)

    with _at(start):
        proposal = services.create_proposal(ccg=ccg, cycle=cycle, model=model, by=staff)
        if partners:
            proposal = actions.set_partners(proposal=proposal, partners=partners, by=staff)
            for partner in partners:
                actions.confirm_agreement(
                    proposal=proposal,
                    partner=partner,
                    by=people.staff_for(partner),
                    governing_body_agreed_on=dt.date(2014, 11, 20),
                )
        answers = _answers(model, marker)
        sections = list(sections_for(model))
        if state in (S.DRAFT, S.LAPSED):
            sections = sections[:1]
        for section in sections:
            proposal = services.save_pro_forma_section(
                proposal=proposal, section=section.key, answers=answers[section.key], by=staff
            )
        if with_documents:
            for kind in REQUIRED_DOCUMENTS.get(model, ()):
                upload = uploaded(f"{kind} {marker}.pdf", pdf_bytes(marker))
                attach_document(
                    proposal=proposal,
                    kind=kind,
                    upload=upload,
                    checked=check_upload(upload),
                    by=staff,
                )
        if comment:
            area = factories.area_team_staff(ccg.area_team)
            actions.add_comment(proposal=proposal, by=area, text=comment)
    proposal = Proposal.objects.get(pk=proposal.pk)
    if state == S.DRAFT:
        return proposal
    if state == S.LAPSED:
        with _at(lapse_day):
            return services.lapse_proposal(proposal=proposal)
    if state == S.RECORDED:
        with _at(submit_day):
            return services.record_greater_involvement(proposal=proposal, by=staff)

    with _at(submit_day):
        proposal = services.submit_proposal(proposal=proposal, by=staff)
    if state == S.SUBMITTED:
        return proposal
    if state == S.WITHDRAWN:
        with _at(submit_day + dt.timedelta(days=3)):
            return services.withdraw_proposal(
                proposal=proposal, by=staff, reason=f"Withdrawn {marker}"
            )

    with _at(review_day):
        review = approvals.start_review(proposal=proposal, by=reviewer)
        approvals.save_review(review=review, by=reviewer, answers=REVIEW_ANSWERS)
    proposal = Proposal.objects.get(pk=proposal.pk)
    if state == S.UNDER_REVIEW:
        return proposal
    if state in (S.CHANGES_REQUESTED, S.RESUBMITTED):
        with _at(review_day + dt.timedelta(days=1)):
            proposal = approvals.request_changes(
                proposal=proposal, by=reviewer, comments=f"Changes {marker}"
            )
            if state == S.RESUBMITTED:
                proposal = services.resubmit_proposal(
                    proposal=proposal, by=staff, summary_of_changes=f"Changed {marker}"
                )
        return proposal

    with _at(review_day + dt.timedelta(days=7)):
        if model == "joint":
            if state == S.NOT_APPROVED:
                return approvals.not_approve_proposal(
                    proposal=proposal, by=reviewer, reason=f"Not approved {marker}"
                )
            proposal = approvals.approve_joint_proposal(proposal=proposal, by=reviewer)
        else:
            recommend = state != S.NOT_RECOMMENDED
            proposal = approvals.recommend_to_committee(
                proposal=proposal,
                by=reviewer,
                recommend=recommend,
                comments="" if recommend else f"Not recommended {marker}",
            )
    if state in (S.RECOMMENDED, S.NOT_RECOMMENDED) or (model == "joint" and state == S.APPROVED):
        return proposal

    if model == "delegated":
        decision = {
            S.DEFERRED: "deferred",
            S.APPROVED: "approved",
            S.APPROVED_WITH_CONDITIONS: "approved_with_conditions",
            S.DECLINED: "declined",
            S.LIVE: "approved",
        }[state]
        with _at(committee_day):
            proposal = approvals.record_committee_decision(
                proposal=proposal,
                by=secretary,
                decision=decision,
                conditions=[f"Condition {marker}"] if decision.endswith("conditions") else [],
                minute=f"Minute {marker}",
            )
    if state != S.LIVE:
        return proposal
    with _at(live_day):
        return services.go_live(proposal=proposal)


@dataclass
class World:
    """Two regions, three area teams, CCGs with known populations and scores (one without a
    score), as the reference data has them."""

    regions: list
    area_teams: list
    ccgs: list[CCG]


def make_world(per_team: int = 4, prefix: str = "") -> World:
    north = factories.RegionFactory(code="Y54", name="North of England")
    midlands = factories.RegionFactory(code="Y55", name="Midlands and East of England")
    teams = [
        factories.AreaTeamFactory(code=code, name=name, region=region)
        for code, name, region in (
            ("Q46", "Greater Manchester", north),
            ("Q44", "Cheshire, Warrington and Wirral", north),
            ("Q55", "Derbyshire and Nottinghamshire", midlands),
        )
    ]
    ccgs = []
    for t, team in enumerate(teams):
        for i in range(per_team):
            n = t * per_team + i
            ccgs.append(
                factories.CCGFactory(
                    name=f"NHS {prefix}{team.code} Test {i} CCG",
                    area_team=team,
                    registered_population=100_000 + 10_000 * n,
                    # One CCG in every team has no published score, like Gateshead.
                    imd2015_score=None if i == 0 else Decimal(f"{15 + n}.{n % 10}25"),
                )
            )
    return World(regions=[north, midlands], area_teams=teams, ccgs=ccgs)
